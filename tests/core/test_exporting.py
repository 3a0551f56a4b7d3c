"""The shared writers of list exports: CSV text, XLSX cells, chunked reading."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from openpyxl import load_workbook

from tests import factories
from voronka.clients.models import Company
from voronka.core import exporting
from voronka.core.exporting import Listing, chunked, column, csv_text

MOSCOW = ZoneInfo("Europe/Moscow")


# --- Helpers the view tests of every list share ---------------------------------------------


def csv_rows(response) -> list[list[str]]:
    """The rows of a CSV download; it must start with the mark that makes Excel read UTF-8."""
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    text = b"".join(response.streaming_content).decode("utf-8")
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text[1:])))


def xlsx_book(response):
    assert response["Content-Type"] == exporting.XLSX
    return load_workbook(io.BytesIO(b"".join(response.streaming_content)))


def xlsx_rows(response) -> list[list]:
    return [list(r) for r in xlsx_book(response).worksheets[0].iter_rows(values_only=True)]


def naive(*parts: int) -> datetime:
    """A time as an XLSX cell holds it: local, without a time zone."""
    return datetime(*parts)  # noqa: DTZ001


def by_header(rows: list[list]) -> list[dict]:
    header, *body = rows
    return [dict(zip(header, row, strict=True)) for row in body]


# --- Values -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (None, ""),
        (Decimal("1234.50"), "1234.50"),
        (Decimal("1E+2"), "100"),
        (date(2026, 3, 1), "2026-03-01"),
        (naive(2026, 3, 1, 9, 5, 7), "2026-03-01 09:05"),
        (True, "true"),
        (7, 7),
        ("Ромашка", "Ромашка"),
    ],
)
def test_csv_text_writes_dates_iso_like_and_decimals_with_a_dot(value, text):
    assert csv_text(value) == text


def test_chunked_gives_every_item_once_in_chunks_of_the_size():
    assert list(chunked(range(5), 2)) == [[0, 1], [2, 3], [4]]
    assert list(chunked([], 2)) == []


@pytest.fixture
def companies(personas):
    first = factories.company(personas.alice, name="ООО «Альфа»", phone="+7 912 000-00-01")
    second = factories.company(personas.alice, name="Бета, ЗАО")
    return first, second


def listing(companies_qs, **kw):
    columns = [
        column("ID", "pk", kind="int"),
        column("Название", "name"),
        column("Создана", "created_at", kind="datetime"),
        column("Сумма", "pk", kind="money", convert=lambda pk: Decimal(pk) * 1000),
        column("Метки", batch=lambda pks: {pk: f"метка {pk}" for pk in pks[:1]}),
    ]
    return Listing("companies", "Компании", columns, companies_qs, tz=MOSCOW, **kw)


def test_a_listing_reads_its_rows_as_local_times_and_batches_by_chunk(companies, monkeypatch):
    monkeypatch.setattr(exporting, "CHUNK", 1)  # every row its own chunk: batches run twice
    first, second = companies
    rows = list(listing(Company.objects.filter(pk__in=[first.pk, second.pk]).order_by("pk")).rows())

    local = first.created_at.astimezone(MOSCOW).replace(tzinfo=None, microsecond=0)
    assert rows[0] == [
        first.pk,
        "ООО «Альфа»",
        local,
        Decimal(first.pk) * 1000,
        f"метка {first.pk}",
    ]
    assert rows[1][4] == f"метка {second.pk}"


def test_the_csv_writer_quotes_commas_and_keeps_cyrillic(companies):
    first, second = companies
    lines = list(
        exporting.csv_lines(["Название"], [["Бета, ЗАО"], ["ООО «Альфа»"], [Decimal("1.50")]])
    )
    text = "".join(lines)
    assert text == '\ufeffНазвание\r\n"Бета, ЗАО"\r\nООО «Альфа»\r\n1.50\r\n'


def test_the_xlsx_writer_makes_numbers_and_dates_real_cells_with_formats(companies):
    first, second = companies
    out = io.BytesIO()
    written = exporting.write_xlsx(listing(Company.objects.order_by("pk")), out)

    assert written == 2
    book = load_workbook(io.BytesIO(out.getvalue()))
    sheet = book.worksheets[0]
    assert sheet.title == "Компании"
    assert sheet.freeze_panes == "A2"
    assert [c.value for c in sheet[1]] == ["ID", "Название", "Создана", "Сумма", "Метки"]
    assert sheet[1][0].font.bold is True
    assert sheet["A2"].value == first.pk
    assert sheet["C2"].value == first.created_at.astimezone(MOSCOW).replace(
        tzinfo=None, microsecond=0
    )
    assert sheet["C2"].number_format == "DD.MM.YYYY HH:MM"
    assert sheet["D2"].value == first.pk * 1000
    assert sheet["D2"].number_format == "#,##0.00"
    assert sheet["E3"].value is None


def test_a_sheet_title_drops_what_excel_refuses_and_is_at_most_31_characters():
    assert exporting.sheet_title("Сделки: март/апрель [2026]") == "Сделки мартапрель 2026"
    assert len(exporting.sheet_title("Я" * 40)) == 31
    assert exporting.sheet_title("") == "Sheet"


def test_an_unknown_format_is_not_found():
    from django.http import Http404

    with pytest.raises(Http404):
        exporting.ensure_format("pdf")
