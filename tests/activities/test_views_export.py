"""Task and interaction lists download as CSV and XLSX: exactly the rows the list shows."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse

from tests import factories
from tests.core.test_exporting import by_header, csv_rows, naive, xlsx_book, xlsx_rows
from voronka.activities import services
from voronka.activities.models import Task

MOSCOW = ZoneInfo("Europe/Moscow")
TASK_HEADER = [
    "ID", "Title", "Status", "Priority", "Due", "Assignee", "Related record", "Completed",
    "Author", "Description",
]  # fmt: skip
ACTIVITY_HEADER = [
    "ID", "Kind", "Subject", "When", "Author", "Direction", "Outcome", "Duration, min",
    "Related record", "Text",
]  # fmt: skip


def export(client, user, name, fmt, params=None, lang="en"):
    client.force_login(user)
    url = reverse(f"activities:{name}-export", kwargs={"fmt": fmt})
    return client.get(url, params or {}, headers={"Accept-Language": lang})


def task(actor, title, due, **data):
    return services.task_create(actor=actor, data={"title": title, "due_at": due, **data})


@pytest.fixture
def tasks(personas, stages):
    alice = personas.alice
    romashka = factories.company(alice, name="ООО «Ромашка»")
    deal = factories.deal(alice, title="Внедрение", client=romashka)
    call = task(
        alice, "Позвонить", datetime(2026, 3, 2, 10, 30, tzinfo=MOSCOW), deal=deal,
        priority="high", description="Уточнить бюджет",
    )  # fmt: skip
    send = task(alice, "Отправить КП", datetime(2026, 3, 3, 12, tzinfo=MOSCOW), company=romashka)
    done = task(alice, "Встреча", datetime(2026, 3, 1, 9, tzinfo=MOSCOW))
    done = services.task_complete(actor=alice, task=done)
    bobs = task(personas.bob, "Задача Боба", datetime(2026, 3, 2, 9, tzinfo=MOSCOW))
    return {"call": call, "send": send, "done": done, "bobs": bobs, "deal": deal,
            "company": romashka}  # fmt: skip


def test_the_task_csv_holds_the_open_tasks_the_list_shows(client, personas, tasks):
    response = export(client, personas.alice, "task", "csv")

    assert response["Content-Disposition"].startswith('attachment; filename="voronka-tasks-')
    header, *rows = csv_rows(response)
    call, send = tasks["call"], tasks["send"]
    assert header == TASK_HEADER
    assert rows == [
        [
            str(call.pk), "Позвонить", "Open", "High", "2026-03-02 10:30", "Алиса Иванова",
            "Deal: Внедрение; Company: ООО «Ромашка»", "", "Алиса Иванова", "Уточнить бюджет",
        ],
        [
            str(send.pk), "Отправить КП", "Open", "Normal", "2026-03-03 12:00", "Алиса Иванова",
            "Company: ООО «Ромашка»", "", "Алиса Иванова", "",
        ],
    ]  # fmt: skip


def test_the_task_xlsx_follows_the_status_filter_and_sort(client, personas, tasks):
    rows = by_header(
        xlsx_rows(export(client, personas.alice, "task", "xlsx", {"status": "all", "sort": "-due"}))
    )
    done = Task.objects.get(pk=tasks["done"].pk)
    assert [r["Title"] for r in rows] == ["Отправить КП", "Позвонить", "Встреча"]
    assert rows[2]["Status"] == "Done"
    assert rows[2]["Due"] == naive(2026, 3, 1, 9, 0)
    assert rows[2]["Completed"] == done.completed_at.astimezone(MOSCOW).replace(
        tzinfo=None, microsecond=0
    )


def test_the_task_export_is_scoped_like_the_list(client, personas, tasks):
    alice = csv_rows(export(client, personas.alice, "task", "csv", {"status": "all"}))
    team_lead = csv_rows(export(client, personas.lead, "task", "csv", {"status": "all"}))
    outsider = csv_rows(export(client, personas.outsider, "task", "csv", {"status": "all"}))

    assert sorted(r[1] for r in alice[1:]) == ["Встреча", "Отправить КП", "Позвонить"]
    assert sorted(r[1] for r in team_lead[1:]) == ["Встреча", "Отправить КП", "Позвонить"]
    assert outsider == [TASK_HEADER]


def test_the_task_headers_follow_the_users_language(client, personas, tasks):
    rows = csv_rows(export(client, personas.alice, "task", "csv", {"priority": "high"}, lang="ru"))
    assert rows[0][:3] == ["ID", "Название", "Статус"]
    assert rows[1][1] == "Позвонить"


def test_the_task_export_reads_a_fixed_number_of_queries(
    client, personas, django_assert_max_num_queries
):
    company = factories.company(personas.alice)
    for n in range(30):
        task(
            personas.alice,
            f"Задача {n}",
            datetime(2026, 3, 2, 9, n, tzinfo=MOSCOW),
            company=company,
        )
    client.force_login(personas.alice)
    with django_assert_max_num_queries(6):
        rows = csv_rows(client.get(reverse("activities:task-export", kwargs={"fmt": "csv"})))
    assert len(rows) == 31


# --- Interactions --------------------------------------------------------------------------------


def log(author, when, subject, **data):
    data.setdefault("kind", "call")
    return services.activity_log(
        actor=author, data={"occurred_at": when, "subject": subject, **data}
    )


@pytest.fixture
def interactions(personas, stages):
    alice = personas.alice
    company = factories.company(alice, name="ООО «Ромашка»")
    contact = factories.contact(alice, first_name="Иван", last_name="Сидоров", company=company)
    first = log(
        alice, datetime(2026, 3, 2, 10, tzinfo=MOSCOW), "Первый звонок", contact=contact,
        direction="out", outcome="reached", duration_seconds=90, body="Договорились о встрече",
    )  # fmt: skip
    meeting = log(
        alice, datetime(2026, 4, 2, 11, tzinfo=MOSCOW), "Встреча в офисе", kind="meeting",
        company=company,
    )  # fmt: skip
    note = log(alice, datetime(2026, 4, 5, 9, tzinfo=MOSCOW), "", kind="note", company=company,
               body="Просят скидку")  # fmt: skip
    log(personas.bob, datetime(2026, 4, 3, 10, tzinfo=MOSCOW), "Звонок Боба",
        company=factories.company(personas.bob))  # fmt: skip
    return {"first": first, "meeting": meeting, "note": note}


def test_the_interaction_csv_holds_the_filtered_rows(client, personas, interactions):
    response = export(client, personas.alice, "activity", "csv", {"kind": "call"})

    assert response["Content-Disposition"].startswith('attachment; filename="voronka-interactions-')
    header, *rows = csv_rows(response)
    first = interactions["first"]
    assert header == ACTIVITY_HEADER
    assert rows == [
        [
            str(first.pk), "Call", "Первый звонок", "2026-03-02 10:00", "Алиса Иванова",
            "Outgoing", "Reached", "1.5", "Contact: Сидоров Иван",
            "Договорились о встрече",
        ]
    ]  # fmt: skip


def test_the_interaction_xlsx_keeps_the_days_filter_newest_first(client, personas, interactions):
    response = export(client, personas.alice, "activity", "xlsx", {"from": "2026-04-01"})
    book = xlsx_book(response)
    rows = by_header([list(r) for r in book.worksheets[0].iter_rows(values_only=True)])

    assert book.worksheets[0].title == "Interactions"
    assert [(r["Kind"], r["Subject"], r["When"]) for r in rows] == [
        ("Note", None, naive(2026, 4, 5, 9, 0)),
        ("Meeting", "Встреча в офисе", naive(2026, 4, 2, 11, 0)),
    ]


def test_the_interaction_export_is_scoped_like_the_list(client, personas, interactions):
    head = csv_rows(export(client, personas.head, "activity", "csv"))
    alice = csv_rows(export(client, personas.alice, "activity", "csv"))
    outsider = csv_rows(export(client, personas.outsider, "activity", "csv"))

    assert [r[2] for r in head[1:]] == ["", "Звонок Боба", "Встреча в офисе", "Первый звонок"]
    assert [r[2] for r in alice[1:]] == ["", "Встреча в офисе", "Первый звонок"]
    assert outsider == [ACTIVITY_HEADER]


def test_an_unknown_format_is_not_found(client, personas, interactions):
    assert export(client, personas.head, "activity", "txt").status_code == 404
    assert export(client, personas.head, "task", "txt").status_code == 404


def test_the_interaction_export_reads_a_fixed_number_of_queries(
    client, personas, django_assert_max_num_queries
):
    company = factories.company(personas.alice)
    for n in range(30):
        log(
            personas.alice,
            datetime(2026, 3, 2, 9, n, tzinfo=MOSCOW),
            f"Звонок {n}",
            company=company,
        )
    client.force_login(personas.alice)
    with django_assert_max_num_queries(6):
        rows = csv_rows(client.get(reverse("activities:activity-export", kwargs={"fmt": "csv"})))
    assert len(rows) == 31


def test_the_lists_offer_the_export_with_their_filters(client, personas, interactions, tasks):
    client.force_login(personas.alice)
    html = client.get(reverse("activities:activity-list"), {"kind": "call"}).content.decode()
    assert reverse("activities:activity-export", kwargs={"fmt": "csv"}) + "?kind=call" in html
    html = client.get(reverse("activities:task-list"), {"status": "all"}).content.decode()
    assert reverse("activities:task-export", kwargs={"fmt": "xlsx"}) + "?status=all" in html
