"""Who may read, work, assign and delete client requests: every persona, every write."""

from __future__ import annotations

import pytest

from tests.service.test_services import fresh, snapshot
from voronka.core.errors import NotAllowed
from voronka.service.models import Priority, Request, Status
from voronka.service.queries import may_work, requests_visible_to
from voronka.service.services import (
    may_take_requests,
    request_client_message,
    request_create,
    request_delete,
    request_note,
    request_reply,
    request_set_status,
    request_update,
)

pytestmark = pytest.mark.django_db

# --- Who may do what --------------------------------------------------------------------------

PEOPLE = ("admin", "head", "lead", "alice", "bob", "support", "outsider")


@pytest.mark.parametrize(
    ("who", "reads", "works"),
    [
        ("admin", True, True), ("head", True, True), ("support", True, True),
        ("alice", True, True),  # hers
        ("lead", True, True),  # his team's
        ("bob", False, False), ("outsider", False, False),
    ],
)  # fmt: skip
def test_who_reads_and_who_works_alices_request(personas, alices, who, reads, works):
    person = getattr(personas, who)

    assert requests_visible_to(person).filter(pk=alices.pk).exists() is reads
    assert may_work(person, alices) is works


WRITES = {
    "reply": lambda actor, r: request_reply(actor=actor, request=r, body="Ответ"),
    "note": lambda actor, r: request_note(actor=actor, request=r, body="Заметка"),
    "client message": lambda actor, r: request_client_message(actor=actor, request=r, body="Ещё"),
    "status": lambda actor, r: request_set_status(actor=actor, request=r, status=Status.WAITING),
    "update": lambda actor, r: request_update(actor=actor, request=r, version=r.version,
                                              data={"priority": Priority.HIGH}),
}  # fmt: skip
# What each write leaves behind: (the last entry of the thread, status, priority).
EFFECTS = {
    "reply": (("reply", "Ответ"), Status.IN_PROGRESS, Priority.NORMAL),
    "note": (("note", "Заметка"), Status.NEW, Priority.NORMAL),
    "client message": (("client", "Ещё"), Status.NEW, Priority.NORMAL),
    "status": (("client", "Не работает доставка"), Status.WAITING, Priority.NORMAL),
    "update": (("client", "Не работает доставка"), Status.NEW, Priority.HIGH),
}


def effect(request: Request) -> tuple:
    request = fresh(request)
    last = request.messages.order_by("created_at", "pk").values_list("kind", "body").last()
    return last, request.status, request.priority


@pytest.mark.parametrize("write", sorted(WRITES))
@pytest.mark.parametrize("who", ["bob", "outsider"])
def test_a_manager_who_does_not_work_the_request_changes_nothing(personas, alices, who, write):
    before = snapshot(alices)

    with pytest.raises(NotAllowed):
        WRITES[write](getattr(personas, who), alices)

    assert snapshot(alices) == before


@pytest.mark.parametrize("write", sorted(WRITES))
@pytest.mark.parametrize("who", ["admin", "head", "lead", "alice", "support"])
def test_those_who_work_the_request_may_write_on_it(personas, alices, who, write):
    assert effect(alices) == (("client", "Не работает доставка"), Status.NEW, Priority.NORMAL)

    WRITES[write](getattr(personas, who), fresh(alices))

    assert effect(alices) == EFFECTS[write]


def test_a_manager_reads_but_does_not_work_a_request_of_her_client_given_to_someone_else(
    personas, make_request
):
    request = make_request(assignee=personas.bob)
    before = snapshot(request)

    assert requests_visible_to(personas.alice).filter(pk=request.pk).exists()
    assert requests_visible_to(personas.bob).filter(pk=request.pk).exists()
    assert not may_work(personas.alice, request)
    assert may_work(personas.bob, request)
    with pytest.raises(NotAllowed):
        request_reply(actor=personas.alice, request=request, body="Я отвечу")
    assert snapshot(request) == before


def test_an_unassigned_request_is_worked_by_support_and_read_by_the_clients_manager(
    personas, make_request
):
    request = make_request()

    assert may_work(personas.support, request)
    assert requests_visible_to(personas.alice).filter(pk=request.pk).exists()
    assert not may_work(personas.alice, request)
    assert not requests_visible_to(personas.outsider).exists()


def test_the_outsider_reads_nothing(personas, make_request):
    make_request()
    make_request(assignee=personas.alice)
    make_request(assignee=personas.bob)

    assert list(requests_visible_to(personas.outsider)) == []
    assert list(requests_visible_to(personas.outsider, write=True)) == []


def test_a_switched_off_person_works_nothing(personas, alices):
    personas.support.is_active = False
    personas.support.save(update_fields=["is_active"])
    before = snapshot(alices)

    assert not may_take_requests(personas.support)
    with pytest.raises(NotAllowed):
        request_reply(actor=personas.support, request=alices, body="Ответ")
    with pytest.raises(NotAllowed):
        request_create(actor=personas.support, data={"subject": "x", "client_name": "Иван"})
    assert snapshot(alices) == before


@pytest.mark.parametrize(("who", "allowed"), [
    ("admin", True), ("head", True), ("support", True),
    ("alice", False), ("lead", False), ("bob", False), ("outsider", False),
])  # fmt: skip
def test_only_support_the_head_and_the_admin_delete_a_request(personas, alices, who, allowed):
    person = getattr(personas, who)
    if allowed:
        request_delete(actor=person, request=alices, version=alices.version)
        assert fresh(alices).deleted_at is not None
        assert not Request.objects.filter(pk=alices.pk).exists()
    else:
        before = snapshot(alices)
        with pytest.raises(NotAllowed):
            request_delete(actor=person, request=alices, version=alices.version)
        assert snapshot(alices) == before


@pytest.mark.parametrize("who", PEOPLE)
def test_everyone_with_a_role_may_take_requests(personas, who):
    assert may_take_requests(getattr(personas, who))


def test_nobody_may_take_requests_without_an_account():
    from django.contrib.auth.models import AnonymousUser

    assert not may_take_requests(None)
    assert not may_take_requests(AnonymousUser())
