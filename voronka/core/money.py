"""Money: amounts are Decimals rounded to cents, half away from zero.

The same rule as SQL's ROUND on both databases, so a sum rounded per deal in Python
(the rollups) and in SQL (a direct aggregate) agree to the cent.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")


def cents(amount: Decimal) -> Decimal:
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)
