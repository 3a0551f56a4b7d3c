"""Every dashboard table downloads as XLSX and CSV holding the numbers the page shows."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from tests.analytics import test_views_dashboard as dashboard_tests

FEBRUARY = dashboard_tests.FEBRUARY
sales = dashboard_tests.sales  # the dataset of the dashboard's tests, as a fixture here too

pytestmark = pytest.mark.django_db


def export(client, user, table, fmt, params=None):
    client.force_login(user)
    url = reverse("analytics:export", kwargs={"table": table, "fmt": fmt})
    return client.get(url, params if params is not None else FEBRUARY, HTTP_ACCEPT_LANGUAGE="en")


def sheet_rows(response):
    book = load_workbook(io.BytesIO(response.content))
    return book, [list(r) for r in book.worksheets[0].iter_rows(values_only=True)]


def csv_rows(response):
    text = response.content.decode("utf-8")
    assert text.startswith("\ufeff")  # Excel reads UTF-8 (and Cyrillic) only with the mark
    return list(csv.reader(io.StringIO(text[1:])))


def test_the_leaderboard_downloads_as_xlsx_with_numbers_and_formats(client, personas, sales):
    response = export(client, personas.head, "leaderboard", "xlsx")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert response["Content-Disposition"] == (
        'attachment; filename="voronka-leaderboard-2026-02-01-2026-02-28.xlsx"'
    )
    book, rows = sheet_rows(response)
    header = rows[0]
    assert header[:6] == [
        "Manager",
        "Won revenue",
        "Deals won",
        "Win rate",
        "Average check",
        "Sales cycle, days",
    ]
    by_name = {r[0]: dict(zip(header, r, strict=True)) for r in rows[1:]}
    alice, bob = by_name["Алиса Иванова"], by_name["Борис Петров"]
    assert alice["Won revenue"] == 100000
    assert alice["Deals won"] == 1
    assert alice["Win rate"] == 0.5
    assert alice["Sales cycle, days"] == 10
    assert bob["Won revenue"] == 50000
    assert bob["Win rate"] == 1
    sheet = book.worksheets[0]
    alice_row = next(i for i, r in enumerate(rows, start=1) if r[0] == "Алиса Иванова")
    assert sheet.cell(row=alice_row, column=2).number_format == "#,##0.00"
    assert sheet.cell(row=alice_row, column=4).number_format == "0.0%"
    about = dict(book.worksheets[1].iter_rows(values_only=True))
    assert about["From"].date().isoformat() == "2026-02-01"


def test_the_csv_holds_the_same_rows_as_the_xlsx(client, personas, sales):
    _book, xlsx = sheet_rows(export(client, personas.head, "leaderboard", "xlsx"))
    response = export(client, personas.head, "leaderboard", "csv")

    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].endswith('-2026-02-01-2026-02-28.csv"')
    rows = csv_rows(response)
    assert rows[0] == xlsx[0]
    assert len(rows) == len(xlsx)
    for text_row, cell_row in zip(rows[1:], xlsx[1:], strict=True):
        assert text_row[0] == cell_row[0]
        for text, cell in zip(text_row[1:], cell_row[1:], strict=True):
            assert (Decimal(text) if text else None) == (
                None if cell is None else Decimal(str(cell))
            )


def test_the_sources_export_counts_leads_and_deals_per_source(client, personas, sales):
    rows = csv_rows(export(client, personas.head, "sources", "csv"))

    assert rows[0] == ["Source", "New leads", "Lead conversion", "Deals won", "Won revenue"]
    # The records with no source come last, whatever their numbers.
    assert rows[1:] == [
        ["Сайт", "1", "0.0", "0", "0.00"],
        ["No source", "1", "0.0", "2", "150000.00"],
    ]


def test_the_revenue_export_follows_the_time_axis_asked_for(client, personas, sales):
    params = {"period": "custom", "from": "2026-01-01", "to": "2026-02-28", "bucket": "month"}

    rows = csv_rows(export(client, personas.head, "revenue", "csv", params))

    assert rows[0] == ["Month", "Won revenue", "Deals won"]
    assert [r[1:] for r in rows[1:]] == [["40000.00", "1"], ["150000.00", "2"]]


def test_the_funnel_export_lists_the_stages_in_order(client, personas, sales):
    rows = csv_rows(export(client, personas.head, "funnel", "csv"))

    assert rows[0] == ["Stage", "Reached", "Conversion to next", "Drop-off", "Days in stage"]
    assert [r[0] for r in rows[1:]] == [
        "Новая",
        "Квалификация",
        "Предложение",
        "Переговоры",
        "Успешно реализовано",
    ]
    assert rows[1][1:3] == ["4", "0.0"]
    assert rows[5][1] == "2"


def test_the_tiles_export_gives_value_previous_value_and_change(client, personas, sales):
    _book, rows = sheet_rows(export(client, personas.head, "tiles", "xlsx"))

    assert rows[0] == ["KPI", "Value", "Previous period", "Change, %", "Change, p.p."]
    by_label = {r[0]: r[1:] for r in rows[1:]}
    assert by_label["Won revenue"] == [150000, 40000, 2.75, None]
    assert by_label["Win rate"] == [0.6667, 1, None, -33.33]
    assert by_label["Sales cycle, days (median)"][0] == 15


def test_a_team_lead_exports_only_their_teams_rows(client, personas, sales):
    rows = csv_rows(export(client, personas.lead, "leaderboard", "csv"))

    names = [r[0] for r in rows[1:]]
    assert "Алиса Иванова" in names
    assert "Борис Петров" not in names


def test_a_manager_exports_only_their_own_numbers(client, personas, sales):
    rows = csv_rows(export(client, personas.bob, "tiles", "csv"))

    by_label = {r[0]: r[1:] for r in rows[1:]}
    assert by_label["Won revenue"][0] == "50000.00"


def test_wrong_filters_refuse_the_download_naming_the_field(client, personas, sales):
    response = export(client, personas.head, "sources", "csv", {**FEBRUARY, "team": "999999"})

    assert response.status_code == 400
    assert response.content.decode().startswith("team:")


def test_a_support_agent_downloads_nothing(client, personas, sales):
    response = export(client, personas.support, "leaderboard", "xlsx")

    assert response.status_code == 403


def test_a_visitor_is_asked_to_log_in_before_downloading(client, sales):
    url = reverse("analytics:export", kwargs={"table": "leaderboard", "fmt": "csv"})

    response = client.get(url)

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


def test_an_unknown_table_is_not_found(client, personas):
    response = export(client, personas.head, "salaries", "csv")

    assert response.status_code == 404


def test_an_export_makes_a_bounded_number_of_queries(
    client, personas, sales, django_assert_max_num_queries
):
    with django_assert_max_num_queries(40):
        response = export(client, personas.head, "leaderboard", "xlsx")

    assert response.status_code == 200
