"""SQL building blocks the KPIs need on both databases: seconds between two times, a median.

PostgreSQL has ``percentile_cont``; SQLite gets an equivalent aggregate registered on
every new connection, so one ORM expression works on both.
"""

from __future__ import annotations

import statistics
from typing import Any

from django.db import models
from django.db.backends.signals import connection_created


class Seconds(models.Func):
    """``end − start`` in seconds, as a float."""

    output_field = models.FloatField()
    arity = 2

    def as_postgresql(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        template = "EXTRACT(EPOCH FROM (%(expressions)s))"
        return super().as_sql(compiler, connection, template=template, arg_joiner=" - ", **extra)

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        return super().as_sql(
            compiler,
            connection,
            template="((julianday(%(expressions)s)) * 86400.0)",
            arg_joiner=") - julianday(",
            **extra,
        )


class Median(models.Aggregate):
    """The median of an expression (the mean of the two middle values for an even count)."""

    name = "Median"
    output_field = models.FloatField()
    template = "percentile_cont(0.5) WITHIN GROUP (ORDER BY %(expressions)s)"

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        clone = self.copy()
        clone.template = "voronka_median(%(expressions)s)"
        return super(Median, clone).as_sql(compiler, connection, **extra)


class _SqliteMedian:
    def __init__(self) -> None:
        self.values: list[float] = []

    def step(self, value: float | None) -> None:
        if value is not None:
            self.values.append(value)

    def finalize(self) -> float | None:
        return statistics.median(self.values) if self.values else None


def _on_connection(sender: Any, connection: Any, **kwargs: Any) -> None:
    if connection.vendor == "sqlite":
        connection.connection.create_aggregate("voronka_median", 1, _SqliteMedian)


def register() -> None:
    connection_created.connect(_on_connection, dispatch_uid="voronka_analytics_sql")
