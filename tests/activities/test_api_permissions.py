"""Who may do what to a task or an activity through the API, for every persona.

The records are alice's (team North, led by ``lead``). Tasks follow their assignee
like owned records; activities are seen with the client they are about, and deleted
by their author, the administrator or the head of sales. Whoever must not see a
record gets 404, whoever sees it but may not change it gets 403; in both cases the
database is left as it was.
"""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from tests import factories
from tests.api_client import ApiClient
from voronka.activities import services
from voronka.activities.models import Activity, Notification, Task

PERSONAS = ["admin", "head", "lead", "alice", "bob", "support", "outsider"]

TASK_FULL = {"list": True, "view": 200, "edit": 200, "complete": 200, "status": 200}
TASK_READ_ONLY = {"list": True, "view": 200, "edit": 403, "complete": 403, "status": 403}
TASK_NOTHING = {"list": False, "view": 404, "edit": 404, "complete": 404, "status": 404}

TASKS = {
    "admin": TASK_FULL,
    "head": TASK_FULL,
    "lead": TASK_FULL,
    "alice": TASK_FULL,
    "bob": TASK_NOTHING,
    "support": TASK_READ_ONLY,
    "outsider": TASK_NOTHING,
}

ACTIVITIES = {
    "admin": {"list": True, "view": 200, "delete": 204},
    "head": {"list": True, "view": 200, "delete": 204},
    # A team lead sees the team's interactions but deletes only their own.
    "lead": {"list": True, "view": 200, "delete": 403},
    "alice": {"list": True, "view": 200, "delete": 204},
    "bob": {"list": False, "view": 404, "delete": 404},
    "support": {"list": True, "view": 200, "delete": 403},
    "outsider": {"list": False, "view": 404, "delete": 404},
}

# Logging a call about alice's deal, or setting a task about it.
NEW_RECORD_ON_ALICES_DEAL = {
    "admin": 201,
    "head": 201,
    "lead": 201,
    "alice": 201,
    "bob": 422,
    "support": 403,
    "outsider": 422,
}

REFUSED = {403: "You are not allowed to do this.", 404: "Not found."}


def _row(model, pk: int) -> dict:
    manager = getattr(model, "all_objects", model.objects)
    return manager.filter(pk=pk).values().get()


def _alices_task(personas) -> Task:
    alice = personas.alice
    return services.task_create(
        actor=alice,
        data={
            "title": "Позвонить",
            "due_at": timezone.now() + datetime.timedelta(days=1),
            "company": factories.company(alice),
        },
    )


def _alices_activity(personas) -> Activity:
    alice = personas.alice
    return services.activity_log(
        actor=alice, data={"kind": "call", "company": factories.company(alice)}
    )


@pytest.mark.parametrize(
    ("persona", "action", "expected"),
    [(p, a, TASKS[p][a]) for p in PERSONAS for a in TASKS[p]],
)
def test_each_persona_gets_what_the_visibility_rule_allows_on_a_task(
    personas, persona, action, expected
):
    task = _alices_task(personas)
    before = _row(Task, task.pk)
    api = ApiClient(getattr(personas, persona))

    if action == "list":
        response = api.get("/tasks", limit=200)
        assert response.status_code == 200
        assert (task.pk in [t["id"] for t in response.json()["items"]]) is expected
        return

    if action == "view":
        response = api.get(f"/tasks/{task.pk}")
    elif action == "edit":
        response = api.patch(f"/tasks/{task.pk}", {"title": "Изменено", "version": 1})
    elif action == "complete":
        response = api.post(f"/tasks/{task.pk}/complete", {"version": 1})
    else:
        response = api.post(f"/tasks/{task.pk}/status", {"status": "cancelled", "version": 1})

    assert response.status_code == expected
    after = _row(Task, task.pk)
    if action == "view" and expected == 200:
        assert response.json()["version"] == 1
        assert after == before
    elif expected == 200:
        changed = {"edit": ("title", "Изменено"), "complete": ("status", "done"),
                   "status": ("status", "cancelled")}[action]  # fmt: skip
        assert (after[changed[0]], after["version"]) == (changed[1], 2)
        assert response.json()[changed[0]] == changed[1]
    else:
        assert response.json() == {"detail": REFUSED[expected]}
        assert after == before


@pytest.mark.parametrize(
    ("persona", "action", "expected"),
    [(p, a, ACTIVITIES[p][a]) for p in PERSONAS for a in ACTIVITIES[p]],
)
def test_each_persona_gets_what_the_visibility_rule_allows_on_an_activity(
    personas, persona, action, expected
):
    activity = _alices_activity(personas)
    before = _row(Activity, activity.pk)
    api = ApiClient(getattr(personas, persona))

    if action == "list":
        response = api.get("/activities", limit=200)
        assert response.status_code == 200
        assert (activity.pk in [a["id"] for a in response.json()["items"]]) is expected
        return

    if action == "view":
        response = api.get(f"/activities/{activity.pk}")
    else:
        response = api.delete(f"/activities/{activity.pk}", version=1)

    assert response.status_code == expected
    after = _row(Activity, activity.pk)
    if expected == 200:
        assert response.json()["id"] == activity.pk
        assert after == before
    elif expected == 204:
        assert (after["deleted_at"] is not None, after["version"]) == (True, 2)
    else:
        assert response.json() == {"detail": REFUSED[expected]}
        assert after == before


@pytest.mark.parametrize(
    ("persona", "expected"), [(p, NEW_RECORD_ON_ALICES_DEAL[p]) for p in PERSONAS]
)
def test_only_those_who_may_change_a_deal_log_a_call_about_it(personas, stages, persona, expected):
    deal = factories.deal(personas.alice)

    response = ApiClient(getattr(personas, persona)).post(
        "/activities", {"kind": "call", "deal": deal.pk, "subject": "Звонок"}
    )

    assert response.status_code == expected
    if expected == 201:
        assert list(Activity.objects.values_list("deal", "subject")) == [(deal.pk, "Звонок")]
    else:
        assert Activity.all_objects.count() == 0
    if expected == 422:
        assert response.json()["detail"] == [
            {"loc": ["body", "deal"], "msg": "No such record.", "type": "value_error"}
        ]


@pytest.mark.parametrize(
    ("persona", "expected"), [(p, NEW_RECORD_ON_ALICES_DEAL[p]) for p in PERSONAS]
)
def test_only_those_who_see_a_deal_set_a_task_about_it(personas, stages, persona, expected):
    deal = factories.deal(personas.alice)
    user = getattr(personas, persona)

    response = ApiClient(user).post(
        "/tasks", {"title": "Перезвонить", "due_at": "2026-11-27T10:00:00Z", "deal": deal.pk}
    )

    assert response.status_code == expected
    if expected == 201:
        assert list(Task.objects.values_list("deal", "assignee", "title")) == [
            (deal.pk, user.pk, "Перезвонить")
        ]
    else:
        assert Task.objects.count() == 0
        assert Notification.objects.count() == 0
