"""Plan KPIs: the target for a period, its fulfilment, and the forecast to the period's end.

Registered into the engine's catalogue at import, one KPI per id and plan metric:
``plan_target``, ``plan_fulfilment`` and ``plan_forecast`` are for won revenue;
``plan_target.deals_won``, ``plan_fulfilment.leads_new`` … for the other metrics.

Which targets make up a report period ``[from, to]`` (both inclusive):

* a target counts when its whole plan period (a month or a quarter) lies inside
  ``[from, to]``; a report period that covers no whole month has no target;
* for one manager or team and one quarter lying inside the period, a quarter
  target, when set, stands for the quarter and its month targets are not added
  to it (they are its breakdown); otherwise the month targets are summed;
* a team target stands for its team: the team's members' targets are not added
  to it. Without a team target, a team's target is the sum of its members'.
  The total is the sum of the teams' targets plus the targets of managers whose
  team has no team target (so with no team targets at all it is the sum of the
  manager targets, and the rows by team add up to the total);
* who may see which target: admin and head of sales all, a team lead their
  teams' and their members', a manager their own; others none.

Plans are set per person and period, not per pipeline, source or product: with
such a filter the plan KPIs are null with a reason rather than a wrong ratio.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, replace
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db.models import DecimalField, F, Q, QuerySet, Sum
from django.db.models import Value as Const
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from voronka.analytics import engine
from voronka.analytics import values as v
from voronka.analytics.context import Ctx, fold_key
from voronka.analytics.grouping import result
from voronka.analytics.models import SalesPlan
from voronka.analytics.periods import Period, add_months, quarter_start
from voronka.analytics.values import Result, Value
from voronka.core.visibility import led_team_ids, sees_everything

METRICS = tuple(SalesPlan.Metric.values)
DEFAULT_METRIC = SalesPlan.Metric.WON_REVENUE
PLAN_GROUPS = frozenset({"manager", "team"})
CENT = Decimal("0.01")
# What a drill-down of the metric's actual value lists.
METRIC_RECORDS = {"won_revenue": "won", "deals_won": "won", "leads_new": "leads"}


def kpi_id(kind: str, metric: str) -> str:
    """``plan_target`` for won revenue, ``plan_target.deals_won`` for another metric."""
    return kind if metric == DEFAULT_METRIC else f"{kind}.{metric}"


def _no_plan() -> str:
    return _("no plan for the period")


def _filtered_out(ctx: Ctx) -> Result | None:
    f = ctx.scope.filters
    if f.pipeline or f.source or f.product:
        return Result(v.null(_("plans are not set per pipeline, source or product")))
    return None


# Targets --------------------------------------------------------------------------------------


def visible_plans_q(actor: Any) -> Q:
    """The targets ``actor`` may read (see the module's docstring)."""
    if actor is None or not actor.is_authenticated or not actor.is_active:
        return Q(pk__in=[])
    if sees_everything(actor):
        return Q()
    if getattr(actor, "role", "") != "manager":
        return Q(pk__in=[])
    teams = led_team_ids(actor)
    return Q(manager_id=actor.pk) | Q(manager__team_id__in=teams) | Q(team_id__in=teams)


def plans_visible_to(actor: Any) -> QuerySet[SalesPlan]:
    """The targets ``actor`` may read, as rows."""
    return SalesPlan.objects.filter(visible_plans_q(actor))


def planned_people(actor: Any) -> tuple[list[Any], list[Any]]:
    """The teams and active managers whose targets ``actor`` may see, in name order."""
    from voronka.accounts.models import Team, User

    managers = User.objects.filter(is_active=True, role="manager").order_by(
        "last_name", "first_name", "username"
    )
    if actor is None or not actor.is_authenticated or not actor.is_active:
        return [], []
    if sees_everything(actor):
        return list(Team.objects.order_by("name")), list(managers)
    if getattr(actor, "role", "") != "manager":
        return [], []
    teams = list(Team.objects.filter(pk__in=led_team_ids(actor)).order_by("name"))
    return teams, list(managers.filter(Q(pk=actor.pk) | Q(team_id__in=[t.pk for t in teams])))


def _plan_end(kind: str, start: date) -> date:
    return add_months(start, 3 if kind == SalesPlan.PeriodKind.QUARTER else 1) - timedelta(days=1)


@dataclass
class Targets:
    """The targets of a period: per manager (with their team) and per team."""

    managers: dict[int, Decimal]
    manager_team: dict[int, int | None]
    teams: dict[int, Decimal]

    @property
    def empty(self) -> bool:
        return not self.managers and not self.teams

    def total(self) -> Decimal | None:
        if self.empty:
            return None
        out = sum(self.teams.values(), Decimal("0"))
        for manager_id, target in self.managers.items():
            if self.manager_team.get(manager_id) not in self.teams:
                out += target
        return out

    def by(self, grouping: str) -> dict[str | None, Decimal]:
        if grouping == "manager":
            return {str(k): t for k, t in self.managers.items()}
        groups: dict[str | None, Decimal] = {str(k): t for k, t in self.teams.items()}
        for manager_id, target in self.managers.items():
            team_id = self.manager_team.get(manager_id)
            if team_id in self.teams:
                continue
            key = None if team_id is None else str(team_id)
            groups[key] = groups.get(key, Decimal("0")) + target
        return groups


def plan_rows(actor: Any, metric: str, period: Period, *, manager: int | None = None,
              team: int | None = None) -> list[dict[str, Any]]:  # fmt: skip
    """Visible targets of ``metric`` whose plan period lies inside ``period``."""
    qs = SalesPlan.objects.filter(
        visible_plans_q(actor),
        metric=metric,
        period_start__gte=period.start,
        period_start__lte=period.end,
    )
    if manager:
        qs = qs.filter(manager_id=manager)
    if team:
        qs = qs.filter(Q(team_id=team) | Q(manager__team_id=team))
    rows = qs.order_by().values(
        "period_kind", "period_start", "manager_id", "manager__team_id", "team_id", "target"
    )
    return [dict(r) for r in rows if _plan_end(r["period_kind"], r["period_start"]) <= period.end]


def targets_of(rows: list[dict[str, Any]]) -> Targets:
    """Fold plan rows into one target per manager and team (quarters before their months)."""
    quarters: set[tuple[str, int, date]] = set()
    for r in rows:
        if r["period_kind"] == SalesPlan.PeriodKind.QUARTER:
            quarters.add(_who(r) + (r["period_start"],))
    managers: dict[int, Decimal] = defaultdict(Decimal)
    teams: dict[int, Decimal] = defaultdict(Decimal)
    manager_team: dict[int, int | None] = {}
    for r in rows:
        if r["period_kind"] == SalesPlan.PeriodKind.MONTH and (
            _who(r) + (quarter_start(r["period_start"]),) in quarters
        ):
            continue  # the quarter target stands for its months
        if r["manager_id"] is not None:
            managers[r["manager_id"]] += r["target"]
            manager_team[r["manager_id"]] = r["manager__team_id"]
        else:
            teams[r["team_id"]] += r["target"]
    return Targets(dict(managers), manager_team, dict(teams))


def _who(row: dict[str, Any]) -> tuple[str, int]:
    if row["manager_id"] is not None:
        return ("manager", row["manager_id"])
    return ("team", row["team_id"])


def targets_for(ctx: Ctx, metric: str) -> Targets:
    f = ctx.scope.filters
    rows = plan_rows(ctx.scope.actor, metric, ctx.period, manager=f.manager, team=f.team)
    return targets_of(rows)


def _target_value(metric: str, target: Decimal | None) -> Value:
    if target is None:
        return v.null(_no_plan())
    if metric == SalesPlan.Metric.WON_REVENUE:
        return v.money(target)
    return v.count(int(target))


def plan_target(ctx: Ctx, metric: str) -> Result:
    """Sales plan: the target set for the period's managers and teams, for one metric."""
    refused = _filtered_out(ctx)
    if refused:
        return refused
    targets = targets_for(ctx, metric)
    groups: dict[str | None, Decimal | None] | None = dict(targets.by(ctx.by)) if ctx.by else None
    return result(ctx, targets.total(), groups, lambda t: _target_value(metric, t))


# Fulfilment -----------------------------------------------------------------------------------


def actual_of(ctx: Ctx, metric: str) -> Result:
    """The plan metric's value from its own KPI, for the same reader, period and grouping."""
    return engine.KPIS[metric].fn(ctx)


def fulfilment_value(actual: Value, target: Decimal | None) -> Value:
    """Actual ÷ target, or null with the reason there is nothing to compare."""
    if target is None:
        return Value(None, reason=_no_plan(), numerator=_num(actual.value), denominator=None)
    if actual.value is None:
        return Value(None, reason=actual.reason, denominator=target)
    return v.ratio(_num(actual.value) or 0, target, _("the target is zero"))


def _num(x: Any) -> int | Decimal | None:
    if x is None or isinstance(x, int | Decimal):
        return x
    return Decimal(str(x))


def plan_fulfilment(ctx: Ctx, metric: str) -> Result:
    """Plan fulfilment control: the actual value of the plan's metric ÷ its target.

    The actual value counts every record the reader sees in the period (narrowed
    by the manager or team filter), the target is the sum described in the
    module's docstring.
    """
    refused = _filtered_out(ctx)
    if refused:
        return refused
    targets = targets_for(ctx, metric)
    actual = actual_of(ctx, metric)
    total = fulfilment_value(actual.total, targets.total())
    if ctx.by is None:
        return Result(total)
    actual_groups = {g.key: g.value for g in actual.groups or []}
    pairs: dict[str | None, tuple[Value, Decimal | None]] = {
        key: (actual_groups.get(key, v.count(0)), target)
        for key, target in targets.by(ctx.by).items()
    }
    no_target: tuple[Value, Decimal | None] = (actual.total, None)
    grouped = result(ctx, no_target, pairs, lambda p: fulfilment_value(*p))
    return Result(total, grouped.groups)


# Forecast -------------------------------------------------------------------------------------


def working_days(first: date, last: date) -> int:
    """Working days in ``[first, last]`` by the organisation's work calendar: its
    working week, less its holidays, plus weekends made working days."""
    from voronka.core.workcalendar import current

    calendar = current()
    days = 0
    day = first
    while day <= last:
        days += calendar.is_working_day(day)
        day += timedelta(days=1)
    return days


@dataclass
class Pace:
    actual: Decimal
    expected: Decimal | None  # what open deals or the trend add by the period's end
    target: Decimal | None


def _expected_from_deals(
    ctx: Ctx, metric: str, first: date, last: date
) -> tuple[Decimal, dict[str | None, Decimal]]:
    """Open deals expected to close in ``[first, last]``: amount × probability (revenue) or
    probability (a count of deals), in total and per manager or team."""
    from voronka.analytics.deal_sums import amount_base
    from voronka.sales.models import Deal

    if first > last:
        return Decimal("0"), {}
    qs = Deal.all_objects.filter(
        ctx.scope.deals(),
        status=Deal.Status.OPEN,
        expected_close_date__gte=first,
        expected_close_date__lte=last,
    ).order_by()
    probability = F("stage__probability")
    if metric == SalesPlan.Metric.WON_REVENUE:
        weight = Sum(amount_base() * probability / 100)
    else:
        # As a decimal: the database would divide whole percentages as integers.
        weight = Sum(probability * Const(Decimal("0.01"), output_field=DecimalField()))
    field = {"manager": "owner_id", "team": "owner__team_id"}.get(ctx.by or "")
    if field is None:
        total = qs.aggregate(w=weight)["w"] or Decimal("0")
        return Decimal(total), {}
    groups: dict[str | None, Decimal] = {}
    total = Decimal("0")
    for row in qs.values(field).annotate(w=weight):
        part = Decimal(row["w"] or 0)
        groups[fold_key(ctx.by, row[field])] = part
        total += part
    return total, groups


def plan_forecast(ctx: Ctx, metric: str) -> Result:
    """Forecast to the period's end, as of ``to`` (or today, if earlier).

    * won revenue: revenue won so far + the amount × stage probability of open
      deals whose expected close date falls between today and the period's end;
    * deals won: deals won so far + the sum of those deals' probabilities;
    * new leads: leads so far extrapolated linearly by elapsed days (today counts
      as elapsed).

    ``extra`` carries ``forecast``, ``working_days_left`` (working days of the
    organisation's work calendar after today up to the period's end) and
    ``needed_per_working_day``: what is still missing to the target, per working
    day left (0 once the target is reached; null without a target or days left).
    """
    refused = _filtered_out(ctx)
    if refused:
        return refused
    period = ctx.period
    today = timezone.localtime(ctx.now, ctx.tz).date()
    as_of_day = min(today, period.end)
    targets = targets_for(ctx, metric)
    if as_of_day >= period.start:
        so_far = actual_of(replace(ctx, period=Period(period.start, as_of_day)), metric)
        elapsed = (as_of_day - period.start).days + 1
    else:
        so_far = Result(v.count(0), [])
        elapsed = 0
    if so_far.total.value is None:
        return Result(so_far.total)
    actual_groups = {g.key: _num(g.value.value) or Decimal("0") for g in so_far.groups or []}
    days_left = working_days(max(today + timedelta(days=1), period.start), period.end)

    expected_total: Decimal | None
    expected_groups: dict[str | None, Decimal | None]
    if metric == SalesPlan.Metric.LEADS_NEW:

        def trend(actual: Decimal) -> Decimal | None:
            return actual * period.days / elapsed - actual if elapsed else None

        expected_total = trend(Decimal(_num(so_far.total.value) or 0))
        expected_groups = {k: trend(Decimal(a)) for k, a in actual_groups.items()}
        nothing_expected = trend(Decimal("0"))
    else:
        first = max(today, period.start)
        last = period.end if today <= period.end else first - timedelta(days=1)
        expected_total, deal_groups = _expected_from_deals(ctx, metric, first, last)
        expected_groups = dict(deal_groups)
        nothing_expected = Decimal("0")

    total = Pace(Decimal(_num(so_far.total.value) or 0), expected_total, targets.total())
    if ctx.by is None:
        return Result(_forecast_value(total, days_left))
    target_groups = targets.by(ctx.by)
    paces = {
        k: Pace(
            Decimal(actual_groups.get(k, 0)),
            expected_groups.get(k, nothing_expected),
            target_groups.get(k),
        )
        for k in set(actual_groups) | set(expected_groups) | set(target_groups)
    }
    grouped = result(ctx, total, paces, lambda p: _forecast_value(p, days_left))
    return Result(grouped.total, grouped.groups)


def _round(x: Decimal) -> Decimal:
    return x.quantize(CENT, rounding=ROUND_HALF_UP)


def _forecast_value(pace: Pace, days_left: int) -> Value:
    if pace.expected is None:
        return v.null(_("the period has not started"))
    forecast = _round(pace.actual + pace.expected)
    needed: Decimal | None = None
    if pace.target is not None and days_left:
        needed = _round(max(pace.target - pace.actual, Decimal("0")) / days_left)
    extra = {
        "forecast": float(forecast),
        "needed_per_working_day": None if needed is None else float(needed),
        "working_days_left": days_left,
        "target": None if pace.target is None else float(pace.target),
        "actual": float(pace.actual),
    }
    return Value(forecast, extra=extra)


# Registration ---------------------------------------------------------------------------------

_LABELS = {
    ("plan_target", "won_revenue"): gettext_lazy("Revenue plan"),
    ("plan_target", "deals_won"): gettext_lazy("Plan of deals won"),
    ("plan_target", "leads_new"): gettext_lazy("Plan of new leads"),
    ("plan_fulfilment", "won_revenue"): gettext_lazy("Revenue plan fulfilment"),
    ("plan_fulfilment", "deals_won"): gettext_lazy("Deals won plan fulfilment"),
    ("plan_fulfilment", "leads_new"): gettext_lazy("New leads plan fulfilment"),
    ("plan_forecast", "won_revenue"): gettext_lazy("Revenue forecast"),
    ("plan_forecast", "deals_won"): gettext_lazy("Forecast of deals won"),
    ("plan_forecast", "leads_new"): gettext_lazy("Forecast of new leads"),
}


def _bind(fn: Any, metric: str) -> Any:
    def kpi(ctx: Ctx) -> Result:
        return fn(ctx, metric)

    kpi.__doc__ = fn.__doc__
    kpi.__name__ = f"{fn.__name__}_{metric}"
    return kpi


def register() -> None:
    for metric in METRICS:
        count_unit = "money" if metric == SalesPlan.Metric.WON_REVENUE else "count"
        for kind, fn, unit, records in (
            ("plan_target", plan_target, count_unit, ""),
            ("plan_fulfilment", plan_fulfilment, "ratio", METRIC_RECORDS[metric]),
            ("plan_forecast", plan_forecast, count_unit, "open"),
        ):
            engine.register(
                engine.Kpi(
                    kpi_id(kind, metric),
                    _LABELS[(kind, metric)],
                    unit,
                    _bind(fn, metric),
                    PLAN_GROUPS,
                    records,
                )
            )


register()
