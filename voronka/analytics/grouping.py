"""Turning per-group sums into the ``total`` and ``groups`` of a KPI result."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from voronka.analytics.context import Ctx, labels
from voronka.analytics.periods import time_buckets
from voronka.analytics.values import Group, Result, Value

S = TypeVar("S")


def result(
    ctx: Ctx,
    total: S,
    groups: dict[str | None, S] | None,
    value: Callable[[S], Value],
    *,
    empty: Callable[[], S] | None = None,
) -> Result:
    """The KPI's total and, with a grouping, one row per group in a stable order.

    Time groupings list every bucket of the period (an empty month shows as such),
    other groupings list the groups that have records, largest value first.
    """
    if ctx.by is None or groups is None:
        return Result(value(total))
    by, keys = ctx.by, frozenset(groups)
    # Several KPIs of a report often have the same groups: their names are read once.
    names = ctx.remember(("labels", keys), lambda: labels(by, keys, ctx.period))
    rows: list[Group] = []
    if ctx.by in ("day", "week", "month", "quarter"):
        for bucket, label in time_buckets(ctx.period, ctx.by):
            sums = groups.get(bucket)
            if sums is None:
                if empty is None:
                    continue
                sums = empty()
            rows.append(Group(bucket, label, value(sums)))
    else:
        for key, part in groups.items():
            rows.append(Group(key, names.get(key, str(key)), value(part)))
        rows.sort(key=_order)
    return Result(value(total), rows)


def _order(group: Group) -> tuple[Any, ...]:
    v = group.value.value
    # Largest first; undefined values and the "no value" group last.
    return (group.key is None, v is None, -(float(v) if v is not None else 0), group.label)
