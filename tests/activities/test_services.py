"""Writes of tasks and activities: exact values, who may do what, and nothing else."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.core.exceptions import ValidationError

from tests import factories
from voronka.activities import services
from voronka.activities.models import Activity, Notification, NotificationPreference, Task
from voronka.clients.models import Company
from voronka.core.errors import NotAllowed, StaleVersion

DUE = datetime(2030, 3, 10, 12, 0, tzinfo=UTC)


@pytest.fixture
def personas(personas):
    """The personas, reading their notices in English."""
    from voronka.accounts.models import User

    User.objects.update(language="en")
    for person in personas.all().values():
        person.language = "en"
    return personas


def _task(actor, **data):
    data.setdefault("title", "Перезвонить")
    data.setdefault("due_at", DUE)
    return services.task_create(actor=actor, data=data)


def _reload(task):
    return Task.all_objects.get(pk=task.pk)


# --- Creating tasks -----------------------------------------------------------------------


def test_a_manager_creates_a_task_for_herself_with_the_given_values(personas):
    company = factories.company(personas.alice)
    task = _task(personas.alice, company=company, priority="high", description="Про счёт")
    fresh = _reload(task)
    assert (
        fresh.title, fresh.description, fresh.assignee, fresh.author, fresh.due_at,
        fresh.priority, fresh.status, fresh.company, fresh.remind_minutes_before,
        fresh.completed_at, fresh.version,
    ) == (
        "Перезвонить", "Про счёт", personas.alice, personas.alice, DUE,
        "high", "open", company, None, None, 1,
    )  # fmt: skip
    assert Notification.objects.count() == 0  # no notice about one's own task


def test_a_task_about_a_deal_also_carries_the_deal_s_client(personas, pipeline):
    deal = factories.deal(personas.alice)
    task = _task(personas.alice, deal=deal)
    assert (_reload(task).deal_id, _reload(task).company_id) == (deal.pk, deal.company_id)


def test_a_team_lead_gives_a_task_to_a_team_member_who_is_told(personas):
    task = _task(personas.lead, assignee=personas.alice, title="Отчёт")
    assert (_reload(task).assignee, _reload(task).author) == (personas.alice, personas.lead)
    note = Notification.objects.get()
    assert (note.recipient, note.kind, note.task, note.title, note.in_app, note.email_status) == (
        personas.alice, "task_assigned", task, "New task from Лев Лидов: Отчёт", True, "pending",
    )  # fmt: skip


def test_the_head_of_sales_gives_a_task_to_anyone(personas):
    task = _task(personas.head, assignee=personas.bob)
    assert _reload(task).assignee == personas.bob


@pytest.mark.parametrize(
    ("actor", "assignee"),
    [("alice", "bob"), ("alice", "lead"), ("lead", "bob"), ("head", "inactive")],
)
def test_a_task_cannot_go_to_someone_outside_the_actor_s_reach(personas, actor, assignee):
    personas.outsider.is_active = False
    personas.outsider.save(update_fields=["is_active"])
    people = {**personas.all(), "inactive": personas.outsider}
    with pytest.raises(ValidationError) as err:
        _task(people[actor], assignee=people[assignee])
    assert err.value.message_dict == {"assignee": ["You cannot give a task to this person."]}
    assert (Task.all_objects.count(), Notification.objects.count()) == (0, 0)


def test_a_support_agent_plans_nothing(personas):
    with pytest.raises(NotAllowed):
        _task(personas.support)
    assert Task.all_objects.count() == 0


def test_a_task_cannot_be_about_a_record_the_actor_does_not_see(personas, pipeline):
    bobs_company = factories.company(personas.bob)
    bobs_deal = factories.deal(personas.bob)
    with pytest.raises(ValidationError) as err:
        _task(personas.alice, company=bobs_company, deal=bobs_deal)
    assert err.value.message_dict == {
        "company": ["No such record, or you may not change it."],
        "deal": ["No such record, or you may not change it."],
    }
    assert Task.all_objects.count() == 0


def test_a_team_lead_may_link_a_task_to_a_team_member_s_client(personas):
    alices_company = factories.company(personas.alice)
    task = _task(personas.lead, assignee=personas.alice, company=alices_company)
    assert _reload(task).company == alices_company


def test_moving_a_task_to_another_team_is_refused_and_changes_nothing(personas):
    task = _task(personas.alice)
    with pytest.raises(ValidationError) as err:
        services.task_update(
            actor=personas.alice, task=task, version=1, data={"assignee": personas.bob}
        )
    assert list(err.value.message_dict) == ["assignee"]
    fresh = _reload(task)
    assert (fresh.assignee, fresh.version) == (personas.alice, 1)


def test_someone_who_does_not_see_a_task_may_not_change_it(personas):
    task = _task(personas.alice)
    with pytest.raises(NotAllowed):
        services.task_update(actor=personas.bob, task=task, version=1, data={"title": "Чужое"})
    assert (_reload(task).title, _reload(task).version) == ("Перезвонить", 1)


def test_reassigning_a_task_tells_the_new_assignee(personas):
    task = _task(personas.lead, title="Отчёт")
    services.task_update(
        actor=personas.lead, task=task, version=1, data={"assignee": personas.alice}
    )
    assert list(Notification.objects.values_list("recipient__username", "kind", "title")) == [
        ("alice", "task_assigned", "New task from Лев Лидов: Отчёт")
    ]


# --- Completing -------------------------------------------------------------------------------


def test_completing_a_task_records_who_and_when(personas):
    task = _task(personas.alice)
    services.task_complete(actor=personas.alice, task=task, version=1)
    fresh = _reload(task)
    assert (fresh.status, fresh.completed_by, fresh.version) == ("done", personas.alice, 2)
    assert fresh.completed_at is not None


def test_completing_a_done_task_again_changes_nothing(personas):
    task = _task(personas.alice)
    services.task_complete(actor=personas.alice, task=task)
    first = _reload(task)
    again = services.task_complete(actor=personas.alice, task=task)
    fresh = _reload(task)
    assert (again.status, fresh.version, fresh.completed_at) == ("done", 2, first.completed_at)


def test_a_second_click_from_a_page_loaded_before_the_first_changes_nothing(personas):
    """Two tabs, or a double click: both copies say "open"; the task is done once."""
    task = _task(personas.alice)
    other_tab = _reload(task)
    services.task_complete(actor=personas.alice, task=task)
    first = _reload(task)
    result = services.task_complete(actor=personas.alice, task=other_tab)
    fresh = _reload(task)
    assert (result.status, result.version) == ("done", 2)
    assert (fresh.status, fresh.version, fresh.completed_at) == ("done", 2, first.completed_at)


def test_a_stale_version_of_an_open_task_is_still_refused(personas):
    task = _task(personas.alice)
    services.task_update(actor=personas.alice, task=task, version=1, data={"title": "Новое"})
    with pytest.raises(StaleVersion):
        services.task_complete(actor=personas.alice, task=_reload(task), version=1)
    assert _reload(task).status == "open"


def test_a_cancelled_task_cannot_be_completed(personas):
    task = _task(personas.alice)
    services.task_set_status(actor=personas.alice, task=task, version=1, status="cancelled")
    with pytest.raises(ValidationError) as err:
        services.task_complete(actor=personas.alice, task=task)
    assert err.value.message_dict == {"status": ["A cancelled task cannot be completed."]}
    assert (_reload(task).status, _reload(task).version) == ("cancelled", 2)


def test_only_someone_who_may_change_the_task_completes_it(personas):
    task = _task(personas.alice)
    for stranger in (personas.bob, personas.support):
        with pytest.raises(NotAllowed):
            services.task_complete(actor=stranger, task=_reload(task))
    services.task_complete(actor=personas.lead, task=_reload(task))  # her team lead may
    assert (_reload(task).status, _reload(task).completed_by) == ("done", personas.lead)


def test_reopening_a_task_clears_its_completion(personas):
    task = _task(personas.alice)
    services.task_complete(actor=personas.alice, task=task, version=1)
    services.task_set_status(actor=personas.alice, task=task, version=2, status="open")
    fresh = _reload(task)
    assert (fresh.status, fresh.completed_at, fresh.completed_by, fresh.version) == (
        "open", None, None, 3,
    )  # fmt: skip


# --- Activities -------------------------------------------------------------------------------


def test_logging_a_call_records_it_and_moves_the_client_s_last_contact(personas):
    company = factories.company(personas.alice)
    at = datetime(2030, 1, 5, 9, 30, tzinfo=UTC)
    call = services.activity_log(
        actor=personas.alice,
        data={"kind": "call", "company": company, "occurred_at": at, "subject": "Звонок",
              "direction": "out", "duration_seconds": 95, "outcome": "reached"},
    )  # fmt: skip
    fresh = Activity.objects.get(pk=call.pk)
    assert (
        fresh.kind, fresh.subject, fresh.author, fresh.occurred_at, fresh.direction,
        fresh.duration_seconds, fresh.outcome,
    ) == ("call", "Звонок", personas.alice, at, "out", 95, "reached")  # fmt: skip
    assert Company.objects.get(pk=company.pk).last_contact_at == at


def test_an_older_interaction_does_not_move_the_last_contact_back(personas):
    company = factories.company(personas.alice)
    newer = datetime(2030, 1, 5, 9, 30, tzinfo=UTC)
    for at in (newer, newer - timedelta(days=3)):
        services.activity_log(
            actor=personas.alice, data={"kind": "note", "company": company, "occurred_at": at}
        )
    assert Company.objects.get(pk=company.pk).last_contact_at == newer


def test_only_a_call_keeps_an_outcome(personas):
    company = factories.company(personas.alice)
    note = services.activity_log(
        actor=personas.alice, data={"kind": "note", "company": company, "outcome": "busy"}
    )
    assert Activity.objects.get(pk=note.pk).outcome == ""


def test_an_interaction_must_be_about_someone(personas):
    with pytest.raises(ValidationError) as err:
        services.activity_log(actor=personas.alice, data={"kind": "note", "body": "…"})
    assert err.value.message_dict == {"company": ["Say whom the interaction was with."]}
    assert Activity.all_objects.count() == 0


def test_a_meeting_cannot_end_before_it_starts(personas):
    company = factories.company(personas.alice)
    start = datetime(2030, 1, 5, 9, 0, tzinfo=UTC)
    with pytest.raises(ValidationError) as err:
        services.activity_log(
            actor=personas.alice,
            data={"kind": "meeting", "company": company, "occurred_at": start,
                  "ends_at": start - timedelta(minutes=1)},
        )  # fmt: skip
    assert list(err.value.message_dict) == ["ends_at"]
    assert Activity.all_objects.count() == 0


def test_an_interaction_needs_the_right_to_change_its_record(personas):
    company = factories.company(personas.alice)
    with pytest.raises(ValidationError) as err:
        services.activity_log(actor=personas.bob, data={"kind": "note", "company": company})
    assert err.value.message_dict == {"company": ["No such record, or you may not change it."]}
    assert (Activity.all_objects.count(), Company.objects.get(pk=company.pk).last_contact_at) == (
        0, None,
    )  # fmt: skip


def test_a_support_agent_logs_nothing(personas):
    company = factories.company(personas.alice)
    with pytest.raises(NotAllowed):
        services.activity_log(actor=personas.support, data={"kind": "note", "company": company})
    assert (Activity.all_objects.count(), Company.objects.get(pk=company.pk).last_contact_at) == (
        0, None,
    )  # fmt: skip


def test_only_the_author_or_the_head_deletes_an_interaction(personas):
    company = factories.company(personas.alice)
    note = services.activity_log(actor=personas.alice, data={"kind": "note", "company": company})
    with pytest.raises(NotAllowed):
        services.activity_delete(actor=personas.lead, activity=note, version=1)
    assert Activity.objects.filter(pk=note.pk).exists()
    services.activity_delete(actor=personas.alice, activity=note, version=1)
    assert (Activity.objects.count(), Activity.all_objects.count()) == (0, 1)


# --- Notifications ----------------------------------------------------------------------------


def test_preferences_are_kept_per_kind(personas):
    services.preference_set(actor=personas.alice, kind="task_reminder", in_app=False, email=True)
    services.preference_set(actor=personas.alice, kind="task_reminder", in_app=True, email=False)
    assert list(NotificationPreference.objects.values_list("user", "kind", "in_app", "email")) == [
        (personas.alice.pk, "task_reminder", True, False)
    ]
    assert services.preference(personas.alice, "task_overdue") == (True, True)


def test_an_unknown_kind_of_preference_is_refused(personas):
    with pytest.raises(ValidationError) as err:
        services.preference_set(actor=personas.alice, kind="nonsense", in_app=True, email=True)
    assert list(err.value.message_dict) == ["kind"]
    assert NotificationPreference.objects.count() == 0


def test_only_the_recipient_marks_a_notice_read(personas):
    _task(personas.lead, assignee=personas.alice)
    note = Notification.objects.get()
    with pytest.raises(NotAllowed):
        services.notification_mark_read(actor=personas.lead, notification=note)
    assert Notification.objects.get().read_at is None
    services.notification_mark_read(actor=personas.alice, notification=note)
    assert Notification.objects.get().read_at is not None
    assert services.notifications_mark_all_read(actor=personas.alice) == 0


def test_a_deactivated_person_is_not_notified(personas):
    personas.alice.is_active = False
    personas.alice.save(update_fields=["is_active"])
    assert (
        services.notify(recipient=personas.alice, kind="task_overdue", task=None, title="x") is None
    )
    assert Notification.objects.count() == 0
