"""The activities, timeline, tasks and notifications API."""

from __future__ import annotations

import datetime
from typing import get_args

import pytest
from django.test import Client
from django.utils import timezone

from tests import factories
from tests.api_client import BASE, ApiClient, errors
from voronka.accounts.services import user_set_language
from voronka.activities import services
from voronka.activities.models import (
    Activity,
    Notification,
    NotificationKind,
    Task,
)
from voronka.sales import services as sales_services
from voronka.sales.models import Deal

HOUR = datetime.timedelta(hours=1)
DAY = datetime.timedelta(days=1)


def _row(model, pk):
    manager = getattr(model, "all_objects", model.objects)
    return manager.filter(pk=pk).values().get()


def _without_times(data: dict) -> dict:
    return {k: v for k, v in data.items() if k not in {"created_at", "updated_at"}}


def _z(at: datetime.datetime) -> str:
    """A time as the API writes it: UTC, milliseconds, ``Z``."""
    utc = at.astimezone(datetime.UTC)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"


def _task(assignee, *, actor=None, **data):
    data.setdefault("title", "Позвонить")
    data.setdefault("due_at", timezone.now() + DAY)
    return services.task_create(actor=actor or assignee, data={"assignee": assignee, **data})


def _call(actor, *, at=None, **data):
    data.setdefault("kind", "call")
    data.setdefault("occurred_at", at or timezone.now() - HOUR)
    return services.activity_log(actor=actor, data=data)


# --- Activities --------------------------------------------------------------------------


def test_a_call_is_logged_on_a_deal_and_brings_the_deals_client_along(personas, stages):
    alice = personas.alice
    company = factories.company(alice, name="ООО Лютик")
    deal = factories.deal(alice, client=company, title="Столы")

    response = ApiClient(alice).post(
        "/activities",
        {
            "kind": "call", "deal": deal.pk, "subject": "Обсудили цену",
            "occurred_at": "2026-11-26T12:00:00+03:00", "direction": "out",
            "duration_seconds": 300, "outcome": "reached",
        },
    )  # fmt: skip

    assert response.status_code == 201
    activity = Activity.objects.get()
    assert _without_times(response.json()) == {
        "id": activity.pk,
        "kind": "call",
        "subject": "Обсудили цену",
        "body": "",
        "occurred_at": "2026-11-26T09:00:00Z",
        "author": {"id": alice.pk, "name": "Алиса Иванова"},
        "direction": "out",
        "duration_seconds": 300,
        "outcome": "reached",
        "ends_at": None,
        "place": "",
        "participants": "",
        "company": {"id": company.pk, "name": "ООО Лютик"},
        "contact": None,
        "deal": {"id": deal.pk, "name": "Столы"},
        "lead": None,
        "version": 1,
    }
    when = datetime.datetime(2026, 11, 26, 9, tzinfo=datetime.UTC)
    assert _row(Deal, deal.pk)["last_contact_at"] == when
    assert company.__class__.objects.get(pk=company.pk).last_contact_at == when


@pytest.mark.parametrize("link", ["company", "contact", "deal", "lead"])
def test_a_link_to_another_teams_record_is_refused_like_one_that_does_not_exist(
    personas, stages, link
):
    bob = personas.bob
    bobs = {
        "company": lambda: factories.company(bob),
        "contact": lambda: factories.contact(bob),
        "deal": lambda: factories.deal(bob),
        "lead": lambda: factories.lead(bob),
    }[link]()
    api = ApiClient(personas.alice)

    foreign = api.post("/activities", {"kind": "note", link: bobs.pk})
    missing = api.post("/activities", {"kind": "note", link: 999999})

    assert (foreign.status_code, missing.status_code) == (422, 422)
    assert errors(foreign) == errors(missing)
    assert list(errors(foreign)) == [link]
    assert Activity.all_objects.count() == 0


def test_an_activity_about_nobody_or_ending_before_it_starts_names_the_field(personas):
    company = factories.company(personas.alice)
    api = ApiClient(personas.alice)

    about_nobody = api.post("/activities", {"kind": "note", "body": "Просто мысль"})
    backwards = api.post(
        "/activities",
        {
            "kind": "meeting", "company": company.pk, "occurred_at": "2026-11-26T12:00:00Z",
            "ends_at": "2026-11-26T11:00:00Z",
        },
    )  # fmt: skip
    unknown_kind = api.post("/activities", {"kind": "fax", "company": company.pk})

    assert errors(about_nobody) == {"company": ["Say whom the interaction was with."]}
    assert errors(backwards) == {"ends_at": ["A meeting cannot end before it starts."]}
    assert unknown_kind.status_code == 422
    assert unknown_kind.json()["detail"][0]["loc"] == ["body", "kind"]
    assert Activity.all_objects.count() == 0


def test_support_may_not_log_an_activity(personas):
    company = factories.company(personas.alice)

    response = ApiClient(personas.support).post(
        "/activities", {"kind": "call", "company": company.pk}
    )

    assert response.status_code == 403
    assert response.json() == {"detail": "You are not allowed to do this."}
    assert Activity.all_objects.count() == 0


def test_the_activity_list_filters_and_shows_the_newest_first(personas, stages):
    alice, lead = personas.alice, personas.lead
    company = factories.company(alice)
    deal = factories.deal(alice, client=company)
    other = factories.company(alice)
    now = timezone.now()
    _call(alice, company=company, subject="Первый звонок", at=now - 3 * DAY)
    _call(lead, deal=deal, subject="Звонок по сделке", at=now - 2 * DAY)
    _call(alice, kind="note", company=other, subject="Заметка", at=now - DAY)
    _call(personas.bob, company=factories.company(personas.bob), subject="Чужой")
    api = ApiClient(alice)

    def subjects(**params):
        response = api.get("/activities", **params)
        assert response.status_code == 200
        return [a["subject"] for a in response.json()["items"]]

    assert subjects() == ["Заметка", "Звонок по сделке", "Первый звонок"]
    assert subjects(company=company.pk) == ["Звонок по сделке", "Первый звонок"]
    assert subjects(deal=deal.pk) == ["Звонок по сделке"]
    assert subjects(kind="note") == ["Заметка"]
    assert subjects(author=lead.pk) == ["Звонок по сделке"]
    assert subjects(
        occurred_from=(now - 2 * DAY - HOUR).isoformat(), occurred_to=(now - DAY).isoformat()
    ) == ["Звонок по сделке"]


def test_the_activity_list_pages_with_a_cursor(personas):
    company = factories.company(personas.alice)
    now = timezone.now()
    for n in range(5):
        _call(personas.alice, company=company, subject=f"Звонок {n}", at=now - n * HOUR)
    api = ApiClient(personas.alice)

    first = api.get("/activities", limit=3).json()
    second = api.get("/activities", limit=3, cursor=first["next_cursor"]).json()

    assert [a["subject"] for a in first["items"]] == ["Звонок 0", "Звонок 1", "Звонок 2"]
    assert [a["subject"] for a in second["items"]] == ["Звонок 3", "Звонок 4"]
    assert (first["count"], second["next_cursor"]) == (5, None)
    assert api.get("/activities", cursor="garbage").status_code == 400


def test_the_activity_list_costs_the_same_for_30_activities(
    personas, stages, django_assert_max_num_queries
):
    alice = personas.alice
    deal = factories.deal(alice, contact=factories.contact(alice))
    lead = factories.lead(alice)
    for n in range(30):
        _call(alice, deal=deal, subject=f"Звонок {n}")
        _call(alice, kind="note", lead=lead, subject=f"Заметка {n}")
    api = ApiClient(personas.lead)
    api.get("/me")

    with django_assert_max_num_queries(5):
        response = api.get("/activities", limit=60)

    assert response.status_code == 200
    assert len(response.json()["items"]) == 60


def test_an_activity_is_read_by_whoever_sees_its_client_only(personas):
    activity = _call(personas.alice, company=factories.company(personas.alice), subject="Звонок")

    mine = ApiClient(personas.lead).get(f"/activities/{activity.pk}")
    theirs = ApiClient(personas.bob).get(f"/activities/{activity.pk}")

    assert (mine.status_code, mine.json()["subject"]) == (200, "Звонок")
    assert (theirs.status_code, theirs.json()) == (404, {"detail": "Not found."})


def test_the_author_deletes_an_activity_with_the_version_they_read(personas):
    activity = _call(personas.alice, company=factories.company(personas.alice))
    api = ApiClient(personas.alice)

    stale = api.delete(f"/activities/{activity.pk}", version=7)
    no_version = api.delete(f"/activities/{activity.pk}")
    deleted = api.delete(f"/activities/{activity.pk}", version=1)

    assert stale.status_code == 409
    assert stale.json()["current_version"] == 1
    assert no_version.status_code == 422
    assert deleted.status_code == 204
    row = _row(Activity, activity.pk)
    assert (row["deleted_at"] is not None, row["version"]) == (True, 2)
    assert api.get(f"/activities/{activity.pk}").status_code == 404


# --- Timeline ----------------------------------------------------------------------------


def _deal_with_history(personas, stages):
    """A deal created now and moved on, with three interactions in the hours before."""
    alice = personas.alice
    company = factories.company(alice, name="ООО Лютик")
    deal = factories.deal(alice, client=company, title="Столы")
    now = timezone.now()
    call = _call(alice, deal=deal, subject="Звонок", at=now - 3 * HOUR)
    note = _call(alice, kind="note", deal=deal, subject="Заметка", at=now - 2 * HOUR)
    meeting = _call(alice, kind="meeting", company=company, subject="Встреча", at=now - HOUR)
    sales_services.deal_move_stage(actor=alice, deal=deal, stage=stages["proposal"], version=1)
    return deal, company, [call, note, meeting]


def test_a_deals_timeline_mixes_interactions_and_stage_changes_newest_first(personas, stages):
    deal, company, (call, note, _meeting) = _deal_with_history(personas, stages)
    created, moved = deal.stage_history.order_by("moved_at", "pk")

    response = ApiClient(personas.alice).get("/timeline", deal=deal.pk)

    assert response.status_code == 200
    data = response.json()
    assert [(e["type"], e["kind"]) for e in data["entries"]] == [
        ("stage_change", "stage"), ("stage_change", "stage"),
        ("activity", "note"), ("activity", "call"),
    ]  # fmt: skip
    assert data["entries"][0] == {
        "type": "stage_change",
        "at": _z(moved.moved_at),
        "kind": "stage",
        "activity": None,
        "stage_change": {
            "id": moved.pk,
            "deal": {"id": deal.pk, "name": "Столы"},
            "from_stage": {"id": stages["new"].pk, "name": "Новая", "kind": "open"},
            "to_stage": {"id": stages["proposal"].pk, "name": "Предложение", "kind": "open"},
            "moved_by": {"id": personas.alice.pk, "name": "Алиса Иванова"},
            "moved_at": _z(moved.moved_at),
        },
    }
    assert data["entries"][1]["stage_change"]["from_stage"] is None
    last = data["entries"][3]
    assert (last["at"], last["stage_change"]) == (_z(call.occurred_at), None)
    assert _without_times(last["activity"]) | {"occurred_at": None} == {
        "id": call.pk, "kind": "call", "subject": "Звонок", "body": "", "occurred_at": None,
        "author": {"id": personas.alice.pk, "name": "Алиса Иванова"}, "direction": "",
        "duration_seconds": None, "outcome": "", "ends_at": None, "place": "",
        "participants": "", "company": {"id": company.pk, "name": "ООО Лютик"},
        "contact": None, "deal": {"id": deal.pk, "name": "Столы"}, "lead": None, "version": 1,
    }  # fmt: skip
    assert data["next_before"] is None
    assert note.pk


def test_a_clients_timeline_includes_its_deals_and_filters_by_kind(personas, stages):
    _deal, company, _acts = _deal_with_history(personas, stages)
    api = ApiClient(personas.alice)

    everything = api.get("/timeline", company=company.pk).json()["entries"]
    talks = api.get("/timeline", company=company.pk, kinds="call,meeting").json()["entries"]
    repeated = api.client.get(
        f"{BASE}/timeline", {"company": company.pk, "kinds": ["stage", "note"]}
    ).json()["entries"]

    assert [e["kind"] for e in everything] == ["stage", "stage", "meeting", "note", "call"]
    assert [e["kind"] for e in talks] == ["meeting", "call"]
    assert [e["kind"] for e in repeated] == ["stage", "stage", "note"]


def test_the_timeline_pages_by_the_time_of_the_last_entry(personas, stages):
    deal, _company, _acts = _deal_with_history(personas, stages)
    api = ApiClient(personas.alice)

    pages, before = [], None
    for _ in range(4):
        params = {"deal": deal.pk, "limit": 2} | ({"before": before} if before else {})
        data = api.get("/timeline", **params).json()
        pages.append(
            [e["activity"]["subject"] if e["activity"] else "этап" for e in data["entries"]]
        )
        before = data["next_before"]
        if before is None:
            break

    assert pages == [["этап", "этап"], ["Заметка", "Звонок"]]


def test_the_timeline_of_a_record_you_may_not_see_is_not_found(personas, stages):
    deal, company, _acts = _deal_with_history(personas, stages)
    api = ApiClient(personas.bob)

    answers = [
        api.get("/timeline", deal=deal.pk),
        api.get("/timeline", company=company.pk),
        api.get("/timeline", contact=999999),
    ]

    assert [r.status_code for r in answers] == [404, 404, 404]


def test_the_timeline_needs_exactly_one_record(personas, stages):
    deal, company, _acts = _deal_with_history(personas, stages)
    api = ApiClient(personas.alice)

    for params in ({}, {"company": company.pk, "deal": deal.pk}):
        response = api.get("/timeline", **params)
        assert response.status_code == 422
        assert errors(response) == {"company": ["Give exactly one of company, contact or deal."]}
    assert api.get("/timeline", deal=deal.pk, kinds="fax").status_code == 422


def test_the_timeline_costs_the_same_for_30_entries(
    personas, stages, django_assert_max_num_queries
):
    alice = personas.alice
    company = factories.company(alice)
    contact = factories.contact(alice)
    deal = factories.deal(alice, client=company)
    lead = factories.lead(alice, company=company)
    for n in range(10):
        _call(alice, deal=deal, contact=contact, subject=f"Звонок {n}")
        _call(alice, kind="note", company=company, lead=lead, subject=f"Заметка {n}")
    for stage in ("qualification", "proposal", "negotiation") * 3:
        deal = sales_services.deal_move_stage(
            actor=alice, deal=deal, stage=stages[stage], version=deal.version
        )
    api = ApiClient(personas.lead)
    api.get("/me")

    with django_assert_max_num_queries(10):
        response = api.get("/timeline", company=company.pk, limit=40)

    assert len(response.json()["entries"]) == 30


# --- Tasks -------------------------------------------------------------------------------


def test_a_task_is_created_for_oneself_and_answers_in_full(personas, stages):
    alice = personas.alice
    company = factories.company(alice, name="ООО Лютик")
    deal = factories.deal(alice, client=company, title="Столы")

    response = ApiClient(alice).post(
        "/tasks",
        {
            "title": "Отправить предложение", "due_at": "2026-11-27T10:00:00+03:00",
            "deal": deal.pk, "priority": "high", "remind_minutes_before": 60,
        },
    )  # fmt: skip

    assert response.status_code == 201
    task = Task.objects.get()
    assert _without_times(response.json()) == {
        "id": task.pk,
        "title": "Отправить предложение",
        "description": "",
        "assignee": {"id": alice.pk, "name": "Алиса Иванова"},
        "author": {"id": alice.pk, "name": "Алиса Иванова"},
        "due_at": "2026-11-27T07:00:00Z",
        "priority": "high",
        "status": "open",
        "is_active": True,
        "remind_minutes_before": 60,
        "completed_at": None,
        "completed_by": None,
        "company": {"id": company.pk, "name": "ООО Лютик"},
        "contact": None,
        "deal": {"id": deal.pk, "name": "Столы"},
        "lead": None,
        "version": 1,
    }
    assert Notification.objects.count() == 0


def test_a_team_lead_gives_a_task_to_a_team_member_who_is_notified(personas):
    # Notices are written in their reader's language.
    user_set_language(actor=personas.alice, language="en")

    response = ApiClient(personas.lead).post(
        "/tasks",
        {"title": "Перезвонить", "due_at": "2026-11-27T10:00:00Z", "assignee": personas.alice.pk},
    )

    assert response.status_code == 201
    assert response.json()["assignee"] == {"id": personas.alice.pk, "name": "Алиса Иванова"}
    assert response.json()["author"] == {"id": personas.lead.pk, "name": "Лев Лидов"}
    assert list(Notification.objects.values_list("recipient", "kind", "title")) == [
        (personas.alice.pk, "task_assigned", "New task from Лев Лидов: Перезвонить"),
    ]


def test_a_manager_cannot_give_a_task_to_another_team_or_to_nobody(personas):
    api = ApiClient(personas.alice)

    to_bob = api.post(
        "/tasks", {"title": "Х", "due_at": "2026-11-27T10:00:00Z", "assignee": personas.bob.pk}
    )
    to_nobody = api.post(
        "/tasks", {"title": "Х", "due_at": "2026-11-27T10:00:00Z", "assignee": 999999}
    )
    no_due = api.post("/tasks", {"title": "Х"})

    assert errors(to_bob) == {"assignee": ["You cannot give a task to this person."]}
    assert errors(to_nobody) == {"assignee": ["No such record."]}
    assert no_due.status_code == 422
    assert no_due.json()["detail"][0]["loc"] == ["body", "due_at"]
    assert Task.objects.count() == 0


def test_a_task_about_another_teams_deal_is_refused_without_a_leak(personas, stages):
    bobs = factories.deal(personas.bob)

    response = ApiClient(personas.alice).post(
        "/tasks", {"title": "Х", "due_at": "2026-11-27T10:00:00Z", "deal": bobs.pk}
    )

    assert response.status_code == 422
    assert errors(response) == {"deal": ["No such record."]}
    assert Task.objects.count() == 0


def test_support_may_not_create_a_task(personas):
    response = ApiClient(personas.support).post(
        "/tasks", {"title": "Х", "due_at": "2026-11-27T10:00:00Z"}
    )

    assert response.status_code == 403
    assert Task.objects.count() == 0


def test_a_task_patch_changes_its_fields_and_needs_the_version(personas):
    task = _task(personas.alice, title="Старое")
    api = ApiClient(personas.alice)

    no_version = api.patch(f"/tasks/{task.pk}", {"title": "Новое"})
    changed = api.patch(
        f"/tasks/{task.pk}",
        {"title": "Новое", "priority": "urgent", "due_at": "2026-12-01T09:00:00Z", "version": 1},
    )
    stale = api.patch(f"/tasks/{task.pk}", {"title": "Третье", "version": 1})

    assert no_version.status_code == 422
    assert errors(no_version) == {"version": ["Field required"]}
    assert changed.status_code == 200
    assert (changed.json()["title"], changed.json()["priority"], changed.json()["version"]) == (
        "Новое", "urgent", 2,
    )  # fmt: skip
    assert changed.json()["due_at"] == "2026-12-01T09:00:00Z"
    assert stale.status_code == 409
    assert stale.json()["current_version"] == 2
    row = _row(Task, task.pk)
    assert (row["title"], row["priority"], row["status"], row["version"]) == (
        "Новое", "urgent", "open", 2,
    )  # fmt: skip


def test_a_task_is_completed_in_one_click_and_a_second_click_changes_nothing(personas):
    task = _task(personas.alice)
    client = ApiClient(personas.lead).client

    first = client.generic("POST", f"{BASE}/tasks/{task.pk}/complete")
    second = client.generic("POST", f"{BASE}/tasks/{task.pk}/complete")

    assert (first.status_code, second.status_code) == (200, 200)
    data = first.json()
    assert (data["status"], data["is_active"], data["version"]) == ("done", False, 2)
    assert data["completed_by"] == {"id": personas.lead.pk, "name": "Лев Лидов"}
    assert second.json() == data
    row = _row(Task, task.pk)
    assert (row["status"], row["completed_by_id"], row["version"]) == ("done", personas.lead.pk, 2)


def test_completing_with_a_stale_version_answers_409_and_leaves_the_task_open(personas):
    task = _task(personas.alice)
    api = ApiClient(personas.alice)
    api.patch(f"/tasks/{task.pk}", {"description": "Подробности", "version": 1})

    response = api.post(f"/tasks/{task.pk}/complete", {"version": 1})

    assert response.status_code == 409
    assert response.json()["current_version"] == 2
    assert _row(Task, task.pk)["status"] == "open"


def test_a_task_is_started_cancelled_and_reopened(personas):
    task = _task(personas.alice)
    api = ApiClient(personas.alice)

    started = api.post(f"/tasks/{task.pk}/status", {"status": "in_progress", "version": 1})
    cancelled = api.post(f"/tasks/{task.pk}/status", {"status": "cancelled", "version": 2})
    complete_cancelled = api.post(f"/tasks/{task.pk}/complete")
    reopened = api.post(f"/tasks/{task.pk}/status", {"status": "open", "version": 3})
    done = api.post(f"/tasks/{task.pk}/status", {"status": "done", "version": 4})
    unknown = api.post(f"/tasks/{task.pk}/status", {"status": "lost", "version": 5})

    assert [r.json()["status"] for r in (started, cancelled, reopened, done)] == [
        "in_progress", "cancelled", "open", "done",
    ]  # fmt: skip
    assert errors(complete_cancelled) == {"status": ["A cancelled task cannot be completed."]}
    assert unknown.status_code == 422
    assert unknown.json()["detail"][0]["loc"] == ["body", "status"]
    row = _row(Task, task.pk)
    assert (row["status"], row["completed_by_id"], row["version"]) == ("done", personas.alice.pk, 5)


def test_the_task_list_filters_and_sorts_by_deadline(personas, stages):
    alice = personas.alice
    now = timezone.now()
    deal = factories.deal(alice)
    _task(alice, title="Завтра", due_at=now + DAY, deal=deal, priority="high")
    _task(alice, title="Просрочена", due_at=now - DAY)
    done = _task(alice, title="Сделана", due_at=now - 2 * DAY)
    services.task_complete(actor=alice, task=done)
    _task(personas.lead, title="Лида", due_at=now + 2 * DAY)
    _task(personas.bob, title="Боба", due_at=now)
    api = ApiClient(personas.lead)

    def titles(**params):
        response = api.get("/tasks", **params)
        assert response.status_code == 200
        return [t["title"] for t in response.json()["items"]]

    assert titles() == ["Сделана", "Просрочена", "Завтра", "Лида"]
    assert titles(assignee=alice.pk) == ["Сделана", "Просрочена", "Завтра"]
    assert titles(active="true") == ["Просрочена", "Завтра", "Лида"]
    assert titles(status="done") == ["Сделана"]
    assert titles(overdue="true") == ["Просрочена"]
    assert titles(priority="high") == ["Завтра"]
    assert titles(deal=deal.pk) == ["Завтра"]
    assert titles(company=deal.company_id) == ["Завтра"]
    assert titles(due_from=now.isoformat(), due_to=(now + 2 * DAY).isoformat()) == ["Завтра"]


def test_the_task_list_costs_the_same_for_30_tasks(personas, stages, django_assert_max_num_queries):
    alice = personas.alice
    deal = factories.deal(alice, contact=factories.contact(alice))
    lead = factories.lead(alice)
    for n in range(30):
        task = _task(alice, title=f"Задача {n}", deal=deal, lead=lead)
        if n % 2:
            services.task_complete(actor=personas.lead, task=task)
    api = ApiClient(personas.lead)
    api.get("/me")

    with django_assert_max_num_queries(5):
        response = api.get("/tasks", limit=100)

    assert len(response.json()["items"]) == 30


def _my_day_fixture(personas, stages):
    alice = personas.alice
    now = timezone.now()
    local = timezone.localtime(now)
    end_of_today = local.replace(hour=0, minute=0, second=0, microsecond=0) + DAY
    _task(alice, title="Вчерашняя", due_at=now - DAY)
    _task(alice, title="Сегодня", due_at=now + (end_of_today - now) / 2)
    _task(alice, title="Завтра", due_at=end_of_today + HOUR)
    _task(alice, title="Через месяц", due_at=now + 30 * DAY)
    _task(personas.lead, title="Чужая", due_at=now - DAY)
    with_task = factories.deal(alice, title="С задачей")
    _task(alice, title="По сделке", due_at=end_of_today + 2 * HOUR, deal=with_task)
    without = factories.deal(alice, title="Без задачи")
    return without


def test_my_day_has_overdue_today_upcoming_and_deals_without_a_next_step(personas, stages):
    without = _my_day_fixture(personas, stages)

    response = ApiClient(personas.alice).get("/tasks/my-day")

    assert response.status_code == 200
    data = response.json()
    assert {
        name: [t["title"] for t in data[name]] for name in ("overdue", "today", "upcoming")
    } == {
        "overdue": ["Вчерашняя"],
        "today": ["Сегодня"],
        "upcoming": ["Завтра", "По сделке"],
    }
    assert data["deals_without_next_step"] == [
        {
            "id": without.pk,
            "title": "Без задачи",
            "stage": {"id": stages["new"].pk, "name": "Новая", "kind": "open"},
            "company": {"id": without.company_id, "name": str(without.company)},
            "contact": None,
            "amount": "10000.00",
            "currency": "RUB",
            "expected_close_date": None,
            "version": 1,
        }
    ]


def test_my_day_costs_the_same_for_30_tasks(personas, stages, django_assert_max_num_queries):
    alice = personas.alice
    now = timezone.now()
    deal = factories.deal(alice)
    for n in range(30):
        _task(alice, title=f"Задача {n}", due_at=now + (n - 15) * DAY, deal=deal)
    for _ in range(10):
        factories.deal(alice)
    api = ApiClient(alice)
    api.get("/me")

    with django_assert_max_num_queries(7):
        response = api.get("/tasks/my-day")

    data = response.json()
    # The task due "now" is overdue by the time the request asks.
    assert [len(data[name]) for name in data] == [16, 0, 7, 10]


def test_the_team_view_shows_whose_tasks_you_see(personas):
    now = timezone.now()
    for _ in range(3):
        _task(personas.alice, due_at=now + DAY)
    _task(personas.alice, due_at=now - DAY)
    _task(personas.lead, due_at=now - DAY)
    _task(personas.bob, due_at=now + DAY)
    finished = _task(personas.bob, due_at=now - DAY)
    services.task_complete(actor=personas.bob, task=finished)

    def rows(persona):
        response = ApiClient(getattr(personas, persona)).get("/tasks/team")
        assert response.status_code == 200
        return [(r["user"]["name"], r["open"], r["overdue"]) for r in response.json()]

    everyone = [("Алиса Иванова", 4, 1), ("Лев Лидов", 1, 1), ("Борис Петров", 1, 0)]
    assert rows("head") == everyone
    assert rows("admin") == everyone
    assert rows("lead") == [("Алиса Иванова", 4, 1), ("Лев Лидов", 1, 1)]
    assert rows("alice") == [("Алиса Иванова", 4, 1)]
    assert rows("bob") == [("Борис Петров", 1, 0)]
    assert rows("outsider") == []


def test_the_team_view_costs_the_same_for_30_tasks(personas, django_assert_max_num_queries):
    for n in range(30):
        _task((personas.alice, personas.lead, personas.bob)[n % 3], actor=personas.head)
    api = ApiClient(personas.head)
    api.get("/me")

    with django_assert_max_num_queries(4):
        response = api.get("/tasks/team")

    assert [r["open"] for r in response.json()] == [10, 10, 10]


# --- The schema --------------------------------------------------------------------------

NEW_PATHS = {
    "/api/v1/activities": {"get": {"400"}, "post": {"400", "403"}},
    "/api/v1/activities/{activity_id}": {"get": {"404"}, "delete": {"403", "404", "409"}},
    "/api/v1/timeline": {"get": {"404"}},
    "/api/v1/tasks": {"get": {"400"}, "post": {"400", "403"}},
    "/api/v1/tasks/my-day": {"get": set()},
    "/api/v1/tasks/team": {"get": set()},
    "/api/v1/tasks/{task_id}": {"get": {"404"}, "patch": {"400", "403", "404", "409"}},
    "/api/v1/tasks/{task_id}/complete": {"post": {"400", "403", "404", "409"}},
    "/api/v1/tasks/{task_id}/status": {"post": {"400", "403", "404", "409"}},
    "/api/v1/notifications": {"get": {"400"}},
    "/api/v1/notifications/unread-count": {"get": set()},
    "/api/v1/notifications/read-all": {"post": {"403"}},
    "/api/v1/notifications/preferences": {"get": set(), "put": {"400", "403"}},
    "/api/v1/notifications/{notification_id}/read": {"post": {"403", "404"}},
}


def test_the_schema_lists_the_new_operations_with_their_errors(db):
    schema = Client().get("/api/v1/openapi.json").json()

    found = {
        path: {
            method: set(op["responses"]) - {"200", "201", "204", "401", "422"}
            for method, op in schema["paths"][path].items()
        }
        for path in NEW_PATHS
        if path in schema["paths"]
    }
    assert found == NEW_PATHS
    for path in NEW_PATHS:
        for operation in schema["paths"][path].values():
            assert {"401", "422"} <= set(operation["responses"])


def test_the_choices_the_api_accepts_are_the_models_choices():
    from voronka.activities import schemas

    assert list(get_args(schemas.ActivityKind)) == Activity.Kind.values
    assert list(get_args(schemas.Direction)) == Activity.Direction.values
    assert list(get_args(schemas.Outcome)) == Activity.Outcome.values
    assert list(get_args(schemas.TaskPriority)) == Task.Priority.values
    assert list(get_args(schemas.TaskStatus)) == Task.Status.values
    assert list(get_args(schemas.NotificationKindName)) == NotificationKind.values
    assert list(get_args(schemas.TimelineKind)) == [*Activity.Kind.values, "stage"]
