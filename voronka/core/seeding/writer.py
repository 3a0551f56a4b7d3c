"""Fast inserts of generated rows: COPY on PostgreSQL, executemany on SQLite.

Rows are dicts of column values (attnames). Django model instances and
``bulk_create`` cost more per row than generating the row itself, and
``auto_now_add`` would overwrite the historical ``created_at`` we generate, so
the seed writes plain rows. Columns a row leaves out get the field's default.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from django.core.management.color import no_style
from django.db import connection, models
from django.db.models import Max, Model


class RowWriter:
    def __init__(self) -> None:
        connection.ensure_connection()
        self.vendor = connection.vendor
        self.rows_written = 0

    def next_id(self, model: type[Model]) -> int:
        manager = getattr(model, "all_objects", model._default_manager)
        return (manager.aggregate(m=Max("pk"))["m"] or 0) + 1

    def _columns(self, model: type[Model], with_id: bool) -> tuple[list[str], list[Any]]:
        names, defaults = [], []
        for f in model._meta.concrete_fields:
            if f.primary_key and not with_id:
                continue
            names.append(f.column)
            defaults.append(None if f.primary_key else f.get_default())
        return names, defaults

    def write(
        self, model: type[Model], rows: Iterable[Mapping[str, Any]], *, with_id: bool = True
    ) -> int:
        """Insert ``rows``; returns how many. Ids are given by the rows when ``with_id``."""
        columns, defaults = self._columns(model, with_id)
        fields = [f for f in model._meta.concrete_fields if not (f.primary_key and not with_id)]
        pairs = list(zip([f.attname for f in fields], defaults, strict=True))
        tuples = [[row.get(a, d) for a, d in pairs] for row in rows]
        if not tuples:
            return 0
        table = connection.ops.quote_name(model._meta.db_table)
        cols = ", ".join(connection.ops.quote_name(c) for c in columns)
        if self.vendor == "postgresql":
            with (
                connection.cursor() as cursor,
                cursor.cursor.copy(
                    f"COPY {table} ({cols}) FROM STDIN"  # noqa: S608 - names from model meta
                ) as copy,
            ):
                for t in tuples:
                    copy.write_row(t)
        else:
            # Only dates, times and decimals need converting; looking at every value
            # cost more than inserting the rows.
            typed = [
                i for i, f in enumerate(fields)
                if isinstance(f, (models.DateField, models.DecimalField))
            ]  # fmt: skip
            for t in tuples:
                for i in typed:
                    if t[i] is not None:
                        t[i] = _sqlite(t[i])
            marks = ", ".join("?" * len(columns))
            raw = connection.connection.cursor()
            raw.executemany(f"INSERT INTO {table} ({cols}) VALUES ({marks})", tuples)  # noqa: S608
            raw.close()
        self.rows_written += len(tuples)
        return len(tuples)

    def reset_sequences(self, models: list[type[Model]]) -> None:
        """After inserts with explicit ids PostgreSQL's sequences must move past them."""
        if self.vendor != "postgresql":
            return  # SQLite's AUTOINCREMENT follows the largest id by itself
        with connection.cursor() as cursor:
            for sql in connection.ops.sequence_reset_sql(no_style(), models):
                cursor.execute(sql)

    def analyze(self) -> None:
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")


def _sqlite(value: Any) -> Any:
    """The text Django's SQLite backend would store: naive UTC datetimes, ISO dates."""
    if isinstance(value, datetime):
        if value.tzinfo is UTC:
            return value.isoformat(" ")[:-6]  # drop "+00:00"
        return value.astimezone(UTC).replace(tzinfo=None).isoformat(" ")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value
