"""Reading CSV and XLSX files: the header and the rows, with the line each row starts on.

Text files are read as UTF-8 (with or without a byte-order mark) or, when the bytes
are not UTF-8 at all, as Windows-1251 — what Excel on a Russian Windows saves. A file
that is UTF-8 but for a few broken bytes stays UTF-8: the rows holding the broken
bytes are rejected one by one (:func:`broken_text`) instead of the whole file being
read as something else.
"""

from __future__ import annotations

import codecs
import csv
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.conf import settings
from django.utils.translation import gettext as _

SAMPLE = 64 * 1024
_BROKEN = re.compile("[\udc80-\udcff]")
_DELIMITERS = ",;\t|"


class FileProblem(ValueError):
    """The file as a whole cannot be read; nothing is imported from it."""


@dataclass
class Table:
    header: list[str]
    encoding: str = ""
    delimiter: str = ""
    notices: list[str] = field(default_factory=list)
    _rows: Iterator[tuple[int, list[Any]]] | None = None

    def rows(self) -> Iterator[tuple[int, list[Any]]]:
        """(line number in the file, cells) for each data row; blank lines are left out."""
        if self._rows is None:
            raise FileProblem("the file was not opened")
        return self._rows


class RowProblem(ValueError):
    """A row the reader could not split into cells; it is rejected, the others go on."""

    def __init__(self, line: int, reason: str) -> None:
        super().__init__(reason)
        self.line = line


def is_xlsx(path: Path) -> bool:
    with path.open("rb") as f:
        return f.read(4) == b"PK\x03\x04"


def detect_encoding(sample: bytes) -> str:
    """``utf-8-sig`` unless the bytes are plainly not UTF-8 (then ``cp1251``)."""
    if sample.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    text = sample.decode("utf-8", errors="surrogateescape")
    broken = len(_BROKEN.findall(text))
    if not broken:
        return "utf-8-sig"
    multibyte = sum(1 for ch in text if "\u0080" <= ch < "\udc80" or ch > "\udcff")
    # A cut at the end of the sample may split one character: ignore up to 3 bytes.
    tail_cut = len(_BROKEN.findall(text[-3:]))
    if multibyte >= broken - tail_cut and multibyte > 0:
        return "utf-8-sig"
    return "cp1251"


def detect_delimiter(first_line: str) -> str:
    counts = {d: first_line.count(d) for d in _DELIMITERS}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


def broken_text(value: Any) -> bool:
    """True when a cell holds bytes that were not valid in the file's encoding."""
    return isinstance(value, str) and _BROKEN.search(value) is not None


def open_table(
    path: Path, *, encoding: str = "auto", delimiter: str = "auto", sheet: str | None = None
) -> Table:
    """Open a CSV or XLSX file and read its header; :meth:`Table.rows` yields the rest."""
    if not path.exists():
        raise FileProblem(f"{path}: no such file")
    if path.stat().st_size == 0:
        raise FileProblem(_("the file is empty (0 bytes)"))
    if is_xlsx(path):
        return _open_xlsx(path, sheet)
    return _open_csv(path, encoding, delimiter)


def _clean_header(cells: list[Any]) -> list[str]:
    header = [str(c).strip() if c is not None else "" for c in cells]
    while header and not header[-1]:
        header.pop()
    if not any(header):
        raise FileProblem(_("the first row must name the columns, and it is empty"))
    seen: dict[str, int] = {}
    unique = []
    for name in header:
        # A repeated name gets a suffix, as spreadsheets and pandas do: "Variant", "Variant.1".
        n = seen.get(name, 0)
        seen[name] = n + 1
        unique.append(f"{name}.{n}" if n else name)
    return unique


def _open_csv(path: Path, encoding: str, delimiter: str) -> Table:
    with path.open("rb") as f:
        sample = f.read(SAMPLE)
    notices = []
    if encoding == "auto":
        encoding = detect_encoding(sample)
        if encoding == "cp1251":
            notices.append(_("The file is not UTF-8; it was read as Windows-1251."))
    elif encoding.replace("-", "").lower() == "utf8":
        encoding = "utf-8-sig"
    try:
        codecs.lookup(encoding)
    except LookupError:
        raise FileProblem(f"encoding: unknown encoding {encoding!r}") from None
    first_line = sample.decode(encoding, errors="replace").lstrip("\ufeff").split("\n", 1)[0]
    if delimiter == "auto":
        delimiter = detect_delimiter(first_line)
    elif delimiter in ("\\t", "tab"):
        delimiter = "\t"
    if len(delimiter) != 1:
        raise FileProblem("delimiter: give one character, e.g. ',' or ';'")
    stream = path.open("r", encoding=encoding, errors="surrogateescape", newline="")
    csv.field_size_limit(settings.IMPORT_MAX_CELL)
    reader = csv.reader(stream, delimiter=delimiter)
    try:
        header = _clean_header(next(reader))
    except StopIteration:
        stream.close()
        raise FileProblem(_("the file has no rows")) from None
    except csv.Error as error:
        stream.close()
        raise FileProblem(f"line 1: {error}") from None
    if any(broken_text(name) for name in header):
        stream.close()
        raise FileProblem(
            _("line 1: the column names are not valid %(encoding)s text") % {"encoding": encoding}
        )

    def rows() -> Iterator[tuple[int, list[Any]]]:
        with stream:
            start = reader.line_num + 1
            while True:
                try:
                    cells = next(reader)
                except StopIteration:
                    return
                except csv.Error as error:
                    line, start = start, reader.line_num + 1
                    yield line, [RowProblem(line, str(error))]
                    continue
                line, start = start, reader.line_num + 1
                if cells and any(c.strip() for c in cells):
                    yield line, cells

    return Table(header, encoding.replace("-sig", ""), delimiter, notices, rows())


def _open_xlsx(path: Path, sheet: str | None) -> Table:
    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except (InvalidFileException, KeyError, OSError, ValueError) as error:
        raise FileProblem(_("not a readable XLSX file (%(error)s)") % {"error": error}) from None
    if sheet and sheet not in book.sheetnames:
        book.close()
        raise FileProblem(f"sheet: no sheet {sheet!r} (sheets: {', '.join(book.sheetnames)})")
    ws = book[sheet] if sheet else book.worksheets[0]
    it = ws.iter_rows(values_only=True)
    try:
        header = _clean_header(list(next(it)))
    except StopIteration:
        book.close()
        raise FileProblem(_("the sheet has no rows")) from None

    def rows() -> Iterator[tuple[int, list[Any]]]:
        try:
            for n, cells in enumerate(it, start=2):
                if any(c is not None and str(c).strip() for c in cells):
                    yield n, list(cells)
        finally:
            book.close()

    return Table(header, "xlsx", "", [], rows())


def count_rows(path: Path, *, encoding: str = "auto", delimiter: str = "auto",
               sheet: str | None = None) -> int:  # fmt: skip
    """How many data rows the file holds (for the progress bar)."""
    return sum(1 for _row in open_table(path, encoding=encoding, delimiter=delimiter,
                                     sheet=sheet).rows())  # fmt: skip


def preview(path: Path, *, limit: int = 10, **options: Any) -> tuple[Table, list[list[Any]]]:
    """The header and the first rows, as the mapping page shows them."""
    table = open_table(path, **options)
    first = []
    for _line, cells in table.rows():
        first.append(["" if isinstance(c, RowProblem) else c for c in cells])
        if len(first) >= limit:
            break
    return table, first
