"""Sums over the deals created, won or lost in a period, from the rollups or the deals.

Both paths return the same :class:`DealSums` per group; the rollup path reads a
few hundred day rows, the direct path reads the deals themselves and is used for
the groupings and filters the rollups do not carry (product, stage, client).
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from dataclasses import dataclass, field, fields
from decimal import Decimal
from typing import Any

from django.db.models import F, Q, QuerySet, Sum

from voronka.analytics.context import Ctx, fold_key, owner_field, record_group
from voronka.analytics.facts import micros
from voronka.analytics.models import DealDayTotal
from voronka.analytics.sql import Median, Seconds
from voronka.core.money import cents

CENT = Decimal("0.01")
US_PER_DAY = 86_400 * 1_000_000
ROLLUP_GROUPS = frozenset(
    {"manager", "team", "source", "pipeline", "day", "week", "month", "quarter"}
)


@dataclass
class DealSums:
    count: int = 0
    amount: Decimal = Decimal("0")
    cycle_us: int = 0
    with_lead: int = 0
    lead_cycle_us: int = 0
    with_expected: int = 0
    late: int = 0
    # Per-deal values, kept only when a median is asked for.
    cycles: list[int] = field(default_factory=list, repr=False)
    lead_cycles: list[int] = field(default_factory=list, repr=False)
    cycle_median_us: float | None = None
    lead_cycle_median_us: float | None = None

    def add(self, other: DealSums) -> None:
        for f in fields(self):
            if f.name.endswith("median_us"):
                continue
            setattr(self, f.name, getattr(self, f.name) + getattr(other, f.name))


SUM_FIELDS = ("count", "amount", "cycle_us", "with_lead", "lead_cycle_us", "with_expected", "late")


def deal_sums(
    ctx: Ctx, event: str, *, medians: bool = False
) -> tuple[DealSums, dict[str | None, DealSums] | None]:
    """Deals of ``event`` (created, won, lost) in the period: the total and, with ``by``, groups."""
    if not medians and ctx.knows(("deal_sums", event, True)):
        medians = True  # already read, with medians
    return ctx.remember(  # type: ignore[no-any-return]
        ("deal_sums", event, medians), lambda: _deal_sums(ctx, event, medians=medians)
    )


def _deal_sums(
    ctx: Ctx, event: str, *, medians: bool
) -> tuple[DealSums, dict[str | None, DealSums] | None]:
    if ctx.rollups_serve(ROLLUP_GROUPS):
        total, groups = _from_rollup(ctx, event)
        if medians:
            _sql_medians(ctx, event, total, groups)
        return total, groups
    return _from_deals(ctx, event, medians=medians)


def _rollup_rows(ctx: Ctx, event: str) -> QuerySet[DealDayTotal]:
    return DealDayTotal.objects.filter(
        ctx.scope.deal_rollup(), event=event, day__gte=ctx.period.start, day__lte=ctx.period.end
    )


def _sums_of(row: dict[str, Any]) -> DealSums:
    return DealSums(
        count=row["count"] or 0,
        amount=row["amount"] or Decimal("0"),
        cycle_us=row["cycle_us"] or 0,
        with_lead=row["with_lead"] or 0,
        lead_cycle_us=row["lead_cycle_us"] or 0,
        with_expected=row["with_expected"] or 0,
        late=row["late"] or 0,
    )


def _from_rollup(ctx: Ctx, event: str) -> tuple[DealSums, dict[str | None, DealSums] | None]:
    rows = _rollup_rows(ctx, event)
    aggregates = {name: Sum(name) for name in SUM_FIELDS}
    if ctx.by is None:
        return _sums_of(rows.aggregate(**aggregates)), None
    group_field = owner_field(ctx.by) or {"source": "source_id", "pipeline": "pipeline_id"}.get(
        ctx.by, "day"
    )
    groups: dict[str | None, DealSums] = defaultdict(DealSums)
    total = DealSums()
    for row in rows.order_by().values(group_field).annotate(**aggregates):
        sums = _sums_of(row)
        groups[fold_key(ctx.by, row[group_field])].add(sums)
        total.add(sums)
    return total, dict(groups)


def deals_of_event(ctx: Ctx, event: str) -> QuerySet[Any]:
    """The visible, filtered deals behind ``deal_sums`` (also what a drill-down lists)."""
    from voronka.sales.models import Deal

    start, end = ctx.bounds
    if event == DealDayTotal.Event.CREATED:
        when = Q(created_at__gte=start, created_at__lt=end)
    else:
        when = Q(status=event, closed_at__gte=start, closed_at__lt=end)
    return Deal.all_objects.filter(ctx.scope.deals(), when)


def _when_field(event: str) -> str:
    return "created_at" if event == DealDayTotal.Event.CREATED else "closed_at"


def _sql_medians(
    ctx: Ctx, event: str, total: DealSums, groups: dict[str | None, DealSums] | None
) -> None:
    """Medians need every value; the database sorts the period's deals (not all deals)."""
    qs = deals_of_event(ctx, event).order_by()
    cycle = Median(Seconds("closed_at", "created_at"))
    lead_cycle = Median(Seconds("closed_at", "lead__created_at"), filter=Q(lead__isnull=False))
    found = qs.aggregate(c=cycle, lc=lead_cycle)
    total.cycle_median_us = _us_or_none(found["c"])
    total.lead_cycle_median_us = _us_or_none(found["lc"])
    if groups is None or ctx.by is None:
        return
    expr = record_group(ctx.by, when=_when_field(event), tz=ctx.tz)
    per: dict[str | None, list[tuple[float | None, float | None]]] = defaultdict(list)
    for row in qs.annotate(g=expr).values("g").annotate(c=cycle, lc=lead_cycle):
        per[fold_key(ctx.by, row["g"])].append((row["c"], row["lc"]))
    for key, sums in groups.items():
        cycle_s, lead_s = per.get(key, [(None, None)])[0]
        sums.cycle_median_us = _us_or_none(cycle_s)
        sums.lead_cycle_median_us = _us_or_none(lead_s)


def _us_or_none(seconds: float | None) -> float | None:
    return None if seconds is None else seconds * 1_000_000


def _median(values: list[int]) -> float | None:
    return float(statistics.median(values)) if values else None


def _from_deals(
    ctx: Ctx, event: str, *, medians: bool
) -> tuple[DealSums, dict[str | None, DealSums] | None]:
    """Every deal of the period, summed here: the definition the rollups must agree with."""
    qs = deals_of_event(ctx, event).order_by()
    columns = [
        "pk", "created_at", "closed_at", "amount", "exchange_rate", "expected_close_date",
        "lead__created_at",
    ]  # fmt: skip
    tz = ctx.tz
    rows = list(qs.values(*columns).distinct())
    keys: dict[int, list[str | None]] = defaultdict(list)
    if ctx.by is not None:
        expr = record_group(ctx.by, when=_when_field(event), tz=tz)
        for pk, raw in qs.annotate(g=expr).values_list("pk", "g").distinct():
            keys[pk].append(fold_key(ctx.by, raw))
    total = DealSums()
    groups: dict[str | None, DealSums] = defaultdict(DealSums)
    for row in rows:
        sums = _one_deal(row, event, tz)
        total.add(sums)
        for key in dict.fromkeys(keys.get(row["pk"], [])):
            groups[key].add(sums)
    for sums in [total, *groups.values()]:
        sums.cycle_median_us = _median(sums.cycles) if medians else None
        sums.lead_cycle_median_us = _median(sums.lead_cycles) if medians else None
    return total, (dict(groups) if ctx.by is not None else None)


def _one_deal(row: dict[str, Any], event: str, tz: Any) -> DealSums:
    amount = cents(row["amount"] * row["exchange_rate"])
    sums = DealSums(count=1, amount=amount)
    if event == DealDayTotal.Event.CREATED:
        return sums
    closed = row["closed_at"]
    sums.cycle_us = micros(closed - row["created_at"])
    sums.cycles = [sums.cycle_us]
    if row["lead__created_at"] is not None:
        sums.with_lead = 1
        sums.lead_cycle_us = micros(closed - row["lead__created_at"])
        sums.lead_cycles = [sums.lead_cycle_us]
    if row["expected_close_date"] is not None:
        sums.with_expected = 1
        sums.late = int(closed.astimezone(tz).date() > row["expected_close_date"])
    return sums


def amount_base() -> Any:
    """A deal's amount in the base currency, rounded to cents as the rollups hold it."""
    from django.db.models.functions import Round

    return Round(F("amount") * F("exchange_rate"), 2)
