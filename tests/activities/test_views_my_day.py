"""My day: overdue, due today, the next seven days and deals without a next task;
one click marks a task done without leaving the page."""

from __future__ import annotations

import datetime
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse

from tests import factories
from voronka.activities import services
from voronka.activities.models import Task

MOSCOW = ZoneInfo("Europe/Moscow")
# Thursday 26 November 2026, 10:00 in Moscow (the organisation's time zone).
NOW = datetime.datetime(2026, 11, 26, 10, 0, tzinfo=MOSCOW)
HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def clock(monkeypatch):
    """Every "now" in Voronka is 26.11.2026 10:00 Moscow time."""
    monkeypatch.setattr("django.utils.timezone.now", lambda: NOW.astimezone(datetime.UTC))
    return NOW


def at(day: int, hour: int, minute: int = 0) -> datetime.datetime:
    return datetime.datetime(2026, 11, day, hour, minute, tzinfo=MOSCOW)


def task(assignee, title, due, **data):
    return services.task_create(
        actor=data.pop("actor", assignee),
        data={"assignee": assignee, "title": title, "due_at": due, **data},
    )


def my_day(client, user, **headers):
    client.force_login(user)
    return client.get(reverse("activities:my-day"), **headers)


@pytest.fixture
def alices_day(personas, stages, clock):
    alice = personas.alice
    deal = factories.deal(alice, title="Поставка станков")
    quiet = factories.deal(alice, title="Тихая сделка")
    return {
        "late": task(alice, "Перезвонить вчера", at(25, 15), deal=deal),
        "later": task(alice, "Отправить КП", at(26, 9, 30), priority="urgent"),
        "today": task(alice, "Встреча в 14:00", at(26, 14)),
        "evening": task(alice, "Письмо вечером", at(26, 23, 59)),
        "tomorrow": task(alice, "Звонок завтра", at(27, 11)),
        "week": task(alice, "Через неделю", at(30, 9) + datetime.timedelta(days=3)),
        "far": task(alice, "Через месяц", at(26, 10) + datetime.timedelta(days=30)),
        "done": services.task_complete(actor=alice, task=task(alice, "Уже сделано", at(25, 9))),
        "bobs": task(personas.bob, "Задача Бориса", at(25, 9)),
        "deal": deal,
        "quiet": quiet,
    }


def titles(tasks):
    return [t.title for t in tasks]


def test_my_day_sorts_alices_open_tasks_into_overdue_today_and_the_next_week(
    client, personas, alices_day
):
    response = my_day(client, personas.alice)
    day = response.context["day"]
    assert response.status_code == 200
    assert titles(day.overdue) == ["Перезвонить вчера", "Отправить КП"]
    assert titles(day.today) == ["Встреча в 14:00", "Письмо вечером"]
    assert titles(day.upcoming) == ["Звонок завтра", "Через неделю"]
    assert [d.title for d in day.deals_without_next_step] == ["Тихая сделка"]


def test_my_day_marks_overdue_tasks_red_and_shows_todays_as_times(client, personas, alices_day):
    html = my_day(client, personas.alice).content.decode()
    late = alices_day["late"]
    assert (
        '<span class="text-danger fw-semibold task-overdue" title="Просрочено">'
        '<i class="bi bi-exclamation-triangle-fill" aria-hidden="true"></i> 25.11.2026 15:00</span>'
    ) in html
    assert "сегодня 14:00" in html
    assert f'id="task-{late.pk}"' in html
    assert (
        'id="my-day-count-overdue" class="badge rounded-pill ms-2 my-day-count text-bg-danger"'
        in html
    )


def test_a_deal_without_a_next_task_links_to_the_deal_and_to_a_task_form_for_it(
    client, personas, alices_day
):
    quiet = alices_day["quiet"]
    html = my_day(client, personas.alice).content.decode()
    assert f'href="/sales/deals/{quiet.pk}/"' in html
    assert f'href="/activities/tasks/new/?deal={quiet.pk}&amp;next=/activities/my-day/"' in html


def test_an_empty_day_says_so_in_every_section(client, personas, clock):
    html = my_day(client, personas.bob).content.decode()
    assert "Ничего не просрочено. Так держать!" in html
    assert "На сегодня задач больше нет." in html
    assert "На ближайшие семь дней ничего не запланировано." in html
    assert "У каждой открытой сделки есть следующая задача." in html


def test_my_day_is_in_english_for_an_english_browser(client, personas, clock):
    html = my_day(client, personas.bob, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Nothing is overdue. Well done!" in html
    assert "Deals without a next task" in html


def test_one_click_on_done_answers_the_greyed_item_with_the_time_and_recounts_overdue(
    client, personas, alices_day
):
    late = alices_day["late"]
    client.force_login(personas.alice)
    response = client.post(
        reverse("activities:task-complete", args=[late.pk]), {"shown_as": "day"}, **HTMX
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert html.strip().startswith(
        f'<li id="task-{late.pk}" class="list-group-item task-item task-done"'
    )
    assert "выполнено в 10:00" in html
    assert (
        '<span id="my-day-count-overdue" class="badge rounded-pill ms-2 my-day-count '
        'text-bg-danger" hx-swap-oob="true">1</span>'
    ) in html
    # Its deal has no open task any more: it joins the deals without a next task.
    assert '<section class="card my-day-section my-day-deals" id="my-day-deals"' in html
    assert (
        f'<li class="list-group-item d-flex align-items-center gap-2 deal-without-task" id="deal-{alices_day["deal"].pk}">'
        in html
    )
    row = Task.objects.get(pk=late.pk)
    assert (row.status, row.completed_at, row.completed_by) == ("done", NOW, personas.alice)


def test_clicking_the_check_of_a_done_task_reopens_it(client, personas, alices_day):
    done = alices_day["done"]
    client.force_login(personas.alice)
    response = client.post(
        reverse("activities:task-status", args=[done.pk]),
        {"action": "reopen", "version": done.version, "shown_as": "day"},
        **HTMX,
    )
    assert response.status_code == 200
    assert f'<li id="task-{done.pk}" class="list-group-item task-item task-open"' in (
        response.content.decode()
    )
    assert Task.objects.get(pk=done.pk).status == "open"


def test_my_day_is_the_first_item_of_the_menu_and_the_home_page_is_still_the_board(
    client, personas, clock
):
    response = my_day(client, personas.alice)
    nav = response.context["main_nav"]
    assert [(item["url"], item["active"]) for item in nav[:3]] == [
        ("/activities/my-day/", True),
        ("/analytics/", False),
        ("/sales/board/", False),
    ]
    assert nav[-1]["url"] == "/activities/tasks/"
    home = client.get(reverse("core:home"))
    assert (home.status_code, home["Location"]) == (302, "/activities/my-day/")


def test_my_day_reads_a_fixed_number_of_queries_with_thirty_tasks(
    client, personas, stages, clock, django_assert_max_num_queries
):
    alice = personas.alice
    for n in range(10):
        deal = factories.deal(alice, title=f"Сделка {n}")
        task(alice, f"Просрочено {n}", at(25, 9, n), deal=deal)
        task(alice, f"Сегодня {n}", at(26, 12, n), company=deal.company)
        task(alice, f"Скоро {n}", at(28, 12, n))
        factories.deal(alice, title=f"Без задачи {n}")
    client.force_login(alice)
    client.get(reverse("activities:my-day"))  # the organisation's settings, read once
    # session, user, led teams, the menu's team, four lists, the bell
    with django_assert_max_num_queries(9):
        response = client.get(reverse("activities:my-day"))
    day = response.context["day"]
    assert [len(day.overdue), len(day.today), len(day.upcoming)] == [10, 10, 10]
    assert len(day.deals_without_next_step) == 10
