"""The task list with its filters, the task form, the task card and its status actions,
and the team view."""

from __future__ import annotations

import datetime
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse

from tests import factories
from voronka.activities import services
from voronka.activities.models import Notification, Task

MOSCOW = ZoneInfo("Europe/Moscow")
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


def as_(client, user):
    client.force_login(user)
    return client


def listed(response):
    return [t.title for t in response.context["page"].items]


def task_state(pk):
    row = Task.all_objects.get(pk=pk)
    return (row.title, row.status, row.due_at, row.assignee_id, row.priority, row.version)


# --- The list ----------------------------------------------------------------------------


@pytest.fixture
def north_tasks(personas, stages, clock):
    alice, lead = personas.alice, personas.lead
    deal = factories.deal(alice, title="Поставка станков")
    return {
        "late": task(alice, "Перезвонить", at(24, 12), deal=deal, priority="high"),
        "today": task(alice, "Встреча", at(26, 15)),
        "next": task(alice, "Отправить договор", at(28, 11), deal=deal),
        "done": services.task_complete(actor=alice, task=task(alice, "Сделано", at(20, 9))),
        "leads": task(lead, "Планёрка", at(27, 9), priority="urgent"),
        "bobs": task(personas.bob, "Задача Бориса", at(25, 9)),
        "deal": deal,
    }


def test_the_list_shows_open_tasks_of_the_team_by_due_date_to_its_lead(
    client, personas, north_tasks
):
    response = as_(client, personas.lead).get(reverse("activities:task-list"))
    assert response.status_code == 200
    assert listed(response) == ["Перезвонить", "Встреча", "Планёрка", "Отправить договор"]


def test_the_list_filters_by_assignee_status_priority_and_overdue(client, personas, north_tasks):
    client = as_(client, personas.lead)
    url = reverse("activities:task-list")
    alice = personas.alice.pk
    assert listed(client.get(url, {"assignee": alice})) == [
        "Перезвонить", "Встреча", "Отправить договор",
    ]  # fmt: skip
    assert listed(client.get(url, {"status": "done"})) == ["Сделано"]
    assert listed(client.get(url, {"status": "all", "assignee": alice})) == [
        "Сделано", "Перезвонить", "Встреча", "Отправить договор",
    ]  # fmt: skip
    assert listed(client.get(url, {"priority": "urgent"})) == ["Планёрка"]
    assert listed(client.get(url, {"overdue": "on"})) == ["Перезвонить"]


def test_the_due_range_includes_both_days(client, personas, north_tasks):
    response = as_(client, personas.lead).get(
        reverse("activities:task-list"), {"due_from": "2026-11-26", "due_to": "2026-11-27"}
    )
    assert listed(response) == ["Встреча", "Планёрка"]


def test_the_list_of_a_deals_tasks_names_the_deal(client, personas, north_tasks):
    deal = north_tasks["deal"]
    response = as_(client, personas.alice).get(reverse("activities:task-list"), {"deal": deal.pk})
    assert listed(response) == ["Перезвонить", "Отправить договор"]
    assert response.context["linked"] == {"deal": deal}
    assert f'href="/activities/tasks/new/?deal={deal.pk}"' in response.content.decode()


def test_the_assignee_filter_offers_only_people_whose_tasks_one_sees(client, personas, north_tasks):
    response = as_(client, personas.lead).get(reverse("activities:task-list"))
    choices = list(response.context["form"].fields["assignee"].queryset)
    assert choices == [personas.alice, personas.lead]


def test_the_list_sorts_by_due_date_backwards_on_request(client, personas, north_tasks):
    response = as_(client, personas.alice).get(reverse("activities:task-list"), {"sort": "-due"})
    assert listed(response) == ["Отправить договор", "Встреча", "Перезвонить"]


def test_an_htmx_filter_answers_only_the_table(client, personas, north_tasks):
    response = as_(client, personas.alice).get(
        reverse("activities:task-list"), {"overdue": "on"}, **HTMX
    )
    html = response.content.decode()
    assert html.strip().startswith('<div id="task-table">')
    assert "<nav" not in html


def test_an_empty_list_says_so_and_offers_to_reset_the_filters(client, personas, north_tasks):
    html = (
        as_(client, personas.alice)
        .get(reverse("activities:task-list"), {"priority": "low"})
        .content.decode()
    )
    assert "Нет задач по этим фильтрам." in html
    assert "Показать все открытые задачи" in html


def test_the_list_pages_through_thirty_tasks_with_a_fixed_number_of_queries(
    client, personas, stages, clock, django_assert_max_num_queries, settings
):
    settings.VORONKA_PAGE_SIZE = 20
    alice = personas.alice
    deal = factories.deal(alice, title="Сделка")
    for n in range(30):
        task(alice, f"Задача {n:02d}", at(1, 9) + datetime.timedelta(hours=n), deal=deal)
    client = as_(client, personas.lead)
    url = reverse("activities:task-list")
    client.get(url)  # the organisation's settings are read once per process
    # session, user, led teams, count, page, the bell, the menu's team, assignee choices
    with django_assert_max_num_queries(8):
        first = client.get(url)
    assert listed(first) == [f"Задача {n:02d}" for n in range(20)]
    assert first.context["page"].total == 30
    with django_assert_max_num_queries(8):
        second = client.get(url, {"cursor": first.context["page"].next_cursor})
    assert listed(second) == [f"Задача {n:02d}" for n in range(20, 30)]
    assert second.context["page"].next_cursor is None


def test_one_click_done_in_the_list_answers_the_row(client, personas, north_tasks):
    late = north_tasks["late"]
    response = as_(client, personas.lead).post(
        reverse("activities:task-complete", args=[late.pk]), {"shown_as": "row"}, **HTMX
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert html.strip().startswith(f'<tr id="task-{late.pk}" class="task-row task-done"')
    assert "выполнено в 10:00" in html
    row = Task.objects.get(pk=late.pk)
    assert (row.status, row.completed_by) == ("done", personas.lead)


def test_done_without_htmx_goes_back_to_the_page_it_came_from(client, personas, north_tasks):
    late = north_tasks["late"]
    response = as_(client, personas.alice).post(
        reverse("activities:task-complete", args=[late.pk]),
        {"next": "/activities/tasks/?overdue=on"},
    )
    assert (response.status_code, response["Location"]) == (302, "/activities/tasks/?overdue=on")
    assert Task.objects.get(pk=late.pk).status == "done"


def test_done_never_redirects_to_another_site(client, personas, north_tasks):
    late = north_tasks["late"]
    response = as_(client, personas.alice).post(
        reverse("activities:task-complete", args=[late.pk]), {"next": "https://evil.example/"}
    )
    assert response["Location"] == f"/activities/tasks/{late.pk}/"


def test_completing_a_done_task_again_changes_nothing(client, personas, north_tasks):
    done = north_tasks["done"]
    before = task_state(done.pk)
    response = as_(client, personas.alice).post(
        reverse("activities:task-complete", args=[done.pk]), {"shown_as": "row"}, **HTMX
    )
    assert response.status_code == 200
    assert task_state(done.pk) == before


# --- The form ----------------------------------------------------------------------------


def test_the_new_task_form_carries_the_deal_from_the_query_string(client, personas, north_tasks):
    deal = north_tasks["deal"]
    response = as_(client, personas.alice).get(
        reverse("activities:task-create"), {"deal": deal.pk, "next": "/activities/my-day/"}
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert f'<input type="hidden" name="deal" value="{deal.pk}" id="id_deal">' in html
    assert '<input type="hidden" name="next" value="/activities/my-day/" id="id_next">' in html
    assert "«Поставка станков»" in html
    assert 'type="datetime-local"' in html


def test_a_deal_one_may_not_see_is_not_carried_into_the_form(client, personas, north_tasks):
    deal = north_tasks["deal"]
    response = as_(client, personas.bob).get(reverse("activities:task-create"), {"deal": deal.pk})
    assert 'name="deal" id="id_deal"' in response.content.decode()
    assert response.context["form"].links == {}


def test_creating_a_task_for_a_deal_links_it_and_its_client_and_returns(
    client, personas, north_tasks
):
    deal = north_tasks["deal"]
    response = as_(client, personas.lead).post(
        reverse("activities:task-create"),
        {
            "title": "Согласовать скидку",
            "description": "До 5%",
            "assignee": personas.alice.pk,
            "due_at": "2026-11-27T16:30",
            "priority": "high",
            "remind_minutes_before": "",
            "deal": deal.pk,
            "next": "/activities/my-day/",
        },
    )
    assert (response.status_code, response["Location"]) == (302, "/activities/my-day/")
    created = Task.objects.get(title="Согласовать скидку")
    assert (
        created.assignee, created.author, created.due_at, created.priority,
        created.remind_minutes_before, created.deal_id, created.company_id,
    ) == (
        personas.alice, personas.lead, at(27, 16, 30), "high", None, deal.pk, deal.company_id,
    )  # fmt: skip
    # Alice was given the task by someone else, so she is told.
    assert list(
        Notification.objects.filter(recipient=personas.alice).values_list("kind", "url")
    ) == [("task_assigned", f"/activities/tasks/{created.pk}/")]


def test_a_manager_offers_only_herself_as_assignee(client, personas, clock):
    response = as_(client, personas.alice).get(reverse("activities:task-create"))
    assert list(response.context["form"].fields["assignee"].queryset) == [personas.alice]


def test_giving_a_task_to_someone_one_may_not_is_refused_next_to_the_field(client, personas, clock):
    response = as_(client, personas.alice).post(
        reverse("activities:task-create"),
        {"title": "Чужая", "assignee": personas.bob.pk, "due_at": "2026-11-27T10:00",
         "priority": "normal"},
    )  # fmt: skip
    assert response.status_code == 422
    assert response.context["form"].errors["assignee"] == [
        "Выберите корректный вариант. Вашего варианта нет среди допустимых значений."
    ]
    assert Task.objects.count() == 0


def test_a_missing_title_and_date_keep_the_input(client, personas, clock):
    response = as_(client, personas.alice).post(
        reverse("activities:task-create"),
        {"title": "", "description": "Текст остаётся", "assignee": personas.alice.pk,
         "due_at": "", "priority": "normal"},
    )  # fmt: skip
    assert response.status_code == 422
    assert sorted(response.context["form"].errors) == ["due_at", "title"]
    assert "Текст остаётся" in response.content.decode()


def test_support_may_not_open_the_new_task_form(client, personas):
    response = as_(client, personas.support).get(reverse("activities:task-create"))
    assert response.status_code == 403


def test_editing_a_task_saves_the_new_deadline(client, personas, north_tasks):
    late = north_tasks["late"]
    response = as_(client, personas.alice).post(
        reverse("activities:task-edit", args=[late.pk]),
        {"title": "Перезвонить ещё раз", "description": "", "assignee": personas.alice.pk,
         "due_at": "2026-11-30T12:15", "priority": "normal", "remind_minutes_before": "15",
         "deal": late.deal_id, "company": late.company_id, "version": late.version},
    )  # fmt: skip
    assert (response.status_code, response["Location"]) == (302, f"/activities/tasks/{late.pk}/")
    row = Task.objects.get(pk=late.pk)
    assert (row.title, row.due_at, row.remind_minutes_before, row.version, row.deal_id) == (
        "Перезвонить ещё раз", at(30, 12, 15), 15, late.version + 1, late.deal_id,
    )  # fmt: skip


def test_the_edit_form_carries_the_version_and_the_local_deadline(client, personas, north_tasks):
    late = north_tasks["late"]
    html = (
        as_(client, personas.alice)
        .get(reverse("activities:task-edit", args=[late.pk]))
        .content.decode()
    )
    assert f'<input type="hidden" name="version" value="{late.version}" id="id_version">' in html
    assert 'value="2026-11-24T12:00"' in html


def test_a_stale_version_is_refused_with_the_message_and_the_input_kept(
    client, personas, north_tasks
):
    late = north_tasks["late"]
    services.task_update(actor=personas.lead, task=late, version=late.version,
                         data={"title": "Изменила Лида"})  # fmt: skip
    before = task_state(late.pk)
    response = as_(client, personas.alice).post(
        reverse("activities:task-edit", args=[late.pk]),
        {"title": "Моя правка", "assignee": personas.alice.pk, "due_at": "2026-11-30T12:15",
         "priority": "normal", "deal": late.deal_id, "company": late.company_id,
         "version": late.version - 1},
    )  # fmt: skip
    html = response.content.decode()
    assert response.status_code == 409
    assert "Моя правка" in html
    assert "Пока вы редактировали запись, её изменил кто-то другой." in html
    assert task_state(late.pk) == before


# --- The card and its status actions -----------------------------------------------------


def test_the_task_card_shows_what_the_task_is_about_and_its_deadline(client, personas, north_tasks):
    late = north_tasks["late"]
    html = (
        as_(client, personas.alice)
        .get(reverse("activities:task-detail", args=[late.pk]))
        .content.decode()
    )
    assert "Перезвонить" in html
    assert "24.11.2026 12:00 · просрочено" in html
    assert f'href="/sales/deals/{late.deal_id}/"' in html
    assert "за 30 мин (настройка ответственного)" in html
    assert 'value="start"' in html
    assert 'value="cancel"' in html


@pytest.mark.parametrize(("action", "status"), [("start", "in_progress"), ("cancel", "cancelled")])
def test_a_status_button_changes_the_status(client, personas, north_tasks, action, status):
    late = north_tasks["late"]
    response = as_(client, personas.alice).post(
        reverse("activities:task-status", args=[late.pk]),
        {"action": action, "version": late.version},
    )
    assert response.status_code == 302
    assert Task.objects.get(pk=late.pk).status == status


def test_a_cancelled_task_cannot_be_completed_and_says_why(client, personas, north_tasks):
    late = services.task_set_status(
        actor=personas.alice, task=north_tasks["late"], version=None, status="cancelled"
    )
    before = task_state(late.pk)
    response = as_(client, personas.alice).post(
        reverse("activities:task-complete", args=[late.pk]), {"shown_as": "row"}, **HTMX
    )
    assert (response.status_code, response.content.decode()) == (
        422, "Отменённую задачу нельзя выполнить.",
    )  # fmt: skip
    assert task_state(late.pk) == before


def test_an_unknown_status_action_changes_nothing(client, personas, north_tasks):
    late = north_tasks["late"]
    before = task_state(late.pk)
    response = as_(client, personas.alice).post(
        reverse("activities:task-status", args=[late.pk]), {"action": "explode"}, **HTMX
    )
    assert response.status_code == 422
    assert task_state(late.pk) == before


# --- The team view -----------------------------------------------------------------------


def test_the_team_view_counts_open_and_overdue_tasks_per_person_with_links(
    client, personas, north_tasks
):
    response = as_(client, personas.lead).get(reverse("activities:task-team"))
    rows = [(r.user.username, r.open, r.overdue) for r in response.context["rows"]]
    assert rows == [("alice", 3, 1), ("lead", 1, 0)]
    html = response.content.decode()
    alice = personas.alice.pk
    assert f'href="/activities/tasks/?assignee={alice}&amp;status=active">3</a>' in html
    assert (
        f'<a class="text-danger fw-semibold" href="/activities/tasks/?assignee={alice}'
        f'&amp;overdue=on">1</a>'
    ) in html


def test_the_head_of_sales_sees_everyones_load(client, personas, north_tasks):
    response = as_(client, personas.head).get(reverse("activities:task-team"))
    rows = [(r.user.username, r.open, r.overdue, str(r.team)) for r in response.context["rows"]]
    assert rows == [
        ("alice", 3, 1, "North"), ("lead", 1, 0, "North"), ("bob", 1, 1, "South"),
    ]  # fmt: skip
    assert (response.context["total_open"], response.context["total_overdue"]) == (5, 2)


@pytest.mark.parametrize("who", ["alice", "bob", "support"])
def test_people_who_lead_nobody_get_no_team_view(client, personas, north_tasks, who):
    response = as_(client, getattr(personas, who)).get(reverse("activities:task-team"))
    assert response.status_code == 404


def test_the_team_view_reads_a_fixed_number_of_queries(
    client, personas, stages, clock, django_assert_max_num_queries
):
    for n in range(15):
        task(personas.alice, f"Алиса {n}", at(20, 9) + datetime.timedelta(days=n))
        task(personas.bob, f"Борис {n}", at(20, 9) + datetime.timedelta(days=n))
    client = as_(client, personas.head)
    client.get(reverse("activities:task-team"))  # the organisation's settings, read once
    # session, user, counts, people, team names, the bell
    with django_assert_max_num_queries(6):
        response = client.get(reverse("activities:task-team"))
    rows = [(r.user.username, r.open, r.overdue) for r in response.context["rows"]]
    assert rows == [("alice", 15, 7), ("bob", 15, 7)]
