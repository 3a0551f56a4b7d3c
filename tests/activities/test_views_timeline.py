"""The timeline on client, deal and lead cards, and logging an interaction from a card."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from unittest import mock

import pytest
from django.urls import reverse

from tests import factories
from voronka.activities import services
from voronka.activities.models import Activity, Task
from voronka.activities.views.timeline import PAGE_SIZE
from voronka.clients.models import Company
from voronka.sales import services as sales_services
from voronka.sales.models import Deal, Lead

T0 = datetime(2026, 3, 2, 7, 0, tzinfo=UTC)  # 10:00 in Moscow, the organisation's zone
LOG = reverse("activities:activity-create")
TIMELINE = reverse("activities:timeline")
HTMX = {"HTTP_HX_REQUEST": "true"}


def at(hours: float) -> datetime:
    return T0 + timedelta(hours=hours)


def entry_ids(html: str) -> list[str]:
    """The timeline entries of a page or fragment, in order: «activity-12», «stage-change-3»."""
    return re.findall(r'<li class="timeline-entry[^"]*" id="((?:activity|stage-change)-\d+)"', html)


def card(client, user, record) -> str:
    model = record._meta.model_name
    name = f"sales:{model}-detail" if isinstance(record, Deal | Lead) else f"clients:{model}-detail"
    client.force_login(user)
    response = client.get(reverse(name, args=[record.pk]))
    assert response.status_code == 200
    return response.content.decode()


@pytest.fixture
def romashka(personas, stages):
    """Alice's company with a deal that moved a stage, and a call, a meeting and a note."""
    alice = personas.alice
    company = factories.company(alice, name="Ромашка")
    with mock.patch("django.utils.timezone.now", return_value=at(0)):
        deal = factories.deal(alice, client=company, title="Поставка")
    call = services.activity_log(
        actor=alice,
        data={
            "kind": "call", "company": company, "occurred_at": at(1), "direction": "out",
            "outcome": "reached", "duration_seconds": 330, "body": "<b>Договорились</b>\nна среду",
        },
    )  # fmt: skip
    with mock.patch("django.utils.timezone.now", return_value=at(2)):
        sales_services.deal_move_stage(
            actor=alice, deal=deal, stage=stages["qualification"], version=deal.version
        )
    meeting = services.activity_log(
        actor=alice,
        data={
            "kind": "meeting", "deal": deal, "occurred_at": at(3), "ends_at": at(4),
            "place": "Офис клиента", "participants": "Иванов, Петров", "subject": "Демо",
        },
    )  # fmt: skip
    return {"company": company, "deal": deal, "call": call, "meeting": meeting}


# --- The timeline on the cards ------------------------------------------------------------


def test_the_company_card_shows_activities_and_stage_changes_newest_first(
    client, personas, romashka
):
    html = card(client, personas.alice, romashka["company"])
    moves = list(romashka["deal"].stage_history.order_by("moved_at"))

    assert entry_ids(html) == [
        f"activity-{romashka['meeting'].pk}",
        f"stage-change-{moves[1].pk}",
        f"activity-{romashka['call'].pk}",
        f"stage-change-{moves[0].pk}",
    ]


def test_an_entry_shows_time_in_the_organisations_zone_author_and_call_facts(
    client, personas, romashka
):
    html = card(client, personas.alice, romashka["company"])
    call = html.split(f'id="activity-{romashka["call"].pk}"')[1].split("</li>")[0]

    assert "02.03.2026 11:00" in call
    assert "Алиса Иванова" in call
    assert "Исходящий" in call
    assert "Дозвонились" in call
    assert "05:30" in call
    assert "&lt;b&gt;Договорились&lt;/b&gt;<br>на среду" in call


def test_a_meeting_shows_its_place_participants_and_end(client, personas, romashka):
    html = card(client, personas.alice, romashka["deal"])
    meeting = html.split(f'id="activity-{romashka["meeting"].pk}"')[1].split("</li>")[0]

    assert "02.03.2026 13:00" in meeting
    assert "до 02.03.2026 14:00" in meeting
    assert "Офис клиента" in meeting
    assert "Иванов, Петров" in meeting
    assert "Демо" in meeting


def test_a_stage_change_reads_from_to_and_by_whom(client, personas, romashka):
    html = card(client, personas.alice, romashka["deal"])
    move = romashka["deal"].stage_history.order_by("-moved_at").first()
    text = html.split(f'id="stage-change-{move.pk}"')[1].split("</li>")[0]

    assert "Смена этапа" in text
    assert re.search(r"Новая .*→.* <strong>Квалификация</strong>", text)
    assert "02.03.2026 12:00" in text
    assert "Алиса Иванова" in text


def test_a_won_deal_reads_as_won_on_the_timeline(client, personas, romashka, stages):
    deal = romashka["deal"]
    deal.refresh_from_db()
    sales_services.deal_move_stage(
        actor=personas.alice, deal=deal, stage=stages["won"], version=deal.version
    )

    html = card(client, personas.alice, deal)

    assert 'class="timeline-entry timeline-stage stage-won"' in html
    assert "Сделка успешно реализована" in html


def test_a_card_without_interactions_says_so(client, personas):
    company = factories.company(personas.alice)

    html = card(client, personas.alice, company)

    assert entry_ids(html) == []
    assert "Взаимодействий пока не было." in html
    assert "Контактов ещё не было" in html
    assert "Не запланирован" in html


def test_the_kind_chip_answers_only_that_kind(client, personas, romashka):
    client.force_login(personas.alice)

    response = client.get(TIMELINE, {"company": romashka["company"].pk, "kind": "call"}, **HTMX)

    assert response.status_code == 200
    assert entry_ids(response.content.decode()) == [f"activity-{romashka['call'].pk}"]


def test_the_stage_chip_answers_stage_changes_only(client, personas, romashka):
    client.force_login(personas.alice)
    moves = list(romashka["deal"].stage_history.order_by("-moved_at"))

    response = client.get(TIMELINE, {"deal": romashka["deal"].pk, "kind": "stage"}, **HTMX)

    assert entry_ids(response.content.decode()) == [f"stage-change-{m.pk}" for m in moves]


def test_a_chip_with_nothing_of_its_kind_says_so(client, personas, romashka):
    client.force_login(personas.alice)

    response = client.get(TIMELINE, {"company": romashka["company"].pk, "kind": "email"}, **HTMX)

    assert entry_ids(response.content.decode()) == []
    assert "Записей этого вида пока нет." in response.content.decode()


def test_show_older_loads_the_entries_after_the_first_page(client, personas):
    company = factories.company(personas.alice)
    notes = [
        services.activity_log(
            actor=personas.alice,
            data={"kind": "note", "body": f"Заметка {n}", "company": company, "occurred_at": at(n)},
        )
        for n in range(PAGE_SIZE + 3)
    ]
    html = card(client, personas.alice, company)
    more = re.search(r'hx-get="([^"]*before=[^"]*)"', html).group(1).replace("&amp;", "&")

    older = client.get(more, **HTMX).content.decode()

    assert entry_ids(html) == [f"activity-{n.pk}" for n in reversed(notes[3:])]
    assert entry_ids(older) == [f"activity-{n.pk}" for n in reversed(notes[:3])]
    assert "before=" not in older


def test_someone_elses_client_timeline_is_not_found(client, personas, romashka):
    client.force_login(personas.bob)

    response = client.get(TIMELINE, {"company": romashka["company"].pk}, **HTMX)

    assert response.status_code == 404


def test_support_reads_the_timeline_but_gets_no_quick_add_form(client, personas, romashka):
    html = card(client, personas.support, romashka["company"])

    assert len(entry_ids(html)) == 4
    assert 'id="quick-add"' not in html


# --- Quick add ------------------------------------------------------------------------------


def test_a_manager_logs_a_call_from_the_company_card(client, personas, romashka):
    company = romashka["company"]
    client.force_login(personas.alice)

    response = client.post(
        LOG,
        {"company": company.pk, "kind": "call", "direction": "in", "outcome": "no_answer",
         "duration": "2:15", "body": "Перезвонить"},
        **HTMX,
    )  # fmt: skip

    assert response.status_code == 200
    call = Activity.objects.get(body="Перезвонить")
    assert (call.kind, call.author, call.company_id, call.deal_id) == (
        "call", personas.alice, company.pk, None,
    )  # fmt: skip
    assert (call.direction, call.outcome, call.duration_seconds) == ("in", "no_answer", 135)
    company.refresh_from_db()
    assert company.last_contact_at == call.occurred_at
    html = response.content.decode()
    assert entry_ids(html)[0] == f"activity-{call.pk}"
    assert 'id="timeline-body" hx-swap-oob="true"' in html
    assert 'id="timeline-summary" class="timeline-summary row g-2 mb-3" hx-swap-oob="true"' in html
    assert 'name="body"' in html and "Перезвонить</textarea>" not in html  # the form is fresh
    toast = json.loads(response["HX-Trigger"])["voronka:toast"]
    assert toast == {"text": "Звонок записан.", "level": "success"}


def test_a_note_on_a_deal_is_linked_to_the_deal_and_its_client(client, personas, romashka):
    deal, company = romashka["deal"], romashka["company"]
    client.force_login(personas.alice)

    client.post(LOG, {"deal": deal.pk, "kind": "note", "body": "Ждут счёт"}, **HTMX)

    note = Activity.objects.get(body="Ждут счёт")
    assert (note.kind, note.author, note.deal_id, note.company_id) == (
        "note", personas.alice, deal.pk, company.pk,
    )  # fmt: skip
    deal.refresh_from_db()
    company.refresh_from_db()
    assert deal.last_contact_at == note.occurred_at
    assert company.last_contact_at == note.occurred_at


def test_a_meeting_is_logged_with_its_time_place_and_participants(client, personas):
    contact = factories.contact(personas.alice, last_name="Смирнов")
    client.force_login(personas.alice)

    response = client.post(
        LOG,
        {"contact": contact.pk, "kind": "meeting", "starts_at": "2026-03-05T15:00",
         "ends_at": "2026-03-05T16:30", "place": "Кафе", "participants": "Смирнов"},
        **HTMX,
    )  # fmt: skip

    assert response.status_code == 200
    meeting = Activity.objects.get(contact=contact)
    assert meeting.occurred_at == datetime(2026, 3, 5, 12, 0, tzinfo=UTC)
    assert meeting.ends_at == datetime(2026, 3, 5, 13, 30, tzinfo=UTC)
    assert (meeting.place, meeting.participants) == ("Кафе", "Смирнов")


def test_the_next_step_becomes_a_task_for_oneself_on_the_same_record(client, personas, romashka):
    company = romashka["company"]
    client.force_login(personas.alice)

    response = client.post(
        LOG,
        {"company": company.pk, "kind": "call", "direction": "out", "body": "Обсудили цену",
         "next_title": "Отправить КП", "next_due": "2030-03-10T11:00"},
        **HTMX,
    )  # fmt: skip

    task = Task.objects.get()
    assert (task.title, task.assignee, task.author, task.company_id) == (
        "Отправить КП", personas.alice, personas.alice, company.pk,
    )  # fmt: skip
    assert task.due_at == datetime(2030, 3, 10, 8, 0, tzinfo=UTC)
    html = response.content.decode()
    assert "Отправить КП" in html.split('id="timeline-summary"')[1]
    assert "10.03.2030 11:00" in html


def test_a_lead_card_logs_and_shows_its_own_interactions(client, personas):
    lead = factories.lead(personas.alice, title="Заявка с сайта")
    client.force_login(personas.alice)

    response = client.post(LOG, {"lead": lead.pk, "kind": "note", "body": "Просили прайс"}, **HTMX)

    note = Activity.objects.get(lead=lead)
    assert response.status_code == 200
    html = card(client, personas.alice, lead)
    assert entry_ids(html) == [f"activity-{note.pk}"]
    assert "Просили прайс" in html


def test_an_empty_note_is_refused_next_to_the_field_and_nothing_is_saved(client, personas):
    company = factories.company(personas.alice)
    client.force_login(personas.alice)

    response = client.post(LOG, {"company": company.pk, "kind": "note", "body": "  "}, **HTMX)

    assert response.status_code == 422
    html = response.content.decode()
    assert 'id="qa-body_error">Напишите заметку.</div>' in html
    assert Activity.objects.count() == 0


def test_a_meeting_ending_before_it_starts_is_refused_with_the_services_message(client, personas):
    company = factories.company(personas.alice)
    client.force_login(personas.alice)

    response = client.post(
        LOG,
        {"company": company.pk, "kind": "meeting", "starts_at": "2026-03-05T15:00",
         "ends_at": "2026-03-05T14:00", "place": "Офис"},
        **HTMX,
    )  # fmt: skip

    assert response.status_code == 422
    html = response.content.decode()
    assert 'id="qa-ends_at_error">' in html
    assert 'value="Офис"' in html  # the input is kept
    assert Activity.objects.count() == 0


def test_a_next_step_without_a_due_time_refuses_the_whole_entry(client, personas):
    company = factories.company(personas.alice)
    client.force_login(personas.alice)

    response = client.post(
        LOG,
        {"company": company.pk, "kind": "note", "body": "Текст", "next_title": "Позвонить",
         "next_due": ""},
        **HTMX,
    )  # fmt: skip

    assert response.status_code == 422
    assert 'id="qa-next_due_error"' in response.content.decode()
    assert (Activity.objects.count(), Task.objects.count()) == (0, 0)


def test_another_teams_client_is_not_found_and_nothing_is_saved(client, personas, romashka):
    company = romashka["company"]
    before = Activity.objects.count()
    client.force_login(personas.bob)

    response = client.post(LOG, {"company": company.pk, "kind": "note", "body": "Чужое"}, **HTMX)
    plain = client.post(LOG, {"company": company.pk, "kind": "note", "body": "Чужое"})

    assert (response.status_code, plain.status_code) == (404, 404)
    assert Activity.objects.count() == before
    company.refresh_from_db()
    assert company.last_contact_at == romashka["meeting"].occurred_at


def test_support_may_not_log_an_interaction_and_nothing_is_saved(client, personas, romashka):
    company = romashka["company"]
    before = Activity.objects.count()
    client.force_login(personas.support)

    response = client.post(LOG, {"company": company.pk, "kind": "note", "body": "Привет"}, **HTMX)
    plain = client.post(LOG, {"company": company.pk, "kind": "note", "body": "Привет"})

    assert (response.status_code, plain.status_code) == (403, 403)
    assert Activity.objects.count() == before
    assert Company.objects.get(pk=company.pk).last_contact_at == romashka["meeting"].occurred_at


def test_support_gets_no_lead_to_log_on(client, personas):
    lead = factories.lead(personas.alice)
    client.force_login(personas.support)

    response = client.post(LOG, {"lead": lead.pk, "kind": "note", "body": "Привет"}, **HTMX)

    assert response.status_code == 404
    assert Activity.objects.count() == 0


def test_a_form_naming_no_record_or_two_is_a_bad_request(client, personas, romashka):
    client.force_login(personas.alice)

    none = client.post(LOG, {"kind": "note", "body": "?"}, **HTMX)
    two = client.post(
        LOG,
        {
            "company": romashka["company"].pk,
            "deal": romashka["deal"].pk,
            "kind": "note",
            "body": "?",
        },
        **HTMX,
    )

    assert (none.status_code, two.status_code) == (400, 400)
    assert Activity.objects.filter(body="?").count() == 0


def test_without_javascript_the_form_returns_to_the_card(client, personas, romashka):
    company = romashka["company"]
    client.force_login(personas.alice)

    response = client.post(LOG, {"company": company.pk, "kind": "note", "body": "Без JS"})

    assert response.status_code == 302
    assert (
        response["Location"] == reverse("clients:company-detail", args=[company.pk]) + "#timeline"
    )
    assert Activity.objects.filter(body="Без JS", author=personas.alice).count() == 1


def test_the_team_lead_logs_on_a_team_members_client(client, personas, romashka):
    client.force_login(personas.lead)

    response = client.post(
        LOG, {"company": romashka["company"].pk, "kind": "note", "body": "Проверил"}, **HTMX
    )

    assert response.status_code == 200
    assert Activity.objects.get(body="Проверил").author == personas.lead


@pytest.mark.parametrize("which", ["company", "deal"])
def test_the_timeline_costs_the_same_queries_for_two_or_twenty_entries(
    client, personas, stages, which, django_assert_max_num_queries
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    company = factories.company(personas.alice)
    deal = factories.deal(personas.alice, client=company)
    url = (
        reverse("clients:company-detail", args=[company.pk])
        if which == "company"
        else reverse("sales:deal-detail", args=[deal.pk])
    )

    def note(n: int) -> None:
        services.activity_log(
            actor=personas.alice, data={"kind": "note", "body": f"№{n}", "deal": deal}
        )

    note(0)
    # The stage change comes first: the card's audit history reads each stage it names.
    sales_services.deal_move_stage(
        actor=personas.alice, deal=deal, stage=stages["qualification"], version=deal.version
    )
    client.force_login(personas.alice)
    client.get(url)  # the organisation's settings are read once and cached
    with CaptureQueriesContext(connection) as few:
        client.get(url)
    for n in range(1, 20):
        note(n)

    with django_assert_max_num_queries(len(few.captured_queries)):
        html = client.get(url).content.decode()

    assert len(entry_ids(html)) == PAGE_SIZE  # 20 notes and 2 stage entries: one page
