"""Reads of activities, tasks and notifications, scoped by who is asking.

Activities are seen with the record they are about: whoever may see the client,
deal or lead sees what happened with it. Tasks follow their assignee like any
owned record. Notifications are their recipient's only.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db.models import Exists, F, OuterRef, Q, QuerySet, Subquery
from django.utils import timezone

from voronka.activities.models import Activity, Notification, Task
from voronka.clients.queries import companies_visible_to, contacts_visible_to
from voronka.core.visibility import Family, owner_q
from voronka.sales.models import Deal, StageHistory
from voronka.sales.queries import deals_visible_to, leads_visible_to

ACTIVE = (Task.Status.OPEN, Task.Status.IN_PROGRESS)


def activities_visible_to(user: Any) -> QuerySet[Activity]:
    """Activities about a client, deal or lead the user may see."""
    return Activity.objects.filter(
        Q(company__in=companies_visible_to(user).values("pk"))
        | Q(contact__in=contacts_visible_to(user).values("pk"))
        | Q(deal__in=deals_visible_to(user).values("pk"))
        | Q(lead__in=leads_visible_to(user).values("pk"))
    )


def activity_list(
    user: Any,
    *,
    company_id: int | None = None,
    contact_id: int | None = None,
    deal_id: int | None = None,
    lead_id: int | None = None,
    author_id: int | None = None,
    team_id: int | None = None,
    kind: str = "",
    occurred_from: datetime | None = None,
    occurred_to: datetime | None = None,
) -> QuerySet[Activity]:
    """Visible activities matching the filters, with what a list row shows.

    ``team_id`` keeps activities logged by the team's members; ``occurred_to`` is exclusive.
    """
    qs = activities_visible_to(user).select_related("author", "company", "contact", "deal", "lead")
    for field, value in (
        ("company_id", company_id), ("contact_id", contact_id), ("deal_id", deal_id),
        ("lead_id", lead_id), ("author_id", author_id), ("author__team_id", team_id),
    ):  # fmt: skip
        if value is not None:
            qs = qs.filter(**{field: value})
    if kind:
        qs = qs.filter(kind=kind)
    if occurred_from:
        qs = qs.filter(occurred_at__gte=occurred_from)
    if occurred_to:
        qs = qs.filter(occurred_at__lt=occurred_to)
    return qs


def tasks_visible_to(user: Any, *, write: bool = False) -> QuerySet[Task]:
    """Tasks assigned to the user, or, for a team lead, to the team; all for the head."""
    return Task.objects.filter(owner_q(user, Family.DEALS, owner_field="assignee", write=write))


def task_list(
    user: Any,
    *,
    assignee_id: int | None = None,
    team_id: int | None = None,
    status: str = "",
    active: bool = False,
    priority: str = "",
    due_from: datetime | None = None,
    due_to: datetime | None = None,
    overdue: bool = False,
    overdue_at: datetime | None = None,
    completed_from: datetime | None = None,
    completed_to: datetime | None = None,
    company_id: int | None = None,
    contact_id: int | None = None,
    deal_id: int | None = None,
    lead_id: int | None = None,
    now: datetime | None = None,
) -> QuerySet[Task]:
    """Visible tasks matching the filters; ``*_to`` bounds are exclusive.

    ``team_id`` keeps tasks assigned to the team's members. ``overdue`` keeps open tasks
    past their deadline now; ``overdue_at`` those that were open and past their deadline at
    that earlier moment (done later or still open; never the cancelled ones).
    """
    qs = tasks_visible_to(user).select_related(
        "assignee", "author", "company", "contact", "deal", "lead"
    )
    if assignee_id:
        qs = qs.filter(assignee_id=assignee_id)
    if team_id:
        qs = qs.filter(assignee__team_id=team_id)
    if status:
        qs = qs.filter(status=status)
    if active or overdue:
        qs = qs.filter(status__in=ACTIVE)
    if overdue:
        qs = qs.filter(due_at__lt=now or timezone.now())
    if overdue_at is not None:
        open_then = Q(status__in=ACTIVE) | Q(completed_at__gte=overdue_at)
        qs = qs.filter(open_then, due_at__lt=overdue_at, created_at__lt=overdue_at).exclude(
            status=Task.Status.CANCELLED
        )
    if priority:
        qs = qs.filter(priority=priority)
    if due_from:
        qs = qs.filter(due_at__gte=due_from)
    if due_to:
        qs = qs.filter(due_at__lt=due_to)
    if completed_from:
        qs = qs.filter(completed_at__gte=completed_from)
    if completed_to:
        qs = qs.filter(completed_at__lt=completed_to)
    for field, value in (
        ("company_id", company_id), ("contact_id", contact_id), ("deal_id", deal_id),
        ("lead_id", lead_id),
    ):  # fmt: skip
        if value:
            qs = qs.filter(**{field: value})
    return qs


@dataclass
class MyDay:
    overdue: list[Task]
    today: list[Task]
    upcoming: list[Task]
    deals_without_next_step: list[Deal]


def my_day(user: Any, *, now: datetime | None = None, limit: int = 50) -> MyDay:
    """The manager's morning: overdue, due today, the next week, and open deals
    with no open task — each list bounded."""
    now = now or timezone.now()
    local = timezone.localtime(now)
    end_of_today = local.replace(hour=0, minute=0, second=0, microsecond=0) + timedelta(days=1)
    mine = task_list(user, assignee_id=user.pk, active=True).order_by("due_at", "pk")
    open_task = Task.objects.filter(deal=OuterRef("pk"), status__in=ACTIVE)
    no_next = (
        deals_visible_to(user)
        .filter(owner=user, status=Deal.Status.OPEN)
        .exclude(Exists(open_task))
        .select_related("stage", "company", "contact")
        .order_by("expected_close_date", "pk")
    )
    return MyDay(
        overdue=list(mine.filter(due_at__lt=now)[:limit]),
        today=list(mine.filter(due_at__gte=now, due_at__lt=end_of_today)[:limit]),
        upcoming=list(
            mine.filter(due_at__gte=end_of_today, due_at__lt=end_of_today + timedelta(days=7))[
                :limit
            ]
        ),
        deals_without_next_step=list(no_next[:limit]),
    )


def next_task_due(model_field: str) -> Subquery:
    """The due time of the earliest open task of each row (annotate lists with it)."""
    return Subquery(
        Task.objects.filter(**{model_field: OuterRef("pk")}, status__in=ACTIVE)
        .order_by("due_at")
        .values("due_at")[:1]
    )


def next_task_title(model_field: str) -> Subquery:
    return Subquery(
        Task.objects.filter(**{model_field: OuterRef("pk")}, status__in=ACTIVE)
        .order_by("due_at")
        .values("title")[:1]
    )


@dataclass
class TeamLoad:
    user: Any
    open: int
    overdue: int


def team_view(user: Any, *, now: datetime | None = None) -> list[TeamLoad]:
    """Open and overdue tasks per person the user may see tasks of."""
    from django.db.models import Count

    from voronka.accounts.models import User

    now = now or timezone.now()
    rows = (
        tasks_visible_to(user)
        .filter(status__in=ACTIVE)
        .order_by()
        .values("assignee_id")
        .annotate(n=Count("id"), late=Count("id", filter=Q(due_at__lt=now)))
    )
    counts = {r["assignee_id"]: r for r in rows}
    people = User.objects.filter(pk__in=counts).order_by("last_name", "first_name")
    return [TeamLoad(p, counts[p.pk]["n"], counts[p.pk]["late"]) for p in people]


def notifications_of(user: Any, *, unread: bool = False) -> QuerySet[Notification]:
    qs = Notification.objects.filter(recipient=user, in_app=True).select_related("task")
    return qs.filter(read_at__isnull=True) if unread else qs


def unread_count(user: Any) -> int:
    if not getattr(user, "is_authenticated", False):
        return 0
    return notifications_of(user, unread=True).count()


# --- Timeline ---------------------------------------------------------------------------


@dataclass
class TimelineEntry:
    """One line of a client's or deal's history: an activity or a system event."""

    at: datetime
    kind: str  # an Activity.Kind value, "stage", "request", "request_message", "order"
    # or "order_status"
    activity: Activity | None = None
    stage_change: StageHistory | None = None
    # A client request received ("request"), or a reply or client's message on one.
    request: Any = None
    request_message: Any = None
    # An order received ("order"), or a move of one to another status ("order_status";
    # ``order`` is then the change's order).
    order: Any = None
    order_change: Any = None

    @property
    def key(self) -> tuple[datetime, str, int]:
        obj = (
            self.activity or self.stage_change or self.request_message or self.request
            or self.order_change or self.order
        )  # fmt: skip
        return (self.at, self.kind, obj.pk if obj else 0)


# What the API's timeline knows: activities and stage changes.
ACTIVITY_TIMELINE_KINDS = [*Activity.Kind.values, "stage"]
# Client requests and their thread (replies and the client's messages; internal notes
# stay on the request's page).
REQUEST_KINDS = ["request", "request_message"]
# The client's orders as they arrived, and each later move of one to another status.
ORDER_KINDS = ["order", "order_status"]
TIMELINE_KINDS = [*ACTIVITY_TIMELINE_KINDS, *REQUEST_KINDS, *ORDER_KINDS]


def timeline(
    user: Any,
    *,
    company: Any = None,
    contact: Any = None,
    deal: Any = None,
    lead: Any = None,
    kinds: list[str] | None = None,
    before: datetime | None = None,
    limit: int = 30,
) -> tuple[list[TimelineEntry], datetime | None]:
    """Activities, stage changes, client requests and orders of a visible record, newest
    first.

    Each source is read newest-first and bounded, then merged; ``before`` (the time
    of the last entry shown) gives the next page. Returns the entries and the
    ``before`` of the next page, or None at the end. Without ``kinds``: activities and
    stage changes (what the API describes); the pages ask for :data:`TIMELINE_KINDS`.
    The kind "request" brings the requests' messages along, as one filter chip does, and
    the kind "order" the orders' status changes.
    """
    kinds = list(kinds or ACTIVITY_TIMELINE_KINDS)
    if "request" in kinds and "request_message" not in kinds:
        kinds.append("request_message")
    if "order" in kinds and "order_status" not in kinds:
        kinds.append("order_status")
    activity_kinds = [k for k in kinds if k in Activity.Kind.values]
    base = Activity.objects.select_related("author", "deal")
    moves = StageHistory.objects.select_related("from_stage", "to_stage", "moved_by", "deal")
    # Each source of activities is read newest-first through its own index: an OR of the
    # client and its deals would make the database sort all of a big client's activities.
    sources: list[QuerySet[Activity]]
    if deal is not None:
        sources = [base.filter(deal=deal)]
        moves = moves.filter(deal=deal)
    elif lead is not None:  # a lead has no stages: its timeline is what was logged on it
        sources = [base.filter(lead=lead)]
        moves = moves.none()
    else:
        field = "company" if company is not None else "contact"
        record = company if company is not None else contact
        deal_ids = deals_visible_to(user).filter(**{field: record}).values("pk")
        sources = [
            base.filter(**{field: record}),
            base.filter(deal__in=deal_ids).exclude(**{field: record}),
        ]
        moves = moves.filter(deal__in=deal_ids)
    if before is not None:
        sources = [acts.filter(occurred_at__lt=before) for acts in sources]
        moves = moves.filter(moved_at__lt=before)
    entries: list[TimelineEntry] = []
    if activity_kinds:
        for acts in sources:
            newest = acts.filter(kind__in=activity_kinds).order_by("-occurred_at", "-pk")
            entries += [
                TimelineEntry(a.occurred_at, a.kind, activity=a) for a in newest[: limit + 1]
            ]
    if "stage" in kinds:
        moves = moves.order_by("-moved_at", "-pk")[: limit + 1]
        entries += [TimelineEntry(m.moved_at, "stage", stage_change=m) for m in moves]
    if lead is None and set(kinds) & set(REQUEST_KINDS):
        entries += _request_entries(
            user, company=company, contact=contact, deal=deal, kinds=kinds, before=before,
            limit=limit,
        )  # fmt: skip
    if lead is None and set(kinds) & set(ORDER_KINDS):
        entries += _order_entries(
            user, company=company, contact=contact, deal=deal, kinds=kinds, before=before,
            limit=limit,
        )  # fmt: skip
    entries.sort(key=lambda e: e.key, reverse=True)
    if len(entries) <= limit:
        return entries, None
    # Entries of the same instant as the page's last one stay together on this page.
    boundary = entries[limit - 1].at
    page = [e for e in entries if e.at >= boundary]
    return page, boundary


def _request_entries(
    user: Any,
    *,
    company: Any,
    contact: Any,
    deal: Any,
    kinds: list[str],
    before: datetime | None,
    limit: int,
) -> list[TimelineEntry]:
    """The record's requests as they arrived, and the replies and client's messages of
    their threads; each read newest-first and bounded like the other sources.

    The client's first message arrives with the request: the request's entry shows
    it, so it is not listed a second time.
    """
    from voronka.service.models import Message
    from voronka.service.queries import requests_visible_to

    if deal is not None:
        mine = {"deal": deal}
    elif company is not None:
        mine = {"company": company}
    else:
        mine = {"contact": contact}
    requests = requests_visible_to(user).filter(**mine)
    entries: list[TimelineEntry] = []
    if "request" in kinds:
        opening = Message.objects.filter(
            request=OuterRef("pk"), kind=Message.Kind.CLIENT, created_at=OuterRef("created_at")
        ).order_by("pk")
        received = requests.select_related("assignee").annotate(
            opening=Subquery(opening.values("body")[:1])
        )
        if before is not None:
            received = received.filter(created_at__lt=before)
        entries += [
            TimelineEntry(r.created_at, "request", request=r)
            for r in received.order_by("-created_at", "-pk")[: limit + 1]
        ]
    if "request_message" in kinds:
        messages = (
            Message.objects.filter(
                request__in=requests.values("pk"),
                kind__in=[Message.Kind.REPLY, Message.Kind.CLIENT],
            )
            .exclude(kind=Message.Kind.CLIENT, created_at=F("request__created_at"))
            .select_related("request", "author")
        )
        if before is not None:
            messages = messages.filter(created_at__lt=before)
        entries += [
            TimelineEntry(m.created_at, "request_message", request=m.request, request_message=m)
            for m in messages.order_by("-created_at", "-pk")[: limit + 1]
        ]
    return entries


def _order_entries(
    user: Any,
    *,
    company: Any,
    contact: Any,
    deal: Any,
    kinds: list[str],
    before: datetime | None,
    limit: int,
) -> list[TimelineEntry]:
    """The record's orders the user may see as they arrived, and every later status
    change of them; each read newest-first and bounded like the other sources.

    An order's arrival is its first change (to «new»): the order's entry shows it, so
    it is not listed a second time.
    """
    from voronka.orders.models import StatusChange
    from voronka.orders.queries import orders_visible_to

    if deal is not None:
        mine = {"deal": deal}
    elif company is not None:
        mine = {"company": company}
    else:
        mine = {"contact": contact}
    orders = orders_visible_to(user).filter(**mine)
    entries: list[TimelineEntry] = []
    if "order" in kinds:
        received = orders.select_related("owner", "deal")
        if before is not None:
            received = received.filter(created_at__lt=before)
        entries += [
            TimelineEntry(o.created_at, "order", order=o)
            for o in received.order_by("-created_at", "-pk")[: limit + 1]
        ]
    if "order_status" in kinds:
        changes = (
            StatusChange.objects.filter(order__in=orders.values("pk"))
            .exclude(from_status="")
            .select_related("order", "changed_by")
        )
        if before is not None:
            changes = changes.filter(changed_at__lt=before)
        entries += [
            TimelineEntry(c.changed_at, "order_status", order=c.order, order_change=c)
            for c in changes.order_by("-changed_at", "-pk")[: limit + 1]
        ]
    return entries
