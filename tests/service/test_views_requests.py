"""The request pages: the queue and the list with their filters, the card with its thread,
reply box, status buttons and side panel, the form, and who may do what on each."""

from __future__ import annotations

import datetime
import re
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from django.urls import reverse

from tests import factories
from voronka.service import services
from voronka.service.models import MailStatus, Message, Request, Survey

MOSCOW = ZoneInfo("Europe/Moscow")
NOW = datetime.datetime(2026, 11, 26, 12, 0, tzinfo=MOSCOW)  # a Thursday
QUEUE = reverse("service:queue")
LIST = reverse("service:request-list")
CREATE = reverse("service:request-create")


def at(day: int, hour: int, minute: int = 0) -> datetime.datetime:
    return datetime.datetime(2026, 11, day, hour, minute, tzinfo=MOSCOW)


@pytest.fixture
def clock(monkeypatch):
    """Every "now" in Voronka is Thursday 26.11.2026 12:00 Moscow time."""
    monkeypatch.setattr("django.utils.timezone.now", lambda: NOW.astimezone(datetime.UTC))
    return NOW


@pytest.fixture
def policies(personas):
    """Calendar-time targets, so the deadlines are plain arithmetic: urgent requests are
    answered within an hour, normal ones within four; low ones have no SLA."""
    urgent = services.policy_create(
        actor=personas.admin,
        data={"name": "Срочные", "priority": "urgent", "first_response_minutes": 60,
              "resolution_minutes": 480, "clock": "calendar", "warn_minutes_before": 30},
    )  # fmt: skip
    normal = services.policy_create(
        actor=personas.admin,
        data={"name": "Обычные", "priority": "normal", "first_response_minutes": 240,
              "resolution_minutes": 2880, "clock": "calendar", "warn_minutes_before": 30},
    )  # fmt: skip
    return {"urgent": urgent, "normal": normal}


def as_(client, user):
    """``client`` logged in as ``user``, reading the pages in English."""
    client.force_login(user)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


def listed(response) -> list[str]:
    return [r.subject for r in response.context["rows"]]


def state(pk: int) -> tuple:
    """What a refused write must leave as it was."""
    row = Request.all_objects.get(pk=pk)
    return (row.subject, row.status, row.assignee_id, row.category_id, row.priority,
            row.version, row.deleted_at, row.messages.count())  # fmt: skip


def page_text(response) -> str:
    return response.content.decode()


# --- The queue -----------------------------------------------------------------------------------


@pytest.fixture
def queue_of_four(personas, make_request, policies, clock):
    """Four open requests received at different times, and one resolved."""
    normal = make_request(subject="Обычный вопрос", priority="normal", received_at=at(26, 9))
    urgent = make_request(subject="Срочная жалоба", priority="urgent", kind="complaint",
                          received_at=at(26, 11, 30))  # fmt: skip
    no_sla = make_request(subject="Без SLA", priority="low", received_at=at(20, 9))
    late = make_request(subject="Просроченный", priority="urgent", received_at=at(26, 9, 45))
    done = make_request(subject="Решённый", priority="urgent", received_at=at(26, 8))
    services.request_set_status(actor=personas.support, request=done, status="resolved")
    return {"normal": normal, "urgent": urgent, "no_sla": no_sla, "late": late, "done": done}


def test_the_queue_lists_open_requests_by_the_nearest_deadline_and_those_without_sla_last(
    client, personas, queue_of_four
):
    response = as_(client, personas.support).get(QUEUE)

    assert response.status_code == 200
    # Due: late 10:45 (passed), urgent 12:30, normal 13:00; the one with no SLA goes last.
    assert listed(response) == ["Просроченный", "Срочная жалоба", "Обычный вопрос", "Без SLA"]


def test_each_row_shows_the_time_left_or_how_late_it_is(client, personas, queue_of_four):
    html = page_text(as_(client, personas.support).get(QUEUE))

    def timer(req) -> str:
        row = re.search(rf'<tr id="request-row-{req.pk}".*?</tr>', html, re.S).group(0)
        match = re.search(r'data-sla="(\w+)"[^>]*>(?:<i [^>]*></i> )?([^<]+)</span>', row)
        return f"{match.group(1)}: {match.group(2)}"

    assert timer(queue_of_four["late"]) == "breached: overdue by 1 h 15 min"
    # 30 minutes to go: within the policy's warning time.
    assert timer(queue_of_four["urgent"]) == "warning: 30 min left"
    assert timer(queue_of_four["normal"]) == "ok: 1 h left"
    assert timer(queue_of_four["no_sla"]) == "none: no SLA"
    assert (
        f'id="request-row-{queue_of_four["late"].pk}" class="request-row sla-row-breached"' in html
    )


def test_the_queue_tabs_count_mine_unassigned_and_all(client, personas, queue_of_four):
    services.request_update(
        actor=personas.support, request=queue_of_four["normal"], version=None,
        data={"assignee": personas.support},
    )  # fmt: skip
    support = as_(client, personas.support)

    response = support.get(QUEUE)
    assert response.context["counts"] == {"all": 4, "mine": 1, "unassigned": 3, "breached": 1}
    assert listed(support.get(QUEUE, {"mine": 1})) == ["Обычный вопрос"]
    assert listed(support.get(QUEUE, {"unassigned": 1})) == [
        "Просроченный", "Срочная жалоба", "Без SLA",
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"kind": "complaint"}, ["Срочная жалоба"]),
        ({"priority": "urgent"}, ["Просроченный", "Срочная жалоба"]),
        ({"breached": "1"}, ["Просроченный"]),
        ({"q": "жалоба"}, ["Срочная жалоба"]),
        ({"q": "ЖАЛОБА"}, ["Срочная жалоба"]),
        ({"q": "ромашка"}, ["Просроченный", "Срочная жалоба", "Обычный вопрос", "Без SLA"]),
        ({"q": "petr@romashka.example"},
         ["Просроченный", "Срочная жалоба", "Обычный вопрос", "Без SLA"]),
        ({"q": "нет такого"}, []),
    ],
)  # fmt: skip
def test_the_queue_filters(client, personas, queue_of_four, params, expected):
    response = as_(client, personas.support).get(QUEUE, params)

    assert response.status_code == 200
    assert listed(response) == expected


def test_the_queue_finds_a_request_by_its_number(client, personas, queue_of_four):
    support = as_(client, personas.support)
    pk = queue_of_four["urgent"].pk

    assert listed(support.get(QUEUE, {"q": f"#{pk}"})) == ["Срочная жалоба"]
    assert listed(support.get(QUEUE, {"q": str(pk)})) == ["Срочная жалоба"]


def test_the_queue_filters_by_category_and_assignee(client, personas, queue_of_four):
    from voronka.service.models import Category

    delivery = services.category_save(
        actor=personas.admin, category=None, data={"name": "Доставка"}
    )
    services.request_update(
        actor=personas.support, request=queue_of_four["no_sla"], version=None,
        data={"category": delivery, "assignee": personas.alice},
    )  # fmt: skip
    support = as_(client, personas.support)

    assert listed(support.get(QUEUE, {"category": delivery.pk})) == ["Без SLA"]
    assert listed(support.get(QUEUE, {"assignee": personas.alice.pk})) == ["Без SLA"]
    assert Category.objects.count() == 1


def test_an_empty_queue_says_so_and_points_to_all_requests(client, personas, clock):
    response = as_(client, personas.support).get(QUEUE)

    html = page_text(response)
    assert "The queue is empty." in html
    assert f'href="{LIST}"' in html


def test_a_filter_that_finds_nothing_offers_to_show_all(client, personas, queue_of_four):
    html = page_text(as_(client, personas.support).get(QUEUE, {"kind": "other"}))

    assert "No requests match these filters." in html


def test_the_queue_links_to_the_service_dashboard(client, personas, clock):
    html = page_text(as_(client, personas.support).get(QUEUE))

    assert f'href="{reverse("service:dashboard")}"' in html


def test_the_queue_answers_htmx_with_the_table_alone(client, personas, queue_of_four):
    response = as_(client, personas.support).get(
        QUEUE, {"kind": "complaint"}, HTTP_HX_REQUEST="true"
    )

    html = page_text(response)
    assert html.lstrip().startswith('<div id="request-table"')
    assert "Срочная жалоба" in html and "Обычный вопрос" not in html


def _many(make_request, n: int) -> None:
    for i in range(n):
        make_request(subject=f"Вопрос {i}", priority=("urgent", "normal", "low")[i % 3])


def test_the_queue_costs_the_same_for_one_request_and_thirty(
    client, personas, make_request, policies, clock, django_assert_max_num_queries
):
    support = as_(client, personas.support)
    _many(make_request, 1)
    support.get(QUEUE)  # the session and the organisation are cached from here on
    with django_assert_max_num_queries(12) as one:
        support.get(QUEUE)
    _many(make_request, 29)
    with django_assert_max_num_queries(len(one.captured_queries)):
        response = support.get(QUEUE)
    assert len(response.context["rows"]) == 30


def test_the_list_costs_the_same_for_one_request_and_thirty(
    client, personas, make_request, policies, clock, django_assert_max_num_queries
):
    support = as_(client, personas.support)
    _many(make_request, 1)
    support.get(LIST)
    with django_assert_max_num_queries(10) as one:
        support.get(LIST)
    _many(make_request, 29)
    with django_assert_max_num_queries(len(one.captured_queries)):
        response = support.get(LIST)
    assert len(response.context["rows"]) == 30


def test_the_queue_pages_by_number_beyond_a_page(
    client, personas, make_request, policies, clock, settings
):
    settings.VORONKA_PAGE_SIZE = 2
    for i in range(3):
        make_request(subject=f"Вопрос {i}", received_at=at(26, 9, i))
    support = as_(client, personas.support)

    first = support.get(QUEUE)
    second = support.get(QUEUE, {"page": 2})

    assert listed(first) == ["Вопрос 0", "Вопрос 1"]
    assert listed(second) == ["Вопрос 2"]
    assert "?page=2" in page_text(first)


# --- All requests --------------------------------------------------------------------------------


def test_all_requests_holds_every_status_newest_first(client, personas, queue_of_four):
    response = as_(client, personas.support).get(LIST)

    assert listed(response) == [
        "Срочная жалоба", "Просроченный", "Обычный вопрос", "Решённый", "Без SLA",
    ]  # fmt: skip
    assert listed(as_(client, personas.support).get(LIST, {"sort": "created"}))[0] == "Без SLA"


def test_all_requests_pages_with_a_cursor(client, personas, make_request, clock, settings):
    settings.VORONKA_PAGE_SIZE = 2
    for i in range(3):
        make_request(subject=f"Вопрос {i}", received_at=at(26, 9, i))
    support = as_(client, personas.support)

    first = support.get(LIST)
    second = support.get(LIST, {"cursor": first.context["page"].next_cursor})

    assert listed(first) == ["Вопрос 2", "Вопрос 1"]
    assert listed(second) == ["Вопрос 0"]


def test_all_requests_take_the_drill_down_parameters_of_the_reports(
    client, personas, make_request, policies, clock
):
    """The names and meanings the service dashboard's links use: dates are local days,
    ``*_to`` counts its whole day."""
    from voronka.service.models import Survey as SurveyModel

    product = factories.product(personas.admin, name="Станок")
    answered = make_request(subject="Ответили", received_at=at(24, 10), product=product,
                            channel="email")  # fmt: skip
    services.request_update(
        actor=personas.support, request=answered, version=None, data={"assignee": personas.alice}
    )
    services.request_reply(actor=personas.support, request=answered, body="Здравствуйте",
                           status="resolved")  # fmt: skip
    survey = SurveyModel.objects.get(request=answered)
    SurveyModel.objects.filter(pk=survey.pk).update(answered_at=at(26, 11), score=5)
    make_request(subject="Вчерашний", received_at=at(25, 23, 59))
    make_request(subject="Сегодняшний", received_at=at(26, 0, 0))
    support = as_(client, personas.support)

    def found(**params) -> list[str]:
        response = support.get(LIST, params)
        assert response.status_code == 200
        return listed(response)

    assert found(created_from="2026-11-25", created_to="2026-11-25") == ["Вчерашний"]
    assert found(created_from="2026-11-26") == ["Сегодняшний"]
    assert found(resolved_from="2026-11-26", resolved_to="2026-11-26") == ["Ответили"]
    assert found(surveyed_from="2026-11-26", surveyed_to="2026-11-26") == ["Ответили"]
    assert found(surveyed_to="2026-11-25") == []
    assert found(responded="1") == ["Ответили"]
    assert found(product=str(product.pk)) == ["Ответили"]
    assert found(channel="email") == ["Ответили"]
    assert found(team=str(personas.alice.team_id)) == ["Ответили"]
    assert found(assignee=str(personas.alice.pk)) == ["Ответили"]
    assert found(status="resolved") == ["Ответили"]
    assert found(open="1") == ["Сегодняшний", "Вчерашний"]
    assert found(unassigned="1", open="1") == ["Сегодняшний", "Вчерашний"]


def test_a_drill_filter_shows_as_a_chip_that_removes_it(client, personas, make_request, clock):
    company = make_request().company
    html = page_text(as_(client, personas.support).get(LIST, {"company": company.pk}))

    assert 'data-filter="company"' in html
    assert "ООО «Ромашка»" in html


def test_a_bad_date_of_a_link_is_named_not_fatal(client, personas, make_request, clock):
    make_request()
    response = as_(client, personas.support).get(LIST, {"created_from": "26.11.2026"})

    assert response.status_code == 200
    assert len(response.context["rows"]) == 1
    assert "Received from:" in page_text(response)


# --- The card ----------------------------------------------------------------------------------


def card(client, user, req):
    return as_(client, user).get(reverse("service:request-detail", args=[req.pk]))


def post(client, user, name, req, data):
    return as_(client, user).post(reverse(f"service:{name}", args=[req.pk]), data)


def test_the_card_shows_the_thread_with_replies_client_messages_and_notes_apart(
    client, personas, make_request, policies, clock
):
    req = make_request(message="Где мой заказ?")
    services.request_reply(actor=personas.support, request=req, body="Уже едет")
    services.request_note(actor=personas.support, request=req, body="Позвонить на склад")
    response = card(client, personas.support, req)

    html = page_text(response)
    kinds = re.findall(r'<li class="thread-message thread-(\w+)" id="message-\d+"', html)
    assert kinds == ["client", "reply", "note"]
    assert "Где мой заказ?" in html and "Уже едет" in html and "Позвонить на склад" in html
    assert "being sent to petr@romashka.example" in html
    assert "the client does not see it" in html
    # The reply gave the request its first assignee: the history reads "— → Софья".
    assert "pk=None" not in html


def test_the_card_of_a_request_from_someone_not_in_the_crm_shows_what_they_gave(
    client, personas, make_request, clock
):
    req = make_request(company=None, contact=None, client_name="", client_email="",
                       client_phone="+7 900 111-22-33", message="Перезвоните")  # fmt: skip
    company_only = make_request(contact=None, subject="Только компания")

    response = card(client, personas.support, req)

    html = page_text(response)
    assert response.status_code == 200
    assert '<a href="tel:+7 900 111-22-33">' in html
    assert "The client has no e-mail address" in html
    assert card(client, personas.support, company_only).status_code == 200


def test_the_card_shows_the_sla_targets_and_the_policy(
    client, personas, make_request, policies, clock
):
    req = make_request(priority="urgent", received_at=at(26, 10, 30))

    response = card(client, personas.support, req)

    html = page_text(response)
    assert "policy «Срочные»" in html
    targets = response.context["sla"]
    assert [(t.label, t.due, t.late, t.timer) for t in targets] == [
        ("First response", at(26, 11, 30), True, "overdue by 30 min"),
        ("Resolution", at(26, 18, 30), False, "6 h 30 min left"),
    ]


def test_the_card_shows_the_clients_open_deals_and_other_requests(
    client, personas, make_request, stages, clock
):
    req = make_request(subject="Новый")
    older = make_request(subject="Старый", received_at=at(20, 10))
    deal = factories.deal(personas.alice, client=req.company, title="Поставка станков")

    response = card(client, personas.support, req)

    assert [d.pk for d in response.context["deals"]] == [deal.pk]
    assert [r.pk for r in response.context["other_requests"]] == [older.pk]
    assert "Поставка станков" in page_text(response)


def test_the_card_shows_the_survey_answer(client, personas, make_request, clock):
    req = make_request()
    services.request_set_status(actor=personas.support, request=req, status="resolved")
    Survey.objects.filter(request=req).update(answered_at=NOW, score=2, comment="Долго")

    html = page_text(card(client, personas.support, req))

    assert 'class="survey-score text-danger">2' in html
    assert "«Долго»" in html


def test_a_reply_is_saved_e_mailed_sets_the_first_response_and_takes_the_request_in_work(
    client, personas, make_request, policies, clock, django_capture_on_commit_callbacks
):
    req = make_request()
    with django_capture_on_commit_callbacks(execute=True):
        response = post(client, personas.support, "request-message", req,
                        {"kind": "reply", "body": "Заказ уже в пути", "action": "send"})  # fmt: skip

    message = Message.objects.get(request=req, kind="reply")
    assert response.status_code == 302
    assert response["Location"].endswith(f"#message-{message.pk}")
    req.refresh_from_db()
    assert (req.status, req.first_response_at, req.first_response_by, req.assignee) == (
        "in_progress", NOW, personas.support, personas.support,
    )  # fmt: skip
    assert message.body == "Заказ уже в пути"
    assert Message.objects.get(pk=message.pk).email_status == MailStatus.SENT
    assert [(m.to, m.subject) for m in mail.outbox] == [
        (["petr@romashka.example"], f"[#{req.pk}] Заказ не доставлен")
    ]


@pytest.mark.parametrize(("action", "status"), [("wait", "waiting"), ("resolve", "resolved")])
def test_send_and_wait_or_resolve_moves_the_request(
    client, personas, make_request, clock, action, status
):
    req = make_request()
    post(client, personas.support, "request-message", req,
         {"kind": "reply", "body": "Ответ", "action": action})  # fmt: skip

    req.refresh_from_db()
    assert req.status == status
    assert req.first_response_at == NOW


def test_a_note_changes_neither_the_status_nor_the_first_response(
    client, personas, make_request, clock
):
    req = make_request()
    post(client, personas.support, "request-message", req, {"kind": "note", "body": "Для своих"})

    req.refresh_from_db()
    assert (req.status, req.first_response_at) == ("new", None)
    assert list(req.messages.values_list("kind", flat=True)) == ["client", "note"]


def test_the_clients_message_reopens_a_resolved_request(client, personas, make_request, clock):
    req = make_request()
    services.request_set_status(actor=personas.support, request=req, status="resolved")

    post(client, personas.support, "request-message", req,
         {"kind": "client", "body": "Так и не пришло", "at": "2026-11-26T11:30"})  # fmt: skip

    req.refresh_from_db()
    assert (req.status, req.reopen_count) == ("reopened", 1)
    said = req.messages.get(body="Так и не пришло")
    assert (said.kind, said.created_at) == ("client", at(26, 11, 30))


def test_an_empty_reply_is_refused_on_the_card_and_nothing_is_saved(
    client, personas, make_request, clock
):
    req = make_request()
    before = state(req.pk)

    response = post(client, personas.support, "request-message", req,
                    {"kind": "reply", "body": "   ", "action": "send"})  # fmt: skip

    assert response.status_code == 422
    assert "Write the message." in page_text(response)
    assert state(req.pk) == before


@pytest.mark.parametrize(
    ("start", "button", "after"),
    [("new", "in_progress", "in_progress"), ("new", "waiting", "waiting"),
     ("in_progress", "resolved", "resolved"), ("resolved", "closed", "closed"),
     ("closed", "reopened", "reopened")],
)  # fmt: skip
def test_the_status_buttons_follow_the_transitions(
    client, personas, make_request, clock, start, button, after
):
    req = make_request()
    if start != "new":
        services.request_set_status(actor=personas.support, request=req, status=start)
    buttons = re.findall(
        r'data-status-button="(\w+)"', page_text(card(client, personas.support, req))
    )
    assert button in buttons

    response = post(client, personas.support, "request-status", req, {"status": button})

    assert response.status_code == 302
    req.refresh_from_db()
    assert req.status == after


def test_the_card_offers_only_the_transitions_of_the_current_status(
    client, personas, make_request, clock
):
    req = make_request()
    services.request_set_status(actor=personas.support, request=req, status="closed")

    buttons = re.findall(
        r'data-status-button="(\w+)"', page_text(card(client, personas.support, req))
    )

    assert buttons == ["reopened"]


def test_a_refused_transition_says_why_and_changes_nothing(client, personas, make_request, clock):
    req = make_request()
    services.request_set_status(actor=personas.support, request=req, status="closed")
    before = state(req.pk)

    response = post(client, personas.support, "request-status", req, {"status": "waiting"})

    assert response.status_code == 302
    assert state(req.pk) == before
    html = page_text(client.get(response["Location"]))
    assert "A request cannot go from “Closed” to “Waiting for client”." in html


def test_the_side_panel_sets_the_category_and_priority(client, personas, make_request, clock):
    delivery = services.category_save(
        actor=personas.admin, category=None, data={"name": "Доставка"}
    )
    req = make_request()

    response = post(client, personas.support, "request-properties", req, {
        "kind": "complaint", "category": delivery.pk, "priority": "high", "assignee": "",
        "version": req.version,
    })  # fmt: skip

    assert response.status_code == 302
    req.refresh_from_db()
    assert (req.kind, req.category, req.priority) == ("complaint", delivery, "high")


def test_the_side_panel_refuses_a_stale_version_and_says_so(client, personas, make_request, clock):
    req = make_request()
    old_version = req.version
    services.request_update(actor=personas.support, request=req, version=None,
                            data={"priority": "high"})  # fmt: skip
    before = state(req.pk)

    response = post(client, personas.support, "request-properties", req, {
        "kind": "question", "category": "", "priority": "low", "assignee": "",
        "version": old_version,
    })  # fmt: skip

    assert response.status_code == 409
    assert "changed by someone else" in page_text(response)
    assert state(req.pk) == before


def test_assign_to_me_takes_the_request(client, personas, make_request, clock):
    req = make_request()

    post(client, personas.support, "request-properties", req,
         {"assign_me": "1", "version": req.version})  # fmt: skip

    req.refresh_from_db()
    assert req.assignee == personas.support


# --- Create and edit ---------------------------------------------------------------------------


def test_new_request_is_prefilled_from_the_company_card(client, personas, client_company, clock):
    company, _contact = client_company

    response = as_(client, personas.support).get(CREATE, {"company": company.pk})

    assert response.context["form"].initial["client"] == f"company:{company.pk}"
    assert f'<option value="company:{company.pk}" selected>' in page_text(response)


def test_a_request_is_registered_with_the_clients_words(client, personas, client_company, clock):
    _company, contact = client_company

    response = as_(client, personas.support).post(CREATE, {
        "subject": "Сломался станок", "client": f"contact:{contact.pk}", "kind": "complaint",
        "priority": "high", "channel": "phone", "message": "Станок не включается",
        "received_at": "2026-11-26T11:15",
    })  # fmt: skip

    req = Request.objects.get(subject="Сломался станок")
    assert response.status_code == 302
    assert response["Location"] == reverse("service:request-detail", args=[req.pk])
    assert (req.contact, req.company, req.kind, req.created_at, req.created_by) == (
        contact, contact.company, "complaint", at(26, 11, 15), personas.support,
    )  # fmt: skip
    assert list(req.messages.values_list("kind", "body")) == [("client", "Станок не включается")]


def test_a_request_with_no_client_at_all_is_refused_with_the_reason(client, personas, clock):
    response = as_(client, personas.support).post(
        CREATE, {"subject": "Кто-то звонил", "kind": "question", "priority": "normal",
                 "channel": "phone"},
    )  # fmt: skip

    assert response.status_code == 422
    assert "Say who the client is" in page_text(response)
    assert not Request.objects.exists()


def test_a_manager_registering_a_request_keeps_it(client, personas, client_company, clock):
    company, _contact = client_company

    as_(client, personas.alice).post(CREATE, {
        "subject": "Вопрос от клиента", "client": f"company:{company.pk}", "kind": "question",
        "priority": "normal", "channel": "phone", "assignee": personas.alice.pk,
    })  # fmt: skip

    assert Request.objects.get().assignee == personas.alice


def test_a_manager_cannot_register_a_request_for_a_client_they_do_not_see(
    client, personas, client_company, clock
):
    company, _contact = client_company

    response = as_(client, personas.bob).post(CREATE, {
        "subject": "Чужой", "client": f"company:{company.pk}", "kind": "question",
        "priority": "normal", "channel": "phone",
    })  # fmt: skip

    assert response.status_code == 422
    assert not Request.objects.exists()


def test_editing_saves_the_fields(client, personas, make_request, clock):
    req = make_request()
    edit = reverse("service:request-edit", args=[req.pk])
    form = as_(client, personas.support).get(edit).context["form"]
    assert form.initial["version"] == req.version

    response = client.post(edit, {
        "subject": "Заказ №12 не доставлен", "client": f"contact:{req.contact_id}",
        "client_email": "petr@romashka.example", "kind": "order_problem", "priority": "high",
        "channel": "email", "version": req.version,
    })  # fmt: skip

    assert response.status_code == 302
    req.refresh_from_db()
    assert (req.subject, req.kind, req.priority, req.channel, req.company_id) == (
        "Заказ №12 не доставлен", "order_problem", "high", "email", req.contact.company_id,
    )  # fmt: skip


def test_a_stale_edit_is_refused_and_keeps_what_was_typed(client, personas, make_request, clock):
    req = make_request()
    old_version = req.version
    services.request_update(actor=personas.admin, request=req, version=None,
                            data={"subject": "Изменено коллегой"})  # fmt: skip
    before = state(req.pk)

    response = as_(client, personas.support).post(
        reverse("service:request-edit", args=[req.pk]),
        {"subject": "Моя правка", "client": f"contact:{req.contact_id}", "kind": "question",
         "priority": "normal", "channel": "phone", "version": old_version},
    )  # fmt: skip

    assert response.status_code == 409
    html = page_text(response)
    assert "changed by someone else" in html
    assert 'value="Моя правка"' in html
    assert state(req.pk) == before


def test_support_deletes_a_request_softly(client, personas, make_request, clock):
    req = make_request()

    response = post(client, personas.support, "request-delete", req, {"version": req.version})

    assert response.status_code == 302
    assert Request.all_objects.get(pk=req.pk).deleted_at == NOW
    assert card(client, personas.support, req).status_code == 404


def test_a_manager_cannot_delete_even_their_own_request(client, personas, make_request, clock):
    req = make_request(assignee=personas.alice)
    before = state(req.pk)

    response = post(client, personas.alice, "request-delete", req, {"version": req.version})

    assert response.status_code == 403
    assert state(req.pk) == before
