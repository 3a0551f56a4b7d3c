"""Writes of client requests: the status workflow, replies, client messages, who may do
what, optimistic locking, notices and domain events."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest
from django.core.exceptions import ValidationError

from tests.concurrency import run_together
from voronka.activities.models import Notification, NotificationKind
from voronka.core import events
from voronka.core.errors import NotAllowed, StaleVersion
from voronka.service.models import MailStatus, Message, Priority, Request, Status
from voronka.service.queries import may_work
from voronka.service.services import (
    TRANSITIONS,
    request_client_message,
    request_create,
    request_note,
    request_reply,
    request_set_status,
    request_update,
)

REQUEST_EVENTS = (
    events.REQUEST_CREATED, events.REQUEST_REPLIED, events.REQUEST_RESOLVED,
    events.REQUEST_REOPENED,
)  # fmt: skip


@pytest.fixture
def heard(monkeypatch):
    """Domain events delivered to subscribers after the commit, as (name, payload)."""
    got: list[tuple[str, dict]] = []
    for name in REQUEST_EVENTS:
        listener = lambda name=name, **payload: got.append((name, payload))  # noqa: E731
        monkeypatch.setitem(events._handlers, name, [*events._handlers[name], listener])
    return got


@pytest.fixture
def english(personas):
    from voronka.accounts.models import User

    User.objects.update(language="en")
    for person in personas.all().values():
        person.refresh_from_db()
    return personas


def fresh(request: Request) -> Request:
    return Request.all_objects.get(pk=request.pk)


def snapshot(request: Request) -> dict:
    """What a refused write must leave as it was."""
    return {
        "row": Request.all_objects.filter(pk=request.pk).values().get(),
        "messages": list(Message.objects.filter(request_id=request.pk).values_list("pk", "body")),
        "history": request.history.count(),
    }


def in_status(request: Request, status: str) -> Request:
    """Put the request in ``status`` directly, as if it had got there earlier."""
    fields: dict = {"status": status}
    if status in (Status.RESOLVED, Status.CLOSED):
        fields["resolved_at"] = request.created_at + dt.timedelta(hours=1)
    if status == Status.CLOSED:
        fields["closed_at"] = request.created_at + dt.timedelta(hours=2)
    if status == Status.REOPENED:
        fields["reopen_count"] = 1
    Request.all_objects.filter(pk=request.pk).update(**fields)
    return fresh(request)


def notices(kind: str) -> list[tuple[str, str]]:
    return sorted(
        Notification.objects.filter(kind=kind).values_list("recipient__username", "title")
    )


# --- The status workflow ----------------------------------------------------------------------

ALLOWED = sorted((old, new) for old, targets in TRANSITIONS.items() for new in targets)
REFUSED = sorted(
    (old, new)
    for old, new in itertools.permutations(Status.values, 2)
    if new not in TRANSITIONS[old]
)


def test_the_workflow_is_the_one_agreed():
    """A resolved or closed request comes back only by being reopened; nothing goes
    back to new."""
    assert set(TRANSITIONS) == set(Status.values)
    workflow = sorted([
        ("closed", "in_progress"), ("closed", "new"), ("closed", "resolved"), ("closed", "waiting"),
        ("in_progress", "new"), ("in_progress", "reopened"),
        ("new", "reopened"),
        ("reopened", "new"),
        ("resolved", "in_progress"), ("resolved", "new"), ("resolved", "waiting"),
        ("waiting", "new"), ("waiting", "reopened"),
    ])  # fmt: skip
    assert workflow == REFUSED
    assert len(ALLOWED) == 30 - len(REFUSED)


@pytest.mark.parametrize(("old", "new"), ALLOWED)
def test_an_allowed_transition_is_made(personas, make_request, old, new):
    request = in_status(make_request(), old)
    before, reopened = request.version, request.reopen_count

    result = request_set_status(actor=personas.support, request=request, status=new)

    request = fresh(request)
    assert (result.status, request.status) == (new, new)
    assert request.version == before + 1
    if new in (Status.RESOLVED, Status.CLOSED) and old not in (Status.RESOLVED, Status.CLOSED):
        assert request.resolved_at == result.resolved_at is not None
        assert request.resolved_by == personas.support
    if new == Status.CLOSED:
        assert request.closed_at is not None
    if new == Status.REOPENED:
        assert (request.resolved_at, request.resolved_by, request.closed_at) == (None, None, None)
        assert request.reopened_at is not None
        assert request.reopen_count == reopened + 1


@pytest.mark.parametrize(("old", "new"), REFUSED)
def test_any_other_transition_is_refused_naming_both_statuses(personas, make_request, old, new):
    request = in_status(make_request(), old)
    before = snapshot(request)

    with pytest.raises(ValidationError) as refused:
        request_set_status(actor=personas.support, request=request, status=new)

    assert refused.value.message_dict == {
        "status": [f"A request cannot go from “{Status(old).label}” to “{Status(new).label}”."]
    }
    assert snapshot(request) == before


@pytest.mark.parametrize("status", Status.values)
def test_setting_the_status_a_request_has_changes_nothing(personas, make_request, status):
    request = in_status(make_request(), status)
    before = snapshot(request)

    result = request_set_status(actor=personas.support, request=request, status=status)

    assert result.status == status
    assert snapshot(request) == before


def test_an_unknown_status_is_refused(personas, make_request):
    request = make_request()
    before = snapshot(request)

    with pytest.raises(ValidationError) as refused:
        request_set_status(actor=personas.support, request=request, status="lost")

    assert refused.value.message_dict == {"status": ["Unknown status."]}
    assert snapshot(request) == before


def test_closing_a_resolved_request_keeps_when_it_was_resolved(personas, make_request):
    request = make_request()
    request_set_status(actor=personas.support, request=request, status=Status.RESOLVED)
    resolved_at = fresh(request).resolved_at

    request_set_status(actor=personas.head, request=fresh(request), status=Status.CLOSED)

    request = fresh(request)
    assert request.resolved_at == resolved_at
    assert request.resolved_by == personas.support
    assert request.closed_at >= resolved_at


def test_the_caller_may_hold_a_stale_copy_for_a_status_change(personas, make_request):
    """Status changes go by the locked row, not by the caller's version: a copy read
    before someone's reply still resolves the request."""
    request = make_request()
    stale = fresh(request)
    request_reply(actor=personas.support, request=request, body="Смотрим")

    request_set_status(actor=personas.support, request=stale, status=Status.RESOLVED)

    assert fresh(request).status == Status.RESOLVED


# --- Replies ------------------------------------------------------------------------------------


def test_the_first_reply_sets_the_first_response_and_takes_a_new_request_in_work(
    personas, make_request
):
    request = make_request()
    assert (request.status, request.assignee) == (Status.NEW, None)

    message = request_reply(actor=personas.support, request=request, body="  Проверяем заказ  ")

    request = fresh(request)
    assert (message.kind, message.body, message.author) == ("reply", "Проверяем заказ",
                                                             personas.support)  # fmt: skip
    assert request.first_response_at == message.created_at
    assert request.first_response_by == personas.support
    assert request.status == Status.IN_PROGRESS
    # Nobody had it: the one who answered takes it.
    assert request.assignee == personas.support


def test_a_second_reply_does_not_move_the_first_response(personas, make_request):
    request = make_request(assignee=personas.alice)
    first = request_reply(actor=personas.alice, request=request, body="Первый ответ")

    second = request_reply(actor=personas.support, request=request, body="Второй ответ")

    request = fresh(request)
    assert second.created_at >= first.created_at
    assert request.first_response_at == first.created_at
    assert request.first_response_by == personas.alice
    assert request.assignee == personas.alice  # a reply does not take someone's request
    assert list(request.messages.values_list("kind", "body")) == [
        ("client", "Не работает доставка"), ("reply", "Первый ответ"), ("reply", "Второй ответ"),
    ]  # fmt: skip


def test_a_reply_takes_a_reopened_request_in_work(personas, make_request):
    request = in_status(make_request(), Status.REOPENED)

    request_reply(actor=personas.support, request=request, body="Снова смотрим")

    assert fresh(request).status == Status.IN_PROGRESS


def test_a_reply_can_ask_the_client_and_wait(personas, make_request):
    request = make_request()

    request_reply(actor=personas.support, request=request, body="Пришлите номер заказа",
                  status=Status.WAITING)  # fmt: skip

    assert fresh(request).status == Status.WAITING


def test_reply_and_resolve(personas, make_request, heard, django_capture_on_commit_callbacks):
    request = make_request()

    with django_capture_on_commit_callbacks(execute=True):
        message = request_reply(actor=personas.support, request=request, body="Готово",
                                status=Status.RESOLVED)  # fmt: skip

    request = fresh(request)
    assert request.status == Status.RESOLVED
    assert request.resolved_at == request.first_response_at == message.created_at
    assert request.resolved_by == personas.support
    assert request.next_due_at is None
    assert [name for name, _ in heard] == [events.REQUEST_RESOLVED, events.REQUEST_REPLIED]


def test_a_reply_on_a_resolved_request_leaves_it_resolved(personas, make_request):
    request = make_request()
    request_reply(actor=personas.support, request=request, body="Готово", status=Status.RESOLVED)
    resolved_at = fresh(request).resolved_at

    request_reply(actor=personas.support, request=fresh(request), body="И ещё одно",
                  status=Status.RESOLVED)  # fmt: skip
    request_reply(actor=personas.support, request=fresh(request), body="Уточнение")

    request = fresh(request)
    assert (request.status, request.resolved_at) == (Status.RESOLVED, resolved_at)


def test_a_reply_with_a_status_the_workflow_refuses_saves_nothing(personas, make_request):
    request = in_status(make_request(), Status.CLOSED)
    before = snapshot(request)

    with pytest.raises(ValidationError) as refused:
        request_reply(actor=personas.support, request=request, body="Ответ",
                      status=Status.WAITING)  # fmt: skip

    assert refused.value.message_dict == {
        "status": ["A request cannot go from “Closed” to “Waiting for client”."]
    }
    assert snapshot(request) == before


def test_a_reply_with_an_unknown_status_is_refused(personas, make_request):
    request = make_request()
    before = snapshot(request)

    with pytest.raises(ValidationError) as refused:
        request_reply(actor=personas.support, request=request, body="Ответ", status="archived")

    assert refused.value.message_dict == {"status": ["Unknown status."]}
    assert snapshot(request) == before


@pytest.mark.parametrize(("body", "error"), [
    ("", "Write the message."), ("   \n ", "Write the message."),
    ("я" * 20_001, "The message is too long."),
])  # fmt: skip
def test_an_empty_or_huge_reply_is_refused(personas, make_request, body, error):
    request = make_request()
    before = snapshot(request)

    with pytest.raises(ValidationError) as refused:
        request_reply(actor=personas.support, request=request, body=body)

    assert refused.value.message_dict == {"body": [error]}
    assert snapshot(request) == before


def test_a_reply_is_e_mailed_to_the_client_once(
    personas, make_request, mailoutbox, django_capture_on_commit_callbacks
):
    from voronka.service import mail

    request = make_request()

    with django_capture_on_commit_callbacks(execute=True):
        message = request_reply(actor=personas.support, request=request, body="Курьер уже едет")

    message.refresh_from_db()
    assert (message.email_to, message.email_status) == ("petr@romashka.example", MailStatus.SENT)
    [sent] = mailoutbox
    assert sent.to == ["petr@romashka.example"]
    assert sent.subject == f"[#{request.pk}] Заказ не доставлен"
    assert sent.body.startswith("Курьер уже едет\n")
    assert sent.extra_headers["Message-ID"] == (
        f"<request-{request.pk}-message-{message.pk}@voronka>"
    )
    assert sent.extra_headers["References"] == f"<request-{request.pk}@voronka>"
    # The job run again (a retry, a second worker) sends nothing more.
    assert mail.send_reply(message.pk) is False
    assert len(mailoutbox) == 1


def test_a_reply_to_a_client_without_an_e_mail_is_not_mailed(
    personas, make_request, mailoutbox, django_capture_on_commit_callbacks
):
    request = make_request(company=None, contact=None, client_phone="+7 912 345-67-89")

    with django_capture_on_commit_callbacks(execute=True):
        message = request_reply(actor=personas.support, request=request, body="Перезвоним")

    message.refresh_from_db()
    assert (message.email_to, message.email_status) == ("", MailStatus.NONE)
    assert mailoutbox == []


def test_a_note_is_never_mailed_and_changes_nothing_else(
    personas, make_request, mailoutbox, django_capture_on_commit_callbacks
):
    request = make_request()
    before = snapshot(request)["row"]

    with django_capture_on_commit_callbacks(execute=True):
        note = request_note(actor=personas.support, request=request, body="Клиент нервничает")

    assert (note.kind, note.email_status, note.author) == ("note", "none", personas.support)
    assert snapshot(request)["row"] == before
    assert mailoutbox == []


# --- Client messages ------------------------------------------------------------------------


@pytest.mark.parametrize("status", [Status.RESOLVED, Status.CLOSED])
def test_a_client_message_on_a_done_request_reopens_it(
    english, make_request, status, heard, django_capture_on_commit_callbacks
):
    request = make_request(assignee=english.alice)
    request_set_status(actor=english.alice, request=request, status=status)
    wrote = fresh(request).resolved_at + dt.timedelta(hours=3)

    with django_capture_on_commit_callbacks(execute=True):
        message = request_client_message(actor=english.support, request=fresh(request),
                                         body="Всё сломалось снова", at=wrote)  # fmt: skip

    request = fresh(request)
    assert (message.kind, message.author, message.created_at) == ("client", None, wrote)
    assert request.status == Status.REOPENED
    assert request.reopen_count == 1
    assert request.reopened_at == wrote
    assert (request.resolved_at, request.resolved_by, request.closed_at) == (None, None, None)
    assert heard == [(events.REQUEST_REOPENED,
                      {"request_id": request.pk, "actor_id": english.support.pk})]  # fmt: skip


def test_a_second_reopening_counts_two(personas, make_request):
    request = make_request()
    for _ in range(2):
        request_set_status(actor=personas.support, request=fresh(request), status=Status.RESOLVED)
        request_client_message(actor=personas.support, request=fresh(request), body="Опять")

    assert fresh(request).reopen_count == 2


def test_a_client_message_on_a_request_waiting_for_the_client_takes_it_back_in_work(
    personas, make_request
):
    request = in_status(make_request(), Status.WAITING)

    request_client_message(actor=personas.support, request=request, body="Номер заказа 1234")

    assert fresh(request).status == Status.IN_PROGRESS


@pytest.mark.parametrize("status", [Status.NEW, Status.IN_PROGRESS, Status.REOPENED])
def test_a_client_message_on_a_request_in_work_leaves_its_status(personas, make_request, status):
    request = in_status(make_request(), status)

    request_client_message(actor=personas.support, request=request, body="Добавлю деталей")

    assert fresh(request).status == status


def test_the_assignee_hears_of_a_client_message_but_not_of_their_own_entry(english, make_request):
    request = make_request(assignee=english.alice)

    request_client_message(actor=english.support, request=request, body="Позвонил клиент")
    request_client_message(actor=english.alice, request=request, body="Клиент написал мне")

    assert notices(NotificationKind.REQUEST_CLIENT_REPLY) == [
        ("alice", f"The client wrote on request #{request.pk}: Заказ не доставлен")
    ]


def test_a_client_message_from_outside_tells_the_assignee(english, make_request):
    """An e-mail or the public page: no staff member writes it down."""
    request = make_request(assignee=english.alice)

    request_client_message(actor=None, request=request, body="Ответьте, пожалуйста")

    assert [who for who, _ in notices(NotificationKind.REQUEST_CLIENT_REPLY)] == ["alice"]


# --- Creating and assigning -------------------------------------------------------------------


def test_a_manager_who_takes_down_a_request_keeps_it(english, make_request):
    request = make_request(actor=english.alice)

    assert request.assignee == english.alice
    assert may_work(english.alice, request)
    assert notices(NotificationKind.REQUEST_ASSIGNED) == []  # nobody tells herself


def test_support_taking_down_a_request_leaves_it_for_the_queue(personas, make_request):
    request = make_request()

    assert (request.assignee, request.created_by) == (None, personas.support)
    assert [(m.kind, m.author) for m in request.messages.all()] == [("client", None)]
    assert request.messages.get().created_at == request.created_at


def test_the_assignee_hears_of_the_assignment(english, make_request):
    request = make_request(assignee=english.alice)

    assert notices(NotificationKind.REQUEST_ASSIGNED) == [
        ("alice", f"Request #{request.pk} assigned to you: Заказ не доставлен")
    ]
    assert Notification.objects.get(kind=NotificationKind.REQUEST_ASSIGNED).url == (
        f"/service/requests/{request.pk}/"
    )


def test_a_new_assignee_hears_of_the_reassignment_and_nobody_hears_of_other_edits(
    english, make_request
):
    request = make_request(assignee=english.alice)

    request = request_update(actor=english.support, request=request, version=request.version,
                             data={"assignee": english.bob})  # fmt: skip
    request_update(actor=english.support, request=request, version=request.version,
                   data={"subject": "Другая тема"})  # fmt: skip
    # Giving it to oneself needs no notice.
    request = fresh(request)
    request_update(actor=english.support, request=request, version=request.version,
                   data={"assignee": english.support})  # fmt: skip

    assert [who for who, _ in notices(NotificationKind.REQUEST_ASSIGNED)] == ["alice", "bob"]


def test_a_team_lead_gives_a_request_to_a_member_of_his_team(personas, make_request):
    request = make_request(assignee=personas.lead)

    request_update(actor=personas.lead, request=request, version=request.version,
                   data={"assignee": personas.alice})  # fmt: skip

    assert fresh(request).assignee == personas.alice


@pytest.mark.parametrize(("who", "to"), [("alice", "bob"), ("alice", "lead"), ("lead", "bob")])
def test_a_manager_cannot_give_a_request_outside_what_she_leads(personas, make_request, who, to):
    request = make_request(assignee=getattr(personas, who))
    before = snapshot(request)

    with pytest.raises(ValidationError) as refused:
        request_update(actor=getattr(personas, who), request=request, version=request.version,
                       data={"assignee": getattr(personas, to)})  # fmt: skip

    assert refused.value.message_dict == {"assignee": ["You cannot give a request to this person."]}
    assert snapshot(request) == before


def test_a_manager_cannot_take_down_a_request_for_someone_else(personas, client_company):
    company, _ = client_company

    with pytest.raises(ValidationError) as refused:
        request_create(actor=personas.alice, data={"subject": "Вопрос", "company": company,
                                                   "assignee": personas.bob})  # fmt: skip

    assert refused.value.message_dict == {"assignee": ["You cannot give a request to this person."]}
    assert not Request.all_objects.exists()


def test_a_request_cannot_go_to_a_person_who_cannot_take_requests(personas, make_request):
    personas.bob.is_active = False
    personas.bob.save(update_fields=["is_active"])
    request = make_request()
    before = snapshot(request)

    with pytest.raises(ValidationError) as refused:
        request_update(actor=personas.head, request=request, version=request.version,
                       data={"assignee": personas.bob})  # fmt: skip
    assert refused.value.message_dict == {"assignee": ["This person cannot take client requests."]}
    assert snapshot(request) == before

    with pytest.raises(ValidationError) as refused:
        make_request(assignee=personas.bob)
    assert refused.value.message_dict == {"assignee": ["This person cannot take client requests."]}
    assert Request.all_objects.count() == 1


def test_a_manager_cannot_take_down_a_request_for_a_client_she_cannot_see(personas, client_company):
    company, contact = client_company

    with pytest.raises(ValidationError) as refused:
        request_create(actor=personas.bob, data={"subject": "Вопрос", "company": company,
                                                 "contact": contact})  # fmt: skip

    assert refused.value.message_dict == {
        "company": ["No such record, or you may not see it."],
        "contact": ["No such record, or you may not see it."],
    }
    assert not Request.all_objects.exists()


def test_a_request_must_say_who_the_client_is(personas):
    with pytest.raises(ValidationError) as refused:
        request_create(actor=personas.support, data={"subject": "Без клиента"})

    assert refused.value.message_dict == {
        "company": ["Say who the client is: a company, a contact or an e-mail."]
    }


def test_a_contact_brings_the_company_and_the_e_mail(personas, client_company):
    company, contact = client_company

    request = request_create(actor=personas.support, data={"subject": "Вопрос", "contact": contact})

    assert request.company == company
    assert (request.client_name, request.client_email) == (str(contact), "petr@romashka.example")


def test_unknown_fields_are_refused(personas, make_request):
    request = make_request()

    with pytest.raises(ValidationError) as refused:
        request_update(actor=personas.support, request=request, version=request.version,
                       data={"status": Status.CLOSED, "first_response_at": None})  # fmt: skip

    assert set(refused.value.message_dict) == {"status", "first_response_at"}
    assert fresh(request).status == Status.NEW


def test_a_request_received_earlier_keeps_its_time(personas, make_request):
    received = dt.datetime(2026, 11, 2, 8, 15, tzinfo=dt.UTC)

    request = make_request(received_at=received)

    assert fresh(request).created_at == received
    assert request.messages.get().created_at == received


# --- Optimistic locking -----------------------------------------------------------------------


def test_an_edit_based_on_a_stale_copy_is_refused_and_changes_nothing(personas, make_request):
    request = make_request()
    theirs = fresh(request)
    request_update(actor=personas.support, request=theirs, version=theirs.version,
                   data={"subject": "Их правка"})  # fmt: skip
    before = snapshot(request)

    with pytest.raises(StaleVersion) as refused:
        request_update(actor=personas.head, request=request, version=request.version,
                       data={"subject": "Моя правка", "priority": Priority.URGENT})  # fmt: skip

    assert refused.value.current_version == theirs.version
    assert snapshot(request) == before
    assert fresh(request).subject == "Их правка"


def test_an_edit_with_the_current_version_is_saved_and_recorded(personas, make_request):
    request = make_request()

    request_update(actor=personas.head, request=request, version=request.version,
                   data={"subject": "Доставка сорвана"})  # fmt: skip

    request = fresh(request)
    assert request.subject == "Доставка сорвана"
    last = request.history.first()
    assert (last.subject, last.history_user) == ("Доставка сорвана", personas.head)


# --- Events -----------------------------------------------------------------------------------


def test_each_step_of_a_request_is_an_event(
    personas, client_company, heard, django_capture_on_commit_callbacks
):
    company, contact = client_company
    support = personas.support.pk

    with django_capture_on_commit_callbacks(execute=True):
        request = request_create(actor=personas.support, data={
            "subject": "Заказ не доставлен", "company": company, "contact": contact,
        }, message="Где мой заказ?")  # fmt: skip
    with django_capture_on_commit_callbacks(execute=True):
        reply = request_reply(actor=personas.support, request=request, body="Едет")
    with django_capture_on_commit_callbacks(execute=True):
        request_set_status(actor=personas.support, request=request, status=Status.RESOLVED)
    with django_capture_on_commit_callbacks(execute=True):
        request_client_message(actor=None, request=fresh(request), body="Не приехал")

    assert heard == [
        (events.REQUEST_CREATED, {"request_id": request.pk, "actor_id": support}),
        (events.REQUEST_REPLIED,
         {"request_id": request.pk, "message_id": reply.pk, "actor_id": support}),
        (events.REQUEST_RESOLVED, {"request_id": request.pk, "actor_id": support}),
        (events.REQUEST_REOPENED, {"request_id": request.pk, "actor_id": None}),
    ]  # fmt: skip


def test_a_refused_write_emits_nothing(personas, alices, heard, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(NotAllowed):
        request_reply(actor=personas.bob, request=alices, body="Ответ")

    assert heard == []


def test_a_request_from_a_public_form_has_no_author(
    client_company, heard, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        request = request_create(actor=None, data={
            "subject": "С сайта", "client_name": "Иван", "client_email": "ivan@example.com",
        }, message="Перезвоните")  # fmt: skip

    assert (request.created_by, request.assignee) == (None, None)
    assert heard == [(events.REQUEST_CREATED, {"request_id": request.pk, "actor_id": None})]


# --- Concurrent writers (PostgreSQL) ----------------------------------------------------------


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_replies_at_once_are_both_kept(needs_postgres, personas, make_request):
    request = make_request()
    people = [personas.support, personas.head]

    replies = run_together(
        2, lambda n: request_reply(actor=people[n], request=fresh(request), body=f"Ответ {n}")
    )

    request = fresh(request)
    assert sorted(m.body for m in replies) == ["Ответ 0", "Ответ 1"]
    assert sorted(request.messages.filter(kind="reply").values_list("body", flat=True)) == [
        "Ответ 0", "Ответ 1",
    ]  # fmt: skip
    first = min(replies, key=lambda m: (m.created_at, m.pk))
    assert request.first_response_at == first.created_at
    assert request.first_response_by == first.author == request.assignee
    assert request.status == Status.IN_PROGRESS
    assert request.version == 2  # one save took the request in work; the other had nothing to do


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_client_messages_at_once_reopen_the_request_once(
    needs_postgres, personas, make_request
):
    request = make_request()
    request_set_status(actor=personas.support, request=request, status=Status.RESOLVED)

    run_together(
        2, lambda n: request_client_message(actor=None, request=fresh(request), body=f"Снова {n}")
    )

    request = fresh(request)
    assert (request.status, request.reopen_count) == (Status.REOPENED, 1)
    assert request.messages.filter(kind="client").count() == 3
