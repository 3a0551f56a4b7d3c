"""Service-quality KPIs: requests received, response and handling times, SLA breaches,
complaint handling and customer satisfaction (``KPI.md``, "Service quality").

Requests count for their assignee and survey answers for the manager the survey was
sent for: a manager reads their own numbers, a team lead the team's, support and the
head of sales everyone's (see :meth:`Scope.requests`). Soft-deleted requests, and the
answers about them, never count. Durations are worked out by the database (seconds
between two moments, their mean and median) on SQLite and PostgreSQL alike, so a
dashboard's trend reads one aggregate row per week rather than every request.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db.models import Avg, Count, F, Q, QuerySet, Sum
from django.utils.translation import gettext_lazy

from voronka.analytics import values as v
from voronka.analytics.context import Ctx, fold_key, record_group
from voronka.analytics.grouping import result
from voronka.analytics.sql import Median, Seconds
from voronka.analytics.values import RATIO_PLACES, Result, Value

SERVICE_GROUPS = frozenset(
    {"manager", "team", "product", "category", "client", "day", "week", "month", "quarter"}
)
SCORE = Decimal("0.01")
SATISFIED_FROM = 4  # a score of 4 or 5 out of 5

NO_FIRST_RESPONSE = gettext_lazy("no request received in the period has had a first response")
NO_RESOLVED = gettext_lazy("no request resolved in the period")
NO_SLA = gettext_lazy("no request received in the period has an SLA")
NO_COMPLAINTS = gettext_lazy("no complaints received in the period")
NO_ANSWERS = gettext_lazy("no survey answers in the period")

Sums = dict[str, Any]


# Reading sums per group ----------------------------------------------------------------------


def _group(ctx: Ctx, *, person: str, when: str) -> Any:
    """The group of a request or a survey: its own product (not a deal's lines)."""
    if ctx.by == "product":
        return F("product_id")
    return record_group(ctx.by or "", owner=person, when=when, tz=ctx.tz)


def _sums(
    ctx: Ctx, qs: QuerySet[Any], *, person: str, when: str, **aggregates: Any
) -> tuple[Sums, dict[str | None, Sums] | None]:
    """The aggregates over ``qs`` and, with a grouping, per group (one query each).

    Each group value folds to its own key (an id, a local day, week, month or quarter),
    so a group's mean and median come straight from the database.
    """
    total = qs.aggregate(**aggregates)
    if ctx.by is None:
        return total, None
    groups: dict[str | None, Sums] = {}
    for row in (
        qs.annotate(g=_group(ctx, person=person, when=when)).values("g").annotate(**aggregates)
    ):
        groups[fold_key(ctx.by, row.pop("g"))] = row
    return total, groups


def _requests(ctx: Ctx, when: str = "created_at") -> QuerySet[Any]:
    """The visible, filtered requests whose moment ``when`` falls in the period."""
    from voronka.service.models import Request

    start, end = ctx.bounds
    return Request.all_objects.filter(
        ctx.scope.requests(), **{f"{when}__gte": start, f"{when}__lt": end}
    ).order_by()


def _duration_aggregates(ctx: Ctx, end: str) -> dict[str, Any]:
    seconds = Seconds(end, "created_at")
    aggregates: dict[str, Any] = {"n": Count("pk"), "mean": Avg(seconds)}
    if ctx.medians:
        aggregates["median"] = Median(seconds)
    return aggregates


def _in(unit_seconds: int) -> Any:
    def convert(seconds: Any) -> float | None:
        # PostgreSQL averages an interval's seconds as numeric: a Decimal, made a float here.
        return None if seconds is None else float(seconds) / unit_seconds

    return convert


def _duration(unit_seconds: int, reason: object) -> Any:
    to_unit = _in(unit_seconds)

    def value(s: Sums) -> Value:
        return v.duration(to_unit(s["mean"]), to_unit(s.get("median")), s["n"] or 0, reason)

    return value


def _empty_duration() -> Sums:
    return {"n": 0, "mean": None, "median": None}


# The KPIs ------------------------------------------------------------------------------------


def requests_new(ctx: Ctx) -> Result:
    """Client requests received: questions, complaints, order problems created in the period."""
    qs = _requests(ctx)
    total, groups = _sums(ctx, qs, person="assignee", when="created_at", n=Count("pk"))
    return result(ctx, total, groups, lambda s: v.count(s["n"] or 0), empty=lambda: {"n": 0})


def first_response_minutes(ctx: Ctx) -> Result:
    """Response time: minutes from a request's arrival to the first staff reply, mean and
    median, over the requests received in the period that have been answered."""
    qs = _requests(ctx).filter(first_response_at__isnull=False)
    aggregates = _duration_aggregates(ctx, "first_response_at")
    total, groups = _sums(ctx, qs, person="assignee", when="created_at", **aggregates)
    value = _duration(60, NO_FIRST_RESPONSE)
    return result(ctx, total, groups, value, empty=_empty_duration)


def request_handling_hours(ctx: Ctx) -> Result:
    """Request handling time: hours from arrival to resolution, mean and median, over the
    requests resolved in the period (a reopened request is resolved again later, if at all)."""
    qs = _requests(ctx, when="resolved_at")
    aggregates = _duration_aggregates(ctx, "resolved_at")
    total, groups = _sums(ctx, qs, person="assignee", when="resolved_at", **aggregates)
    value = _duration(3600, NO_RESOLVED)
    return result(ctx, total, groups, value, empty=_empty_duration)


def with_sla_q(prefix: str = "") -> Q:
    """Requests with a target to miss: a policy applied, or a deadline set."""
    return (
        Q(**{f"{prefix}sla_policy__isnull": False})
        | Q(**{f"{prefix}first_response_due_at__isnull": False})
        | Q(**{f"{prefix}resolution_due_at__isnull": False})
    )


def sla_breach_rate(ctx: Ctx) -> Result:
    """Requests received in the period that missed their first-response or resolution target
    ÷ those with an SLA. Missed: answered or resolved late (remembered on the request), or
    still waiting past a deadline at the end of the period (now, while it lasts)."""
    from voronka.service.queries import breached_q

    qs = _requests(ctx).filter(with_sla_q())
    counts = {"n": Count("pk"), "missed": Count("pk", filter=breached_q(ctx.as_of))}
    total, groups = _sums(ctx, qs, person="assignee", when="created_at", **counts)
    return result(
        ctx, total, groups, lambda s: v.ratio(s["missed"] or 0, s["n"] or 0, NO_SLA),
        empty=lambda: {"n": 0, "missed": 0},
    )  # fmt: skip


def complaints_resolution_rate(ctx: Ctx) -> Result:
    """Complaint handling: complaints received in the period that have been resolved (as of
    now; a reopened complaint is not resolved until it is again) ÷ complaints received."""
    qs = _requests(ctx).filter(kind="complaint")
    counts = {"n": Count("pk"), "resolved": Count("pk", filter=Q(resolved_at__isnull=False))}
    total, groups = _sums(ctx, qs, person="assignee", when="created_at", **counts)
    return result(
        ctx, total, groups, lambda s: v.ratio(s["resolved"] or 0, s["n"] or 0, NO_COMPLAINTS),
        empty=lambda: {"n": 0, "resolved": 0},
    )  # fmt: skip


def csat(ctx: Ctx) -> Result:
    """Customer satisfaction: the mean score (1–5) of the survey answers given in the period,
    with the share of scores of 4 or 5; by the product, category and manager the survey
    was about."""
    from voronka.service.models import Survey

    start, end = ctx.bounds
    qs = Survey.objects.filter(
        ctx.scope.surveys(), answered_at__gte=start, answered_at__lt=end, score__isnull=False
    ).order_by()
    sums = {
        "n": Count("pk"),
        "points": Sum("score"),
        "satisfied": Count("pk", filter=Q(score__gte=SATISFIED_FROM)),
    }
    total, groups = _sums(ctx, qs, person="manager", when="answered_at", **sums)
    return result(ctx, total, groups, _score, empty=lambda: {"n": 0, "points": 0, "satisfied": 0})


def _score(s: Sums) -> Value:
    """The mean score as its numerator (points) ÷ denominator (answers), and the satisfied."""
    n, points, satisfied = s["n"] or 0, int(s["points"] or 0), s["satisfied"] or 0
    if not n:
        return v.null(NO_ANSWERS)
    mean = (Decimal(points) / n).quantize(SCORE, rounding=ROUND_HALF_UP)
    share = round(float(Decimal(satisfied) / n), RATIO_PLACES)
    return Value(
        float(mean), numerator=points, denominator=n,
        extra={"share_satisfied": share, "satisfied": satisfied},
    )  # fmt: skip
