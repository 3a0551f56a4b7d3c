"""The orders section of the sales dashboard: new orders, fulfilment time and delivered
revenue against the previous period, the open orders overdue now, and the orders by status
at the end of the period; each number links to the orders list behind it.

The numbers come from the KPI engine (two calls: the period and the one before); the
overdue count is the one the orders list shows with ``overdue=1``. The section is shown
only when the organisation has taken any order at all.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _

from voronka.analytics import engine
from voronka.analytics.dashboard import (
    Cell,
    Column,
    Links,
    Row,
    Table,
    Tile,
    TileSpec,
    change,
    label_of,
    show_number,
    unit_of,
)
from voronka.analytics.scope import Filters, Scope
from voronka.analytics.values import Value

TILES = (
    TileSpec("orders_new"),
    TileSpec("order_fulfilment_hours", lower_is_better=True),
    TileSpec("order_revenue"),
)
COMPARED = tuple(t.kpi for t in TILES)
BY_STATUS = "orders_by_status"

Compute = Callable[..., engine.Report]


@dataclass
class OrdersSection:
    tiles: list[Tile] = field(default_factory=list)
    overdue: Tile | None = None
    statuses: list[dict[str, Any]] = field(default_factory=list)  # the chart's bars
    on_hand: Value = field(default_factory=lambda: Value(0))  # orders by status, in all
    statuses_url: str | None = None
    table: Table | None = None
    has_orders: bool = False  # the organisation has taken orders at all

    @property
    def is_empty(self) -> bool:
        """Nothing to show for this period: no order received, delivered or on hand."""
        new = self.tiles[0].value.value if self.tiles else 0
        return (
            not new and not self.on_hand.value and not (self.overdue and self.overdue.value.value)
        )


def overdue_orders(actor: Any, filters: Filters, now: datetime) -> int:
    """Open orders the reader runs, within the filters, that stay in a status past its norm."""
    from voronka.orders.models import Order
    from voronka.orders.queries import overdue_q

    return Order.all_objects.filter(Scope(actor, filters).orders(), overdue_q(now)).count()


def overdue_url(filters: Filters) -> str | None:
    """The orders list of the overdue open orders, narrowed by the dashboard's filters."""
    try:
        path = reverse("orders:order-list")
    except NoReverseMatch:  # pragma: no cover - the orders app is installed with analytics
        return None
    params = {"overdue": "1"}
    for name, value in (("owner", filters.manager), ("team", filters.team),
                        ("product", filters.product)):  # fmt: skip
        if value is not None:
            params[name] = str(value)
    return f"{path}?{urlencode(params)}"


def build_orders(
    actor: Any, filters: Filters, links: Links, *, compute: Compute, now: datetime
) -> OrdersSection:
    """The section's tiles, overdue count, status chart and export table."""
    from voronka.orders.models import Order

    section = OrdersSection(has_orders=Order.all_objects.exists())
    if not section.has_orders:
        section.table = _table(section, links)  # an export says so with no rows
        return section
    report = compute([*COMPARED, BY_STATUS])
    before = compute(list(COMPARED), on=links.period.previous())
    for spec in TILES:
        unit = unit_of(spec.kpi)
        value, previous = report[spec.kpi].total, before[spec.kpi].total
        also = []
        if spec.kpi == "order_fulfilment_hours" and value.median is not None:
            also.append((_("median"), show_number(value.median, "hours")))
        section.tiles.append(
            Tile(
                kpi=spec.kpi, label=label_of(spec.kpi), unit=unit, value=value,
                previous=previous,
                change=change(value, previous, unit, lower_is_better=spec.lower_is_better),
                url=links(spec.kpi), also=also,
            )
        )  # fmt: skip
    count = overdue_orders(actor, filters, now)
    section.overdue = Tile(
        kpi="orders_overdue", label=_("Overdue orders now"), unit="count", value=Value(count),
        previous=Value(None), change=None, url=overdue_url(filters), also=[],
    )  # fmt: skip
    by_status = report[BY_STATUS].total
    section.on_hand = by_status
    section.statuses_url = links(BY_STATUS)
    section.statuses = [
        {"key": part["key"], "name": part["label"], "value": part["value"],
         "url": links(BY_STATUS, key=part["key"])}
        for part in by_status.extra.get("statuses", [])
    ]  # fmt: skip
    section.table = _table(section, links)
    return section


def _table(section: OrdersSection, links: Links) -> Table:
    """The section as rows of an export: each tile against the previous period, then the
    orders in each status at the end of the period."""
    columns = [Column("value", _("Value"), ""), Column("previous", _("Previous period"), "")]
    rows: list[Row] = []
    if not section.has_orders:
        return Table("orders", _("Orders"), _("KPI"), columns, rows)
    for tile in section.tiles:
        rows.append(Row(tile.kpi, tile.label, [Cell(tile.value, tile.unit, tile.url),
                                               Cell(tile.previous, tile.unit)]))  # fmt: skip
        if tile.kpi == "order_fulfilment_hours":
            rows.append(
                Row(f"{tile.kpi}.median", _("%(kpi)s (median)") % {"kpi": tile.label},
                    [Cell(Value(tile.value.median), "hours"),
                     Cell(Value(tile.previous.median), "hours")])
            )  # fmt: skip
    if section.overdue is not None:
        rows.append(Row("orders_overdue", section.overdue.label,
                        [Cell(section.overdue.value, "count", section.overdue.url),
                         Cell(None, "count")]))  # fmt: skip
    rows.append(Row(BY_STATUS, label_of(BY_STATUS),
                    [Cell(section.on_hand, "count", section.statuses_url),
                     Cell(None, "count")]))  # fmt: skip
    for part in section.statuses:
        rows.append(Row(f"{BY_STATUS}.{part['key']}", "  " + part["name"],
                        [Cell(Value(part["value"]), "count", part["url"]),
                         Cell(None, "count")]))  # fmt: skip
    return Table("orders", _("Orders"), _("KPI"), columns, rows)
