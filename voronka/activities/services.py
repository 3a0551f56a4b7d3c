"""Writes of activities, tasks, notifications and notification preferences."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from datetime import datetime, timedelta, tzinfo
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Max, Q
from django.urls import NoReverseMatch, reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from voronka.activities.models import (
    Activity,
    Notification,
    NotificationKind,
    NotificationPreference,
    Task,
)
from voronka.analytics import facts as kpi_facts
from voronka.clients.models import Company, Contact
from voronka.core import events
from voronka.core import services as base
from voronka.core.errors import NotAllowed
from voronka.core.visibility import Family, can_write, may_own
from voronka.sales.models import Deal

ACTIVITY_FIELDS = {
    "kind", "subject", "body", "occurred_at", "company", "contact", "deal", "lead",
    "direction", "duration_seconds", "outcome", "ends_at", "place", "participants",
}  # fmt: skip
TASK_FIELDS = {
    "title", "description", "assignee", "due_at", "priority", "company", "contact", "deal",
    "lead", "remind_minutes_before",
}  # fmt: skip
LINKS = ("company", "contact", "deal", "lead")
DEADLINE_KINDS = (
    NotificationKind.TASK_REMINDER, NotificationKind.TASK_OVERDUE, NotificationKind.TASK_ESCALATED,
)  # fmt: skip


@contextmanager
def _in_language_of(user: Any) -> Iterator[None]:
    """Notices are written in their reader's language, whoever's request or job makes them."""
    with translation.override(getattr(user, "language", "") or settings.LANGUAGE_CODE):
        yield


def _complete_links(record: Activity | Task) -> None:
    """A deal or lead brings its client along, so the client's timeline shows it."""
    if record.deal_id and not (record.company_id or record.contact_id):
        deal = record.deal
        record.company_id, record.contact_id = deal.company_id, deal.contact_id  # type: ignore[union-attr]
    if record.lead_id and not (record.company_id or record.contact_id):
        lead = record.lead
        record.company_id, record.contact_id = lead.company_id, lead.contact_id  # type: ignore[union-attr]


def _check_links_visible(actor: Any, record: Activity | Task, *, write: bool) -> None:
    """Each linked record must be one the actor may see (and, to log on it, change)."""
    from voronka.clients.queries import companies_visible_to, contacts_visible_to
    from voronka.sales.queries import deals_visible_to, leads_visible_to

    checks = {
        "company": (companies_visible_to, Family.CLIENTS),
        "contact": (contacts_visible_to, Family.CLIENTS),
        "deal": (deals_visible_to, Family.DEALS),
        "lead": (leads_visible_to, Family.LEADS),
    }
    errors = {}
    for name, (visible, _family) in checks.items():
        pk = getattr(record, f"{name}_id")
        if pk and not visible(actor, write=write).filter(pk=pk).exists():
            errors[name] = _("No such record, or you may not change it.")
    if errors:
        raise ValidationError(errors)


def _ensure_may_own_something(actor: Any) -> None:
    """Support agents and inactive users log and plan nothing: refused before the input
    is looked at, rather than told that their links are wrong."""
    if not may_own(actor, actor):
        raise NotAllowed()


def _touch_last_contact(activity: Activity) -> None:
    """Clients and deals remember their newest interaction (lists filter by it)."""
    at = activity.occurred_at
    for model, pk in (
        (Company, activity.company_id), (Contact, activity.contact_id), (Deal, activity.deal_id),
    ):  # fmt: skip
        if pk:
            model.all_objects.filter(pk=pk).filter(
                Q(last_contact_at__isnull=True) | Q(last_contact_at__lt=at)
            ).update(last_contact_at=at)


@transaction.atomic
def activity_log(*, actor: Any, data: Mapping[str, Any]) -> Activity:
    """Record a call, meeting, e-mail, message or note about a client, deal or lead."""
    base.reject_unknown(data, ACTIVITY_FIELDS)
    _ensure_may_own_something(actor)
    activity = Activity(**data)
    activity.author = actor
    if activity.occurred_at is None:
        activity.occurred_at = timezone.now()
    if not any(getattr(activity, f"{name}_id") for name in LINKS):
        raise ValidationError({"company": _("Say whom the interaction was with.")})
    _check_links_visible(actor, activity, write=True)
    _complete_links(activity)
    if activity.kind != Activity.Kind.CALL:
        activity.outcome = ""
    if activity.ends_at and activity.ends_at < activity.occurred_at:
        raise ValidationError({"ends_at": _("A meeting cannot end before it starts.")})
    base.validate(activity, exclude=["created_by", "author"])
    base.create(activity, actor=actor)
    _touch_last_contact(activity)
    kpi_facts.activity_logged(activity)
    events.emit(events.ACTIVITY_LOGGED, activity_id=activity.pk, actor_id=actor.pk)
    return activity


@transaction.atomic
def activity_delete(*, actor: Any, activity: Activity, version: int | None) -> Activity:
    if activity.author_id != actor.pk and not can_write(actor, Family.CATALOG, None):
        raise NotAllowed()
    was_counted = activity.deleted_at is None
    base.soft_delete(activity, actor=actor, version=version)
    if was_counted:
        kpi_facts.activity_removed(activity)
    return activity


def _check_assignee(actor: Any, assignee: Any) -> None:
    # A switched-off account is never reminded (see notify), so its tasks would be lost.
    if assignee is None or not assignee.is_active or not may_own(actor, assignee):
        raise ValidationError({"assignee": _("You cannot give a task to this person.")})


@transaction.atomic
def task_create(*, actor: Any, data: Mapping[str, Any]) -> Task:
    """A task for oneself, or — for team leads and the head of sales — for their people."""
    base.reject_unknown(data, TASK_FIELDS)
    _ensure_may_own_something(actor)
    task = Task(**data)
    task.author = actor
    if task.assignee_id is None:
        task.assignee = actor
    _check_assignee(actor, task.assignee)
    _check_links_visible(actor, task, write=False)
    _complete_links(task)
    base.validate(task, exclude=["created_by", "author"])
    base.create(task, actor=actor)
    _tell_assignee(actor, task)
    return task


def _tell_assignee(actor: Any, task: Task) -> None:
    if task.assignee_id == actor.pk:
        return
    with _in_language_of(task.assignee):
        title = _("New task from %(author)s: %(title)s") % {"author": actor, "title": task.title}
    notify(recipient=task.assignee, kind=NotificationKind.TASK_ASSIGNED, task=task, title=title)


def _ensure_task_writable(actor: Any, task: Task) -> None:
    if not (can_write(actor, Family.DEALS, task.assignee_id) or task.author_id == actor.pk):
        raise NotAllowed()


@transaction.atomic
def task_update(*, actor: Any, task: Task, version: int | None, data: Mapping[str, Any]) -> Task:
    base.reject_unknown(data, TASK_FIELDS)
    _ensure_task_writable(actor, task)
    changed = base.apply_changes(task, data)
    if "assignee" in changed:
        _check_assignee(actor, task.assignee)
    if set(changed) & set(LINKS):
        _check_links_visible(actor, task, write=False)
    base.validate(task, exclude=["created_by", "author"])
    # A new deadline or a new assignee earns new notices: the old ones were about the old
    # deadline or person. A new reminder time re-arms only the reminder — an overdue task
    # must not be reported overdue (and escalated) a second time for it.
    if "due_at" in changed or "assignee" in changed:
        Notification.objects.filter(task=task, kind__in=DEADLINE_KINDS).delete()
    elif "remind_minutes_before" in changed:
        Notification.objects.filter(task=task, kind=NotificationKind.TASK_REMINDER).delete()
    saved = base.save_changes(task, actor=actor, version=version, fields=changed)
    if "assignee" in changed:
        _tell_assignee(actor, saved)
    return saved


@transaction.atomic
def task_complete(*, actor: Any, task: Task, version: int | None = None) -> Task:
    """Mark a task done — one click; completing a done task changes nothing.

    "Done" is read from the locked row, not from the caller's copy: a double click or a
    second tab holds a copy that still says "open", and must not fail or complete twice.
    """
    _ensure_task_writable(actor, task)
    current = (
        Task.all_objects.select_for_update()
        .filter(pk=task.pk)
        .values("status", "version", "completed_at", "completed_by")
        .first()
    )
    status = current["status"] if current else task.status
    if status == Task.Status.DONE:
        if current:
            task.status, task.version = current["status"], current["version"]
            task.completed_at = current["completed_at"]
            task.completed_by_id = current["completed_by"]
        return task
    if status == Task.Status.CANCELLED:
        raise ValidationError({"status": _("A cancelled task cannot be completed.")})
    task.status = Task.Status.DONE
    task.completed_at = timezone.now()
    task.completed_by = actor
    base.save_changes(
        task, actor=actor, version=version, fields=["status", "completed_at", "completed_by"]
    )
    events.emit(events.TASK_COMPLETED, task_id=task.pk, actor_id=actor.pk)
    return task


@transaction.atomic
def task_set_status(*, actor: Any, task: Task, version: int | None, status: str) -> Task:
    """Start, cancel or reopen a task (completing has its own service)."""
    _ensure_task_writable(actor, task)
    if status == Task.Status.DONE:
        return task_complete(actor=actor, task=task, version=version)
    if status not in Task.Status.values:
        raise ValidationError({"status": _("Unknown status.")})
    task.status = status
    task.completed_at = None
    task.completed_by = None
    return base.save_changes(
        task, actor=actor, version=version, fields=["status", "completed_at", "completed_by"]
    )


# --- Notifications ------------------------------------------------------------------------


def preference(user: Any, kind: str) -> tuple[bool, bool]:
    """(in-app, e-mail) for a kind of notice; both unless the user said otherwise."""
    row = NotificationPreference.objects.filter(user=user, kind=kind).first()
    return (row.in_app, row.email) if row else (True, True)


@transaction.atomic
def preference_set(*, actor: Any, kind: str, in_app: bool, email: bool) -> None:
    if kind not in NotificationKind.values:
        raise ValidationError({"kind": _("Unknown kind of notification.")})
    NotificationPreference.objects.update_or_create(
        user=actor, kind=kind, defaults={"in_app": in_app, "email": email}
    )


def notify(
    *, recipient: Any, kind: str, task: Task | None, title: str, url: str = ""
) -> Notification | None:
    """Create the notice once: a second attempt for the same task, kind and recipient
    (a retried job, a second worker) finds the row there and does nothing.

    A notice about something other than a task passes ``url``, the page it points to;
    only task notices are kept to one per recipient by the database.

    The e-mail, if the recipient wants it, is sent by a job after the commit. Nobody
    is notified once their account is switched off.
    """
    if not recipient.is_active:
        return None
    in_app, by_email = preference(recipient, kind)
    if not (in_app or by_email):
        return None
    email_status = (
        Notification.EmailStatus.PENDING
        if by_email and recipient.email
        else Notification.EmailStatus.NONE
    )
    if task is not None and not url:
        try:
            url = reverse("activities:task-detail", args=[task.pk])
        except NoReverseMatch:  # installations without the task pages
            url = ""
    try:
        with transaction.atomic():
            note = Notification.objects.create(
                recipient=recipient, kind=kind, task=task, title=title[:300], url=url,
                in_app=in_app, email_status=email_status,
            )  # fmt: skip
    except IntegrityError:
        return None  # already notified: exactly once
    if email_status == Notification.EmailStatus.PENDING:
        from voronka.activities.tasks import send_notification_email

        transaction.on_commit(lambda: send_notification_email(note.pk))
    return note


@transaction.atomic
def notification_mark_read(*, actor: Any, notification: Notification) -> None:
    if notification.recipient_id != actor.pk:
        raise NotAllowed()
    Notification.objects.filter(pk=notification.pk, read_at__isnull=True).update(
        read_at=timezone.now()
    )


@transaction.atomic
def notifications_mark_all_read(*, actor: Any) -> int:
    return Notification.objects.filter(recipient=actor, read_at__isnull=True).update(
        read_at=timezone.now()
    )


def _escalation_target(task: Task) -> Any:
    team = task.assignee.team
    lead = team.lead if team else None
    return lead if lead is not None and lead.pk != task.assignee_id else None


def _reminder_title(task: Task, tz: tzinfo) -> str:
    due = timezone.localtime(task.due_at, tz).strftime("%d.%m.%Y %H:%M")
    return _("Reminder: «%(title)s» is due at %(due)s") % {"title": task.title, "due": due}


def _overdue_title(task: Task, tz: tzinfo) -> str:
    return _("Overdue: «%(title)s»") % {"title": task.title}


def _escalation_title(task: Task, tz: tzinfo) -> str:
    return _("%(person)s's task «%(title)s» is overdue") % {
        "person": task.assignee, "title": task.title,
    }  # fmt: skip


def _deadline_notice(
    task: Task, recipient: Any, kind: str, title: Callable[[Task, tzinfo], str], tz: tzinfo
) -> bool:
    """Make one deadline notice in the recipient's language; True if it is new."""
    with _in_language_of(recipient):
        text = title(task, tz)
    return notify(recipient=recipient, kind=kind, task=task, title=text) is not None


def _reminder_horizon(now: datetime) -> datetime:
    """How far ahead a reminder can be due: the longest reminder anyone asked for."""
    from voronka.accounts.models import User

    longest = max(
        User.objects.filter(is_active=True).aggregate(m=Max("reminder_minutes"))["m"] or 0,
        Task.objects.filter(status__in=(Task.Status.OPEN, Task.Status.IN_PROGRESS)).aggregate(
            m=Max("remind_minutes_before")
        )["m"]
        or 0,
    )
    return now + timedelta(minutes=longest)


def task_deadlines_run(*, now: datetime | None = None) -> dict[str, int]:
    """One pass of the deadline checker: reminders, overdue notices, escalations.

    Safe to run at any time, twice, or in two workers at once: every notice is
    created at most once (see :func:`notify`). Times in the notices are shown in the
    organisation's time zone, whatever zone the worker runs in.
    """
    from voronka.core import organisation

    now = now or timezone.now()
    org = organisation.current()
    tz = org.tz
    escalate_after = timedelta(hours=org.task_escalation_hours)
    active = Task.objects.filter(status__in=(Task.Status.OPEN, Task.Status.IN_PROGRESS))
    sent = {"reminders": 0, "overdue": 0, "escalated": 0}
    soon = (
        active.filter(due_at__gt=now, due_at__lte=_reminder_horizon(now))
        .exclude(notifications__kind=NotificationKind.TASK_REMINDER)
        .select_related("assignee")
    )
    for task in soon:
        minutes = task.remind_minutes_before
        if minutes is None:
            minutes = task.assignee.reminder_minutes
        if task.due_at - timedelta(minutes=minutes) > now:
            continue
        if _deadline_notice(
            task, task.assignee, NotificationKind.TASK_REMINDER, _reminder_title, tz
        ):
            sent["reminders"] += 1
    late = (
        active.filter(due_at__lte=now)
        .exclude(notifications__kind=NotificationKind.TASK_OVERDUE)
        .select_related("assignee")
    )
    for task in late:
        if _deadline_notice(task, task.assignee, NotificationKind.TASK_OVERDUE, _overdue_title, tz):
            sent["overdue"] += 1
            # The notice row is the once-per-task claim, so the event is told once too.
            events.emit(events.TASK_OVERDUE, task_id=task.pk, actor_id=None)
    very_late = (
        active.filter(due_at__lte=now - escalate_after)
        .exclude(notifications__kind=NotificationKind.TASK_ESCALATED)
        .select_related("assignee__team__lead")
    )
    for task in very_late:
        lead = _escalation_target(task)
        if lead is None:
            continue
        if _deadline_notice(task, lead, NotificationKind.TASK_ESCALATED, _escalation_title, tz):
            sent["escalated"] += 1
    return sent
