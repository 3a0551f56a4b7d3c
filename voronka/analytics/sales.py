"""Sales KPIs: leads, deals won and lost, revenue, cycle, pipeline, funnel.

Each function is one KPI of the catalogue (``KPI.md``); its docstring is the
business meaning. They read sums from :mod:`deal_sums` (rollups or deals) and
turn them into values; none of them formats anything.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Any

from django.db.models import (
    Count,
    Exists,
    F,
    FilteredRelation,
    IntegerField,
    OuterRef,
    Q,
    Subquery,
    Sum,
)
from django.db.models import Value as Const
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from voronka.analytics import values as v
from voronka.analytics.context import Ctx, fold_key, owner_field, record_group
from voronka.analytics.deal_sums import US_PER_DAY, DealSums, amount_base, deal_sums
from voronka.analytics.grouping import result
from voronka.analytics.models import FunnelDayTotal, LeadDayTotal
from voronka.analytics.scope import Scope
from voronka.analytics.values import Result, Value

NO_DEALS_CLOSED = gettext_lazy("no deals closed in the period")
NO_DEALS_WON = gettext_lazy("no deals won in the period")


# Leads ---------------------------------------------------------------------------------------


@dataclass
class LeadSums:
    count: int = 0
    with_deal: int = 0
    with_won_deal: int = 0

    def add(self, other: LeadSums) -> None:
        self.count += other.count
        self.with_deal += other.with_deal
        self.with_won_deal += other.with_won_deal


LEAD_ROLLUP_GROUPS = frozenset({"manager", "team", "source", "day", "week", "month", "quarter"})
LEAD_GROUPS = LEAD_ROLLUP_GROUPS | {"product"}


def lead_sums(ctx: Ctx) -> tuple[LeadSums, dict[str | None, LeadSums] | None]:
    """Leads created in the period and how many have a deal, a won deal (as of now)."""
    return ctx.remember("lead_sums", lambda: _lead_sums(ctx))  # type: ignore[no-any-return]


def _lead_sums(ctx: Ctx) -> tuple[LeadSums, dict[str | None, LeadSums] | None]:
    total = LeadSums()
    groups: dict[str | None, LeadSums] = defaultdict(LeadSums)
    if ctx.rollups_serve(LEAD_ROLLUP_GROUPS):
        rows = LeadDayTotal.objects.filter(
            ctx.scope.lead_rollup(), day__gte=ctx.period.start, day__lte=ctx.period.end
        )
        sums = {"count": Sum("count"), "with_deal": Sum("with_deal"), "w": Sum("with_won_deal")}
        field = (owner_field(ctx.by) if ctx.by else None) or (
            "source_id" if ctx.by == "source" else "day"
        )
        for row in rows.order_by().values(field).annotate(**sums):
            part = LeadSums(row["count"] or 0, row["with_deal"] or 0, row["w"] or 0)
            total.add(part)
            groups[fold_key(ctx.by, row[field])].add(part)
        return total, (dict(groups) if ctx.by else None)
    seen: set[int] = set()
    for row in leads_of_period(ctx).values("pk", "g", "has_deal", "has_won").distinct():
        part = LeadSums(1, int(row["has_deal"]), int(row["has_won"]))
        if ctx.by is not None:
            groups[fold_key(ctx.by, row["g"])].add(part)
        if row["pk"] not in seen:  # a lead with deals of two products is one lead
            seen.add(row["pk"])
            total.add(part)
    return total, (dict(groups) if ctx.by else None)


def leads_of_period(ctx: Ctx) -> Any:
    """The visible, filtered leads created in the period, marked with how far they went."""
    from voronka.sales.models import Deal, Lead

    start, end = ctx.bounds
    deals = Deal.objects.filter(lead_id=OuterRef("pk"))
    qs = Lead.all_objects.filter(ctx.scope.leads(), created_at__gte=start, created_at__lt=end)
    qs = qs.annotate(has_deal=Exists(deals), has_won=Exists(deals.filter(status="won")))
    if ctx.by is None:
        return qs.annotate(g=Const(None, output_field=IntegerField()))
    if ctx.by == "product":
        alive = FilteredRelation("deals", condition=Q(deals__deleted_at__isnull=True))
        return qs.annotate(alive_deals=alive).annotate(g=F("alive_deals__lines__product_id"))
    return qs.annotate(g=record_group(ctx.by, when="created_at", tz=ctx.tz))


def _leads_undefined(ctx: Ctx) -> Result | None:
    if ctx.scope.filters.pipeline:
        return Result(v.null(_("leads belong to no pipeline; remove the pipeline filter")))
    return None


def leads_new(ctx: Ctx) -> Result:
    """New potential clients: leads created in the period."""
    undefined = _leads_undefined(ctx)
    if undefined:
        return undefined
    total, groups = lead_sums(ctx)
    return result(ctx, total, groups, lambda s: v.count(s.count), empty=LeadSums)


def lead_to_deal_rate(ctx: Ctx) -> Result:
    """Share of the period's leads that became a deal."""
    undefined = _leads_undefined(ctx)
    if undefined:
        return undefined
    total, groups = lead_sums(ctx)
    reason = _("no leads created in the period")
    return result(
        ctx, total, groups, lambda s: v.ratio(s.with_deal, s.count, reason), empty=LeadSums
    )


def lead_conversion_rate(ctx: Ctx) -> Result:
    """Conversion: share of the period's leads with a deal won (as of now)."""
    undefined = _leads_undefined(ctx)
    if undefined:
        return undefined
    total, groups = lead_sums(ctx)
    reason = _("no leads created in the period")
    return result(
        ctx, total, groups, lambda s: v.ratio(s.with_won_deal, s.count, reason), empty=LeadSums
    )


# Deals closed in the period ------------------------------------------------------------------


def deals_won(ctx: Ctx) -> Result:
    """Closed deals: deals won in the period."""
    total, groups = deal_sums(ctx, "won")
    return result(ctx, total, groups, lambda s: v.count(s.count), empty=DealSums)


def deals_lost(ctx: Ctx) -> Result:
    """Deals lost in the period."""
    total, groups = deal_sums(ctx, "lost")
    return result(ctx, total, groups, lambda s: v.count(s.count), empty=DealSums)


def win_rate(ctx: Ctx) -> Result:
    """Deal conversion: won ÷ (won + lost) among deals closed in the period."""
    won_total, won_groups = deal_sums(ctx, "won")
    lost_total, lost_groups = deal_sums(ctx, "lost")
    pairs: dict[str | None, tuple[int, int]] | None = None
    if won_groups is not None and lost_groups is not None:
        pairs = {
            key: (
                won_groups.get(key, DealSums()).count,
                won_groups.get(key, DealSums()).count + lost_groups.get(key, DealSums()).count,
            )
            for key in {**won_groups, **lost_groups}
        }
    total = (won_total.count, won_total.count + lost_total.count)
    return result(
        ctx, total, pairs, lambda p: v.ratio(p[0], p[1], NO_DEALS_CLOSED), empty=lambda: (0, 0)
    )


def won_revenue(ctx: Ctx) -> Result:
    """Total sales: the amount of deals won in the period, in the base currency."""
    total, groups = deal_sums(ctx, "won")
    return result(ctx, total, groups, lambda s: v.money(s.amount), empty=DealSums)


def avg_deal_size(ctx: Ctx) -> Result:
    """Average check: won revenue ÷ deals won."""
    total, groups = deal_sums(ctx, "won")
    return result(
        ctx, total, groups, lambda s: v.mean_money(s.amount, s.count, NO_DEALS_WON), empty=DealSums
    )


def _days(us: float | None) -> float | None:
    return None if us is None else us / US_PER_DAY


def sales_cycle_days(ctx: Ctx) -> Result:
    """Average deal time: days from creation to winning, of deals won in the period."""
    total, groups = deal_sums(ctx, "won", medians=ctx.medians)

    def value(s: DealSums) -> Value:
        mean = _days(s.cycle_us / s.count) if s.count else None
        return v.duration(mean, _days(s.cycle_median_us), s.count, NO_DEALS_WON)

    return result(ctx, total, groups, value, empty=DealSums)


def lead_to_win_days(ctx: Ctx) -> Result:
    """Days from lead to sale, of deals won in the period that came from a lead."""
    total, groups = deal_sums(ctx, "won", medians=ctx.medians)
    reason = _("no deal won in the period came from a lead")

    def value(s: DealSums) -> Value:
        mean = _days(s.lead_cycle_us / s.with_lead) if s.with_lead else None
        return v.duration(mean, _days(s.lead_cycle_median_us), s.with_lead, reason)

    return result(ctx, total, groups, value, empty=DealSums)


def deals_closed_late(ctx: Ctx) -> Result:
    """Won or lost deals of the period closed after their expected close date."""
    won_total, won_groups = deal_sums(ctx, "won")
    lost_total, lost_groups = deal_sums(ctx, "lost")
    total = DealSums()
    total.add(won_total)
    total.add(lost_total)
    groups: dict[str | None, DealSums] | None = None
    if won_groups is not None and lost_groups is not None:
        groups = defaultdict(DealSums)
        for part in (won_groups, lost_groups):
            for key, sums in part.items():
                groups[key].add(sums)
    reason = _("no deal closed in the period had an expected close date")

    def value(s: DealSums) -> Value:
        if not s.with_expected:
            return v.null(reason)
        return Value(s.late, numerator=s.late, denominator=s.with_expected)

    return result(ctx, total, groups, value, empty=DealSums)


def revenue_per_client(ctx: Ctx) -> Result:
    """Revenue from a client: won revenue ÷ distinct clients with a deal won in the period."""
    from voronka.analytics.deal_sums import deals_of_event

    qs = deals_of_event(ctx, "won").order_by()
    client = record_group("client")
    reason = _("no client bought in the period")

    def value(pair: tuple[Decimal, int]) -> Value:
        return v.mean_money(pair[0], pair[1], reason)

    found = qs.aggregate(revenue=Sum(amount_base()), clients=Count(client, distinct=True))
    total = (found["revenue"] or Decimal("0"), found["clients"] or 0)
    if ctx.by is None:
        return result(ctx, total, None, value)
    expr = record_group(ctx.by, when="closed_at", tz=ctx.tz)
    groups: dict[str | None, tuple[Decimal, int]] = {}
    if ctx.by == "product":
        rows = qs.annotate(g=expr).values("g", "pk").distinct()
        per: dict[str | None, dict[int, int]] = defaultdict(dict)
        for row in rows:
            per[fold_key("product", row["g"])][row["pk"]] = 1
        for key, deal_ids in per.items():
            part = qs.filter(pk__in=list(deal_ids)).aggregate(
                revenue=Sum(amount_base()), clients=Count(client, distinct=True)
            )
            groups[key] = (part["revenue"] or Decimal("0"), part["clients"] or 0)
    else:
        for row in (
            qs.annotate(g=expr)
            .values("g")
            .annotate(revenue=Sum(amount_base()), clients=Count(client, distinct=True))
        ):
            key = fold_key(ctx.by, row["g"])
            revenue, clients = groups.get(key, (Decimal("0"), 0))
            groups[key] = (revenue + (row["revenue"] or 0), clients + row["clients"])
    return result(ctx, total, groups, value, empty=lambda: (Decimal("0"), 0))


# Open pipeline as of the end of the period ---------------------------------------------------

PIPELINE_ROLLUP_GROUPS = frozenset({"manager", "team", "stage", "pipeline"})


def open_deals_as_of(ctx: Ctx) -> Any:
    """Deals open at the as-of moment, with ``prob`` (the stage's probability then) and
    ``stage_then``; now, that is each deal's current stage."""
    from voronka.sales.models import Deal, StageHistory

    as_of = ctx.as_of
    qs = Deal.all_objects.filter(ctx.scope.deals(), created_at__lt=as_of)
    if as_of >= ctx.now:
        return qs.filter(status=Deal.Status.OPEN).annotate(
            prob=F("stage__probability"), stage_then=F("stage_id")
        )
    # Back then: not closed yet, or closed later. The stage is the last one entered by then.
    qs = qs.filter(Q(closed_at__isnull=True) | Q(closed_at__gte=as_of))
    last_entry = StageHistory.objects.filter(deal_id=OuterRef("pk"), moved_at__lt=as_of).order_by(
        "-moved_at", "-pk"
    )
    qs = qs.annotate(
        stage_then=Subquery(last_entry.values("to_stage_id")[:1]),
        kind_then=Subquery(last_entry.values("to_stage__kind")[:1]),
        prob=Subquery(last_entry.values("to_stage__probability")[:1]),
    )
    return qs.filter(kind_then="open")


@dataclass
class PipelineSums:
    count: int = 0
    amount: Decimal = Decimal("0")
    weighted: Decimal = Decimal("0")
    late: int = 0  # overdue then (read from the stays only)

    def add(self, other: PipelineSums) -> None:
        self.count += other.count
        self.amount += other.amount
        self.weighted += other.weighted
        self.late += other.late


def pipeline_sums(ctx: Ctx) -> tuple[PipelineSums, dict[str | None, PipelineSums] | None]:
    """Open deals at the as-of moment: count, amount and probability-weighted amount."""
    return ctx.remember("pipeline_sums", lambda: _pipeline_sums(ctx))  # type: ignore[no-any-return]


def _pipeline_sums(ctx: Ctx) -> tuple[PipelineSums, dict[str | None, PipelineSums] | None]:
    total = PipelineSums()
    groups: dict[str | None, PipelineSums] = defaultdict(PipelineSums)
    f = ctx.scope.filters
    if ctx.as_of >= ctx.now and not f.source and ctx.rollups_serve(PIPELINE_ROLLUP_GROUPS):
        from voronka.core.visibility import Family, owner_q
        from voronka.sales.models import StageTotal

        rows = StageTotal.objects.filter(owner_q(ctx.scope.actor, Family.DEALS))
        rows = rows.filter(ctx.scope.owners())
        if f.pipeline:
            rows = rows.filter(stage__pipeline_id=f.pipeline)
        field = {"stage": "stage_id", "pipeline": "stage__pipeline_id"}.get(ctx.by or "")
        field = field or (owner_field(ctx.by) if ctx.by else None) or "stage_id"
        # Percent points summed in SQL and divided here: SQLite divides integers as integers.
        weighted = Sum(F("amount") * F("stage__probability"))
        for row in (
            rows.exclude(count=0)
            .order_by()
            .values(field)
            .annotate(n=Sum("count"), a=Sum("amount"), w=weighted)
        ):
            part = _pipeline_part(row)
            total.add(part)
            groups[fold_key(ctx.by, row[field])].add(part)
        return total, (dict(groups) if ctx.by else None)
    if ctx.as_of < ctx.now and ctx.rollups_serve(PIPELINE_ROLLUP_GROUPS | {"source"}):
        return _pipeline_from_stays(ctx)
    qs = open_deals_as_of(ctx).order_by()
    sums = {
        "n": Count("pk", distinct=True),
        "a": Sum(amount_base()),
        "w": Sum(amount_base() * F("prob")),
    }
    total = _pipeline_part(qs.aggregate(**sums))
    if ctx.by is None:
        return total, None
    expr = F("stage_then") if ctx.by == "stage" else record_group(ctx.by)
    if ctx.by in ("day", "week", "month", "quarter"):
        return total, None  # a point in time has no time groups
    for row in qs.annotate(g=expr).values("g").annotate(**sums):
        groups[fold_key(ctx.by, row["g"])].add(_pipeline_part(row))
    return total, dict(groups)


def _stays_at(ctx: Ctx) -> Any:
    """The open stays holding the as-of moment: one per deal open then, in its stage then."""
    from voronka.analytics.models import OpenSpell

    as_of = ctx.as_of
    return OpenSpell.objects.filter(
        ctx.scope.deal_rollup(), after__lt=as_of, until__gte=as_of
    ).order_by()


STAY_FIELDS = {"stage": "stage_id", "pipeline": "pipeline_id", "source": "source_id"}


def _pipeline_from_stays(ctx: Ctx) -> tuple[PipelineSums, dict[str | None, PipelineSums] | None]:
    """Open deals as of a past moment, with how many were overdue then (one read for both)."""
    return ctx.remember("stays", lambda: _read_stays(ctx))  # type: ignore[no-any-return]


def _read_stays(ctx: Ctx) -> tuple[PipelineSums, dict[str | None, PipelineSums] | None]:
    rows = _stays_at(ctx)
    sums = {
        "n": Count("pk"),
        "a": Sum("amount"),
        "w": Sum(F("amount") * F("stage__probability")),
        "late": Count("pk", filter=Q(expected_close_date__lt=ctx.as_of_date)),
    }
    total = _pipeline_part(rows.aggregate(**sums))
    if ctx.by is None or ctx.by in ("day", "week", "month", "quarter"):
        return total, None
    field = STAY_FIELDS.get(ctx.by) or owner_field(ctx.by) or "stage_id"
    groups: dict[str | None, PipelineSums] = defaultdict(PipelineSums)
    for row in rows.values(field).annotate(**sums):
        groups[fold_key(ctx.by, row[field])].add(_pipeline_part(row))
    return total, dict(groups)


def _pipeline_part(row: dict[str, Any]) -> PipelineSums:
    """Count, amount and Σ amount × probability (in percent points) → sums in money."""
    weighted = Decimal(str(row["w"] or 0)) / 100
    return PipelineSums(row["n"] or 0, row["a"] or Decimal("0"), weighted, row.get("late") or 0)


def open_deals(ctx: Ctx) -> Result:
    """Open pipeline: deals neither won nor lost at the end of the period."""
    total, groups = pipeline_sums(ctx)
    return result(ctx, total, groups, lambda s: v.count(s.count))


def open_pipeline_value(ctx: Ctx) -> Result:
    """Open pipeline: the amount of deals open at the end of the period."""
    total, groups = pipeline_sums(ctx)
    return result(ctx, total, groups, lambda s: v.money(s.amount))


def weighted_pipeline_value(ctx: Ctx) -> Result:
    """Expected revenue: open amounts weighted by their stage's win probability."""
    total, groups = pipeline_sums(ctx)
    return result(ctx, total, groups, lambda s: v.money(s.weighted))


def overdue_deals(ctx: Ctx) -> Result:
    """Overdue deals: open deals whose expected close date is before the as-of date."""
    late = Q(expected_close_date__lt=ctx.as_of_date)
    point_groups = PIPELINE_ROLLUP_GROUPS | {"source"}
    if ctx.as_of < ctx.now and ctx.rollups_serve(point_groups):
        stays, by_group = _pipeline_from_stays(ctx)
        if by_group is not None:  # only groups with an overdue deal, as the records list them
            by_group = {key: part for key, part in by_group.items() if part.late}
        return result(ctx, stays, by_group, lambda s: v.count(s.late))
    if ctx.as_of >= ctx.now and ctx.by is None:
        from voronka.sales.models import Deal

        # Now: an index range of the open deals, no stage to look up.
        now_late = Deal.all_objects.filter(ctx.scope.deals(), late, status=Deal.Status.OPEN)
        return result(ctx, now_late.count(), None, v.count)
    qs = open_deals_as_of(ctx).filter(late).order_by()
    total = qs.aggregate(n=Count("pk", distinct=True))["n"] or 0
    if ctx.by is None or ctx.by in ("day", "week", "month", "quarter"):
        return result(ctx, total, None, v.count)
    expr = F("stage_then") if ctx.by == "stage" else record_group(ctx.by)
    counted: dict[str | None, int] = defaultdict(int)
    for row in qs.annotate(g=expr).values("g").annotate(n=Count("pk", distinct=True)):
        counted[fold_key(ctx.by, row["g"])] += row["n"]
    return result(ctx, total, dict(counted), v.count)


# The funnel ----------------------------------------------------------------------------------


@dataclass
class StageSums:
    reached: int = 0
    left: int = 0
    stay_us: int = 0


def funnel_sums(ctx: Ctx, pipeline_id: int) -> dict[int, StageSums]:
    """Per stage: deals created in the period that reached it, left it, and their time in it."""
    out: dict[int, StageSums] = defaultdict(StageSums)
    if ctx.rollups_serve(()):
        rows = FunnelDayTotal.objects.filter(
            ctx.scope.deal_rollup(),
            pipeline_id=pipeline_id,
            day__gte=ctx.period.start,
            day__lte=ctx.period.end,
        )
        for row in (
            rows.order_by()
            .values("stage_id")
            .annotate(r=Sum("reached"), lf=Sum("left"), us=Sum("stay_us"))
        ):
            out[row["stage_id"]] = StageSums(row["r"] or 0, row["lf"] or 0, row["us"] or 0)
        return out
    from voronka.analytics.deal_sums import deals_of_event
    from voronka.analytics.facts import micros
    from voronka.sales.models import StageHistory

    deals = deals_of_event(ctx, "created").filter(pipeline_id=pipeline_id).values("pk")
    entries: dict[int, list[tuple[int, Any]]] = defaultdict(list)
    for deal_id, stage_id, moved_at in (
        StageHistory.objects.filter(deal_id__in=deals)
        .order_by("deal_id", "moved_at", "pk")
        .values_list("deal_id", "to_stage_id", "moved_at")
    ):
        entries[deal_id].append((stage_id, moved_at))
    for stays in entries.values():
        reached: dict[int, StageSums] = {}
        for i, (stage_id, entered) in enumerate(stays):
            part = reached.setdefault(stage_id, StageSums(1, 0, 0))
            if i + 1 < len(stays):
                part.left = 1
                part.stay_us += micros(stays[i + 1][1] - entered)
        for stage_id, part in reached.items():
            slot = out[stage_id]
            slot.reached += 1
            slot.left += part.left
            slot.stay_us += part.stay_us
    return out


def funnel(ctx: Ctx) -> Result:
    """Sales funnel: per stage of a pipeline, deals created in the period that reached it,
    conversion to the next stage, drop-off, and mean days spent in the stage."""
    from voronka.sales.models import Pipeline, Stage

    pipeline_id = ctx.scope.filters.pipeline
    if pipeline_id is None:
        pipeline_id = (
            Pipeline.objects.filter(is_active=True)
            .order_by("-is_default", "position", "pk")
            .values_list("pk", flat=True)
            .first()
        )
    if pipeline_id is None:
        return Result(v.null(_("no pipeline")))
    stages = list(
        Stage.objects.filter(pipeline_id=pipeline_id)
        .exclude(kind="lost")
        .order_by("position", "pk")
    )
    lost = list(Stage.objects.filter(pipeline_id=pipeline_id, kind="lost"))
    sums = funnel_sums(ctx, pipeline_id)
    in_pipeline = Scope(ctx.scope.actor, ctx.scope.filters.replace(pipeline=pipeline_id))
    created = deal_sums(replace(ctx, by=None, scope=in_pipeline), "created")[0].count
    rows = []
    for i, stage in enumerate(stages):
        here = sums.get(stage.pk, StageSums())
        nxt = sums.get(stages[i + 1].pk, StageSums()) if i + 1 < len(stages) else None
        conversion = (
            v.ratio(nxt.reached, here.reached, _("no deal reached this stage")).as_json()
            if nxt is not None
            else None
        )
        mean_days = here.stay_us / here.left / US_PER_DAY if here.left else None
        rows.append(
            {
                "key": str(stage.pk),
                "label": stage.name,
                "kind": stage.kind,
                "reached": here.reached,
                "conversion_to_next": conversion,
                "drop_off": (here.reached - nxt.reached) if nxt is not None else None,
                "mean_days_in_stage": None if mean_days is None else round(mean_days, 4),
            }
        )
    lost_count = sum(sums.get(s.pk, StageSums()).reached for s in lost)
    extra = {"pipeline": pipeline_id, "stages": rows, "lost": lost_count}
    if not created:
        return Result(Value(None, reason=_("no deals created in the period"), extra=extra))
    return Result(Value(created, extra=extra))
