"""How client requests read on a page: SLA timers, badges, the client card's block.

Load with ``{% load service_requests %}``. The timers are worked out here, from the
deadlines the services fixed, so the queue, the card and the client's card agree.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django import template
from django.utils import timezone
from django.utils.translation import gettext as _

from voronka.service.models import OPEN_STATUSES, Kind, Priority, Request, Status

register = template.Library()

STATUS_COLOURS = {
    Status.NEW: "primary",
    Status.IN_PROGRESS: "info",
    Status.WAITING: "secondary",
    Status.RESOLVED: "success",
    Status.CLOSED: "dark",
    Status.REOPENED: "warning",
}
PRIORITY_COLOURS = {
    Priority.URGENT: "danger",
    Priority.HIGH: "warning",
    Priority.NORMAL: "light",
    Priority.LOW: "light",
}
KIND_ICONS = {
    Kind.QUESTION: "question-circle",
    Kind.COMPLAINT: "exclamation-octagon",
    Kind.ORDER_PROBLEM: "box-seam",
    Kind.OTHER: "three-dots",
}
# How many of a client's requests its card lists.
CLIENT_BLOCK_LIMIT = 5


def duration_text(delta: timedelta) -> str:
    """«2 d 3 h», «5 h 20 min», «12 min»: the two largest units, for a timer."""
    minutes = max(int(abs(delta.total_seconds()) // 60), 0)
    days, rest = divmod(minutes, 24 * 60)
    hours, mins = divmod(rest, 60)
    if days:
        parts = [_("%(n)s d") % {"n": days}]
        if hours:
            parts.append(_("%(n)s h") % {"n": hours})
    elif hours:
        parts = [_("%(n)s h") % {"n": hours}]
        if mins:
            parts.append(_("%(n)s min") % {"n": mins})
    else:
        parts = [_("%(n)s min") % {"n": mins}]
    return " ".join(parts)


@dataclass
class SlaTimer:
    """Where a request stands against its SLA, as one badge shows it.

    ``state``: ``none`` (no policy), ``ok``, ``warning`` (within the policy's warning
    time), ``breached`` (a deadline passed, not met), ``met`` / ``missed`` (nothing due
    any more: every target met, or one of them missed).
    """

    state: str
    text: str
    due: datetime | None = None
    target: str = ""
    missed_before: bool = False  # an earlier target was missed, the next is still ahead

    @property
    def colour(self) -> str:
        return {
            "ok": "success", "warning": "warning", "breached": "danger", "met": "success",
            "missed": "danger",
        }.get(self.state, "secondary")  # fmt: skip


def _has_sla(request: Request) -> bool:
    return bool(request.sla_policy_id or request.first_response_due_at or request.resolution_due_at)


def sla_timer(request: Request, now: datetime | None = None) -> SlaTimer:
    """The request's timer to its nearest deadline still to be met."""
    now = now or timezone.now()
    if not _has_sla(request):
        return SlaTimer("none", _("no SLA"))
    missed = request.first_response_breached or request.resolution_breached
    due = request.next_due_at if request.status in OPEN_STATUSES else None
    if due is None:
        late = missed or _late_now(request, now)
        return SlaTimer("missed", _("SLA missed")) if late else SlaTimer("met", _("SLA met"))
    waiting_answer = request.first_response_at is None and request.first_response_due_at == due
    target = _("First response") if waiting_answer else _("Resolution")
    if due <= now:
        text = _("overdue by %(time)s") % {"time": duration_text(now - due)}
        return SlaTimer("breached", text, due, target)
    policy = request.sla_policy
    warn = timedelta(minutes=policy.warn_minutes_before if policy is not None else 0)
    state = "warning" if warn and due - now <= warn else "ok"
    text = _("%(time)s left") % {"time": duration_text(due - now)}
    return SlaTimer(state, text, due, target, missed_before=missed)


def _late_now(request: Request, now: datetime) -> bool:
    """A deadline passed while nothing met it (the sweep may not have flagged it yet)."""
    first = request.first_response_due_at
    resolution = request.resolution_due_at
    return bool(
        (first and request.first_response_at is None and first < now)
        or (resolution and request.resolved_at is None and resolution < now)
    )


@dataclass
class SlaTarget:
    """One target of the card's SLA block: when it is due, when it was met, and how."""

    label: str
    due: datetime | None
    done: datetime | None
    late: bool
    timer: str


def sla_targets(request: Request, now: datetime | None = None) -> list[SlaTarget]:
    now = now or timezone.now()
    rows = []
    for label, due, done, flagged in (
        (_("First response"), request.first_response_due_at, request.first_response_at,
         request.first_response_breached),
        (_("Resolution"), request.resolution_due_at, request.resolved_at,
         request.resolution_breached),
    ):  # fmt: skip
        late = bool(flagged or (due and (done or now) > due))
        timer = ""
        if due and done is None and request.status in OPEN_STATUSES:
            timer = (
                _("overdue by %(time)s") % {"time": duration_text(now - due)}
                if due <= now
                else _("%(time)s left") % {"time": duration_text(due - now)}
            )
        rows.append(SlaTarget(str(label), due, done, late, timer))
    return rows


@register.filter
def sla_timer_of(request: Request, now: datetime | None = None) -> SlaTimer:
    """``{% with timer=request|sla_timer_of:now %}``: the timer, for a row to colour by."""
    return sla_timer(request, now)


@register.inclusion_tag("service/partials/_request_sla.html")
def sla_badge(request: Request, now: datetime | None = None) -> dict[str, Any]:
    """``{% sla_badge request now %}``: the timer of a queue row."""
    return {"timer": sla_timer(request, now)}


@register.filter
def age(moment: datetime | None, now: datetime | None = None) -> str:
    """``{{ request.created_at|age:now }}``: how long ago, as a timer reads it."""
    if moment is None:
        return ""
    return duration_text((now or timezone.now()) - moment)


@register.filter
def request_status_colour(status: str) -> str:
    return STATUS_COLOURS.get(status, "secondary")  # type: ignore[call-overload]


@register.filter
def request_priority_colour(priority: str) -> str:
    return PRIORITY_COLOURS.get(priority, "light")  # type: ignore[call-overload]


@register.filter
def request_kind_icon(kind: str) -> str:
    return KIND_ICONS.get(kind, "chat-left-text")  # type: ignore[call-overload]


@register.inclusion_tag("service/partials/_request_client_block.html", takes_context=True)
def client_requests(context: template.Context, record: Any, kind: str) -> dict[str, Any]:
    """``{% client_requests company "company" %}``: a client card's requests, the open
    ones first, with the links to all of them and to a new one."""
    from django.db.models import Case, IntegerField, Value, When

    from voronka.service.queries import requests_visible_to
    from voronka.service.services import may_take_requests

    user = context["request"].user
    mine = requests_visible_to(user).filter(**{kind: record})
    rows = list(
        mine.select_related("assignee")
        .annotate(
            done=Case(
                When(status__in=OPEN_STATUSES, then=Value(0)),
                default=Value(1),
                output_field=IntegerField(),
            )
        )
        .order_by("done", "-created_at", "-pk")[: CLIENT_BLOCK_LIMIT + 1]
    )
    return {
        "requests": rows[:CLIENT_BLOCK_LIMIT],
        "more": len(rows) > CLIENT_BLOCK_LIMIT,
        "open_count": mine.filter(status__in=OPEN_STATUSES).count(),
        "param": kind,
        "record": record,
        "may_create": may_take_requests(user),
        "now": timezone.now(),
    }
