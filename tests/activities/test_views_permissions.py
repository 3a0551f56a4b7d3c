"""Who may list, open, edit, complete and change the status of Alice's task (team North).

Admin and head see and change everything; the lead of North his team's tasks; support
sees every task but changes none (403); Bob (South) and the outsider (West) are told
the task does not exist (404). A refusal never changes the database.
"""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from voronka.activities import services
from voronka.activities.models import Task

EVERYONE = ["admin", "head", "lead", "alice", "bob", "support", "outsider"]
SEES = {"admin", "head", "lead", "alice", "support"}
VIEW = {"admin": 200, "head": 200, "lead": 200, "alice": 200, "support": 200,
        "bob": 404, "outsider": 404}  # fmt: skip
EDIT = {**VIEW, "support": 403}
CHANGE = {**EDIT, "admin": 302, "head": 302, "lead": 302, "alice": 302}


def as_(client, personas, name):
    client.force_login(getattr(personas, name))
    return client


def state(task):
    row = Task.all_objects.get(pk=task.pk)
    return (row.title, row.status, row.due_at, row.assignee_id, row.completed_at, row.version)


@pytest.fixture
def task(personas):
    return services.task_create(
        actor=personas.alice,
        data={"title": "Задача Алисы", "due_at": timezone.now() - datetime.timedelta(hours=2)},
    )


@pytest.mark.parametrize("who", EVERYONE)
def test_the_task_list_shows_alices_task_only_to_those_who_may_see_it(client, personas, task, who):
    response = as_(client, personas, who).get(reverse("activities:task-list"))
    assert response.status_code == 200
    expected = ["Задача Алисы"] if who in SEES else []
    assert [t.title for t in response.context["page"].items] == expected


@pytest.mark.parametrize("who", EVERYONE)
def test_opening_alices_task(client, personas, task, who):
    response = as_(client, personas, who).get(reverse("activities:task-detail", args=[task.pk]))
    assert response.status_code == VIEW[who]


@pytest.mark.parametrize("who", EVERYONE)
def test_the_edit_form_of_alices_task(client, personas, task, who):
    response = as_(client, personas, who).get(reverse("activities:task-edit", args=[task.pk]))
    assert response.status_code == EDIT[who]


@pytest.mark.parametrize("who", ["support", "bob", "outsider"])
def test_saving_alices_task_is_refused_and_nothing_changes(client, personas, task, who):
    before = state(task)
    response = as_(client, personas, who).post(
        reverse("activities:task-edit", args=[task.pk]),
        {"title": "Взлом", "assignee": getattr(personas, who).pk, "due_at": "2030-01-01T10:00",
         "priority": "urgent", "version": task.version},
    )  # fmt: skip
    assert response.status_code == EDIT[who]
    assert state(task) == before


@pytest.mark.parametrize("who", EVERYONE)
def test_completing_alices_task(client, personas, task, who):
    before = state(task)
    response = as_(client, personas, who).post(reverse("activities:task-complete", args=[task.pk]))
    assert response.status_code == CHANGE[who]
    if CHANGE[who] == 302:
        assert Task.objects.get(pk=task.pk).status == "done"
    else:
        assert state(task) == before


@pytest.mark.parametrize("who", ["support", "bob", "outsider"])
def test_one_click_done_by_htmx_is_refused_the_same_way(client, personas, task, who):
    before = state(task)
    response = as_(client, personas, who).post(
        reverse("activities:task-complete", args=[task.pk]),
        {"shown_as": "day"},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == EDIT[who]
    if who == "support":
        assert response.content.decode() == "У вас нет прав на это действие."
    assert state(task) == before


@pytest.mark.parametrize("who", EVERYONE)
@pytest.mark.parametrize("action", ["start", "cancel"])
def test_changing_the_status_of_alices_task(client, personas, task, who, action):
    before = state(task)
    response = as_(client, personas, who).post(
        reverse("activities:task-status", args=[task.pk]),
        {"action": action, "version": task.version},
    )
    assert response.status_code == CHANGE[who]
    if CHANGE[who] != 302:
        assert state(task) == before


def test_support_sees_the_task_card_without_any_button(client, personas, task):
    html = (
        as_(client, personas, "support")
        .get(reverse("activities:task-detail", args=[task.pk]))
        .content.decode()
    )
    assert "task-actions" not in html
    assert 'name="action"' not in html


def test_the_list_offers_support_no_done_button(client, personas, task):
    html = as_(client, personas, "support").get(reverse("activities:task-list")).content.decode()
    assert "/complete/" not in html
    assert f'id="task-{task.pk}"' in html
