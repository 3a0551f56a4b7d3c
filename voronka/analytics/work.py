"""Work KPIs: overdue tasks, tasks done on time, interactions logged.

Tasks count for their assignee, activities for their author; a manager sees
their own (and a team lead their team's), like every list.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from django.db.models import Count, F, Q, Sum
from django.utils.translation import gettext as _

from voronka.analytics import values as v
from voronka.analytics.context import Ctx, fold_key, record_group
from voronka.analytics.grouping import result
from voronka.analytics.values import Result

PEOPLE_GROUPS = frozenset({"manager", "team"})
TIME = frozenset({"day", "week", "month", "quarter"})


def _grouped_counts(
    ctx: Ctx, qs: Any, person: str, when: str, **counts: Any
) -> tuple[dict[str, Any], dict[str | None, dict[str, int]] | None]:
    """Counts per group of person (manager/team) or time; other groupings are not defined."""
    total = qs.aggregate(**counts)
    if ctx.by is None or (ctx.by not in PEOPLE_GROUPS and ctx.by not in TIME):
        return total, None
    expr = record_group(ctx.by, owner=person, when=when, tz=ctx.tz)
    groups: dict[str | None, dict[str, int]] = defaultdict(lambda: dict.fromkeys(counts, 0))
    for row in qs.annotate(g=expr).values("g").annotate(**counts):
        slot = groups[fold_key(ctx.by, row["g"])]
        for name in counts:
            slot[name] += row[name] or 0
    return total, dict(groups)


def tasks_overdue(ctx: Ctx) -> Result:
    """Overdue tasks: tasks still open at the as-of moment whose deadline had passed."""
    from voronka.activities.models import Task

    as_of = ctx.as_of
    open_then = Q(status__in=["open", "in_progress"]) | Q(completed_at__gte=as_of)
    qs = (
        Task.objects.filter(
            ctx.scope.people("assignee"), open_then, due_at__lt=as_of, created_at__lt=as_of
        )
        .exclude(status="cancelled")
        .order_by()
    )
    total, groups = _grouped_counts(ctx, qs, "assignee", "due_at", n=Count("pk"))
    return result(ctx, total, groups, lambda s: v.count(s["n"] or 0))


def tasks_on_time_rate(ctx: Ctx) -> Result:
    """Task discipline: tasks completed by their deadline ÷ tasks completed in the period."""
    from voronka.activities.models import Task

    start, end = ctx.bounds
    qs = Task.objects.filter(
        ctx.scope.people("assignee"), status="done", completed_at__gte=start, completed_at__lt=end
    ).order_by()
    counts = {"done": Count("pk"), "on_time": Count("pk", filter=Q(completed_at__lte=F("due_at")))}
    total, groups = _grouped_counts(ctx, qs, "assignee", "completed_at", **counts)
    reason = _("no task completed in the period")
    return result(
        ctx, total, groups, lambda s: v.ratio(s["on_time"] or 0, s["done"] or 0, reason),
        empty=lambda: {"done": 0, "on_time": 0},
    )  # fmt: skip


def activities_logged(ctx: Ctx) -> Result:
    """Interactions logged: calls, meetings, e-mails, messages and notes of the period."""
    from voronka.activities.models import Activity

    if ctx.rollups_serve(PEOPLE_GROUPS | TIME):
        return _activities_from_rollup(ctx)
    start, end = ctx.bounds
    qs = Activity.objects.filter(
        ctx.scope.people("author"), occurred_at__gte=start, occurred_at__lt=end
    ).order_by()
    total, groups = _grouped_counts(ctx, qs, "author", "occurred_at", n=Count("pk"))
    return result(ctx, total, groups, lambda s: v.count(s["n"] or 0), empty=lambda: {"n": 0})


def _activities_from_rollup(ctx: Ctx) -> Result:
    from voronka.analytics.models import ActivityDayTotal

    rows = ActivityDayTotal.objects.filter(
        ctx.scope.people("author"), day__gte=ctx.period.start, day__lte=ctx.period.end
    ).order_by()
    total = rows.aggregate(n=Sum("count"))
    if ctx.by is None:
        return result(ctx, total, None, lambda s: v.count(s["n"] or 0))
    field = {"manager": "author_id", "team": "author__team_id"}.get(ctx.by, "day")
    groups: dict[str | None, dict[str, int]] = defaultdict(lambda: {"n": 0})
    for row in rows.values(field).annotate(n=Sum("count")):
        groups[fold_key(ctx.by, row[field])]["n"] += row["n"] or 0
    return result(ctx, total, dict(groups), lambda s: v.count(s["n"] or 0), empty=lambda: {"n": 0})
