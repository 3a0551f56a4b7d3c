"""The notifications API: the caller's own notices, read marks and preferences."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from tests.api_client import BASE, ApiClient, errors
from voronka.activities import services
from voronka.activities.models import (
    Notification,
    NotificationKind,
    NotificationPreference,
)

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


# --- Notifications -----------------------------------------------------------------------


def _notify(recipient, title, task=None, kind=NotificationKind.TASK_OVERDUE):
    return services.notify(recipient=recipient, kind=kind, task=task, title=title)


def test_my_notifications_are_mine_only_and_newest_first(personas):
    task = _task(personas.alice, title="Позвонить")
    first = _notify(personas.alice, "Просрочено: Позвонить", task=task)
    second = _notify(personas.alice, "Напоминание", kind=NotificationKind.TASK_REMINDER)
    _notify(personas.bob, "Чужое")
    api = ApiClient(personas.alice)

    response = api.get("/notifications")

    assert response.status_code == 200
    items = response.json()["items"]
    assert [n["title"] for n in items] == ["Напоминание", "Просрочено: Позвонить"]
    assert items[1] == {
        "id": first.pk,
        "kind": "task_overdue",
        "title": "Просрочено: Позвонить",
        "url": first.url,
        "task": {"id": task.pk, "name": "Позвонить"},
        "created_at": _z(first.created_at),
        "read_at": None,
    }
    assert second.pk


def test_notifications_are_read_one_by_one_or_all_at_once(personas):
    first = _notify(personas.alice, "Первое")
    _notify(personas.alice, "Второе")
    _notify(personas.alice, "Третье")
    bobs = _notify(personas.bob, "Чужое")
    api = ApiClient(personas.alice)

    assert api.get("/notifications/unread-count").json() == {"count": 3}
    read = api.post(f"/notifications/{first.pk}/read")
    assert read.status_code == 200
    assert read.json()["read_at"] is not None
    assert api.get("/notifications/unread-count").json() == {"count": 2}
    assert [n["title"] for n in api.get("/notifications", unread="true").json()["items"]] == [
        "Третье", "Второе",
    ]  # fmt: skip
    assert api.post("/notifications/read-all").json() == {"count": 2}
    assert api.get("/notifications/unread-count").json() == {"count": 0}
    assert api.get("/notifications", unread="true").json()["items"] == []
    assert _row(Notification, bobs.pk)["read_at"] is None


def test_someone_elses_notification_is_not_found_and_stays_unread(personas):
    bobs = _notify(personas.bob, "Чужое")

    response = ApiClient(personas.alice).post(f"/notifications/{bobs.pk}/read")

    assert (response.status_code, response.json()) == (404, {"detail": "Not found."})
    assert _row(Notification, bobs.pk)["read_at"] is None


def test_the_notification_list_costs_the_same_for_30_notifications(
    personas, django_assert_max_num_queries
):
    for n in range(30):
        task = _task(personas.alice, title=f"Задача {n}")
        _notify(personas.alice, f"Просрочено {n}", task=task)
    api = ApiClient(personas.alice)
    api.get("/me")

    with django_assert_max_num_queries(4):
        response = api.get("/notifications", limit=50)

    assert len(response.json()["items"]) == 30


def test_preferences_start_with_both_channels_and_a_30_minute_reminder(personas):
    response = ApiClient(personas.alice).get("/notifications/preferences")

    assert response.status_code == 200
    assert response.json() == {
        "reminder_minutes": 30,
        "kinds": [
            {"kind": "task_reminder", "label": "Task reminder", "in_app": True, "email": True},
            {"kind": "task_overdue", "label": "Task overdue", "in_app": True, "email": True},
            {
                "kind": "task_escalated", "label": "Overdue task of a team member",
                "in_app": True, "email": True,
            },
            {"kind": "task_assigned", "label": "Task assigned to me", "in_app": True, "email": True},
            {"kind": "lead_assigned", "label": "New lead assigned to me", "in_app": True,
             "email": True},
            {"kind": "import_finished", "label": "My import has finished", "in_app": True,
             "email": True},
            {"kind": "webhook_disabled", "label": "A webhook was switched off after failures",
             "in_app": True, "email": True},
            {"kind": "request_assigned", "label": "Client request assigned to me",
             "in_app": True, "email": True},
            {"kind": "request_client_reply", "label": "A client wrote on my request",
             "in_app": True, "email": True},
            {"kind": "sla_warning", "label": "A request's SLA deadline is near", "in_app": True,
             "email": True},
            {"kind": "sla_breached", "label": "A request missed its SLA deadline", "in_app": True,
             "email": True},
            {"kind": "low_satisfaction", "label": "A client gave a low satisfaction score",
             "in_app": True, "email": True},
            {"kind": "order_overdue", "label": "An order stayed in a status beyond its norm",
             "in_app": True, "email": True},
        ],
    }  # fmt: skip


def test_preferences_are_changed_per_kind_and_the_rest_stays(personas):
    alice = personas.alice
    api = ApiClient(alice)

    response = api.client.put(
        f"{BASE}/notifications/preferences",
        '{"reminder_minutes": 90, "kinds": [{"kind": "task_overdue", "in_app": true, '
        '"email": false}]}',
        "application/json",
    )

    assert response.status_code == 200
    assert response.json()["reminder_minutes"] == 90
    assert [(k["kind"], k["in_app"], k["email"]) for k in response.json()["kinds"]] == [
        ("task_reminder", True, True), ("task_overdue", True, False),
        ("task_escalated", True, True), ("task_assigned", True, True),
        ("lead_assigned", True, True), ("import_finished", True, True),
        ("webhook_disabled", True, True), ("request_assigned", True, True),
        ("request_client_reply", True, True), ("sla_warning", True, True),
        ("sla_breached", True, True), ("low_satisfaction", True, True),
        ("order_overdue", True, True),
    ]  # fmt: skip
    alice.refresh_from_db()
    assert alice.reminder_minutes == 90
    assert list(NotificationPreference.objects.values_list("user", "kind", "in_app", "email")) == [
        (alice.pk, "task_overdue", True, False),
    ]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ('{"reminder_minutes": 20000}', "reminder_minutes"),
        ('{"reminder_minutes": -1}', "reminder_minutes"),
        ('{"kinds": [{"kind": "gossip", "in_app": true, "email": true}]}', "kind"),
        (
            '{"kinds": [{"kind": "task_overdue", "in_app": true, "email": true},'
            ' {"kind": "task_overdue", "in_app": false, "email": false}]}',
            "kinds",
        ),
    ],
)
def test_bad_preferences_name_the_field_and_change_nothing(personas, body, field):
    alice = personas.alice

    response = ApiClient(alice).client.put(
        f"{BASE}/notifications/preferences", body, "application/json"
    )

    assert response.status_code == 422
    assert list(errors(response)) == [field]
    alice.refresh_from_db()
    assert alice.reminder_minutes == 30
    assert NotificationPreference.objects.count() == 0
