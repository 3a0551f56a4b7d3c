"""Orders out to CSV and XLSX: what the files hold, which orders go, and the marks."""

from __future__ import annotations

import csv
import io
from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError

from tests.orders.conftest import walk
from voronka.core.errors import NotAllowed
from voronka.orders import exchange
from voronka.orders.models import ExportRun, Order

MSK = ZoneInfo("Europe/Moscow")


def export(actor, fmt="csv", **request):
    request.setdefault("date_from", "2000-01-01")
    request.setdefault("date_to", "2100-12-31")
    target = io.BytesIO()
    run = exchange.orders_export(
        actor=actor, request=exchange.export_request(fmt=fmt, **request), target=target
    )
    return run, target.getvalue()


def csv_rows(data: bytes) -> list[dict[str, str]]:
    assert data.startswith(b"\xef\xbb\xbf")
    reader = csv.DictReader(io.StringIO(data.decode("utf-8-sig"), newline=""), delimiter=";")
    return list(reader)


@pytest.fixture
def discounted_order(make_order, catalogue):
    """Two chairs at 10 % off and a table, prices with VAT.

    By hand: chairs 3 000.00 − 300.00 = 2 700.00, VAT 22/122 of it = 486.89; the table
    12 000.00, VAT 10/110 = 1 090.91; the order 14 700.00, VAT 1 577.80, discount 300.00.
    """
    chair, table = catalogue
    return make_order(
        lines=[{"product": chair, "quantity": 2, "discount_percent": 10},
               {"product": table, "quantity": 1}],
        received_at=datetime(2026, 11, 10, 14, 30, tzinfo=MSK),
        delivery_address="Москва, ул. Ленина, 1", notes="Позвонить за час",
    )  # fmt: skip


def test_csv_has_a_row_per_line_with_the_order_repeated_and_money_in_decimals(
    discounted_order, personas
):
    _run, data = export(personas.head)
    rows = csv_rows(data)
    assert len(rows) == 2
    chairs, table = rows
    assert chairs["Number"] == table["Number"] == discounted_order.number
    assert chairs["Received"] == "2026-11-10 14:30"
    assert chairs["Client"] == "ООО «Ромашка»"
    assert chairs["Contact"] == "Клиентов Пётр"
    assert chairs["Order status"] == "New"
    assert chairs["Payment"] == "Not paid"
    assert chairs["Prices include VAT"] == "true"
    assert (chairs["Order amount before discount"], chairs["Order discount"],
            chairs["Order VAT"], chairs["Order total"]) == ("15000.00", "300.00", "1577.80",
                                                            "14700.00")  # fmt: skip
    assert (chairs["SKU"], chairs["Name"], chairs["Quantity"], chairs["Unit price"],
            chairs["Discount, %"], chairs["VAT rate, %"], chairs["Line amount before discount"],
            chairs["Line discount"], chairs["Line VAT"], chairs["Line total"]) == (
        "CH-1", "Стул офисный", "2", "1500.00", "10", "22", "3000.00", "300.00", "486.89",
        "2700.00")  # fmt: skip
    assert (table["Quantity"], table["Line VAT"], table["Line total"], table["Discount, %"]) == (
        "1", "1090.91", "12000.00", "0")  # fmt: skip
    assert chairs["Delivery address"] == "Москва, ул. Ленина, 1"
    assert chairs["Notes"] == "Позвонить за час"


def test_csv_is_separated_by_semicolons_as_russian_excel_reads_it(discounted_order, personas):
    _run, data = export(personas.head)
    header = data.decode("utf-8-sig").splitlines()[0]
    assert header.startswith("Number;Received;Client;")
    assert data.count(b"\r\n") == 3  # the header and two lines


def test_xlsx_has_a_sheet_of_orders_and_a_sheet_of_lines(discounted_order, make_order, personas):
    from openpyxl import load_workbook

    second = make_order(lines=[{"name": "Доставка", "unit_price": "500.00", "vat_rate": 0}])
    _run, data = export(personas.head, "xlsx")
    book = load_workbook(io.BytesIO(data))
    assert book.sheetnames == ["Заказы", "Строки"]
    orders = list(book["Заказы"].iter_rows(values_only=True))
    header = orders[0]
    assert len(orders) == 3
    got = {row[0]: dict(zip(header, row, strict=True)) for row in orders[1:]}
    first = got[discounted_order.number]
    assert first["Received"] == datetime(2026, 11, 10, 14, 30, tzinfo=MSK).replace(tzinfo=None)
    assert Decimal(str(first["Order total"])) == Decimal("14700.00")
    assert Decimal(str(first["Order VAT"])) == Decimal("1577.80")
    assert Decimal(str(got[second.number]["Order total"])) == Decimal("500.00")
    total_cell = book["Заказы"].cell(row=2, column=header.index("Order total") + 1)
    assert total_cell.number_format == "#,##0.00"
    lines = list(book["Строки"].iter_rows(values_only=True))
    assert lines[0][:4] == ("Order number", "Received", "Client", "Position")
    assert [(r[0], r[lines[0].index("Name")]) for r in lines[1:]] == [
        (discounted_order.number, "Стул офисный"), (discounted_order.number, "Стол переговорный"),
        (second.number, "Доставка"),
    ]  # fmt: skip
    vat = [Decimal(str(r[lines[0].index("Line VAT")])) for r in lines[1:]]
    assert vat == [Decimal("486.89"), Decimal("1090.91"), Decimal("0")]


def test_only_new_exports_each_order_once_and_records_every_run(make_order, personas):
    first, second = make_order(), make_order()
    run, data = export(personas.head, only_new=True, date_from=None, date_to=None)
    assert {r["Number"] for r in csv_rows(data)} == {first.number, second.number}
    assert (run.count, run.only_new, run.created_by, run.format) == (2, True, personas.head, "csv")
    marked = set(Order.objects.exclude(exported_at=None).values_list("pk", flat=True))
    assert marked == {first.pk, second.pk}

    again, data = export(personas.head, only_new=True, date_from=None, date_to=None)
    assert (again.count, csv_rows(data)) == (0, [])
    third = make_order()
    last, data = export(personas.head, "xlsx", only_new=True, date_from=None, date_to=None)
    assert last.count == 1
    assert ExportRun.objects.count() == 3
    assert Order.objects.filter(exported_at=None).count() == 0
    assert Order.objects.get(pk=third.pk).exported_at >= Order.objects.get(pk=first.pk).exported_at


def test_only_new_without_marking_shows_them_and_leaves_them_new(make_order, personas):
    make_order()
    run, _data = export(personas.head, only_new=True, mark=False, date_from=None, date_to=None)
    assert run.count == 1
    assert Order.objects.filter(exported_at=None).count() == 1


def test_a_period_export_marks_nothing_unless_asked(make_order, personas):
    order = make_order()
    export(personas.head)
    assert Order.objects.get(pk=order.pk).exported_at is None
    export(personas.head, mark=True)
    marked = Order.objects.get(pk=order.pk).exported_at
    assert marked is not None
    export(personas.head, mark=True)  # an order marked before keeps its first mark
    assert Order.objects.get(pk=order.pk).exported_at == marked


def test_the_period_is_local_days_with_both_ends_included(make_order, personas):
    def at(month, day, hour, minute):
        return make_order(received_at=datetime(2026, month, day, hour, minute, tzinfo=MSK))

    inside = [at(11, 1, 0, 5), at(11, 2, 1, 0), at(11, 30, 23, 55)]
    outside = [at(10, 31, 23, 59), at(12, 1, 0, 5)]
    run, data = export(personas.head, date_from="2026-11-01", date_to="2026-11-30")
    assert {r["Number"] for r in csv_rows(data)} == {o.number for o in inside}
    assert not {o.number for o in outside} & {r["Number"] for r in csv_rows(data)}
    assert run.count == 3
    assert (run.period_from.isoformat(), run.period_to.isoformat()) == ("2026-11-01", "2026-11-30")


def test_a_manager_exports_only_the_orders_they_may_see(make_order, personas, catalogue):
    from voronka.clients.models import Company

    bobs_client = Company.objects.create(name="ООО «Бобёр»", owner=personas.bob)
    alices = make_order()
    bobs = make_order(actor=personas.bob, owner=personas.bob, company=bobs_client, contact=None)
    _run, data = export(personas.alice)
    assert {r["Number"] for r in csv_rows(data)} == {alices.number}
    _run, data = export(personas.bob, only_new=True, date_from=None, date_to=None)
    assert {r["Number"] for r in csv_rows(data)} == {bobs.number}
    assert Order.objects.get(pk=alices.pk).exported_at is None
    _run, data = export(personas.outsider)
    assert csv_rows(data) == []


def test_support_exports_but_may_not_mark(make_order, personas):
    make_order()
    _run, data = export(personas.support)
    assert len(csv_rows(data)) == 2
    with pytest.raises(NotAllowed):
        export(personas.support, only_new=True, date_from=None, date_to=None)
    assert Order.objects.filter(exported_at=None).count() == 1
    assert ExportRun.objects.filter(created_by=personas.support).count() == 1


def test_a_failed_export_leaves_no_mark_and_no_run(make_order, personas):
    make_order()

    class Broken(io.BytesIO):
        def write(self, data):
            raise OSError("disk full")

    request = exchange.export_request(fmt="csv", only_new=True)
    with pytest.raises(OSError, match="disk full"):
        exchange.orders_export(actor=personas.head, request=request, target=Broken())
    assert Order.objects.filter(exported_at=None).count() == 1
    assert ExportRun.objects.count() == 0


@pytest.mark.parametrize(
    ("arguments", "errors"),
    [
        ({"fmt": "pdf", "only_new": True}, {"format"}),
        ({"fmt": "csv"}, {"from", "to"}),
        ({"fmt": "csv", "date_from": "01.11.2026", "date_to": "2026-11-30"}, {"from"}),
        ({"fmt": "csv", "date_from": "2026-11-30", "date_to": "2026-11-01"}, {"to"}),
    ],
)
def test_a_bad_request_names_the_field(arguments, errors):
    with pytest.raises(ValidationError) as caught:
        exchange.export_request(**arguments)
    assert set(caught.value.message_dict) == errors


@pytest.mark.parametrize("fmt", ["csv", "xlsx", "commerceml"])
def test_the_queries_do_not_grow_with_the_orders(
    fmt, make_order, personas, django_assert_max_num_queries
):
    make_order()
    with django_assert_max_num_queries(12):
        export(personas.alice, fmt, only_new=True, date_from=None, date_to=None)
    for _ in range(6):
        make_order()
    with django_assert_max_num_queries(12):
        run, _data = export(personas.alice, fmt, only_new=True, date_from=None, date_to=None)
    assert run.count == 6


def test_a_paid_and_delivered_order_shows_it(alices_order, personas):
    order = walk(alices_order, personas.alice, "confirmed", "paid", "assembled", "shipped",
                 "delivered")  # fmt: skip
    _run, data = export(personas.head)
    row = csv_rows(data)[0]
    assert (row["Order status"], row["Payment"]) == ("Delivered", "Paid")
    assert row["Paid on"] and row["Delivered on"]
    assert order.delivered_at is not None
