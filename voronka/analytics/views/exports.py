"""Every dashboard table as XLSX or CSV, with the dashboard's period and filters.

The rows are the dashboard's own tables (see :mod:`voronka.analytics.dashboard`), so
a download holds exactly the numbers on the screen: numbers stay numbers, money gets
a money format and ratios a percent format in XLSX; CSV carries the same raw values.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _

from voronka.analytics import dashboard as data
from voronka.analytics.forms import Choice, DashboardFilterForm
from voronka.analytics.views.dashboard import ensure_reader

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FORMATS = {
    "money": "#,##0.00",
    "ratio": "0.0%",
    "pp": "0.0",
    "days": "0.0",
    "count": "#,##0",
}


def filename(table: str, choice: Choice, fmt: str) -> str:
    return f"voronka-{table}-{choice.period.start}-{choice.period.end}.{fmt}"


def rows_of(table: data.Table) -> Iterator[list[tuple[Any, str]]]:
    """The header, then one line per row: (value, unit) pairs; units say how to format."""
    yield [(table.first, "")] + [(c.label, "") for c in table.columns]
    for row in table.rows:
        yield [(row.label, "")] + [(cell.raw, cell.unit) for cell in row.cells]


def _plain(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return format(value, "f")
    return value


def as_csv(table: data.Table) -> bytes:
    out = io.StringIO()
    # The byte-order mark makes Excel read the file as UTF-8 (Cyrillic names intact).
    out.write("\ufeff")
    writer = csv.writer(out)
    for line in rows_of(table):
        writer.writerow([_plain(value) for value, _unit in line])
    return out.getvalue().encode("utf-8")


def _about(form: DashboardFilterForm, choice: Choice) -> list[tuple[str, Any]]:
    """What the table was computed for, in words: period and the filters' names."""
    lines: list[tuple[str, Any]] = [(_("From"), choice.period.start), (_("To"), choice.period.end)]
    for name, value in choice.filters.as_json().items():
        if value is None or name not in form.fields:
            continue
        labels = dict(form.fields[name].choices)  # type: ignore[attr-defined]
        lines.append((str(form.fields[name].label), str(labels.get(value, value))))
    lines.append((_("Exported"), timezone.localtime().replace(tzinfo=None, microsecond=0)))
    return lines


def as_xlsx(table: data.Table, about: list[tuple[str, Any]]) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    book = Workbook()
    sheet = book.active
    assert sheet is not None  # a new workbook always has its first sheet  # noqa: S101
    sheet.title = _sheet_title(table.title)
    widths: dict[int, int] = {}
    for r, line in enumerate(rows_of(table), start=1):
        for c, (value, unit) in enumerate(line, start=1):
            cell = sheet.cell(row=r, column=c, value=value)
            if r == 1:
                cell.font = Font(bold=True)
            elif unit in FORMATS and value is not None:
                cell.number_format = FORMATS[unit]
            widths[c] = max(widths.get(c, 8), min(len(str(value or "")) + 2, 60))
    for c, width in widths.items():
        sheet.column_dimensions[get_column_letter(c)].width = width
    sheet.freeze_panes = "B2"
    info = book.create_sheet(_sheet_title(_("Report")))
    for r, (label, value) in enumerate(about, start=1):
        info.cell(row=r, column=1, value=label).font = Font(bold=True)
        cell = info.cell(row=r, column=2, value=value)
        if isinstance(value, date):
            cell.number_format = "DD.MM.YYYY" if not hasattr(value, "hour") else "DD.MM.YYYY HH:MM"
    info.column_dimensions["A"].width = 20
    info.column_dimensions["B"].width = 30
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _sheet_title(text: str) -> str:
    # Excel refuses these characters and titles over 31 characters.
    cleaned = "".join(ch for ch in str(text) if ch not in "[]:*?/\\")
    return cleaned[:31] or "Sheet"


@login_required
def export(request: HttpRequest, table: str, fmt: str) -> HttpResponse:
    """``/analytics/export/<table>.<xlsx|csv>`` with the dashboard's GET parameters."""
    user: Any = request.user
    ensure_reader(user)
    if table not in data.TABLE_PARTS:
        raise Http404
    form = DashboardFilterForm(request.GET or None, user=user)
    choice = form.choice()
    if form.is_bound and form.errors:
        # A file computed for other filters than asked would mislead whoever opens it.
        lines = [f"{name}: {' '.join(str(e) for e in errs)}" for name, errs in form.errors.items()]
        return HttpResponse("\n".join(lines), status=400, content_type="text/plain; charset=utf-8")
    board = data.build(user, choice, parts=data.TABLE_PARTS[table], pipeline=form.pipeline_shown)
    rows = board.table(table)
    if rows is None:  # pragma: no cover - every name in TABLE_PARTS builds its table
        raise Http404
    if fmt == "csv":
        body, content_type = as_csv(rows), "text/csv; charset=utf-8"
    else:
        body, content_type = as_xlsx(rows, _about(form, choice)), XLSX
    response = HttpResponse(body, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename(table, choice, fmt)}"'
    return response
