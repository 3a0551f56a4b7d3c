"""The request pages for every persona: who reads, who works, who gets 403 or 404."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.service.test_views_requests import (
    LIST,
    QUEUE,
    as_,
    card,
    clock,  # noqa: F401 - the fixture every test here uses
    page_text,
    post,
    state,
)

# Every "now" is the fixed Thursday of the request pages' tests.
pytestmark = pytest.mark.usefixtures("clock")


# --- Who may do what -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("persona", "reads", "works"),
    [("support", 200, True), ("head", 200, True), ("admin", 200, True), ("lead", 200, True),
     ("alice", 200, True), ("bob", 404, False), ("outsider", 404, False)],
)  # fmt: skip
def test_alices_request_is_read_and_worked_by_whom_it_should_be(
    client, personas, make_request, persona, reads, works
):
    req = make_request(assignee=personas.alice)
    user = getattr(personas, persona)
    before = state(req.pk)

    assert card(client, user, req).status_code == reads
    in_queue = [r.pk for r in as_(client, user).get(QUEUE).context["rows"]]
    assert (req.pk in in_queue) == (reads == 200)
    response = post(client, user, "request-message", req, {"kind": "note", "body": "Заметка"})

    if works:
        assert response.status_code == 302
        assert req.messages.filter(kind="note").count() == 1
    else:
        assert response.status_code == reads
        assert state(req.pk) == before


def test_a_manager_reads_but_does_not_work_a_request_of_her_client_given_to_nobody(
    client, personas, make_request
):
    req = make_request()  # Alice's client, unassigned
    before = state(req.pk)

    response = card(client, personas.alice, req)
    assert response.status_code == 200
    html = page_text(response)
    assert "Read only" in html
    assert 'action="' + reverse("service:request-message", args=[req.pk]) not in html
    assert "data-status-button" not in html

    for name, data in (
        ("request-message", {"kind": "reply", "body": "Ответ", "action": "send"}),
        ("request-status", {"status": "resolved"}),
        ("request-properties", {"kind": "question", "priority": "urgent", "version": req.version}),
        ("request-delete", {"version": req.version}),
    ):  # fmt: skip
        assert post(client, personas.alice, name, req, data).status_code == 403, name
    edit = reverse("service:request-edit", args=[req.pk])
    assert as_(client, personas.alice).get(edit).status_code == 403
    assert client.post(edit, {"subject": "Моё", "version": req.version}).status_code == 403
    assert state(req.pk) == before


@pytest.mark.parametrize("persona", ["bob", "outsider"])
def test_others_get_not_found_for_every_write_and_nothing_changes(
    client, personas, make_request, persona
):
    req = make_request(assignee=personas.alice)
    user = getattr(personas, persona)
    before = state(req.pk)

    for name, data in (
        ("request-message", {"kind": "reply", "body": "Ответ", "action": "send"}),
        ("request-status", {"status": "resolved"}),
        ("request-properties", {"assign_me": "1", "version": req.version}),
        ("request-delete", {"version": req.version}),
        ("request-edit", {"subject": "Моё", "version": req.version}),
    ):  # fmt: skip
        assert post(client, user, name, req, data).status_code == 404, name
    assert as_(client, user).get(LIST, {"q": f"#{req.pk}"}).context["rows"] == []
    assert state(req.pk) == before


def test_the_menu_shows_requests_first_to_support_and_beside_the_tasks_to_managers(
    client, personas
):
    def menu(user) -> list[str]:
        return [i["url"] for i in as_(client, user).get(QUEUE).context["main_nav"]]

    assert menu(personas.support)[0] == QUEUE
    alice_menu = menu(personas.alice)
    assert alice_menu.index(QUEUE) == alice_menu.index(reverse("activities:task-list")) - 1
    active = [i for i in as_(client, personas.support).get(LIST).context["main_nav"] if i["active"]]
    assert [i["url"] for i in active] == [QUEUE]
