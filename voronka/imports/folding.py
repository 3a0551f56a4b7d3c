"""Event logs: files with several rows per record, folded into one row per record.

A help desk's export is often a log of events — "ticket created", "taken in charge",
"resolved", "closed" — one row each, rather than one row per ticket. Folding groups
the rows by the record's key, orders each record's events by their time and makes one
row per record: the file's columns as one of its events holds them, plus the columns
the mapping derives from the events (the time of the first take-in-charge, the person
who resolved it last, how many times it waited). The engine then reads, checks, looks
up, matches and reports the folded rows as it does any file's rows, so a mapping's
fields read a derived column like any other.

The whole file is read before the first folded row comes out: a record's events may
be anywhere in the file. What stays in memory is one entry per record (one row of cells
and the derived values), not every event; ``max_records`` bounds it.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, Literal, Self
from zoneinfo import ZoneInfo

from django.utils.translation import gettext as _
from pydantic import BaseModel, ConfigDict, Field, model_validator

from voronka.imports import values as read
from voronka.imports.reading import FileProblem, RowProblem, Table

# About 3 KB per record for a file of 16 short columns (measured on the help desk's log):
# 100,000 records take some 300 MB while the file is folded.
EVENT_LOG_RECORDS = 100_000
MAX_EVENT_LOG_RECORDS = 1_000_000


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Derive(_Strict):
    """One value a folded record takes from its events: the ``column`` of the first or
    last event (by the log's order), or how many events there were; ``event`` keeps only
    the events of that kind (or kinds), compared ignoring case and extra spaces."""

    pick: Literal["first", "last", "count"] = "first"
    event: str | list[str] | None = None
    column: str | None = None

    @model_validator(mode="after")
    def _column_unless_counted(self) -> Self:
        if self.pick == "count" and self.column:
            raise ValueError("a count takes no column")
        if self.pick != "count" and not self.column:
            raise ValueError(f"name the column whose value the {self.pick} event gives")
        if isinstance(self.event, list) and not self.event:
            raise ValueError("event: name at least one event")
        return self

    def events(self) -> set[str]:
        names = [self.event] if isinstance(self.event, str) else self.event or []
        return {_fold(n) for n in names}


class EventLog(_Strict):
    """How a mapping says its file is an event log (the ``event_log`` key of a mapping).

    ``key``: the column naming the record an event belongs to; ``order``: the column with
    the event's date and time (read with ``order_format``, else the mapping's
    ``date_format``, in the mapping's ``time_zone``); ``event``: the column naming the
    event; ``attributes``: whether the other columns come from the record's first or last
    event; ``derive``: the columns made from the events.
    """

    key: str
    order: str
    order_format: str | None = None
    event: str | None = None
    attributes: Literal["first", "last"] = "first"
    derive: dict[str, Derive] = Field(default_factory=dict)
    max_records: int = Field(default=EVENT_LOG_RECORDS, ge=1, le=MAX_EVENT_LOG_RECORDS)

    @model_validator(mode="after")
    def _events_have_a_column(self) -> Self:
        for name, derive in self.derive.items():
            if not name.strip():
                raise ValueError("derive: a derived column needs a name")
            if derive.event is not None and not self.event:
                raise ValueError(
                    f"derive.{name}.event: name the column of the events in event_log.event"
                )
        return self

    def columns(self) -> set[str]:
        """The file's columns that folding reads."""
        used = {self.key, self.order} | {d.column for d in self.derive.values() if d.column}
        if self.event:
            used.add(self.event)
        return used


class CaseProblem(RowProblem):
    """A record of an event log that cannot be folded; it is rejected as one row."""

    def __init__(self, line: int, column: str, reason: str, cells: list[Any]) -> None:
        super().__init__(line, reason)
        self.column = column
        self.cells = cells


@dataclass
class FoldedTable(Table):
    """A table whose rows are the records of an event log, one row each."""

    events: int = 0  # rows of the file read


def _fold(value: Any) -> str:
    return " ".join(str(value).split()).casefold()


Moment = tuple[float, int]  # (time, line): the order of events, ties by the file's order


@dataclass
class _Record:
    line: int  # the record's first row in the file
    attributes: tuple[Moment, list[Any]]  # the event whose cells the folded row has
    picked: dict[str, tuple[Moment, Any]] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)
    problem: tuple[int, str, str] | None = None  # (line, column, reason) of a bad event


def fold_table(
    table: Table, log: EventLog, *, tz: ZoneInfo, date_format: str | None
) -> FoldedTable:
    """The event log ``table`` as one row per record, lazily: nothing is read until the
    first row is asked for."""
    if isinstance(table, FoldedTable):
        return table
    header = list(table.header)
    missing = sorted(c for c in log.columns() if c not in header)
    if missing:
        raise FileProblem(
            "event_log: the file has no column " + ", ".join(repr(c) for c in missing)
            + " (its columns: " + ", ".join(header) + ")"
        )  # fmt: skip
    clash = sorted(name for name in log.derive if name in header)
    if clash:
        raise FileProblem(
            f"event_log.derive.{clash[0]}: the file has a column of this name already; "
            "give the derived column another name"
        )
    folded = FoldedTable(
        header + list(log.derive), table.encoding, table.delimiter, list(table.notices)
    )
    folded._rows = _rows(table, log, folded, tz=tz, fmt=log.order_format or date_format)
    return folded


def _rows(
    table: Table, log: EventLog, folded: FoldedTable, *, tz: ZoneInfo, fmt: str | None
) -> Iterator[tuple[int, list[Any]]]:
    header = table.header
    width = len(header)
    at = {name: i for i, name in enumerate(header)}
    key_at, order_at = at[log.key], at[log.order]
    event_at = at[log.event] if log.event else None
    wanted = {name: (d, d.events(), at.get(d.column or "")) for name, d in log.derive.items()}
    records: dict[str, _Record] = {}
    loose: list[tuple[int, list[Any]]] = []  # rows that belong to no record
    for line, cells in table.rows():
        folded.events += 1
        if cells and isinstance(cells[0], RowProblem):
            loose.append((line, cells))
            continue
        cells = list(cells[:width]) + [None] * (width - len(cells))
        key = cells[key_at]
        if read.is_blank(key):
            reason = _("the cell is empty; an event needs the record it belongs to")
            loose.append((line, [CaseProblem(line, log.key, reason, cells)]))
            continue
        key = str(key).strip()
        record = records.get(key)
        try:
            when = read.moment(cells[order_at], fmt, tz).timestamp()
        except read.CellError as error:
            bad: tuple[int, str, str] | None = (line, log.order, str(error))
            when = 0.0
        else:
            bad = None
        moment: Moment = (when, line)
        if record is None:
            if len(records) >= log.max_records:
                raise FileProblem(
                    _("event_log.max_records: the file holds more than %(n)s records; split "
                      "it by record or raise the limit") % {"n": log.max_records}
                )  # fmt: skip
            record = records[key] = _Record(line, (moment, cells))
        if bad is not None:
            record.problem = record.problem or bad
            continue
        if record.problem is not None:
            continue  # the record is rejected; its other events no longer matter
        held_at = record.attributes[0]
        if moment < held_at if log.attributes == "first" else moment > held_at:
            record.attributes = (moment, cells)
        event = _fold(cells[event_at]) if event_at is not None and cells[event_at] else ""
        for name, (derive, events, column_at) in wanted.items():
            if events and event not in events:
                continue
            if derive.pick == "count":
                record.counts[name] = record.counts.get(name, 0) + 1
                continue
            held = record.picked.get(name)
            if (
                held is None
                or (derive.pick == "first" and moment < held[0])
                or (derive.pick == "last" and moment > held[0])
            ):
                record.picked[name] = (moment, cells[column_at] if column_at is not None else None)
    # Records were met in the order of their first lines, as were the loose rows: merged,
    # they come out in the file's order, each record let go of once it is out.
    pending: list[_Record | None] = list(records.values())
    records.clear()

    def folded_rows() -> Iterator[tuple[int, list[Any]]]:
        for i, record in enumerate(pending):
            pending[i] = None
            if record is not None:
                yield record.line, _folded(record, log)

    yield from heapq.merge(loose, folded_rows(), key=lambda item: item[0])


def _folded(record: _Record, log: EventLog) -> list[Any]:
    """The record's row: its attribute event's cells and the derived values."""
    attributes = record.attributes[1]
    if record.problem is not None:
        line, column, reason = record.problem
        reason = _("line %(line)s: %(reason)s") % {"line": line, "reason": reason}
        return [CaseProblem(line, column, reason, attributes)]
    derived: list[Any] = []
    for name, derive in log.derive.items():
        if derive.pick == "count":
            derived.append(str(record.counts.get(name, 0)))
        else:
            held = record.picked.get(name)
            derived.append(None if held is None else held[1])
    attributes.extend(derived)
    return attributes
