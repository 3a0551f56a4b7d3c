"""SLA deadlines of requests: which policy applies, when each target is due, and
the worker's sweep that warns before a deadline and reports a breach, once each."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, Q
from django.urls import reverse
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _

from voronka.core import events, organisation
from voronka.core.workcalendar import NoWorkingTime, WorkCalendar
from voronka.core.workcalendar import current as work_calendar
from voronka.service.models import OPEN_STATUSES, Request, SlaAlert, SlaPolicy

log = logging.getLogger(__name__)


def policy_for(kind: str, priority: str) -> SlaPolicy | None:
    """The most specific active policy: kind and priority, priority, kind, catch-all."""
    candidates = SlaPolicy.objects.filter(
        Q(kind=kind) | Q(kind=""), Q(priority=priority) | Q(priority=""), is_active=True
    )
    ranked = sorted(candidates, key=lambda p: (p.priority == "", p.kind == ""))
    return ranked[0] if ranked else None


def due(
    policy: SlaPolicy, start: datetime, minutes: int | None, cal: WorkCalendar
) -> datetime | None:
    if minutes is None:
        return None
    if policy.clock == SlaPolicy.Clock.CALENDAR:
        return start + timedelta(minutes=minutes)
    try:
        return cal.add(start, minutes)
    except NoWorkingTime:
        log.warning("the work calendar has no working time: SLA of %s in calendar time", policy)
        return start + timedelta(minutes=minutes)


def next_due(request: Request) -> datetime | None:
    """The nearest deadline the request still has to meet (the queue sorts by it)."""
    if request.status not in OPEN_STATUSES:
        return None
    ahead = []
    if request.first_response_at is None and request.first_response_due_at:
        ahead.append(request.first_response_due_at)
    if request.resolved_at is None and request.resolution_due_at:
        ahead.append(request.resolution_due_at)
    return min(ahead) if ahead else None


def set_deadlines(request: Request, *, since: datetime | None = None) -> list[str]:
    """Fix the request's deadlines by its current kind and priority; returns the fields set.

    ``since`` restarts the resolution clock (a reopened request); the first response is
    always counted from the request's arrival.
    """
    policy = policy_for(request.kind, request.priority)
    cal = work_calendar()
    request.sla_policy = policy
    arrived = request.created_at or timezone.now()
    if policy is None:
        request.first_response_due_at = request.resolution_due_at = None
    else:
        request.first_response_due_at = due(policy, arrived, policy.first_response_minutes, cal)
        request.resolution_due_at = due(policy, since or arrived, policy.resolution_minutes, cal)
    request.next_due_at = next_due(request)
    return ["sla_policy", "first_response_due_at", "resolution_due_at", "next_due_at"]


def mark_first_response(request: Request, at: datetime) -> list[str]:
    if request.first_response_due_at and at > request.first_response_due_at:
        request.first_response_breached = True
    request.next_due_at = next_due(request)
    return ["first_response_breached", "next_due_at"]


def mark_resolution(request: Request, at: datetime) -> list[str]:
    if request.resolution_due_at and at > request.resolution_due_at:
        request.resolution_breached = True
    request.next_due_at = next_due(request)
    return ["resolution_breached", "next_due_at"]


# --- The sweep ---------------------------------------------------------------------------------

TARGETS = (
    (SlaAlert.Target.FIRST_RESPONSE, "first_response_due_at", "first_response_at"),
    (SlaAlert.Target.RESOLUTION, "resolution_due_at", "resolved_at"),
)


def _claim(request: Request, target: str, stage: str, due_at: datetime) -> bool:
    try:
        with transaction.atomic():
            SlaAlert.objects.create(request=request, target=target, stage=stage, due_at=due_at)
    except IntegrityError:
        return False
    return True


def _recipients(request: Request) -> list[Any]:
    people = []
    if request.assignee is not None:
        people.append(request.assignee)
        team = request.assignee.team
        if team is not None and team.lead is not None and team.lead != request.assignee:
            people.append(team.lead)
    return people


def _notice(request: Request, target: str, stage: str, due_at: datetime) -> str:
    """The notice's text in the active language, the deadline in the organisation's time."""
    local = formats.date_format(
        timezone.localtime(due_at, organisation.current().tz), "SHORT_DATETIME_FORMAT"
    )
    texts: dict[tuple[str, str], str] = {
        (SlaAlert.Target.FIRST_RESPONSE, SlaAlert.Stage.WARNING):
            _("Request #%(n)s “%(subject)s” needs a first response by %(due)s"),
        (SlaAlert.Target.RESOLUTION, SlaAlert.Stage.WARNING):
            _("Request #%(n)s “%(subject)s” must be resolved by %(due)s"),
        (SlaAlert.Target.FIRST_RESPONSE, SlaAlert.Stage.BREACH):
            _("Request #%(n)s “%(subject)s” missed its first-response deadline (%(due)s)"),
        (SlaAlert.Target.RESOLUTION, SlaAlert.Stage.BREACH):
            _("Request #%(n)s “%(subject)s” missed its resolution deadline (%(due)s)"),
    }  # fmt: skip
    return texts[(target, stage)] % {"n": request.pk, "subject": request.subject, "due": local}


@transaction.atomic
def _alert(request: Request, target: str, stage: str, due_at: datetime) -> bool:
    """Tell the assignee and their team lead, if nobody has yet; True if this call did.

    The claim and the notices commit together: a worker dying between them must not
    leave a claim that keeps everyone else from telling anybody.
    """
    from voronka.activities.models import NotificationKind
    from voronka.activities.services import notify

    if not _claim(request, target, stage, due_at):
        return False
    kind = NotificationKind.SLA_WARNING if stage == "warning" else NotificationKind.SLA_BREACHED
    url = reverse("service:request-detail", args=[request.pk])
    for person in _recipients(request):
        with translation.override(person.language or None):
            title = _notice(request, target, stage, due_at)
        notify(recipient=person, kind=kind, task=None, title=title, url=url)
    if stage == SlaAlert.Stage.BREACH:
        events.emit(events.REQUEST_SLA_BREACHED, request_id=request.pk, target=str(target))
    return True


def sweep(now: datetime | None = None) -> int:
    """Warn about deadlines within their policy's warning time, report missed ones.

    Each alert is claimed by a row (request, target, stage, deadline) before anyone is
    told, so a second worker or a retried run says nothing twice; requests already
    alerted are not read again. A missed deadline is also remembered on the request.
    Returns how many alerts went out.
    """
    now = now or timezone.now()
    sent = 0
    # Every policy, switched off or deleted too: requests keep the deadlines a policy gave
    # them, and the warning time that came with them.
    longest_warning = max(
        SlaPolicy.all_objects.values_list("warn_minutes_before", flat=True), default=0
    )
    horizon = now + timedelta(minutes=longest_warning)
    for target, due_field, done_field in TARGETS:

        def alerted(stage: str, target: str = target, due_field: str = due_field) -> Exists:
            return Exists(
                SlaAlert.objects.filter(
                    request=OuterRef("pk"), target=target, stage=stage, due_at=OuterRef(due_field)
                )
            )

        waiting = Request.objects.filter(
            status__in=OPEN_STATUSES, **{f"{done_field}__isnull": True}
        ).select_related("assignee__team__lead", "sla_policy")
        # Missed once the deadline is past: a reply at the deadline itself is in time
        # (mark_first_response, breached_q), so the sweep must not call it late.
        missed = waiting.filter(**{f"{due_field}__lt": now}).exclude(alerted("breach"))
        for request in missed.order_by(due_field, "pk").iterator(chunk_size=500):
            Request.all_objects.filter(pk=request.pk).update(**{f"{target}_breached": True})
            sent += _alert(request, target, SlaAlert.Stage.BREACH, getattr(request, due_field))
        near = waiting.filter(**{f"{due_field}__gte": now, f"{due_field}__lte": horizon}).exclude(
            alerted("warning")
        )
        for request in near.order_by(due_field, "pk").iterator(chunk_size=500):
            due_at: datetime = getattr(request, due_field)
            policy = request.sla_policy
            warn = timedelta(minutes=policy.warn_minutes_before if policy else 0)
            if warn and due_at - warn <= now:
                sent += _alert(request, target, SlaAlert.Stage.WARNING, due_at)
    return sent
