"""Who may list, open, edit and delete a client: every persona against one record.

The record belongs to alice (team North, led by lead). Admin, head of sales,
the team lead and alice may change it; support may only read it; bob and the
outsider do not know it exists. Every refusal leaves the database as it was.
"""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests import factories
from voronka.clients.models import Company, Contact

pytestmark = pytest.mark.django_db

WRITERS = ["admin", "head", "lead", "alice"]
READERS = ["support"]
STRANGERS = ["bob", "outsider"]
EVERYONE = WRITERS + READERS + STRANGERS

KINDS = {
    "company": {
        "model": Company,
        "make": lambda owner: factories.company(owner, name="Клиент Алисы"),
        "edit": lambda record: {
            "name": "Переименован", "lifecycle_stage": record.lifecycle_stage,
            "owner": record.owner_id, "version": record.version,
        },
        "changed": lambda record: record.name == "Переименован",
    },
    "contact": {
        "model": Contact,
        "make": lambda owner: factories.contact(owner, first_name="Анна", last_name="Алисина"),
        "edit": lambda record: {
            "first_name": "Анна", "last_name": "Переименована",
            "lifecycle_stage": record.lifecycle_stage, "owner": record.owner_id,
            "version": record.version,
        },
        "changed": lambda record: record.last_name == "Переименована",
    },
}  # fmt: skip


def snapshot(model, pk):
    row = model.all_objects.get(pk=pk)
    return (str(row), row.version, row.deleted_at, row.owner_id, row.lifecycle_stage)


@pytest.fixture(params=list(KINDS))
def kind(request):
    return request.param


@pytest.fixture
def record(personas, kind):
    return KINDS[kind]["make"](personas.alice)


def url(kind, action, record=None):
    return reverse(f"clients:{kind}-{action}", args=[record.pk] if record else [])


@pytest.mark.parametrize("who", EVERYONE)
def test_the_list_shows_the_record_only_to_those_who_may_see_it(
    personas, client, kind, record, who
):
    client.force_login(getattr(personas, who))

    response = client.get(url(kind, "list"))

    assert response.status_code == 200
    shown = url(kind, "detail", record) in response.content.decode()
    assert shown is (who not in STRANGERS)


@pytest.mark.parametrize("who", EVERYONE)
def test_the_card_opens_for_readers_and_is_404_for_strangers(personas, client, kind, record, who):
    client.force_login(getattr(personas, who))

    response = client.get(url(kind, "detail", record))

    assert response.status_code == (404 if who in STRANGERS else 200)


@pytest.mark.parametrize("who", EVERYONE)
def test_the_edit_form_opens_only_for_writers(personas, client, kind, record, who):
    client.force_login(getattr(personas, who))

    response = client.get(url(kind, "edit", record))

    expected = 200 if who in WRITERS else 403 if who in READERS else 404
    assert response.status_code == expected


@pytest.mark.parametrize("who", EVERYONE)
def test_an_edit_is_saved_for_writers_and_refused_for_others_without_change(
    personas, client, kind, record, who
):
    model = KINDS[kind]["model"]
    before = snapshot(model, record.pk)
    client.force_login(getattr(personas, who))

    response = client.post(url(kind, "edit", record), KINDS[kind]["edit"](record))

    after = model.all_objects.get(pk=record.pk)
    if who in WRITERS:
        assert response.status_code == 302
        assert KINDS[kind]["changed"](after)
        assert after.version == record.version + 1
    else:
        assert response.status_code == (403 if who in READERS else 404)
        assert snapshot(model, record.pk) == before


@pytest.mark.parametrize("who", EVERYONE)
def test_a_delete_succeeds_for_writers_and_is_refused_for_others_without_change(
    personas, client, kind, record, who
):
    model = KINDS[kind]["model"]
    before = snapshot(model, record.pk)
    client.force_login(getattr(personas, who))

    response = client.post(url(kind, "delete", record), {"version": record.version})

    after = model.all_objects.get(pk=record.pk)
    if who in WRITERS:
        assert response.status_code == 302
        assert after.deleted_at is not None
    else:
        assert response.status_code == (403 if who in READERS else 404)
        assert snapshot(model, record.pk) == before


@pytest.mark.parametrize("who", READERS + STRANGERS)
def test_the_delete_confirmation_is_refused_to_those_who_may_not_delete(
    personas, client, kind, record, who
):
    client.force_login(getattr(personas, who))

    response = client.get(url(kind, "delete", record))

    assert response.status_code == (403 if who in READERS else 404)


def test_an_anonymous_visitor_is_sent_to_the_login_page(client, kind, record):
    before = snapshot(KINDS[kind]["model"], record.pk)

    responses = [
        client.get(url(kind, "list")),
        client.get(url(kind, "detail", record)),
        client.post(url(kind, "edit", record), KINDS[kind]["edit"](record)),
        client.post(url(kind, "delete", record), {"version": record.version}),
    ]

    assert [r.status_code for r in responses] == [302, 302, 302, 302]
    assert all(r["Location"].startswith(reverse("accounts:login")) for r in responses)
    assert snapshot(KINDS[kind]["model"], record.pk) == before
