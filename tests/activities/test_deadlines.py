"""The deadline checker, on a clock the test holds: every pass gets its own `now`."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import pytest

from voronka.activities import queries, services, tasks
from voronka.activities.models import Notification, Task
from voronka.core import organisation
from voronka.core.models import Organisation

DUE = datetime(2030, 3, 10, 12, 0, tzinfo=UTC)  # 15:00 in Moscow, the organisation's zone
MINUTE = timedelta(minutes=1)
NOTHING = {"reminders": 0, "overdue": 0, "escalated": 0}


@pytest.fixture
def people(personas):
    """The personas, reading their notices in English."""
    from voronka.accounts.models import User

    User.objects.update(language="en")
    return personas


def _task(actor, assignee=None, **data):
    data.setdefault("title", "Перезвонить")
    data.setdefault("due_at", DUE)
    return services.task_create(actor=actor, data={"assignee": assignee or actor, **data})


def run(now):
    return services.task_deadlines_run(now=now)


def notices():
    """Every notice as (recipient, kind, task title), in the order they were made."""
    return list(
        Notification.objects.order_by("pk").values_list(
            "recipient__username", "kind", "task__title"
        )
    )


def _set_escalation_hours(hours):
    organisation.current()  # the row exists from here on
    Organisation.objects.update(task_escalation_hours=hours)
    organisation.forget()


# --- Reminders --------------------------------------------------------------------------------


def test_the_reminder_comes_at_the_assignee_s_default_time_and_not_a_minute_earlier(people):
    task = _task(people.alice)
    assert run(DUE - 31 * MINUTE) == NOTHING
    assert notices() == []
    assert run(DUE - 30 * MINUTE) == {"reminders": 1, "overdue": 0, "escalated": 0}
    note = Notification.objects.get()
    assert (note.recipient, note.kind, note.task, note.title, note.in_app, note.email_status) == (
        people.alice, "task_reminder", task, "Reminder: «Перезвонить» is due at 10.03.2030 15:00",
        True, "pending",
    )  # fmt: skip


def test_a_person_s_own_reminder_time_is_used(people):
    people.alice.reminder_minutes = 120
    people.alice.save(update_fields=["reminder_minutes"])
    _task(people.alice)
    assert run(DUE - 121 * MINUTE) == NOTHING
    assert run(DUE - 120 * MINUTE)["reminders"] == 1


def test_a_task_s_own_reminder_time_wins_over_the_person_s(people):
    _task(people.alice, remind_minutes_before=10)
    assert run(DUE - 30 * MINUTE) == NOTHING
    assert run(DUE - 11 * MINUTE) == NOTHING
    assert run(DUE - 10 * MINUTE)["reminders"] == 1


def test_a_reminder_weeks_ahead_comes_when_asked(people):
    _task(people.alice, remind_minutes_before=14 * 24 * 60)
    assert run(DUE - timedelta(days=14) - MINUTE) == NOTHING
    assert run(DUE - timedelta(days=14))["reminders"] == 1


def test_the_reminder_shows_the_due_time_in_the_organisation_s_time_zone(people):
    organisation.current()
    Organisation.objects.update(time_zone="Asia/Yekaterinburg")
    organisation.forget()
    _task(people.alice)
    run(DUE - 30 * MINUTE)
    assert Notification.objects.get().title == "Reminder: «Перезвонить» is due at 10.03.2030 17:00"


def test_a_notice_is_in_its_reader_s_language_whatever_the_worker_speaks(people):
    from django.utils import translation

    from voronka.accounts.models import User

    User.objects.filter(pk=people.bob.pk).update(language="ru")
    _task(people.alice)
    _task(people.bob)
    with translation.override("ru"):
        run(DUE)
        russian = translation.gettext("Overdue: «%(title)s»") % {"title": "Перезвонить"}
    assert list(
        Notification.objects.order_by("recipient__username").values_list(
            "recipient__username", "title"
        )
    ) == [("alice", "Overdue: «Перезвонить»"), ("bob", russian)]


def test_a_reminder_missed_while_the_worker_was_down_gives_way_to_the_overdue_notice(people):
    _task(people.alice)
    assert run(DUE + 5 * MINUTE) == {"reminders": 0, "overdue": 1, "escalated": 0}
    assert notices() == [("alice", "task_overdue", "Перезвонить")]


# --- Overdue and escalation ----------------------------------------------------------------


def test_the_overdue_notice_comes_at_the_due_time(people):
    task = _task(people.alice)
    run(DUE - 30 * MINUTE)
    assert run(DUE - MINUTE) == NOTHING
    assert run(DUE) == {"reminders": 0, "overdue": 1, "escalated": 0}
    note = Notification.objects.get(kind="task_overdue")
    assert (note.recipient, note.task, note.title) == (people.alice, task, "Overdue: «Перезвонить»")


def test_an_overdue_task_goes_to_the_team_lead_after_the_organisation_s_hours(people):
    _set_escalation_hours(2)
    task = _task(people.alice)
    run(DUE)
    assert run(DUE + 2 * timedelta(hours=1) - MINUTE) == NOTHING
    assert run(DUE + timedelta(hours=2)) == {"reminders": 0, "overdue": 0, "escalated": 1}
    note = Notification.objects.get(kind="task_escalated")
    assert (note.recipient, note.task, note.title) == (
        people.lead, task, "Алиса Иванова's task «Перезвонить» is overdue",
    )  # fmt: skip


def test_escalation_waits_a_day_by_default(people):
    _task(people.alice)
    assert run(DUE + timedelta(hours=23, minutes=59))["escalated"] == 0
    assert run(DUE + timedelta(hours=24))["escalated"] == 1


def test_a_team_lead_s_own_overdue_task_is_not_escalated_to_himself(people):
    _set_escalation_hours(1)
    _task(people.lead)
    assert run(DUE + timedelta(hours=5)) == {"reminders": 0, "overdue": 1, "escalated": 0}
    assert notices() == [("lead", "task_overdue", "Перезвонить")]


def test_nobody_is_told_about_a_team_without_a_lead(people):
    _set_escalation_hours(1)
    _task(people.bob)
    assert run(DUE + timedelta(hours=5)) == {"reminders": 0, "overdue": 1, "escalated": 0}
    assert notices() == [("bob", "task_overdue", "Перезвонить")]


def test_done_and_cancelled_tasks_get_nothing(people):
    done = _task(people.alice)
    cancelled = _task(people.alice)
    services.task_complete(actor=people.alice, task=done)
    services.task_set_status(actor=people.alice, task=cancelled, version=1, status="cancelled")
    for now in (DUE - 30 * MINUTE, DUE, DUE + timedelta(days=2)):
        assert run(now) == NOTHING
    assert notices() == []


def test_every_notice_comes_exactly_once_however_often_the_checker_runs(people):
    _task(people.alice)
    for now in (DUE - 30 * MINUTE, DUE, DUE + timedelta(hours=24)):
        run(now)
    before = list(Notification.objects.order_by("pk").values_list("pk", "kind"))
    for now in (DUE - 30 * MINUTE, DUE, DUE + timedelta(hours=24), DUE + timedelta(days=30)):
        assert run(now) == NOTHING
        assert run(now) == NOTHING
    assert list(Notification.objects.order_by("pk").values_list("pk", "kind")) == before
    assert notices() == [
        ("alice", "task_reminder", "Перезвонить"),
        ("alice", "task_overdue", "Перезвонить"),
        ("lead", "task_escalated", "Перезвонить"),
    ]


def test_a_new_due_date_re_arms_the_reminders(people):
    task = _task(people.alice)
    run(DUE - 30 * MINUTE)
    run(DUE)
    later = DUE + timedelta(days=1)
    services.task_update(actor=people.alice, task=task, version=1, data={"due_at": later})
    assert notices() == []
    assert run(DUE + MINUTE) == NOTHING
    assert run(later - 30 * MINUTE) == {"reminders": 1, "overdue": 0, "escalated": 0}
    assert run(later) == {"reminders": 0, "overdue": 1, "escalated": 0}
    assert Notification.objects.get(kind="task_reminder").title == (
        "Reminder: «Перезвонить» is due at 11.03.2030 15:00"
    )


def test_a_new_reminder_time_does_not_repeat_the_overdue_notices(people):
    _set_escalation_hours(1)
    task = _task(people.alice)
    run(DUE + timedelta(hours=1))
    before = list(Notification.objects.order_by("pk").values_list("pk", "kind"))
    services.task_update(
        actor=people.alice, task=task, version=1, data={"remind_minutes_before": 60}
    )
    assert run(DUE + timedelta(hours=2)) == NOTHING
    assert list(Notification.objects.order_by("pk").values_list("pk", "kind")) == before


def test_a_task_given_to_someone_else_reminds_the_new_assignee(people):
    task = _task(people.lead, people.alice)
    run(DUE - 30 * MINUTE)
    services.task_update(actor=people.lead, task=task, version=1, data={"assignee": people.lead})
    assert run(DUE - 29 * MINUTE) == {"reminders": 1, "overdue": 0, "escalated": 0}
    assert notices() == [
        ("alice", "task_assigned", "Перезвонить"),
        ("lead", "task_reminder", "Перезвонить"),
    ]


def test_a_deleted_task_gets_nothing(people):
    task = _task(people.alice)
    Task.objects.filter(pk=task.pk).update(deleted_at=DUE)
    assert run(DUE + timedelta(days=2)) == NOTHING


# --- Preferences ------------------------------------------------------------------------------


def test_without_in_app_notices_the_bell_stays_empty_but_the_e_mail_goes(
    people, mailoutbox, django_capture_on_commit_callbacks
):
    services.preference_set(actor=people.alice, kind="task_reminder", in_app=False, email=True)
    _task(people.alice)
    with django_capture_on_commit_callbacks(execute=True):
        run(DUE - 30 * MINUTE)
    assert list(queries.notifications_of(people.alice)) == []
    assert queries.unread_count(people.alice) == 0
    assert [(m.to, m.subject) for m in mailoutbox] == [
        (["alice@example.com"], "Reminder: «Перезвонить» is due at 10.03.2030 15:00")
    ]
    assert Notification.objects.get().email_status == "sent"


def test_without_e_mail_the_notice_is_only_in_the_bell(
    people, mailoutbox, django_capture_on_commit_callbacks
):
    services.preference_set(actor=people.alice, kind="task_reminder", in_app=True, email=False)
    _task(people.alice)
    with django_capture_on_commit_callbacks(execute=True):
        run(DUE - 30 * MINUTE)
    assert [n.title for n in queries.notifications_of(people.alice)] == [
        "Reminder: «Перезвонить» is due at 10.03.2030 15:00"
    ]
    assert (Notification.objects.get().email_status, mailoutbox) == ("none", [])


def test_with_both_channels_off_nothing_is_made(
    people, mailoutbox, django_capture_on_commit_callbacks
):
    services.preference_set(actor=people.alice, kind="task_reminder", in_app=False, email=False)
    _task(people.alice)
    with django_capture_on_commit_callbacks(execute=True):
        assert run(DUE - 30 * MINUTE) == NOTHING
        assert run(DUE - 29 * MINUTE) == NOTHING
    assert (notices(), mailoutbox) == ([], [])
    assert run(DUE)["overdue"] == 1  # the other kinds still come


def test_a_person_without_an_e_mail_address_gets_the_bell_only(
    people, mailoutbox, django_capture_on_commit_callbacks
):
    people.alice.email = ""
    people.alice.save(update_fields=["email"])
    _task(people.alice)
    with django_capture_on_commit_callbacks(execute=True):
        run(DUE - 30 * MINUTE)
    assert (Notification.objects.get().email_status, mailoutbox) == ("none", [])


# --- The periodic job ---------------------------------------------------------------------------


def _overdue_task(people):
    return services.task_create(
        actor=people.alice,
        data={"title": "Просрочено", "due_at": datetime.now(UTC) - timedelta(minutes=5)},
    )


def _lock_key():
    from huey.contrib.djhuey import HUEY

    return HUEY, f"{HUEY.name}.lock.task-deadlines"


def test_the_periodic_job_runs_a_pass(people):
    _overdue_task(people)
    tasks.check_task_deadlines()
    assert notices() == [("alice", "task_overdue", "Просрочено")]


def test_a_pass_already_running_makes_the_second_one_step_aside(people):
    _overdue_task(people)
    huey, key = _lock_key()
    huey.put(key, time.time())
    try:
        tasks.check_task_deadlines()
        assert notices() == []
    finally:
        huey.delete(key)


def test_a_lock_left_by_a_worker_that_died_does_not_stop_the_checks_for_good(people):
    _overdue_task(people)
    huey, key = _lock_key()
    huey.put(key, time.time() - 3600)  # what a worker killed an hour ago left behind
    try:
        tasks.check_task_deadlines()
        assert notices() == [("alice", "task_overdue", "Просрочено")]
    finally:
        huey.delete(key)
