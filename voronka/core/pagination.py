"""Keyset pagination: page 10 000 costs what page 1 costs.

A cursor holds the sort values of the row a page ended (or started) with; the
next page asks for rows after it in the sort order, so the database walks an
index instead of counting past an OFFSET. Sort keys must be non-null and end
with the primary key, which makes them unique.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db.models import Q, QuerySet


class BadCursor(ValueError):
    pass


@dataclass
class Page:
    items: list[Any]
    next_cursor: str | None
    prev_cursor: str | None
    total: int
    total_capped: bool
    ordering: list[str] = field(default_factory=list)

    @property
    def total_label(self) -> str:
        return f"{self.total}+" if self.total_capped else str(self.total)


class _CursorEncoder(DjangoJSONEncoder):
    """Full precision: DjangoJSONEncoder cuts datetimes to milliseconds, and two rows
    created within the same millisecond would then be skipped or shown twice."""

    def default(self, o: Any) -> Any:
        if isinstance(o, datetime):
            return o.isoformat()
        return super().default(o)


def _encode(values: list[Any], backwards: bool) -> str:
    raw = json.dumps({"v": values, "b": backwards}, cls=_CursorEncoder)
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def _decode(cursor: str) -> tuple[list[Any], bool]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        data = json.loads(base64.urlsafe_b64decode(padded.encode()))
        return list(data["v"]), bool(data["b"])
    except (ValueError, KeyError, TypeError, binascii.Error) as exc:
        raise BadCursor("cursor is not valid") from exc


def _field_value(model: Any, path: str, raw: Any) -> Any:
    name = path.split("__")[0]
    return model._meta.get_field(name).to_python(raw)


def _after(model: Any, ordering: list[str], values: list[Any], backwards: bool) -> Q:
    """Rows strictly after ``values`` in ``ordering`` (before them when backwards)."""
    condition = Q(pk__in=[])
    equal = Q()
    for key, raw in zip(ordering, values, strict=True):
        desc = key.startswith("-")
        name = key.lstrip("-")
        value = _field_value(model, name, raw)
        lookup = "lt" if desc != backwards else "gt"
        condition |= equal & Q(**{f"{name}__{lookup}": value})
        equal &= Q(**{name: value})
    return condition


def _row_values(obj: Any, ordering: list[str]) -> list[Any]:
    values = []
    for key in ordering:
        value: Any = obj
        for part in key.lstrip("-").split("__"):
            value = getattr(value, part if part != "pk" else "pk")
        values.append(value)
    return values


def bounded_count(qs: QuerySet, limit: int | None = None) -> tuple[int, bool]:
    """Count up to ``limit`` rows; beyond that say only "more than limit"."""
    limit = limit or settings.VORONKA_COUNT_LIMIT
    n = qs.order_by().values("pk")[: limit + 1].count()
    return (limit, True) if n > limit else (n, False)


def keyset_page(
    qs: QuerySet,
    *,
    ordering: list[str],
    cursor: str | None = None,
    limit: int | None = None,
    count: bool = True,
) -> Page:
    """One page of ``qs`` in ``ordering`` starting at ``cursor``."""
    limit = limit or settings.VORONKA_PAGE_SIZE
    if ordering[-1].lstrip("-") not in ("pk", "id"):
        ordering = [*ordering, "-pk" if ordering[-1].startswith("-") else "pk"]
    total, capped = bounded_count(qs) if count else (0, False)
    backwards = False
    page_qs = qs
    if cursor:
        values, backwards = _decode(cursor)
        if len(values) != len(ordering):
            raise BadCursor("cursor does not match the sort order")
        try:
            page_qs = page_qs.filter(_after(qs.model, ordering, values, backwards))
        except Exception as exc:  # a tampered cursor with values of the wrong type
            raise BadCursor("cursor is not valid") from exc
    order_by = ordering
    if backwards:
        order_by = [k[1:] if k.startswith("-") else f"-{k}" for k in ordering]
    rows = list(page_qs.order_by(*order_by)[: limit + 1])
    has_more = len(rows) > limit
    rows = rows[:limit]
    if backwards:
        rows.reverse()
    next_cursor = prev_cursor = None
    if rows:
        if has_more or backwards:
            next_cursor = _encode(_row_values(rows[-1], ordering), False)
        if cursor and (not backwards or has_more):
            prev_cursor = _encode(_row_values(rows[0], ordering), True)
    return Page(rows, next_cursor, prev_cursor, total, capped, ordering)
