"""The dashboards' data, assembled from the KPI engine.

Every number comes from :func:`voronka.analytics.engine.compute`, with as few calls as
the page allows: one for the period's totals (tiles and funnel), one for the previous
period of equal length, and one per grouping (time, source, manager). The tables built
here feed both the pages and the exports, so a download always shows what the page shows.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db.models import Q
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from voronka.analytics import engine
from voronka.analytics.forms import Choice
from voronka.analytics.periods import Period
from voronka.analytics.scope import Filters, Scope
from voronka.analytics.values import Value
from voronka.core import organisation
from voronka.core.templatetags.voronka import money

LIST_LIMIT = 10  # overdue deals and tasks shown on a dashboard; the rest behind a link
PARTS = ("tiles", "funnel", "timeline", "sources", "leaderboard", "overdue", "orders")
PERSONAL_PARTS = ("tiles", "plan", "funnel", "overdue", "overdue_tasks")


@dataclass(frozen=True)
class TileSpec:
    kpi: str
    # Shown in small text under the number: the median of a duration, a related KPI.
    also: tuple[str, ...] = ()
    # For overdue work and long cycles a rise is bad news.
    lower_is_better: bool = False
    optional: bool = False  # a KPI of a capability that may not be installed


TILES = (
    TileSpec("won_revenue"),
    TileSpec("deals_won"),
    TileSpec("win_rate"),
    TileSpec("avg_deal_size"),
    TileSpec("sales_cycle_days", lower_is_better=True),
    TileSpec("lead_conversion_rate"),
    TileSpec("leads_new"),
    TileSpec("open_pipeline_value", also=("weighted_pipeline_value",)),
    TileSpec("overdue_deals", lower_is_better=True),
    TileSpec("active_clients"),
    TileSpec("tasks_overdue", lower_is_better=True),
    TileSpec("plan_fulfilment", optional=True),
)
PLAN_IDS = ("plan_target", "plan_fulfilment", "plan_forecast")
TIMELINE_IDS = ("won_revenue", "deals_won")
SOURCE_IDS = ("leads_new", "lead_conversion_rate", "deals_won", "won_revenue")
LEADERBOARD_IDS = (
    "won_revenue", "deals_won", "win_rate", "avg_deal_size", "sales_cycle_days",
    "activities_logged", "tasks_overdue", "plan_fulfilment",
)  # fmt: skip


def available(ids: Iterable[str]) -> list[str]:
    """The KPIs among ``ids`` the engine knows now (plan KPIs register themselves)."""
    return [i for i in ids if i in engine.KPIS]


def unit_of(kpi_id: str) -> str:
    return engine.KPIS[kpi_id].unit


def label_of(kpi_id: str) -> str:
    return str(engine.KPIS[kpi_id].label)


# Showing numbers ---------------------------------------------------------------------------


def show(value: Value | None, unit: str) -> str:
    """A value as a person reads it in the active language; an undefined one as a dash."""
    if value is None or value.value is None:
        return "—"
    return show_number(value.value, unit)


def show_number(x: Any, unit: str) -> str:
    if unit == "money":
        return money(x)
    if unit == "ratio":
        return _("%(number)s %%") % {"number": _one_decimal(float(x) * 100)}
    if unit == "pp":
        return _("%(number)s p.p.") % {"number": _one_decimal(float(x))}
    if unit == "days":
        return _("%(number)s d") % {"number": _one_decimal(float(x))}
    if unit == "hours":
        return _("%(number)s h") % {"number": _one_decimal(float(x))}
    if unit == "minutes":
        return _("%(number)s min") % {"number": _one_decimal(float(x))}
    if unit == "score":  # a mean of 1–5 scores, as 4.25
        score = Decimal(str(x)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
        return formats.number_format(score, 2, use_l10n=True)
    return formats.number_format(x, 0, use_l10n=True, force_grouping=True)


def _one_decimal(x: float) -> str:
    # Django's number_format cuts digits off; a shown 66.67 % must read 66.7 %.
    rounded = Decimal(str(x)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
    return formats.number_format(rounded, 1, use_l10n=True, force_grouping=True)


def sort_key(value: Value | None) -> float | None:
    """A plain number for sorting a table in the browser; None sorts last."""
    if value is None or value.value is None:
        return None
    return float(value.value)


# Drill-down links --------------------------------------------------------------------------


def _drill_function() -> Callable[..., str | None] | None:
    # The drill-down module is optional: without it numbers are shown without links.
    try:
        from voronka.analytics.drill import drill_url
    except ModuleNotFoundError:
        return None
    return drill_url  # type: ignore[no-any-return]


@dataclass
class Links:
    """The list behind a number, for the dashboard's period and filters."""

    period: Period
    filters: Filters
    fn: Callable[..., str | None] | None = field(default_factory=_drill_function)

    def __call__(
        self,
        kpi_id: str,
        *,
        by: str | None = None,
        key: str | None = None,
        filters: Filters | None = None,
    ) -> str | None:
        if self.fn is None:
            return None
        return self.fn(kpi_id, self.period, filters or self.filters, by=by, key=key)


def group_key(key: str | None) -> str:
    # The group of records with no value (no source, no manager) is drilled as "null".
    return "null" if key is None else key


# Tables: what a page shows and an export writes -------------------------------------------


@dataclass(frozen=True)
class Cell:
    value: Value | None
    unit: str
    url: str | None = None

    @property
    def text(self) -> str:
        return show(self.value, self.unit)

    @property
    def is_null(self) -> bool:
        return self.value is None or self.value.value is None

    @property
    def reason(self) -> str:
        return "" if self.value is None else str(self.value.reason)

    @property
    def sort(self) -> float | None:
        return sort_key(self.value)

    @property
    def raw(self) -> int | float | Decimal | None:
        return None if self.value is None else self.value.value


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    unit: str


@dataclass
class Row:
    key: str | None
    label: str
    cells: list[Cell]
    url: str | None = None


@dataclass
class Table:
    name: str
    title: str
    first: str  # the heading of the label column
    columns: list[Column]
    rows: list[Row]

    @property
    def is_empty(self) -> bool:
        return not self.rows


# Tiles -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Change:
    """How a tile moved against the previous period: % for amounts, p.p. for ratios."""

    amount: float | None  # None: nothing to compare with (the previous period had zero)
    unit: str  # "ratio" (a relative change, a fraction) or "pp" (percentage points)
    direction: str  # up, down, flat
    good: bool | None

    @property
    def text(self) -> str:
        if self.amount is None:
            return ""
        sign = "+" if self.amount > 0 else ("−" if self.amount < 0 else "±")
        return sign + show_number(abs(self.amount), self.unit)

    @property
    def arrow(self) -> str:
        return {"up": "arrow-up", "down": "arrow-down"}.get(self.direction, "dash")

    @property
    def colour(self) -> str:
        if self.good is None:
            return "secondary"
        return "success" if self.good else "danger"


def change(current: Value, previous: Value, unit: str, *, lower_is_better: bool) -> Change | None:
    """The change of a tile, or None when either period has no value to compare."""
    if current.value is None or previous.value is None:
        return None
    now, before = float(current.value), float(previous.value)
    direction = "up" if now > before else ("down" if now < before else "flat")
    good = None if direction == "flat" else ((direction == "up") != lower_is_better)
    if unit == "ratio":
        return Change(round((now - before) * 100, 4), "pp", direction, good)
    if before == 0:
        return Change(None, "ratio", direction, good)
    return Change(round((now - before) / abs(before), 4), "ratio", direction, good)


@dataclass(frozen=True)
class Tile:
    kpi: str
    label: str
    unit: str
    value: Value
    previous: Value
    change: Change | None
    url: str | None
    also: list[tuple[str, str]]  # (label, text) in small print

    @property
    def text(self) -> str:
        return show(self.value, self.unit)

    @property
    def previous_text(self) -> str:
        return show(self.previous, self.unit)

    @property
    def is_null(self) -> bool:
        return self.value.value is None

    @property
    def reason(self) -> str:
        return str(self.value.reason)


def _tiles(report: engine.Report, before: engine.Report | None, links: Links) -> list[Tile]:
    tiles = []
    for spec in TILES:
        if spec.kpi not in report.results:
            continue
        unit = unit_of(spec.kpi)
        value = report[spec.kpi].total
        previous = before[spec.kpi].total if before is not None else Value(None)
        also: list[tuple[str, str]] = []
        if spec.kpi == "sales_cycle_days" and value.median is not None:
            also.append((_("median"), show_number(value.median, "days")))
        for other in spec.also:
            if other in report.results:
                also.append((label_of(other), show(report[other].total, unit_of(other))))
        tiles.append(
            Tile(
                kpi=spec.kpi,
                label=label_of(spec.kpi),
                unit=unit,
                value=value,
                previous=previous,
                change=change(value, previous, unit, lower_is_better=spec.lower_is_better),
                url=links(spec.kpi),
                also=also,
            )
        )
    return tiles


def tiles_table(tiles: list[Tile], report: engine.Report) -> Table:
    """The tiles as rows: value, previous period, and the change in % or p.p."""
    rows = []
    for tile in tiles:
        ch = tile.change
        relative = Value(ch.amount) if ch is not None and ch.unit == "ratio" else None
        points = Value(ch.amount) if ch is not None and ch.unit == "pp" else None
        rows.append(
            Row(
                tile.kpi,
                tile.label,
                [
                    Cell(tile.value, tile.unit, tile.url),
                    Cell(tile.previous, tile.unit),
                    Cell(relative, "ratio"),
                    Cell(points, "pp"),
                ],
            )
        )
        if tile.kpi == "sales_cycle_days":
            median = Value(tile.value.median)
            rows.append(
                Row(
                    "sales_cycle_days.median",
                    _("%(kpi)s (median)") % {"kpi": tile.label},
                    [Cell(median, "days"), Cell(Value(tile.previous.median), "days"),
                     Cell(None, "ratio"), Cell(None, "pp")],
                )
            )  # fmt: skip
        for spec in TILES:
            if spec.kpi == tile.kpi:
                for other in spec.also:
                    if other in report.results:
                        rows.append(
                            Row(other, label_of(other),
                                [Cell(report[other].total, unit_of(other)), Cell(None, "money"),
                                 Cell(None, "ratio"), Cell(None, "pp")])
                        )  # fmt: skip
    return Table(
        "tiles",
        _("Key figures"),
        _("KPI"),
        [
            Column("value", _("Value"), ""),
            Column("previous", _("Previous period"), ""),
            Column("change", _("Change, %"), "ratio"),
            Column("change_pp", _("Change, p.p."), "pp"),
        ],
        rows,
    )


# The funnel ----------------------------------------------------------------------------------


@dataclass
class Funnel:
    pipeline: Any
    created: Value
    lost: int | None
    table: Table
    chart: list[dict[str, Any]]

    @property
    def is_empty(self) -> bool:
        return self.created.value is None


def _funnel(report: engine.Report, pipeline: Any, links: Links) -> Funnel:
    total = report["funnel"].total
    stages = total.extra.get("stages", [])
    in_pipeline = links.filters.replace(pipeline=pipeline.pk if pipeline else None)
    rows, chart = [], []
    for stage in stages:
        url = links("funnel", key=stage["key"], filters=in_pipeline)
        conversion = stage["conversion_to_next"]
        conv_value = (
            None
            if conversion is None
            else Value(
                conversion["value"],
                reason=conversion.get("reason", ""),
                numerator=conversion.get("numerator"),
                denominator=conversion.get("denominator"),
            )
        )
        drop = stage["drop_off"]
        rows.append(
            Row(
                stage["key"],
                stage["label"],
                [
                    Cell(Value(stage["reached"]), "count", url),
                    Cell(conv_value, "ratio"),
                    Cell(None if drop is None else Value(drop), "count"),
                    Cell(
                        Value(stage["mean_days_in_stage"], reason=_("no deal left this stage")),
                        "days",
                    ),
                ],
                url,
            )
        )
        chart.append(
            {
                "key": stage["key"],
                "name": stage["label"],
                "value": stage["reached"],
                "kind": stage["kind"],
                "conversion": None if conv_value is None else conv_value.value,
                "url": url,
            }
        )
    table = Table(
        "funnel",
        _("Sales funnel"),
        _("Stage"),
        [
            Column("reached", pgettext("funnel stage", "Reached"), "count"),
            Column("conversion", _("Conversion to next"), "ratio"),
            Column("drop_off", _("Drop-off"), "count"),
            Column("mean_days", _("Days in stage"), "days"),
        ],
        rows,
    )
    return Funnel(pipeline, total, total.extra.get("lost"), table, chart)


# Won revenue over time ---------------------------------------------------------------------


@dataclass
class Timeline:
    bucket: str
    table: Table
    chart: dict[str, Any]

    @property
    def is_empty(self) -> bool:
        return not any(self.chart["deals"])


def _timeline(report: engine.Report, bucket: str, links: Links) -> Timeline:
    revenue = {g.key: g for g in report["won_revenue"].groups or []}
    deals = {g.key: g for g in report["deals_won"].groups or []}
    rows = []
    chart: dict[str, Any] = {
        "keys": [], "labels": [], "revenue": [], "deals": [], "urls": [],
        "revenueName": label_of("won_revenue"), "dealsName": label_of("deals_won"),
    }  # fmt: skip
    for key, group in revenue.items():
        won = deals.get(key)
        url = links("won_revenue", by=bucket, key=key)
        won_value = won.value if won else Value(0)
        rows.append(
            Row(key, group.label,
                [Cell(group.value, "money", url), Cell(won_value, "count", url)], url)
        )  # fmt: skip
        chart["keys"].append(key)
        chart["labels"].append(group.label)
        chart["revenue"].append(float(group.value.value or 0))
        chart["deals"].append(int(won_value.value or 0))
        chart["urls"].append(url)
    title = _("Won revenue by week") if bucket == "week" else _("Won revenue by month")
    table = Table(
        "revenue",
        title,
        _("Week") if bucket == "week" else _("Month"),
        [
            Column("won_revenue", label_of("won_revenue"), "money"),
            Column("deals_won", label_of("deals_won"), "count"),
        ],
        rows,
    )
    return Timeline(bucket, table, chart)


# Grouped tables ----------------------------------------------------------------------------


def _grouped_table(
    report: engine.Report,
    ids: list[str],
    by: str,
    links: Links,
    *,
    name: str,
    title: str,
    first: str,
    row_url: Callable[[str | None], str | None] | None = None,
) -> Table:
    """One row per group of any of the KPIs, one column per KPI, ordered by the first KPI."""
    order: dict[str | None, str] = {}
    values: dict[str, dict[str | None, Value]] = {}
    for kpi_id in ids:
        groups = report[kpi_id].groups or []
        values[kpi_id] = {g.key: g.value for g in groups}
        for g in groups:
            order.setdefault(g.key, g.label)
    lead = ids[0]

    def rank(key: str | None) -> tuple[Any, ...]:
        v = values[lead].get(key)
        number = sort_key(v)
        return (key is None, number is None, -(number or 0), order[key])

    rows = []
    for key in sorted(order, key=rank):
        cells = []
        for kpi_id in ids:
            unit = unit_of(kpi_id)
            value = values[kpi_id].get(key)
            if value is None and unit in ("count", "money"):
                value = Value(0 if unit == "count" else Decimal("0.00"))
            cells.append(Cell(value, unit, links(kpi_id, by=by, key=group_key(key))))
        rows.append(Row(key, order[key], cells, row_url(key) if row_url else None))
    columns = [Column(k, label_of(k), unit_of(k)) for k in ids]
    return Table(name, title, first, columns, rows)


# Lists of records --------------------------------------------------------------------------


def overdue_deals(actor: Any, filters: Filters, on: date, limit: int = LIST_LIMIT) -> list[Any]:
    """The most overdue open deals the actor may see, within the dashboard's filters."""
    from voronka.sales.models import Deal

    return list(
        Deal.objects.filter(
            Scope(actor, filters).deals(),
            status=Deal.Status.OPEN,
            expected_close_date__lt=on,
        )
        .select_related("owner", "company", "contact", "stage")
        .order_by("expected_close_date", "pk")[:limit]
    )


def overdue_tasks(
    actor: Any, filters: Filters, now: datetime, limit: int = LIST_LIMIT
) -> list[Any]:
    """The oldest overdue open tasks of the people the actor may see."""
    from voronka.activities.models import Task

    return list(
        Task.objects.filter(
            Scope(actor, filters).people("assignee"),
            Q(status__in=[Task.Status.OPEN, Task.Status.IN_PROGRESS]),
            due_at__lt=now,
        )
        .select_related("assignee", "deal", "company", "contact", "lead")
        .order_by("due_at", "pk")[:limit]
    )


# The plan ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Plan:
    target: Value | None
    fulfilment: Value | None
    forecast: Value | None

    @property
    def target_text(self) -> str:
        return show(self.target, "money")

    @property
    def fulfilment_text(self) -> str:
        return show(self.fulfilment, "ratio")

    @property
    def forecast_text(self) -> str:
        return show(self.forecast, "money")

    @property
    def actual_text(self) -> str:
        f = self.fulfilment
        return "—" if f is None or f.numerator is None else show_number(f.numerator, "money")

    @property
    def percent(self) -> int:
        """The width of the progress bar, 0–100."""
        f = self.fulfilment
        if f is None or f.value is None:
            return 0
        return max(0, min(100, round(float(f.value) * 100)))

    @property
    def needed_text(self) -> str:
        extra = self.forecast.extra if self.forecast is not None else {}
        needed = extra.get("needed_per_working_day")
        return "—" if needed is None else show_number(needed, "money")

    @property
    def working_days_left(self) -> Any:
        extra = self.forecast.extra if self.forecast is not None else {}
        return extra.get("working_days_left")

    @property
    def is_set(self) -> bool:
        return self.target is not None and self.target.value is not None


def _plan(report: engine.Report) -> Plan | None:
    present = [i for i in PLAN_IDS if i in report.results]
    if not present:
        return None

    def total(kpi_id: str) -> Value | None:
        return report[kpi_id].total if kpi_id in report.results else None

    return Plan(total("plan_target"), total("plan_fulfilment"), total("plan_forecast"))


# The whole dashboard -----------------------------------------------------------------------


@dataclass
class Dashboard:
    choice: Choice
    previous: Period
    tiles: list[Tile] = field(default_factory=list)
    tiles_table: Table | None = None
    funnel: Funnel | None = None
    timeline: Timeline | None = None
    sources: Table | None = None
    leaderboard: Table | None = None
    overdue: list[Any] = field(default_factory=list)
    overdue_tasks: list[Any] = field(default_factory=list)
    plan: Plan | None = None
    quiet: bool = False  # nothing happened in the period: the page suggests a wider one
    overdue_url: str | None = None
    tasks_url: str | None = None
    orders: Any = None  # dashboard_orders.OrdersSection

    def table(self, name: str) -> Table | None:
        tables = {
            "orders": self.orders.table if self.orders else None,
            "tiles": self.tiles_table,
            "funnel": self.funnel.table if self.funnel else None,
            "revenue": self.timeline.table if self.timeline else None,
            "sources": self.sources,
            "leaderboard": self.leaderboard,
        }
        return tables.get(name)


# Which parts of the page an export of one table needs.
TABLE_PARTS = {
    "tiles": ("tiles",),
    "funnel": ("funnel",),
    "revenue": ("timeline",),
    "sources": ("sources",),
    "leaderboard": ("leaderboard",),
    "orders": ("orders",),
}


def build(
    actor: Any,
    choice: Choice,
    *,
    parts: Iterable[str] = PARTS,
    pipeline: Any = None,
    manager_url: Callable[[str | None], str | None] | None = None,
    now: datetime | None = None,
) -> Dashboard:
    """The parts of a dashboard ``actor`` asked for, each engine call made once.

    ``pipeline`` is the funnel's pipeline (the chosen or the main one);
    ``manager_url`` links a leaderboard row to that manager's own dashboard.
    """
    wanted = set(parts)
    now = now or timezone.now()
    period, filters = choice.period, choice.filters
    links = Links(period, filters)
    board = Dashboard(choice=choice, previous=period.previous())

    def compute(ids: Iterable[str], *, on: Period = period, by: str | None = None) -> Any:
        # Medians only where the page shows one: the tiles of the chosen period.
        medians = on == period and by is None
        return engine.compute(
            actor=actor, ids=ids, period=on, by=by, filters=filters, now=now, medians=medians
        )

    tile_ids = available(
        [t.kpi for t in TILES] + [a for t in TILES for a in t.also]
    ) if "tiles" in wanted else []  # fmt: skip
    current_ids = list(tile_ids)
    if "funnel" in wanted:
        current_ids.append("funnel")
    if "plan" in wanted:
        current_ids += available(PLAN_IDS)
    if current_ids:
        report = compute(current_ids)
        if "tiles" in wanted:
            before = compute(tile_ids, on=board.previous)
            board.tiles = _tiles(report, before, links)
            board.tiles_table = tiles_table(board.tiles, report)
        if "funnel" in wanted:
            board.funnel = _funnel(report, pipeline, links)
        if "plan" in wanted:
            board.plan = _plan(report)
        if "tiles" in wanted and board.funnel is not None:
            board.quiet = (
                not report["deals_won"].total.value
                and not report["leads_new"].total.value
                and board.funnel.is_empty
            )
    if "timeline" in wanted:
        report = compute(TIMELINE_IDS, by=choice.bucket)
        board.timeline = _timeline(report, choice.bucket, links)
    if "sources" in wanted:
        report = compute(SOURCE_IDS, by="source")
        board.sources = _grouped_table(
            report, list(SOURCE_IDS), "source", links,
            name="sources", title=_("Sources"), first=_("Source"),
        )  # fmt: skip
    if "leaderboard" in wanted:
        ids = available(LEADERBOARD_IDS)
        report = compute(ids, by="manager")
        board.leaderboard = _grouped_table(
            report, ids, "manager", links,
            name="leaderboard", title=_("Managers"), first=_("Manager"), row_url=manager_url,
        )  # fmt: skip
    if "overdue" in wanted:
        as_of = timezone.localtime(period.as_of(now), organisation.current().tz).date()
        board.overdue = overdue_deals(actor, filters, as_of)
        board.overdue_url = links("overdue_deals")
    if "overdue_tasks" in wanted:
        board.overdue_tasks = overdue_tasks(actor, filters, min(period.as_of(now), now))
        board.tasks_url = links("tasks_overdue")
    if "orders" in wanted:
        from voronka.analytics.dashboard_orders import build_orders

        board.orders = build_orders(actor, filters, links, compute=compute, now=now)
    return board
