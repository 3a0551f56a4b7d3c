"""Adding to many rows of a totals table at once, safely under concurrent writers.

A totals table (the board's stage totals, the KPI rollups) has one row per combination
of its dimensions. Changing many combinations one ``get_or_create`` and ``UPDATE`` at a
time costs two round trips each; here the rows that are missing are created empty in
one statement (a row another transaction created meanwhile is left alone), and every
row gets its increments (``count = count + 3``) in one batched statement — increments,
not new values, so two transactions adding to the same row both count.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from django.db import connection, models

Key = tuple[Any, ...]


def _in(dim: str, values: set[Any]) -> models.Q:
    known = sorted(v for v in values if v is not None)
    q = models.Q(**{f"{dim}__in": known}) if known else models.Q(pk__in=[])
    return q | models.Q(**{f"{dim}__isnull": True}) if None in values else q


def _existing(
    model: type[models.Model], dims: tuple[str, ...], by: str, keys: set[Key]
) -> dict[Key, int]:
    """Ids of the rows with these keys, found with every dimension narrowing the search
    (the table's unique index covers them all)."""
    position = dims.index(by)
    values = sorted({k[position] for k in keys}, key=lambda v: (v is None, v))
    found: dict[Key, int] = {}
    for i in range(0, len(values), 500):
        part = set(values[i : i + 500])
        chunk = [k for k in keys if k[position] in part]
        q = _in(by, part)
        for j, dim in enumerate(dims):
            if dim != by:
                q &= _in(dim, {k[j] for k in chunk})
        for row in model._default_manager.filter(q).values("pk", *dims):
            key = tuple(row[d] for d in dims)
            if key in keys:
                found[key] = row["pk"]
    return found


def _insert_empty(model: type[models.Model], rows: list[dict[str, Any]]) -> None:
    """Rows with these dimensions and every amount at its default (zero); a row another
    transaction has just made is left as it is (PostgreSQL's ON CONFLICT; SQLite has
    one writer at a time)."""
    fields: list[Any] = [f for f in model._meta.concrete_fields if not f.primary_key]
    table = connection.ops.quote_name(model._meta.db_table)
    columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    marks = ", ".join(["%s"] * len(fields))
    tail = " ON CONFLICT DO NOTHING" if connection.vendor == "postgresql" else ""
    sql = f"INSERT INTO {table} ({columns}) VALUES ({marks}){tail}"  # noqa: S608 - model meta
    with connection.cursor() as cursor:
        if connection.vendor != "postgresql" or len(rows) <= 50:
            params = [
                [f.get_db_prep_save(row.get(f.attname, f.get_default()), connection)
                 for f in fields]
                for row in rows
            ]  # fmt: skip
            cursor.executemany(sql, params)
            return
        scratch = connection.ops.quote_name(f"_new_{model._meta.db_table}")
        cursor.execute(f"DROP TABLE IF EXISTS pg_temp.{scratch}")
        cursor.execute(
            f"CREATE TEMP TABLE {scratch} AS SELECT {columns} FROM {table} WITH NO DATA"  # noqa: S608
        )
        with cursor.cursor.copy(f"COPY {scratch} ({columns}) FROM STDIN") as copy:  # noqa: S608
            for row in rows:
                copy.write_row([row.get(f.attname, f.get_default()) for f in fields])
        cursor.execute(
            f"INSERT INTO {table} ({columns}) SELECT {columns} FROM {scratch} "  # noqa: S608
            "ON CONFLICT DO NOTHING"
        )
        cursor.execute(f"DROP TABLE {scratch}")


def add(
    model: type[models.Model],
    dims: tuple[str, ...],
    changes: Mapping[Key, Mapping[str, Any]],
    *,
    by: str | None = None,
    known: dict[Any, int] | None = None,
) -> None:
    """Add ``changes[key][field]`` to the row whose ``dims`` are ``key``; ``by`` is the
    dimension the existing rows are looked up by (the most selective one). ``known``
    remembers row ids between calls (an import's batches), keyed by (model, key)."""
    changes = {k: {n: a for n, a in v.items() if a} for k, v in changes.items()}
    changes = {k: v for k, v in changes.items() if v}
    if not changes:
        return
    keys = set(changes)
    by = by or dims[0]
    known = {} if known is None else known
    found = {k: known[(model, k)] for k in keys if (model, k) in known}
    found.update(_existing(model, dims, by, keys - set(found)) if keys - set(found) else {})
    missing = keys - set(found)
    if missing:
        _insert_empty(model, [dict(zip(dims, key, strict=True)) for key in missing])
        found.update(_existing(model, dims, by, missing))
    known.update({(model, k): pk for k, pk in found.items()})
    if connection.vendor == "postgresql" and len(changes) > 50:
        _pg_add(model, changes, found)
        return
    groups: dict[tuple[str, ...], list[list[Any]]] = defaultdict(list)
    for key, deltas in changes.items():
        names = tuple(sorted(deltas))
        groups[names].append([deltas[n] for n in names] + [found[key]])
    table = connection.ops.quote_name(model._meta.db_table)
    sqlite = connection.vendor == "sqlite"
    with connection.cursor() as cursor:
        for names, params in groups.items():
            sets = []
            for name in names:
                field: Any = model._meta.get_field(name)
                column = connection.ops.quote_name(field.column)
                if sqlite and isinstance(field, models.DecimalField):
                    # What Django writes for F(name) + Decimal on SQLite: exact decimals.
                    sets.append(f"{column} = CAST(({column} + CAST(%s AS NUMERIC)) AS NUMERIC)")
                else:
                    sets.append(f"{column} = {column} + %s")
            sql = f"UPDATE {table} SET {', '.join(sets)} WHERE id = %s"  # noqa: S608 - names from model meta
            if sqlite:
                params = [[str(v) if isinstance(v, Decimal) else v for v in p] for p in params]
            cursor.executemany(sql, params)


def _pg_add(
    model: type[models.Model], changes: Mapping[Key, Mapping[str, Any]], found: dict[Key, int]
) -> None:
    """Many rows on PostgreSQL: the increments copied into a scratch table, then one
    UPDATE … FROM adds them all."""
    q = connection.ops.quote_name
    names = sorted({n for deltas in changes.values() for n in deltas})
    columns: list[Any] = [model._meta.get_field(n) for n in names]
    table = q(model._meta.db_table)
    scratch = q(f"_increments_{model._meta.db_table}")
    picked = ", ".join(["id", *(q(c.column) for c in columns)])
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS pg_temp.{scratch}")
        cursor.execute(
            f"CREATE TEMP TABLE {scratch} AS SELECT {picked} FROM {table} WITH NO DATA"  # noqa: S608
        )
        with cursor.cursor.copy(f"COPY {scratch} ({picked}) FROM STDIN") as copy:  # noqa: S608
            for key, deltas in changes.items():
                copy.write_row([found[key], *(deltas.get(n, 0) for n in names)])
        sets = ", ".join(f"{q(c.column)} = t.{q(c.column)} + d.{q(c.column)}" for c in columns)
        cursor.execute(
            f"UPDATE {table} AS t SET {sets} FROM {scratch} AS d WHERE t.id = d.id"  # noqa: S608
        )
        cursor.execute(f"DROP TABLE {scratch}")
