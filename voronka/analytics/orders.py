"""Order KPIs: orders received, fulfilment time, delivered order revenue and orders by status
(``KPI.md``, "Work and orders").

Orders count for their responsible manager (see :meth:`Scope.orders`): a manager reads the
orders they run (a team lead, the team's), the head of sales, the administrator and support
every order. Soft-deleted orders never count. Dates are the organisation's local days; the
durations are real elapsed time (the difference of two moments).

An order with lines of two products counts once in each product's group and once in the
total, so product groups do not add up to the total; an order with no catalogue product on
any line is in the "no products" group.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Callable, Iterable
from decimal import Decimal
from typing import Any

from django.db.models import (
    Avg,
    Count,
    F,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
)
from django.db.models.functions import Round
from django.utils.translation import gettext_lazy

from voronka.analytics import values as v
from voronka.analytics.context import Ctx, fold_key, record_group
from voronka.analytics.grouping import result
from voronka.analytics.sql import Median, Seconds
from voronka.analytics.values import Result, Value

ORDER_GROUPS = frozenset(
    {"manager", "team", "client", "product", "day", "week", "month", "quarter"}
)
# Orders by status is a moment: it has no time groups.
STATUS_GROUPS = frozenset({"manager", "team", "client", "product"})
HOUR = 3600

NO_DELIVERED = gettext_lazy("no order delivered in the period")

Sums = dict[str, Any]
Groups = dict[str | None, Sums]


# Which orders, and their groups ---------------------------------------------------------------


def _orders(ctx: Ctx, when: str) -> QuerySet[Any]:
    """The visible, filtered orders whose moment ``when`` falls in the period."""
    from voronka.orders.models import Order

    start, end = ctx.bounds
    return Order.all_objects.filter(
        ctx.scope.orders(), **{f"{when}__gte": start, f"{when}__lt": end}
    ).order_by()


def base_total() -> Any:
    """An order's total in the base currency, rounded to cents (as a deal's amount is)."""
    return Round(F("total") * F("exchange_rate"), 2)


def _product_groups(
    qs: QuerySet[Any], rows: dict[int, dict[str, Any]], fold: Callable[[list[Any]], Sums]
) -> Groups:
    """The ``rows`` of the orders of ``qs`` folded by the products on their lines: an order
    in each of its products' groups, once; orders with no catalogue product in ``None``."""
    from voronka.orders.models import OrderLine

    by_product: dict[str | None, list[dict[str, Any]]] = defaultdict(list)
    seen: set[int] = set()
    pairs = (
        OrderLine.objects.filter(order__in=qs.values("pk"), product__isnull=False)
        .order_by()
        .values_list("product_id", "order_id")
        .distinct()
    )
    for product_id, order_id in pairs:
        if order_id in rows:
            by_product[str(product_id)].append(rows[order_id])
            seen.add(order_id)
    without = [row for pk, row in rows.items() if pk not in seen]
    if without:
        by_product[None] = without
    return {key: fold(part) for key, part in by_product.items()}


def _sums(
    ctx: Ctx,
    qs: QuerySet[Any],
    *,
    when: str,
    aggregates: dict[str, Any],
    per_order: Iterable[str],
    fold: Callable[[list[dict[str, Any]]], Sums],
    combine: Callable[[Iterable[Sums]], Sums] | None = None,
) -> tuple[Sums, Groups | None]:
    """The aggregates over ``qs`` and, with a grouping, per group.

    The database sums each group of one value (a manager, a client, a local month); such
    groups share out the orders, so ``combine`` (when the sums add up) makes the total of
    them instead of another query. Product groups are worked out here from the orders'
    ``per_order`` values, folded by ``fold`` into the same sums, so that an order with two
    lines of one product is one order of it.
    """
    if ctx.by is None:
        return qs.aggregate(**aggregates), None
    if ctx.by == "product":
        rows = {row["pk"]: row for row in qs.values("pk", *per_order)}
        return fold(list(rows.values())), _product_groups(qs, rows, fold)
    expr = record_group(ctx.by, when=when, tz=ctx.tz)
    groups: Groups = {}
    for row in qs.annotate(g=expr).values("g").annotate(**aggregates):
        groups[fold_key(ctx.by, row.pop("g"))] = row
    total = combine(groups.values()) if combine else qs.aggregate(**aggregates)
    return total, groups


def _add_up(*names: str) -> Callable[[Iterable[Sums]], Sums]:
    def combine(parts: Iterable[Sums]) -> Sums:
        total: Sums = dict.fromkeys(names, 0)
        for part in parts:
            for name in names:
                total[name] += part[name] or 0
        return total

    return combine


# Orders received -------------------------------------------------------------------------------


def _count_fold(rows: list[dict[str, Any]]) -> Sums:
    return {"n": len(rows)}


def orders_new(ctx: Ctx) -> Result:
    """Orders received: the orders taken down in the period, by the local day they arrived."""
    qs = _orders(ctx, "created_at")
    total, groups = _sums(
        ctx, qs, when="created_at", aggregates={"n": Count("pk")}, per_order=(),
        fold=_count_fold, combine=_add_up("n"),
    )  # fmt: skip
    return result(ctx, total, groups, lambda s: v.count(s["n"] or 0), empty=lambda: {"n": 0})


# Orders delivered: fulfilment time and revenue -------------------------------------------------


def delivered(ctx: Ctx) -> tuple[Sums, Groups | None]:
    """The orders delivered in the period, one read for the report: ``n`` of them, the mean
    and median seconds from arrival to delivery, and the ``kept`` ones (still delivered,
    not returned since) with their ``amount`` in the base currency."""
    return ctx.remember(  # type: ignore[no-any-return]
        ("orders_delivered", ctx.medians), lambda: _read_delivered(ctx)
    )


def _read_delivered(ctx: Ctx) -> tuple[Sums, Groups | None]:
    from voronka.orders.models import Status

    qs = _orders(ctx, "delivered_at").annotate(base=base_total())
    seconds = Seconds("delivered_at", "created_at")
    kept = Q(status=Status.DELIVERED)
    aggregates: dict[str, Any] = {
        "n": Count("pk"), "mean": Avg(seconds), "kept": Count("pk", filter=kept),
        "amount": Sum("base", filter=kept),
    }  # fmt: skip
    if ctx.medians:
        aggregates["median"] = Median(seconds)
    return _sums(
        ctx, qs, when="delivered_at", aggregates=aggregates,
        per_order=("created_at", "delivered_at", "status", "base"),
        fold=_delivered_fold(ctx.medians),
    )  # fmt: skip


def _delivered_fold(medians: bool) -> Callable[[list[dict[str, Any]]], Sums]:
    from voronka.orders.models import Status

    def fold(rows: list[dict[str, Any]]) -> Sums:
        seconds = [(r["delivered_at"] - r["created_at"]).total_seconds() for r in rows]
        kept = [r["base"] for r in rows if r["status"] == Status.DELIVERED]
        sums: Sums = {"n": len(rows), "kept": len(kept), "amount": sum(kept, Decimal(0))}
        sums["mean"] = statistics.fmean(seconds) if seconds else None
        sums["median"] = statistics.median(seconds) if seconds and medians else None
        return sums

    return fold


def _empty_delivered() -> Sums:
    return {"n": 0, "mean": None, "median": None, "kept": 0, "amount": Decimal(0)}


def _hours(seconds: Any) -> float | None:
    # PostgreSQL averages an interval's seconds as numeric: a Decimal, made a float here.
    return None if seconds is None else float(seconds) / HOUR


def _fulfilment_value(s: Sums) -> Value:
    return v.duration(_hours(s["mean"]), _hours(s.get("median")), s["n"] or 0, NO_DELIVERED)


def order_fulfilment_hours(ctx: Ctx) -> Result:
    """Order fulfilment time: hours from an order's arrival to its delivery, mean and median,
    over the orders delivered in the period (one returned since was delivered all the same)."""
    total, groups = delivered(ctx)
    return result(ctx, total, groups, _fulfilment_value, empty=_empty_delivered)


def order_revenue(ctx: Ctx) -> Result:
    """Delivered order revenue: the totals of the orders delivered in the period, in the base
    currency (each order's total × its rate, to the cent); a returned order is no revenue."""
    total, groups = delivered(ctx)
    if groups is not None:  # a group of returned orders only has no revenue to show
        groups = {key: sums for key, sums in groups.items() if sums["kept"]}
    return result(ctx, total, groups, lambda s: v.money(s["amount"]), empty=_empty_delivered)


# Orders by status ------------------------------------------------------------------------------


def status_then(moment: Any) -> Subquery:
    """The status an order had at ``moment``: that of its latest change before it."""
    from voronka.orders.models import StatusChange

    return Subquery(
        StatusChange.objects.filter(order=OuterRef("pk"), changed_at__lt=moment)
        .order_by("-changed_at", "-pk")
        .values("to_status")[:1]
    )


def _status_fold(rows: list[dict[str, Any]]) -> Sums:
    counts: dict[str, int] = defaultdict(int)
    for row in rows:
        if row["then"] is not None:
            counts[row["then"]] += 1
    return {"n": len(rows), "statuses": dict(counts)}


def _status_sums(rows: Iterable[dict[str, Any]], group: Callable[[Any], Any]) -> dict[Any, Sums]:
    """Orders, and orders per status then, per group from rows of (group, status, count)."""
    out: dict[Any, Sums] = defaultdict(lambda: {"n": 0, "statuses": {}})
    for row in rows:
        slot = out[group(row.get("g"))]
        slot["n"] += row["n"]
        if row["then"] is not None:
            slot["statuses"][row["then"]] = slot["statuses"].get(row["then"], 0) + row["n"]
    return out


def _status_value(s: Sums) -> Value:
    from voronka.orders.models import FLOW, Status

    found = s["statuses"]
    parts = [
        {"key": str(status), "label": str(Status(status).label), "value": found.get(status, 0)}
        for status in FLOW
    ]
    return Value(int(s["n"]), extra={"statuses": parts})


def orders_by_status(ctx: Ctx) -> Result:
    """Orders by status at the end of the period: every order received by then, in the
    status its history gives at that moment (its latest change before it); so a past period
    shows the statuses orders had then, not the ones they have now. The parts add up to the
    total, but for an order with no recorded change by then (the services always record its
    arrival), which would count in the total only."""
    from voronka.orders.models import Order

    as_of = ctx.as_of
    qs = (
        Order.all_objects.filter(ctx.scope.orders(), created_at__lt=as_of)
        .annotate(then=status_then(as_of))
        .order_by()
    )
    if ctx.by is None:
        everyone = _status_sums(qs.values("then").annotate(n=Count("pk")), lambda g: None)
        return result(ctx, everyone[None], None, _status_value)
    if ctx.by == "product":
        rows = {row["pk"]: row for row in qs.values("pk", "then")}
        groups = _product_groups(qs, rows, _status_fold)
        return result(ctx, _status_fold(list(rows.values())), groups, _status_value)
    # The groups share out the orders (each has one manager, team or client): their sum is
    # the total.
    by = ctx.by
    per = qs.annotate(g=record_group(by)).values("g", "then").annotate(n=Count("pk"))
    found = _status_sums(per, lambda raw: fold_key(by, raw))
    total: Sums = {"n": 0, "statuses": {}}
    for sums in found.values():
        total["n"] += sums["n"]
        for then, n in sums["statuses"].items():
            total["statuses"][then] = total["statuses"].get(then, 0) + n
    return result(ctx, total, dict(found), _status_value)
