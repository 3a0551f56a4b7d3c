"""The service desk API: requests, their threads, categories and SLA policies.

Requests are of Alice's client ООО «Ромашка» (``client_company``). Whoever must not
see a request gets 404, whoever reads it but may not work it 403; in both cases the
database is left as it was.
"""

from __future__ import annotations

import datetime
from typing import get_args

import pytest
from django.core.serializers.json import DjangoJSONEncoder
from django.test import Client

from tests import factories
from tests.api_client import BASE, ApiClient, errors
from voronka.service import schemas, services
from voronka.service.models import (
    Channel,
    Kind,
    Message,
    Priority,
    Request,
    SlaPolicy,
    Status,
    Survey,
)
from voronka.service.surveys import survey_answer, token_for

PERSONAS = ["admin", "head", "lead", "alice", "bob", "support", "outsider"]
# 2025-03-03 is a Monday; 09:00 in Moscow.
RECEIVED = datetime.datetime(2025, 3, 3, 6, 0, tzinfo=datetime.UTC)
MINUTE = datetime.timedelta(minutes=1)


def _z(at: datetime.datetime | None) -> str | None:
    """A time as the API writes it."""
    return None if at is None else DjangoJSONEncoder().default(at.astimezone(datetime.UTC))


def _row(pk: int) -> dict:
    return Request.all_objects.filter(pk=pk).values().get()


def _state(request: Request) -> tuple:
    return _row(request.pk), list(Message.objects.filter(request=request).values())


@pytest.fixture
def policy(personas):
    """One hour to answer, eight to resolve, by the calendar, for any request."""
    return services.policy_create(
        actor=personas.admin,
        data={"name": "Стандарт", "first_response_minutes": 60, "resolution_minutes": 480,
              "clock": SlaPolicy.Clock.CALENDAR},
    )  # fmt: skip


@pytest.fixture
def delivery(personas):
    return services.category_save(actor=personas.admin, category=None, data={"name": "Доставка"})


# --- Reading and creating -----------------------------------------------------------------


def test_support_registers_a_request_and_it_answers_in_full(
    personas, client_company, policy, delivery
):
    company, contact = client_company
    alice = personas.alice
    product = factories.product(personas.admin, name="Доставка курьером")

    response = ApiClient(personas.support).post(
        "/requests",
        {
            "subject": "Заказ не доставлен", "company": company.pk, "contact": contact.pk,
            "kind": "complaint", "priority": "high", "category": delivery.pk,
            "product": product.pk, "assignee": alice.pk, "message": "Заказ №15 так и не привезли",
            "received_at": "2025-03-03T09:00:00+03:00",
        },
    )  # fmt: skip

    assert response.status_code == 201
    request = Request.objects.get()
    body = response.json()
    assert body.pop("updated_at") == _z(request.updated_at)
    assert body == {
        "id": request.pk,
        "subject": "Заказ не доставлен",
        "kind": "complaint",
        "priority": "high",
        "channel": "api",
        "status": "new",
        "is_open": True,
        "company": {"id": company.pk, "name": "ООО «Ромашка»"},
        "contact": {"id": contact.pk, "name": "Клиентов Пётр"},
        "client_name": "Клиентов Пётр",
        "client_email": "petr@romashka.example",
        "client_phone": "",
        "category": {"id": delivery.pk, "name": "Доставка"},
        "product": {"id": product.pk, "name": "Доставка курьером"},
        "deal": None,
        "assignee": {"id": alice.pk, "name": "Алиса Иванова"},
        "sla_policy": {"id": policy.pk, "name": "Стандарт"},
        "first_response_due_at": "2025-03-03T07:00:00Z",
        "resolution_due_at": "2025-03-03T14:00:00Z",
        "next_due_at": "2025-03-03T07:00:00Z",
        "first_response_breached": False,
        "resolution_breached": False,
        # Both deadlines passed long ago without an answer.
        "breached": True,
        "first_response_at": None,
        "first_response_by": None,
        "resolved_at": None,
        "resolved_by": None,
        "closed_at": None,
        "reopened_at": None,
        "reopen_count": 0,
        "survey": None,
        "created_at": "2025-03-03T06:00:00Z",
        "version": 1,
    }
    assert list(request.messages.values_list("kind", "body", "author", "created_at")) == [
        ("client", "Заказ №15 так и не привезли", None, RECEIVED)
    ]


def test_a_manager_keeps_the_request_they_take_down_and_gets_it_back(personas, client_company):
    company, _contact = client_company

    response = ApiClient(personas.alice).post(
        "/requests", {"subject": "Вопрос по счёту", "company": company.pk, "channel": "phone"}
    )

    assert response.status_code == 201
    assert response.json()["assignee"] == {"id": personas.alice.pk, "name": "Алиса Иванова"}
    assert response.json()["channel"] == "phone"
    assert response.json()["breached"] is False
    assert Request.objects.get().messages.count() == 0


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        ({"subject": "Без клиента"}, "company",
         "Say who the client is: a company, a contact or an e-mail."),
        ({"subject": "Почта", "client_email": "не почта"}, "client_email",
         "Enter a valid email address."),
        ({"subject": "Будущее", "client_name": "Пётр", "received_at": "2999-01-01T00:00:00Z"},
         "received_at", "Value error, must not be in the future"),
        ({"subject": "", "client_name": "Пётр"}, "subject", "This field cannot be blank."),
        ({"subject": "Вид", "client_name": "Пётр", "kind": "praise"}, "kind", None),
        ({"subject": "Категория", "client_name": "Пётр", "category": 999999}, "category",
         "No such category."),
        ({"subject": "Кому", "client_name": "Пётр", "assignee": 999999}, "assignee",
         "No such record."),
    ],
)  # fmt: skip
def test_bad_input_is_refused_naming_the_field_and_nothing_is_made(personas, body, field, message):
    response = ApiClient(personas.support).post("/requests", body)

    assert response.status_code == 422
    assert list(errors(response)) == [field]
    if message is not None:
        assert errors(response)[field] == [message]
    assert Request.all_objects.count() == 0


def test_a_switched_off_category_is_refused_on_a_new_request(personas, delivery):
    services.category_save(actor=personas.admin, category=delivery, data={"is_active": False})

    response = ApiClient(personas.support).post(
        "/requests", {"subject": "Где заказ", "client_name": "Пётр", "category": delivery.pk}
    )

    assert errors(response) == {"category": ["No such category."]}


def test_the_client_of_another_team_is_refused_like_one_that_does_not_exist(
    personas, client_company
):
    company, _contact = client_company
    api = ApiClient(personas.bob)

    foreign = api.post("/requests", {"subject": "Чужой", "company": company.pk})
    missing = api.post("/requests", {"subject": "Чужой", "company": 999999})

    assert errors(foreign) == errors(missing) == {"company": ["No such company."]}
    assert Request.all_objects.count() == 0


def test_without_credentials_nothing_is_answered(make_request):
    request = make_request()

    assert Client().get(f"{BASE}/requests").status_code == 401
    assert Client().get(f"{BASE}/requests/{request.pk}").status_code == 401


def test_the_list_filters_as_the_queue_does(personas, client_company, make_request, delivery):
    company, contact = client_company
    alice, bob = personas.alice, personas.bob
    old = make_request(subject="Старый вопрос", received_at=RECEIVED)
    complaint = make_request(
        subject="Курьер нагрубил", kind=Kind.COMPLAINT, priority=Priority.URGENT,
        category=delivery, assignee=alice, channel=Channel.EMAIL,
    )  # fmt: skip
    bobs_company = factories.company(bob, name="ООО Василёк")
    bobs = make_request(subject="Счёт", company=bobs_company, contact=None, assignee=bob)
    done = make_request(subject="Решённый", assignee=alice)
    services.request_set_status(actor=personas.support, request=done, status=Status.RESOLVED)
    breached = make_request(subject="Просроченный")
    Request.objects.filter(pk=breached.pk).update(first_response_breached=True)
    api = ApiClient(personas.support)

    def ids(**params):
        response = api.get("/requests", **params)
        assert response.status_code == 200, response.json()
        return [item["id"] for item in response.json()["items"]]

    everything = [breached.pk, done.pk, bobs.pk, complaint.pk, old.pk]
    assert ids() == everything
    assert ids(sort="created") == everything[::-1]
    assert ids(status="resolved") == [done.pk]
    assert ids(open="true") == [breached.pk, bobs.pk, complaint.pk, old.pk]
    assert ids(assignee=alice.pk) == [done.pk, complaint.pk]
    assert ids(unassigned="true") == [breached.pk, old.pk]
    assert ids(kind="complaint") == [complaint.pk]
    assert ids(priority="urgent", category=delivery.pk, channel="email") == [complaint.pk]
    assert ids(company=bobs_company.pk) == [bobs.pk]
    assert ids(contact=contact.pk) == [breached.pk, done.pk, complaint.pk, old.pk]
    assert ids(breached="true") == [breached.pk]
    assert ids(created_to="2025-03-04T00:00:00Z") == [old.pk]
    assert ids(created_from="2025-03-04T00:00:00Z", q="курьер") == [complaint.pk]
    assert ids(q=f"#{bobs.pk}") == [bobs.pk]
    assert company.pk != bobs_company.pk


def test_bad_filters_name_the_parameter(personas):
    api = ApiClient(personas.support)

    bad_status = api.get("/requests", status="lost")
    bad_cursor = api.get("/requests", cursor="not-a-cursor")

    assert bad_status.status_code == 422
    assert bad_status.json()["detail"][0]["loc"] == ["query", "status"]
    assert bad_cursor.status_code == 400


def test_the_list_costs_the_same_few_queries_for_30_requests(
    personas, make_request, delivery, django_assert_max_num_queries
):
    for n in range(30):
        request = make_request(subject=f"Вопрос {n}", assignee=personas.alice, category=delivery)
        if n % 3 == 0:
            services.request_reply(actor=personas.alice, request=request, body="Ответ",
                                   status=Status.RESOLVED)  # fmt: skip
    assert Survey.objects.count() == 10
    api = ApiClient(personas.lead)
    api.get("/me")

    with django_assert_max_num_queries(6):
        response = api.get("/requests", limit=30)

    assert response.status_code == 200
    assert len(response.json()["items"]) == 30
    assert sum(item["survey"] is not None for item in response.json()["items"]) == 10


def test_pages_follow_one_another_without_gaps(personas, make_request):
    made = [make_request(subject=f"Вопрос {n}").pk for n in range(5)]
    api = ApiClient(personas.support)

    first = api.get("/requests", limit=2).json()
    second = api.get("/requests", limit=2, cursor=first["next_cursor"]).json()
    third = api.get("/requests", limit=2, cursor=second["next_cursor"]).json()

    seen = [item["id"] for p in (first, second, third) for item in p["items"]]
    assert seen == made[::-1]
    assert (first["count"], third["next_cursor"]) == (5, None)


# --- Changing ------------------------------------------------------------------------------


def test_a_new_priority_sets_new_deadlines(personas, make_request, policy):
    urgent = services.policy_create(
        actor=personas.admin,
        data={"name": "Срочно", "priority": "urgent", "first_response_minutes": 15,
              "clock": SlaPolicy.Clock.CALENDAR},
    )  # fmt: skip
    request = make_request(received_at=RECEIVED)

    response = ApiClient(personas.support).patch(
        f"/requests/{request.pk}", {"priority": "urgent", "version": request.version}
    )

    assert response.status_code == 200
    body = response.json()
    assert (body["priority"], body["sla_policy"], body["version"]) == (
        "urgent", {"id": urgent.pk, "name": "Срочно"}, request.version + 1,
    )  # fmt: skip
    assert (body["first_response_due_at"], body["resolution_due_at"]) == (
        "2025-03-03T06:15:00Z", None,
    )  # fmt: skip


def test_an_edit_based_on_a_stale_copy_is_refused_and_changes_nothing(personas, make_request):
    request = make_request()
    api = ApiClient(personas.support)
    first = api.patch(f"/requests/{request.pk}", {"subject": "Первая правка", "version": 1})
    assert first.status_code == 200
    before = _state(request)

    stale = api.patch(f"/requests/{request.pk}", {"subject": "Вторая правка", "version": 1})

    assert stale.status_code == 409
    assert stale.json()["current_version"] == 2
    assert _state(request) == before
    assert _row(request.pk)["subject"] == "Первая правка"


def test_a_manager_cannot_give_a_request_outside_their_team(personas, make_request):
    request = make_request(assignee=personas.alice)
    before = _state(request)

    response = ApiClient(personas.alice).patch(
        f"/requests/{request.pk}", {"assignee": personas.bob.pk, "version": request.version}
    )

    assert errors(response) == {"assignee": ["You cannot give a request to this person."]}
    assert _state(request) == before


def test_support_deletes_a_request_with_the_version_read(personas, make_request):
    request = make_request()
    api = ApiClient(personas.support)

    stale = api.delete(f"/requests/{request.pk}", version=request.version + 1)
    deleted = api.delete(f"/requests/{request.pk}", version=request.version)

    assert (stale.status_code, deleted.status_code) == (409, 204)
    assert _row(request.pk)["deleted_at"] is not None
    assert api.get(f"/requests/{request.pk}").status_code == 404


# --- The thread and the status -------------------------------------------------------------


def test_a_reply_is_the_first_response_and_takes_the_request_in_work(personas, make_request):
    request = make_request(assignee=personas.alice)

    response = ApiClient(personas.alice).post(
        f"/requests/{request.pk}/replies", {"body": "Курьер будет завтра до 12:00."}
    )

    assert response.status_code == 201
    message = Message.objects.get(kind=Message.Kind.REPLY)
    assert response.json() == {
        "id": message.pk,
        "request_id": request.pk,
        "kind": "reply",
        "body": "Курьер будет завтра до 12:00.",
        "author": {"id": personas.alice.pk, "name": "Алиса Иванова"},
        "created_at": _z(message.created_at),
        "email_to": "petr@romashka.example",
        "email_status": "pending",
        "email_sent_at": None,
    }
    row = _row(request.pk)
    assert (row["status"], row["first_response_at"], row["first_response_by_id"]) == (
        "in_progress", message.created_at, personas.alice.pk,
    )  # fmt: skip


def test_a_reply_that_resolves_sends_a_survey_whose_answer_the_request_shows(
    personas, make_request
):
    request = make_request(assignee=personas.alice)
    api = ApiClient(personas.support)

    api.post(f"/requests/{request.pk}/replies", {"body": "Вернули деньги.", "status": "resolved"})
    sent = api.get(f"/requests/{request.pk}").json()
    survey = Survey.objects.get()
    survey_answer(token=token_for(survey), score=4, comment="Быстро")
    answered = api.get(f"/requests/{request.pk}").json()

    assert (sent["status"], sent["is_open"]) == ("resolved", False)
    assert sent["resolved_by"] == {"id": personas.support.pk, "name": "Софья Саппортова"}
    assert sent["survey"] == {
        "sent_at": _z(survey.created_at), "expires_at": _z(survey.expires_at),
        "answered_at": None, "score": None, "comment": "",
    }  # fmt: skip
    survey.refresh_from_db()
    assert answered["survey"] == {
        "sent_at": _z(survey.created_at), "expires_at": _z(survey.expires_at),
        "answered_at": _z(survey.answered_at), "score": 4, "comment": "Быстро",
    }  # fmt: skip


def test_the_client_writing_again_reopens_a_resolved_request(personas, make_request):
    request = make_request(assignee=personas.alice)
    services.request_set_status(actor=personas.alice, request=request, status=Status.RESOLVED)

    response = ApiClient(personas.alice).post(
        f"/requests/{request.pk}/client-messages",
        {"body": "Деньги так и не пришли", "at": "2025-03-05T10:00:00Z"},
    )

    assert response.status_code == 201
    assert (response.json()["kind"], response.json()["author"]) == ("client", None)
    assert response.json()["created_at"] == "2025-03-05T10:00:00Z"
    row = _row(request.pk)
    assert (row["status"], row["reopen_count"], row["resolved_at"]) == ("reopened", 1, None)


def test_the_thread_lists_every_kind_oldest_first(personas, make_request):
    request = make_request(assignee=personas.alice, received_at=RECEIVED)
    api = ApiClient(personas.alice)
    api.post(f"/requests/{request.pk}/notes", {"body": "Проверить склад"})
    api.post(f"/requests/{request.pk}/replies", {"body": "Проверяем"})

    with_page = api.get(f"/requests/{request.pk}/messages", limit=2).json()
    rest = api.get(f"/requests/{request.pk}/messages", cursor=with_page["next_cursor"]).json()

    thread = [(m["kind"], m["body"]) for m in with_page["items"] + rest["items"]]
    assert thread == [
        ("client", "Не работает доставка"), ("note", "Проверить склад"), ("reply", "Проверяем"),
    ]  # fmt: skip
    assert with_page["count"] == 3


@pytest.mark.parametrize("path", ["replies", "notes", "client-messages"])
def test_an_empty_message_is_refused_naming_the_body(personas, make_request, path):
    request = make_request(assignee=personas.alice)
    before = _state(request)

    response = ApiClient(personas.alice).post(f"/requests/{request.pk}/{path}", {"body": "  "})

    assert errors(response) == {"body": ["Write the message."]}
    assert _state(request) == before


def test_a_status_change_follows_the_allowed_transitions(personas, make_request):
    request = make_request(assignee=personas.alice)
    api = ApiClient(personas.alice)

    waiting = api.post(f"/requests/{request.pk}/status", {"status": "waiting"})
    before = _state(request)
    refused = api.post(f"/requests/{request.pk}/status", {"status": "reopened"})
    unknown = api.post(f"/requests/{request.pk}/status", {"status": "lost"})

    assert (waiting.status_code, waiting.json()["status"]) == (200, "waiting")
    assert errors(refused) == {
        "status": ["A request cannot go from “Waiting for client” to “Reopened”."]
    }
    assert unknown.status_code == 422
    assert unknown.json()["detail"][0]["loc"] == ["body", "status"]
    assert _state(request) == before


# --- Who may do what -----------------------------------------------------------------------

# A request assigned to Alice: she, her team lead and the service desk work it.
ASSIGNED_TO_ALICE = {
    "admin": "work", "head": "work", "lead": "work", "alice": "work", "bob": "none",
    "support": "work", "outsider": "none",
}  # fmt: skip
# A request nobody took yet: the service desk works it; Alice and her lead read it,
# because the client is hers.
IN_THE_QUEUE = {
    "admin": "work", "head": "work", "lead": "read", "alice": "read", "bob": "none",
    "support": "work", "outsider": "none",
}  # fmt: skip
REFUSAL = {"read": 403, "none": 404}
WRITES = {
    "edit": (lambda api, r: api.patch(f"/requests/{r.pk}", {"priority": "high",
                                                            "version": r.version}), 200),
    "reply": (lambda api, r: api.post(f"/requests/{r.pk}/replies", {"body": "Ответ"}), 201),
    "note": (lambda api, r: api.post(f"/requests/{r.pk}/notes", {"body": "Заметка"}), 201),
    "client-message": (
        lambda api, r: api.post(f"/requests/{r.pk}/client-messages", {"body": "Ещё"}), 201
    ),
    "status": (lambda api, r: api.post(f"/requests/{r.pk}/status", {"status": "waiting"}), 200),
}  # fmt: skip


@pytest.mark.parametrize("who", PERSONAS)
@pytest.mark.parametrize("case", ["assigned", "queue"])
def test_who_sees_a_request(personas, make_request, who, case):
    assignee = personas.alice if case == "assigned" else None
    request = make_request(assignee=assignee)
    access = (ASSIGNED_TO_ALICE if case == "assigned" else IN_THE_QUEUE)[who]
    api = ApiClient(getattr(personas, who))

    listed = [item["id"] for item in api.get("/requests").json()["items"]]
    read = api.get(f"/requests/{request.pk}")
    thread = api.get(f"/requests/{request.pk}/messages")

    assert listed == ([] if access == "none" else [request.pk])
    expected = 404 if access == "none" else 200
    assert (read.status_code, thread.status_code) == (expected, expected)
    if access == "none":
        assert read.json() == {"detail": "Not found."}


@pytest.mark.parametrize("who", PERSONAS)
@pytest.mark.parametrize("case", ["assigned", "queue"])
@pytest.mark.parametrize("write", list(WRITES))
def test_who_works_a_request_and_a_refusal_changes_nothing(
    personas, make_request, who, case, write
):
    assignee = personas.alice if case == "assigned" else None
    request = make_request(assignee=assignee)
    access = (ASSIGNED_TO_ALICE if case == "assigned" else IN_THE_QUEUE)[who]
    call, success = WRITES[write]
    before = _state(request)

    response = call(ApiClient(getattr(personas, who)), request)

    if access == "work":
        assert response.status_code == success, response.json()
    else:
        assert response.status_code == REFUSAL[access]
        assert _state(request) == before


DELETES = {"admin": 204, "head": 204, "support": 204, "lead": 403, "alice": 403, "bob": 404,
           "outsider": 404}  # fmt: skip
# A request about Alice's client: whoever cannot see the client is told it does not exist.
CREATES = {"admin": 201, "head": 201, "support": 201, "lead": 201, "alice": 201, "bob": 422,
           "outsider": 422}  # fmt: skip


@pytest.mark.parametrize("who", PERSONAS)
def test_who_deletes_a_request(personas, make_request, who):
    request = make_request(assignee=personas.alice)
    before = _state(request)

    response = ApiClient(getattr(personas, who)).delete(
        f"/requests/{request.pk}", version=request.version
    )

    assert response.status_code == DELETES[who]
    if DELETES[who] != 204:
        assert _state(request) == before


@pytest.mark.parametrize("who", PERSONAS)
def test_who_registers_a_request_about_alices_client(personas, client_company, who):
    company, _contact = client_company

    response = ApiClient(getattr(personas, who)).post(
        "/requests", {"subject": "Вопрос", "company": company.pk, "message": "Текст"}
    )

    assert response.status_code == CREATES[who]
    assert Request.all_objects.count() == (1 if CREATES[who] == 201 else 0)


# --- Categories and SLA policies -------------------------------------------------------------


def test_categories_are_listed_in_their_order(personas, delivery):
    payment = services.category_save(
        actor=personas.admin, category=None, data={"name": "Оплата", "position": 0}
    )
    services.category_save(actor=personas.admin, category=delivery, data={"position": 1})
    old = services.category_save(
        actor=personas.admin, category=None, data={"name": "Архив", "is_active": False,
                                                   "position": 2},
    )  # fmt: skip
    api = ApiClient(personas.alice)

    everything = api.get("/request-categories").json()
    active = api.get("/request-categories", active="true").json()

    assert everything["items"] == [
        {"id": payment.pk, "name": "Оплата", "is_active": True, "position": 0},
        {"id": delivery.pk, "name": "Доставка", "is_active": True, "position": 1},
        {"id": old.pk, "name": "Архив", "is_active": False, "position": 2},
    ]
    assert [c["id"] for c in active["items"]] == [payment.pk, delivery.pk]


@pytest.mark.parametrize("who", PERSONAS)
def test_everyone_reads_the_policies_and_only_admin_and_head_write_them(personas, policy, who):
    api = ApiClient(getattr(personas, who))
    may = who in ("admin", "head")

    listed = api.get("/sla-policies")
    created = api.post(
        "/sla-policies",
        {"name": "Жалобы", "kind": "complaint", "first_response_minutes": 30, "clock": "working"},
    )
    changed = api.patch(f"/sla-policies/{policy.pk}", {"resolution_minutes": 240, "version": 1})

    assert [p["name"] for p in listed.json()["items"]] == ["Стандарт"]
    assert (created.status_code, changed.status_code) == ((201, 200) if may else (403, 403))
    assert SlaPolicy.objects.count() == (2 if may else 1)
    assert SlaPolicy.objects.get(pk=policy.pk).resolution_minutes == (240 if may else 480)


def test_a_policy_answers_in_full_and_a_stale_edit_is_refused(personas, policy):
    api = ApiClient(personas.head)

    read = api.get(f"/sla-policies/{policy.pk}").json()
    api.patch(f"/sla-policies/{policy.pk}", {"warn_minutes_before": 10, "version": 1})
    stale = api.patch(f"/sla-policies/{policy.pk}", {"is_active": False, "version": 1})

    read.pop("created_at")
    read.pop("updated_at")
    assert read == {
        "id": policy.pk, "name": "Стандарт", "kind": "", "priority": "",
        "first_response_minutes": 60, "resolution_minutes": 480, "clock": "calendar",
        "warn_minutes_before": 30, "is_active": True, "version": 1,
    }  # fmt: skip
    assert stale.status_code == 409
    assert SlaPolicy.objects.get(pk=policy.pk).is_active is True


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        ({"name": "Пустая"}, "first_response_minutes",
         "Set a first-response or a resolution target."),
        ({"name": "Вторая", "resolution_minutes": 60}, "priority",
         "An active policy for this kind and priority exists already."),
        ({"name": "Ноль", "first_response_minutes": 0}, "first_response_minutes", None),
        ({"name": "Часы", "first_response_minutes": 5, "clock": "lunar"}, "clock", None),
    ],
)  # fmt: skip
def test_a_bad_policy_is_refused_naming_the_field(personas, policy, body, field, message):
    response = ApiClient(personas.admin).post("/sla-policies", body)

    assert response.status_code == 422
    assert list(errors(response)) == [field]
    if message is not None:
        assert errors(response)[field] == [message]
    assert SlaPolicy.objects.count() == 1


def test_the_choices_the_api_accepts_are_the_models_choices():
    assert list(get_args(schemas.RequestKind)) == Kind.values
    assert list(get_args(schemas.RequestPriority)) == Priority.values
    assert list(get_args(schemas.RequestChannel)) == Channel.values
    assert list(get_args(schemas.RequestStatus)) == Status.values
    assert list(get_args(schemas.SlaClock)) == SlaPolicy.Clock.values
    assert set(schemas.REQUEST_SORTS) == set(get_args(schemas.RequestSort))
