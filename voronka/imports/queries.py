"""Reads for the import pages: whose jobs a person sees, the saved mappings, what an
uploaded file holds (its columns, first rows and the distinct values of a column) and
the report of a finished run."""

from __future__ import annotations

import contextlib
import csv
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.db.models import QuerySet

from voronka.core.visibility import sees_everything
from voronka.imports.lookups import fold
from voronka.imports.models import ImportJob, ImportMapping
from voronka.imports.reading import RowProblem, open_table, preview

PROGRESS_FILE = "progress"
REPORT_ROWS = 200


@dataclass
class ReportRow:
    line: int
    result: str  # created, updated, skipped, rejected
    record_id: int | None
    column: str
    reason: str
    link: str = ""  # the record's page, where there is one


def may_import(user: Any) -> bool:
    """Administrators and the head of sales bring data in; nobody else."""
    return sees_everything(user)


def sees_all_jobs(user: Any) -> bool:
    return bool(may_import(user) and (user.is_superuser or user.role == "admin"))


def jobs_visible_to(user: Any) -> QuerySet[ImportJob]:
    """An administrator sees every import; the head of sales their own; others none."""
    if not may_import(user):
        return ImportJob.objects.none()
    jobs = ImportJob.objects.select_related("created_by", "mapping")
    if sees_all_jobs(user):
        return jobs
    return jobs.filter(created_by=user)


def job_list(user: Any, *, limit: int = 100) -> list[ImportJob]:
    """The newest imports first, as the list page shows them."""
    return list(jobs_visible_to(user).order_by("-created_at", "-pk")[:limit])


def mappings_visible_to(user: Any, *, entity: str | None = None) -> QuerySet[ImportMapping]:
    """Saved mappings are shared by everyone who imports."""
    if not may_import(user):
        return ImportMapping.objects.none()
    mappings = ImportMapping.objects.order_by("entity", "name")
    if entity:
        mappings = mappings.filter(entity=entity)
    return mappings


def read_options(spec: dict[str, Any]) -> dict[str, Any]:
    """How the file is read, as the job's mapping says (or guessed)."""
    return {
        "encoding": spec.get("encoding") or "auto",
        "delimiter": spec.get("delimiter") or "auto",
        "sheet": spec.get("sheet") or None,
    }


def job_preview(job: ImportJob, *, limit: int = 5) -> tuple[list[str], list[list[Any]]]:
    """The file's columns and its first rows; raises ``FileProblem`` if it cannot be read."""
    table, rows = preview(Path(job.path), limit=limit, **read_options(job.spec))
    return table.header, rows


def column_values(
    job: ImportJob, column: str, *, rows: int = 1000, limit: int = 50
) -> tuple[list[str], bool]:
    """The distinct values of ``column`` in the first ``rows`` rows, in the order they first
    appear (spellings differing in case only count once, as the import matches them), at
    most ``limit`` of them; and whether there were more."""
    table = open_table(Path(job.path), **read_options(job.spec))
    if column not in table.header:
        return [], False
    index = table.header.index(column)
    seen: dict[str, str] = {}  # folded → as first written
    more = False
    lines: Any = table.rows()
    try:
        for n, (_line, cells) in enumerate(lines):
            if n >= rows:
                break
            if not cells or isinstance(cells[0], RowProblem) or index >= len(cells):
                continue
            value = cells[index]
            text = "" if value is None else " ".join(str(value).split())
            if not text or fold(text) in seen:
                continue
            if len(seen) >= limit:
                more = True
                continue
            seen[fold(text)] = text
    finally:
        lines.close()
    return list(seen.values()), more


def report_rows(job: ImportJob, *, limit: int = REPORT_ROWS) -> list[ReportRow]:
    """The first rows of the report of the job's last run (dry or real)."""
    path = Path(job.report_path) if job.report_path else None
    if path is None or not path.is_file():
        return []
    rows: list[ReportRow] = []  # in the order of the lines: the file may list rejects first
    with path.open(encoding="utf-8-sig", newline="") as f:
        reader = csv.reader(f)
        next(reader, None)
        for cells in reader:
            if len(rows) >= limit:
                break
            if len(cells) < 5:
                continue
            line, result, record_id, column, reason = cells[:5]
            rows.append(
                ReportRow(
                    line=int(line) if line.isdigit() else 0,
                    result=result,
                    record_id=int(record_id) if record_id.isdigit() else None,
                    column=column,
                    reason=reason,
                )
            )
    return sorted(rows, key=lambda r: r.line)


def progress_file(job: ImportJob) -> Path:
    return Path(job.path).parent / PROGRESS_FILE


def processed_rows(job: ImportJob) -> int:
    """How many rows the worker has gone through.

    A dry run (and an "all or nothing" import) runs in one transaction, so what it writes
    to the job's row is not seen until it ends; the worker also keeps the count in a
    small file next to the upload, which the progress bar reads.
    """
    counted = job.processed_rows
    if job.is_working:
        with contextlib.suppress(OSError, ValueError):
            counted = max(counted, int(progress_file(job).read_text().strip() or 0))
    return counted


def percent_done(job: ImportJob) -> int:
    if job.status == ImportJob.Status.DONE:
        return 100
    if not job.total_rows:
        return 0
    return min(100, processed_rows(job) * 100 // job.total_rows)
