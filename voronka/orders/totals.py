"""An order's money: each line's amounts and the order's totals, in Decimal.

A line: gross = quantity × unit price; discount = gross × discount % (to kopecks);
amount = gross − discount. VAT is counted per line, as invoices and 1C count it:
when prices include VAT, vat = amount × rate ÷ (100 + rate) and the line total is the
amount; when they do not, vat = amount × rate ÷ 100 and the total is amount + vat.
Every rounding is half up to the kopeck, once per line; the order's totals are sums of
its lines, so the lines always add up to the order.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")
HUNDRED = Decimal("100")
ZERO = Decimal("0")


def to_cents(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class LineAmounts:
    gross: Decimal
    discount: Decimal
    vat: Decimal
    total: Decimal

    @property
    def net(self) -> Decimal:
        """The line's amount without VAT."""
        return self.total - self.vat


def line_amounts(
    quantity: Decimal, unit_price: Decimal, discount_percent: Decimal, vat_rate: Decimal,
    *, prices_include_vat: bool,
) -> LineAmounts:  # fmt: skip
    gross = to_cents(quantity * unit_price)
    discount = to_cents(gross * discount_percent / HUNDRED)
    amount = gross - discount
    if prices_include_vat:
        vat = to_cents(amount * vat_rate / (HUNDRED + vat_rate))
        return LineAmounts(gross, discount, vat, amount)
    vat = to_cents(amount * vat_rate / HUNDRED)
    return LineAmounts(gross, discount, vat, amount + vat)


@dataclass(frozen=True)
class OrderTotals:
    subtotal: Decimal = ZERO  # before discounts
    discount_total: Decimal = ZERO
    vat_total: Decimal = ZERO
    total: Decimal = ZERO  # what the client pays


def order_totals(lines: Iterable[LineAmounts]) -> OrderTotals:
    subtotal = discount = vat = total = ZERO
    for line in lines:
        subtotal += line.gross
        discount += line.discount
        vat += line.vat
        total += line.total
    return OrderTotals(subtotal, discount, vat, total)
