"""Lists as CSV and XLSX files: the rows a list shows, with every page, in a file.

A :class:`Listing` names the columns of a download and the queryset they come from —
the list page's own scoped, filtered and sorted queryset. Rows are read with
``values_list`` in chunks, so an export of a hundred thousand deals never holds more
than one chunk of plain tuples in memory:

* CSV streams to the browser as it is read: UTF-8 with a byte-order mark (so Excel
  reads Cyrillic), dates as ``YYYY-MM-DD``, times as ``YYYY-MM-DD HH:MM`` in the
  organisation's time zone, decimals with a dot;
* XLSX is written row by row (openpyxl's write-only mode) into a temporary file that
  is then sent: dates and times are real date cells (local, naive), money is a number
  with a money format.
"""

from __future__ import annotations

import csv
import io
import tempfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, tzinfo
from decimal import Decimal
from typing import IO, Any, Literal

from django.db.models import QuerySet
from django.http import FileResponse, Http404, StreamingHttpResponse
from django.utils import timezone

from voronka.core import organisation

CHUNK = 2000  # rows read from the database at a time
FORMATS = ("csv", "xlsx")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
BOM = "\ufeff"

Kind = Literal["text", "int", "decimal", "money", "date", "datetime"]
XLSX_FORMATS: dict[str, str] = {
    "money": "#,##0.00",
    "decimal": "0.########",
    "date": "DD.MM.YYYY",
    "datetime": "DD.MM.YYYY HH:MM",
}
# Column widths in characters, by kind; text columns get a width from their header.
WIDTHS: dict[str, int] = {"int": 9, "money": 15, "decimal": 12, "date": 12, "datetime": 17}


@dataclass(frozen=True)
class Column:
    """One column: its header, the ``values_list`` lookups it reads, how they become a value.

    ``convert`` gets the looked-up values in order (default: the first one as it is).
    ``batch`` instead loads the values of a whole chunk of rows at once, by primary key —
    for what a row has many of (a client's tags) — and returns ``{pk: value}``.
    """

    header: str
    fields: tuple[str, ...] = ()
    kind: Kind = "text"
    convert: Callable[..., Any] | None = None
    batch: Callable[[list[Any]], dict[Any, Any]] | None = None


def column(
    header: Any,
    *fields: str,
    kind: Kind = "text",
    convert: Callable[..., Any] | None = None,
    batch: Callable[[list[Any]], dict[Any, Any]] | None = None,
) -> Column:
    """A column with its header translated now, while the request's language is active."""
    return Column(str(header), tuple(fields), kind, convert, batch)


def choice(choices: Iterable[tuple[Any, Any]]) -> Callable[[Any], str]:
    """Stored value → its label in the current language (labels translated now)."""
    labels = {value: str(label) for value, label in choices}
    return lambda value: labels.get(value, value or "")


def person(first: str | None, last: str | None, username: str | None) -> str:
    """A user as pages name them: the full name, else the login."""
    return f"{first or ''} {last or ''}".strip() or (username or "")


def full_name(last: str | None, first: str | None, middle: str | None) -> str:
    """A contact's name as the contact card shows it: last, first, middle."""
    return " ".join(p for p in (last, first, middle) if p)


@dataclass
class Listing:
    """What a download holds: ``name`` gives the file name, ``title`` the sheet's."""

    name: str
    title: str
    columns: Sequence[Column]
    queryset: QuerySet[Any]
    tz: tzinfo = field(default_factory=lambda: organisation.current().tz)

    def filename(self, fmt: str) -> str:
        return f"voronka-{self.name}-{timezone.localdate(timezone=self.tz).isoformat()}.{fmt}"

    @property
    def headers(self) -> list[str]:
        return [c.header for c in self.columns]

    def rows(self) -> Iterator[list[Any]]:
        """Each row's values: local naive datetimes, dates, Decimals, ints, text or None."""
        lookups: list[str] = ["pk"]
        for col in self.columns:
            lookups += [f for f in col.fields if f not in lookups]
        position = {name: i for i, name in enumerate(lookups)}
        plan = [(col, [position[f] for f in col.fields]) for col in self.columns]
        raw = self.queryset.values_list(*lookups).iterator(chunk_size=CHUNK)
        for chunk in chunked(raw, CHUNK):
            keys = [r[0] for r in chunk]
            loaded = {i: col.batch(keys) for i, col in enumerate(self.columns) if col.batch}
            for r in chunk:
                line = []
                for i, (col, where) in enumerate(plan):
                    if col.batch is not None:
                        value = loaded[i].get(r[0])
                    elif col.convert is not None:
                        value = col.convert(*(r[j] for j in where))
                    else:
                        value = r[where[0]] if where else None
                    line.append(self._local(value))
                yield line

    def _local(self, value: Any) -> Any:
        if isinstance(value, datetime) and timezone.is_aware(value):
            return timezone.localtime(value, self.tz).replace(tzinfo=None, microsecond=0)
        return value


def chunked(items: Iterable[Any], size: int) -> Iterator[list[Any]]:
    chunk: list[Any] = []
    for item in items:
        chunk.append(item)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


# --- CSV ---------------------------------------------------------------------------------------


def csv_text(value: Any) -> Any:
    """A value as CSV text: ISO-like dates and times, decimals with a dot, nothing as empty."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, bool):
        return "true" if value else "false"
    return value


def csv_lines(headers: list[str], rows: Iterable[list[Any]]) -> Iterator[str]:
    """The file as pieces of text: the byte-order mark and header, then a piece per chunk."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(headers)
    yield BOM + out.getvalue()
    for chunk in chunked(rows, CHUNK):
        out.seek(0)
        out.truncate()
        writer.writerows([csv_text(v) for v in line] for line in chunk)
        yield out.getvalue()


def csv_response(listing: Listing) -> StreamingHttpResponse:
    body = (piece.encode("utf-8") for piece in csv_lines(listing.headers, listing.rows()))
    response = StreamingHttpResponse(body, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{listing.filename("csv")}"'
    return response


# --- XLSX --------------------------------------------------------------------------------------


def sheet_title(text: str) -> str:
    # Excel refuses these characters and titles over 31 characters.
    cleaned = "".join(ch for ch in str(text) if ch not in "[]:*?/\\")
    return cleaned[:31] or "Sheet"


def write_xlsx(listing: Listing, target: IO[bytes]) -> int:
    """The listing as one sheet into ``target``; returns the number of rows written."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    book = Workbook(write_only=True)
    sheet = book.create_sheet(sheet_title(listing.title))
    sheet.freeze_panes = "A2"
    for i, col in enumerate(listing.columns, start=1):
        width = WIDTHS.get(col.kind) or min(max(len(col.header) + 2, 14), 40)
        sheet.column_dimensions[get_column_letter(i)].width = max(width, len(col.header) + 2)
    bold = Font(bold=True)
    header = []
    for text in listing.headers:
        cell = WriteOnlyCell(sheet, value=text)
        cell.font = bold
        header.append(cell)
    sheet.append(header)
    # One styled cell per formatted column, reused row after row: a write-only sheet
    # writes each row out as it is appended, and styling a new cell per value would
    # cost more than everything else together.
    styled: dict[int, Any] = {}
    for i, col in enumerate(listing.columns):
        if col.kind in XLSX_FORMATS:
            styled[i] = WriteOnlyCell(sheet)
            styled[i].number_format = XLSX_FORMATS[col.kind]
    count = 0
    for line in listing.rows():
        for i, cell in styled.items():
            value = line[i]
            if value is not None:
                cell.value = value
                line[i] = cell
        sheet.append(line)
        count += 1
    book.save(target)
    return count


def xlsx_response(listing: Listing) -> FileResponse:
    # A temporary file, not memory: a big workbook is sent from the disk, and the file
    # disappears when the response closes it.
    target = tempfile.TemporaryFile(suffix=".xlsx")  # noqa: SIM115 - the response closes it
    try:
        write_xlsx(listing, target)
    except BaseException:
        target.close()
        raise
    target.seek(0)
    return FileResponse(
        target, as_attachment=True, filename=listing.filename("xlsx"), content_type=XLSX
    )


def export_response(listing: Listing, fmt: str) -> StreamingHttpResponse | FileResponse:
    """The download of ``listing`` as ``fmt`` ("csv" or "xlsx"); any other format is a 404."""
    if fmt == "csv":
        return csv_response(listing)
    if fmt == "xlsx":
        return xlsx_response(listing)
    raise Http404


def ensure_format(fmt: str) -> None:
    """Checks the format before any work is done for an export."""
    if fmt not in FORMATS:
        raise Http404
