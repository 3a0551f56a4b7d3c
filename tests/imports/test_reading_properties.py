"""Property-based tests of reading CSV files and of reading and translating cell values."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from voronka.imports import values
from voronka.imports.reading import open_table

cell_text = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00\r"),
    max_size=40,
)
names = st.lists(
    st.text(alphabet="abcdefghijklmnopqrstuvwxyzабвгдеёжз_", min_size=1, max_size=12),
    min_size=1, max_size=6, unique=True,
)  # fmt: skip


@st.composite
def tables(draw: st.DrawFn) -> tuple[list[str], list[list[str]], str]:
    header = draw(names)
    row = st.lists(cell_text, min_size=len(header), max_size=len(header)).filter(
        lambda cells: any(c.strip() for c in cells)
    )
    rows = draw(st.lists(row, max_size=15))
    delimiter = draw(st.sampled_from([",", ";", "\t"]))
    return header, rows, delimiter


def write(path: Path, header: list[str], rows: list[list[str]], delimiter: str,
          encoding: str = "utf-8") -> None:  # fmt: skip
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(rows)
    path.write_bytes(out.getvalue().encode(encoding))


@settings(max_examples=150, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(table=tables())
def test_every_cell_written_by_a_csv_writer_is_read_back_unchanged(tmp_path, table):
    header, rows, delimiter = table
    path = tmp_path / "t.csv"
    write(path, header, rows, delimiter)
    read = open_table(path, delimiter=delimiter)
    assert read.header == header
    assert [cells for _, cells in read.rows()] == rows


@settings(max_examples=60, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    header=names,
    words=st.lists(st.text(alphabet="абвгдежзийклмнопрстуфхцчшщыэюя ,\"", min_size=1,
                           max_size=20).filter(str.strip), min_size=1, max_size=10),
)  # fmt: skip
def test_a_windows_1251_file_is_recognised_and_read_as_written(tmp_path, header, words):
    rows = [[w] + [""] * (len(header) - 1) for w in words]
    path = tmp_path / "t.csv"
    write(path, header, rows, ",", encoding="cp1251")
    table = open_table(path)
    assert table.encoding == "cp1251"
    assert [cells for _, cells in table.rows()] == rows


@given(st.decimals(allow_nan=False, allow_infinity=False, places=2,
                   min_value=Decimal("-1e12"), max_value=Decimal("1e12")))  # fmt: skip
def test_a_decimal_reads_back_from_its_text_and_with_a_decimal_comma(number):
    assert values.decimal(str(number)) == number
    assert values.decimal(format(number, "f").replace(".", ","), comma=True) == number


@given(st.integers(min_value=-(10**12), max_value=10**12))
def test_integers_with_grouping_spaces_read_as_integers(n):
    grouped = f"{n:,}".replace(",", "\u00a0")
    assert values.integer(grouped) == n
    assert values.decimal(f"{n:,}") == n


@given(
    st.datetimes(min_value=datetime(1990, 1, 1), max_value=datetime(2100, 1, 1)),  # noqa: DTZ001
    st.sampled_from(["%d.%m.%Y %H:%M:%S", "%Y-%m-%d %H:%M:%S", "%m/%d/%Y %H:%M:%S"]),
)
def test_a_date_written_in_a_format_reads_back_in_the_organisations_zone(moment, fmt):
    tz = ZoneInfo("Europe/Moscow")
    text = moment.strftime(fmt)
    parsed = values.moment(text, fmt, tz)
    assert parsed == moment.replace(microsecond=0, tzinfo=tz)
    assert values.day(text, fmt) == moment.date()


@given(st.text(max_size=30))
def test_a_cell_that_is_not_a_date_is_refused_with_an_example_of_the_format(text):
    try:
        values.day(text, "%d.%m.%Y")
    except values.CellError as error:
        assert "31.03.2024" in str(error)


@given(
    mapping=st.dictionaries(st.text(min_size=1, max_size=10).filter(str.strip),
                            st.sampled_from(["new", "in_progress", "qualified"]),
                            min_size=1, max_size=8),
    data=st.data(),
)  # fmt: skip
def test_a_value_translation_maps_each_source_value_whatever_its_case(mapping, data):
    from voronka.imports.engine import Importer
    from voronka.imports.spec import parse_mapping
    from voronka.imports.targets import Row

    spec = parse_mapping(
        {"entity": "leads", "fields": {"title": "t", "status": {"column": "s", "values": mapping}}}
    )
    importer = Importer.__new__(Importer)
    source = data.draw(st.sampled_from(sorted(mapping)))
    cased = data.draw(st.sampled_from([source, source.upper(), source.lower()]))
    row = Row(2, [], {"t": "x", "s": f"  {cased} "})
    got = importer._source("status", spec.field_maps()["status"], row)
    folded = [k for k in mapping if " ".join(k.split()).casefold() ==
              " ".join(cased.strip().split()).casefold()]  # fmt: skip
    if cased.strip() in mapping:
        assert got == mapping[cased.strip()]
    elif folded:
        assert got in {mapping[k] for k in folded}
    else:
        assert got == cased.strip()


def test_dates_from_xlsx_cells_keep_their_value():
    tz = ZoneInfo("UTC")
    assert values.moment(date(2024, 3, 31), None, tz) == datetime(2024, 3, 31, tzinfo=UTC)
    with pytest.raises(values.CellError, match="not a number"):
        values.decimal("12 apples")
