"""Web form settings and the submission service, below the pages."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.utils import timezone

from tests.conftest import postgres_reachable
from voronka.core.errors import NotAllowed, StaleVersion
from voronka.sales.models import Lead
from voronka.webforms import services
from voronka.webforms.models import WebForm, WebFormSubmission
from voronka.webforms.tasks import forget_old_submissions

Result = WebFormSubmission.Result


def minimal(**more):
    return {"name": "Обратный звонок", "fields": ["name", "phone"], **more}


def test_a_new_form_gets_an_unguessable_key_and_tidy_settings(personas, source, web_team):
    form = services.webform_create(
        actor=personas.head,
        data=minimal(
            name="  Обратный звонок ",
            fields=["phone", "name"],
            required_fields=["phone"],
            extra_fields=[
                {"label": " Удобное время ", "required": True},
                {"label": "", "required": True},
                {"label": "Город"},
            ],
            allowed_origins=["https://Example.com/contacts", "http://shop.example:8080", "https://example.com"],
            source=source,
            team=web_team[0],
        ),
    )  # fmt: skip
    assert len(form.key) == 32
    assert form.name == "Обратный звонок"
    assert form.fields == ["name", "phone"]
    assert form.required_fields == ["phone"]
    assert form.extra_fields == [
        {"key": "x1", "label": "Удобное время", "required": True},
        {"key": "x2", "label": "Город", "required": False},
    ]
    assert form.allowed_origins == ["https://example.com", "http://shop.example:8080"]
    assert form.created_by == personas.head
    other = services.webform_create(actor=personas.admin, data=minimal())
    assert other.key != form.key


def test_custom_fields_keep_their_keys_and_new_ones_get_the_next(personas):
    form = services.webform_create(
        actor=personas.admin,
        data=minimal(extra_fields=[{"label": "A"}, {"label": "B"}, {"label": "C"}]),
    )
    services.webform_update(
        actor=personas.admin,
        form=form,
        version=form.version,
        data={"extra_fields": [{"key": "x3", "label": "C"}, {"label": "D", "required": True}]},
    )
    form.refresh_from_db()
    assert form.extra_fields == [
        {"key": "x3", "label": "C", "required": False},
        {"key": "x4", "label": "D", "required": True},
    ]


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"fields": ["name", "message"]}, "fields",
         "Show the e-mail or the phone: a lead nobody can reach is no use."),
        ({"fields": ["name", "fax"]}, "fields", "Unknown field: fax."),
        ({"required_fields": ["email"]}, "required_fields",
         "A required field must be shown: E-mail."),
        ({"allowed_origins": ["example.com"]}, "allowed_origins",
         "«example.com» is not a site address: write it as https://example.com."),
        ({"redirect_url": "ftp://example.com/x"}, "redirect_url",
         "Enter an address starting with https:// or http://."),
        ({"extra_fields": [{"key": "name", "label": "Имя"}]}, "extra_fields",
         "Custom fields have bad keys."),
        ({"name": ""}, "name", "This field cannot be blank."),
    ],
)  # fmt: skip
def test_settings_that_make_no_sense_are_refused_naming_the_setting(personas, data, field, message):
    with pytest.raises(ValidationError) as caught:
        services.webform_create(actor=personas.admin, data=minimal(**data))
    assert caught.value.message_dict == {field: [message]}
    assert WebForm.objects.count() == 0


@pytest.mark.parametrize("who", ["lead", "alice", "bob", "support", "outsider"])
def test_only_the_administrator_and_the_head_of_sales_set_forms_up(personas, who):
    form = services.webform_create(actor=personas.admin, data=minimal())
    actor = getattr(personas, who)
    with pytest.raises(NotAllowed):
        services.webform_create(actor=actor, data=minimal())
    with pytest.raises(NotAllowed):
        services.webform_update(actor=actor, form=form, version=1, data={"name": "Чужая"})
    with pytest.raises(NotAllowed):
        services.webform_rotate_key(actor=actor, form=form, version=1)
    form.refresh_from_db()
    assert (WebForm.objects.count(), form.name, form.version) == (1, "Обратный звонок", 1)


def test_an_edit_based_on_a_stale_copy_is_refused(personas):
    form = services.webform_create(actor=personas.admin, data=minimal())
    stale = WebForm.objects.get(pk=form.pk)
    services.webform_update(actor=personas.head, form=form, version=1, data={"name": "Звонок"})
    with pytest.raises(StaleVersion):
        services.webform_update(actor=personas.admin, form=stale, version=1, data={"name": "X"})
    assert WebForm.objects.get(pk=form.pk).name == "Звонок"


def test_a_new_key_retires_the_old_one(personas):
    form = services.webform_create(actor=personas.admin, data=minimal())
    old = form.key
    services.webform_rotate_key(actor=personas.admin, form=form, version=form.version)
    form.refresh_from_db()
    assert form.key != old
    assert not WebForm.objects.filter(key=old).exists()


def test_a_submission_does_not_make_an_editors_copy_stale(personas, webform):
    version = webform.version
    services.submission_receive(
        form=webform, data={"name": "Пётр", "email": "p@mail.ru"}, visit=services.Visit()
    )
    services.webform_update(actor=personas.admin, form=webform, version=version, data={"name": "Н"})
    assert WebForm.objects.get(pk=webform.pk).version == version + 1


def test_the_round_robin_skips_managers_switched_off_or_moved_away(personas, webform, web_team):
    team, anna, vadim = web_team
    receive = lambda n: services.submission_receive(  # noqa: E731
        form=webform, data={"name": f"К{n}", "email": f"k{n}@mail.ru"}, visit=services.Visit()
    )
    receive(1)
    vadim.is_active = False
    vadim.save(update_fields=["is_active"])
    receive(2)
    vadim.is_active = True
    vadim.save(update_fields=["is_active"])
    anna.team = None
    anna.save(update_fields=["team"])
    receive(3)
    receive(4)
    assert [lead.owner for lead in Lead.objects.order_by("pk")] == [anna, anna, vadim, vadim]


def test_old_submissions_that_made_no_lead_are_forgotten_at_night(webform):
    made = services.submission_receive(
        form=webform, data={"name": "Пётр", "email": "p@mail.ru"}, visit=services.Visit()
    )[0]
    spam = services.submission_receive(
        form=webform, data={"name": "Бот", "email": "b@mail.ru", "website": "x"},
        visit=services.Visit(),
    )[0]  # fmt: skip
    fresh_spam = services.submission_receive(
        form=webform, data={"website": "x"}, visit=services.Visit()
    )[0]
    long_ago = timezone.now() - timedelta(days=91)
    WebFormSubmission.objects.filter(pk__in=[made.pk, spam.pk]).update(received_at=long_ago)
    assert forget_old_submissions.call_local() == 1
    assert forget_old_submissions.call_local() == 0
    assert set(WebFormSubmission.objects.values_list("pk", flat=True)) == {made.pk, fresh_spam.pk}


@pytest.mark.django_db(transaction=True)
def test_simultaneous_submissions_never_give_two_leads_in_a_row_to_one_manager(
    personas, webform, web_team
):
    if not postgres_reachable():
        pytest.skip(
            "SQLite takes one writer at a time, and its test database is a single shared "
            "in-memory connection: the race needs PostgreSQL"
        )
    _team, anna, vadim = web_team
    rounds, width = 4, 2
    barrier = threading.Barrier(width)
    failures: list[BaseException] = []

    def submit(n: int) -> None:
        try:
            for r in range(rounds):
                barrier.wait(timeout=30)
                services.submission_receive(
                    form=WebForm.objects.get(pk=webform.pk),
                    data={"name": f"К{n}-{r}", "email": f"k{n}-{r}@mail.ru"},
                    visit=services.Visit(ip=f"198.51.100.{n + 1}"),
                )
        except BaseException as exc:  # noqa: BLE001 - reported below
            failures.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=submit, args=(n,)) for n in range(width)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    owners = [lead.owner for lead in Lead.objects.order_by("pk")]
    assert owners == [anna, vadim] * (rounds * width // 2)
