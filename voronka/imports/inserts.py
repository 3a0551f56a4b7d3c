"""Inserting an import's new rows fast: ids taken up front, rows written with COPY on
PostgreSQL and one prepared statement on SQLite (the seed's writer).

``bulk_create`` builds one INSERT of a few dozen rows at a time on SQLite and costs
more per row than reading the row from the file; it would also overwrite the
``created_at`` a file gives. Here each object gets its id first, so what hangs off it
(stage history, lines, history rows) can point to it at once.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from django.db import connection, models

from voronka.core.seeding.writer import RowWriter


def allocate_ids(model: type[models.Model], n: int) -> list[int]:
    """``n`` new ids for ``model``'s table, never handed out to anyone else.

    PostgreSQL takes them from the table's sequence. SQLite has one writer at a time and
    the import holds the write lock (its transactions begin IMMEDIATE), so the next ids
    after the largest ever used are free.
    """
    table = model._meta.db_table
    column = model._meta.pk.column
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
                [table, column, n],
            )
            return [row[0] for row in cursor.fetchall()]
        quoted = connection.ops.quote_name(table)
        cursor.execute(f"SELECT MAX({connection.ops.quote_name(column)}) FROM {quoted}")  # noqa: S608
        top = cursor.fetchone()[0] or 0
        cursor.execute("SELECT seq FROM sqlite_sequence WHERE name = %s", [table])
        seq = cursor.fetchone()
        start = max(top, seq[0] if seq else 0) + 1
        return list(range(start, start + n))


def insert(model: type[models.Model], objs: Sequence[Any], *, now: datetime) -> None:
    """Insert unsaved ``objs``; each gets its id. Blank timestamps become ``now``."""
    if not objs:
        return
    fields = model._meta.concrete_fields
    stamped = [f for f in fields if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False)]  # fmt: skip  # noqa: E501
    rows = []
    for obj, pk in zip(objs, allocate_ids(model, len(objs)), strict=True):
        obj.pk = pk
        for f in stamped:
            if getattr(obj, f.attname) is None:
                setattr(obj, f.attname, now)
        rows.append({f.attname: getattr(obj, f.attname) for f in fields})
        obj._state.adding = False
        obj._state.db = "default"
    RowWriter().write(model, rows, with_id=True)


def insert_history(
    model: type[models.Model], objs: Sequence[Any], *, kind: str, user: Any, now: datetime
) -> None:
    """History rows ("+" created, "~" changed) for ``objs``, as the history app writes them."""
    history = getattr(model, "history", None)
    if history is None or not objs:
        return
    historical = history.model
    tracked = historical.tracked_fields
    rows = []
    for obj in objs:
        row = historical(
            history_date=obj.created_at if kind == "+" else now,
            history_user_id=getattr(user, "pk", None),
            history_change_reason="import",
            history_type=kind,
            **{f.attname: getattr(obj, f.attname) for f in tracked},
        )
        rows.append(row)
    insert(historical, rows, now=now)
