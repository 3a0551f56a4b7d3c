"""An order's money in Decimal: line amounts with discounts and VAT (included in the
price or added to it), rounding to the kopeck once per line, totals as sums of lines."""

from __future__ import annotations

from decimal import Decimal as D

import pytest
from django.core.exceptions import ValidationError
from hypothesis import given
from hypothesis import strategies as st

from voronka.orders.models import Order, OrderLine
from voronka.orders.services import order_set_lines
from voronka.orders.totals import LineAmounts, line_amounts, order_totals


@pytest.mark.parametrize(
    ("qty", "price", "discount", "vat", "included", "expected"),
    [
        # 2 × 1 500.00, VAT 22 % inside: 3 000 × 22 / 122 = 540.983… → 540.98
        ("2", "1500.00", "0", "22", True, ("3000.00", "0.00", "540.98", "3000.00")),
        # 3 × 1 500.00 less 10 %: 4 500 − 450 = 4 050; VAT inside 4 050 × 22 / 122 = 730.327…
        ("3", "1500.00", "10", "22", True, ("4500.00", "450.00", "730.33", "4050.00")),
        # the same with VAT on top: 4 050 × 22 % = 891.00, total 4 941.00
        ("3", "1500.00", "10", "22", False, ("4500.00", "450.00", "891.00", "4941.00")),
        # 1.5 kg × 333.33 = 499.995 → 500.00 (half up); 7 % off = 35.00; VAT 10 % inside
        ("1.5", "333.33", "7", "10", True, ("500.00", "35.00", "42.27", "465.00")),
        # 0.333 × 0.01 = 0.00333 → 0.00: nothing to pay, nothing to tax
        ("0.333", "0.01", "0", "22", False, ("0.00", "0.00", "0.00", "0.00")),
        # 100 % discount: free, no VAT
        ("5", "99.99", "100", "20", True, ("499.95", "499.95", "0.00", "0.00")),
        # 12.5 % off 7 × 19.99 = 139.93 → 17.49125 → 17.49; 122.44 + 0 % VAT
        ("7", "19.99", "12.5", "0", False, ("139.93", "17.49", "0.00", "122.44")),
    ],
)
def test_line_amounts(qty, price, discount, vat, included, expected):
    got = line_amounts(D(qty), D(price), D(discount), D(vat), prices_include_vat=included)
    assert (got.gross, got.discount, got.vat, got.total) == tuple(D(x) for x in expected)
    assert all(x.as_tuple().exponent == -2 for x in (got.gross, got.discount, got.vat, got.total))


money = st.decimals(min_value=D("0"), max_value=D("9999999.99"), places=2)
quantity = st.decimals(min_value=D("0.001"), max_value=D("99999"), places=3)
percent = st.decimals(min_value=D("0"), max_value=D("100"), places=2)


@given(quantity, money, percent, percent, st.booleans())
def test_a_line_adds_up(qty, price, discount, vat, included):
    got = line_amounts(qty, price, discount, vat, prices_include_vat=included)
    assert got.gross - got.discount == (got.total if included else got.total - got.vat)
    assert D(0) <= got.discount <= got.gross
    assert D(0) <= got.vat <= got.total
    assert got.net + got.vat == got.total
    assert abs(got.gross - qty * price) <= D("0.005")


@given(st.lists(st.tuples(quantity, money, percent, percent), min_size=1, max_size=8),
       st.booleans())  # fmt: skip
def test_order_totals_are_the_sums_of_its_lines(lines, included):
    amounts = [line_amounts(*line, prices_include_vat=included) for line in lines]
    totals = order_totals(amounts)
    assert totals.subtotal == sum(a.gross for a in amounts)
    assert totals.discount_total == sum(a.discount for a in amounts)
    assert totals.vat_total == sum(a.vat for a in amounts)
    assert totals.total == sum(a.total for a in amounts)
    assert order_totals([]) == order_totals(LineAmounts(*(D(0),) * 4) for _ in range(2))


def test_a_saved_order_keeps_its_lines_and_totals(make_order, catalogue):
    chair, table = catalogue
    order = make_order(lines=[
        {"product": chair, "quantity": "3", "discount_percent": "10"},  # 4 050.00, VAT 730.33
        {"product": table, "quantity": 1, "unit_price": "11000.00"},  # 11 000, VAT 10 %: 1 000
        {"name": "Доставка", "unit_price": "500", "vat_rate": "0"},
    ])  # fmt: skip

    order = Order.objects.get(pk=order.pk)
    assert (order.subtotal, order.discount_total, order.vat_total, order.total) == (
        D("16000.00"), D("450.00"), D("1730.33"), D("15550.00"),
    )  # fmt: skip
    lines = list(order.lines.all())
    assert [(line.position, line.name, line.total) for line in lines] == [
        (1, "Стул офисный", D("4050.00")), (2, "Стол переговорный", D("11000.00")),
        (3, "Доставка", D("500.00")),
    ]  # fmt: skip
    assert [line.vat_rate for line in lines] == [D("22"), D("10"), D("0")]
    assert lines[0].sku == "CH-1"


def test_vat_on_top_when_the_organisation_says_prices_exclude_it(make_order, catalogue):
    from voronka.core import organisation
    from voronka.core.models import Organisation

    organisation.current()
    Organisation.objects.update(order_prices_include_vat=False, order_vat_rate=D("20"))
    organisation.forget()

    order = make_order(lines=[{"name": "Услуга", "unit_price": "1000.00", "quantity": 2}])

    assert not order.prices_include_vat
    assert (order.vat_total, order.total) == (D("400.00"), D("2400.00"))


def test_the_products_price_does_not_change_an_order_already_taken(make_order, catalogue):
    chair, _ = catalogue
    order = make_order(lines=[{"product": chair, "quantity": 2}])
    chair.price = D("9999.00")
    chair.save()
    assert Order.objects.get(pk=order.pk).total == D("3000.00")
    assert OrderLine.objects.get(order=order).unit_price == D("1500.00")


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ({"name": "X", "unit_price": "10", "quantity": "0"}, "Line 2: the quantity must be more"),
        ({"name": "X", "unit_price": "-1"}, "Line 2: the unit price cannot be negative"),
        ({"name": "X", "unit_price": "1.005"}, "Line 2: the unit price must be in roubles"),
        ({"name": "X", "unit_price": "10", "discount_percent": "101"}, "Line 2: the discount"),
        ({"name": "X", "unit_price": "10", "vat_rate": "-5"}, "Line 2: the VAT rate"),
        ({"name": "X", "unit_price": "десять"}, "Line 2: unit price is not a number"),
        ({"unit_price": "10"}, "Line 2: choose a product or write a name"),
        ({"name": "X"}, "Line 2: give the unit price"),
    ],
)
def test_a_bad_line_is_named_and_nothing_changes(line, message, personas, alices_order, catalogue):
    chair, _ = catalogue
    before = list(alices_order.lines.values_list("name", "total"))
    with pytest.raises(ValidationError) as caught:
        order_set_lines(actor=personas.alice, order=alices_order, version=alices_order.version,
                        lines=[{"product": chair, "quantity": 1}, line])  # fmt: skip
    assert message in caught.value.message_dict["lines"][0]
    order = Order.objects.get(pk=alices_order.pk)
    assert list(order.lines.values_list("name", "total")) == before
    assert order.total == alices_order.total and order.version == alices_order.version


def test_replacing_lines_counts_the_totals_again(personas, alices_order, catalogue):
    _, table = catalogue
    order = order_set_lines(actor=personas.alice, order=alices_order,
                            version=alices_order.version,
                            lines=[{"product": table, "quantity": 2, "discount_percent": 5}])  # fmt: skip
    order = Order.objects.get(pk=order.pk)
    assert (order.subtotal, order.discount_total, order.total) == (
        D("24000.00"), D("1200.00"), D("22800.00"),
    )  # fmt: skip
    assert order.vat_total == D("2072.73")  # 22 800 × 10 / 110 = 2 072.727…
    assert order.lines.count() == 1 and order.version == 2


def test_lines_cannot_change_once_the_order_is_paid(personas, alices_order, catalogue):
    from tests.orders.conftest import walk

    order = walk(alices_order, personas.alice, "confirmed", "paid")
    with pytest.raises(ValidationError, match="its lines cannot change"):
        order_set_lines(actor=personas.alice, order=order, version=order.version,
                        lines=[{"product": catalogue[0], "quantity": 1}])  # fmt: skip
