"""What an import says about each row: the counts, the first rows for the page, the full
report and the rejected rows as CSV files a person can fix and import again."""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from typing import IO, Any

from voronka.imports.reading import RowProblem, broken_text
from voronka.imports.targets import Row

SAMPLE_ROWS = 200


class Rollback(Exception):
    """Raised to roll back a dry run, or an "all or nothing" import with rejected rows."""


@dataclass
class Outcome:
    rows: int = 0
    created: int = 0
    updated: int = 0
    skipped: int = 0
    rejected: int = 0
    failed: str = ""  # the file as a whole was refused; nothing was written
    notices: list[str] = field(default_factory=list)
    sample: list[tuple[int, str, int | None, str, str]] = field(default_factory=list)

    @property
    def written(self) -> int:
        return self.created + self.updated

    def as_dict(self) -> dict[str, Any]:
        return {
            "rows": self.rows, "created": self.created, "updated": self.updated,
            "skipped": self.skipped, "rejected": self.rejected, "failed": self.failed,
            "notices": self.notices,
        }  # fmt: skip


class Report:
    """Where the per-row results go: a report of every row, and the rejected rows as a
    file a person can fix and import again."""

    def __init__(self, header: list[str], report: IO[str] | None, rejected: IO[str] | None):
        self.report = csv.writer(report) if report else None
        self.rejected = csv.writer(rejected) if rejected else None
        if self.report:
            self.report.writerow(["line", "result", "id", "column", "reason"])
        if self.rejected:
            self.rejected.writerow(["line", "column", "reason", *header])

    def row(self, outcome: Outcome, row: Row, result: str, record_id: int | None = None,
            column: str = "", reason: str = "") -> None:  # fmt: skip
        if len(outcome.sample) < SAMPLE_ROWS:
            outcome.sample.append((row.line, result, record_id, column, reason))
        if self.report:
            self.report.writerow([row.line, result, record_id or "", column, reason])
        if result == "rejected" and self.rejected:
            self.rejected.writerow([row.line, column, reason, *[_cell(c) for c in row.cells]])


def _cell(value: Any) -> Any:
    if isinstance(value, RowProblem):
        return ""
    if isinstance(value, str) and broken_text(value):
        return value.encode("utf-8", errors="surrogateescape").decode("utf-8", errors="replace")
    return "" if value is None else value
