"""Monthly revenue targets for the demo managers, so the plan pages have something to show.

Each manager's target for a month is their average monthly won revenue over the seeded
history, raised by a tenth and rounded to 10 000: reachable, and not always reached.
"""

from __future__ import annotations

import random
from datetime import date
from decimal import Decimal

from django.db.models import Sum

from voronka.analytics.models import DealDayTotal, SalesPlan
from voronka.analytics.periods import add_months

ROUND = Decimal("10000")


def write(today: date, rng: random.Random, *, months_back: int = 6, months_ahead: int = 2) -> int:
    """Targets for every manager with won deals, from ``months_back`` months ago to
    ``months_ahead`` months ahead; returns the number of targets written."""
    won = (
        DealDayTotal.objects.filter(event=DealDayTotal.Event.WON)
        .values("owner_id")
        .annotate(total=Sum("amount"))
    )
    days = DealDayTotal.objects.filter(event=DealDayTotal.Event.WON).dates("day", "month")
    months = max(len(days), 1)
    first = add_months(today.replace(day=1), -months_back)
    plans = []
    for row in won:
        monthly = (row["total"] or Decimal(0)) / months * Decimal("1.1")
        for i in range(months_back + months_ahead + 1):
            wobble = Decimal(rng.randint(90, 110)) / 100
            target = (monthly * wobble / ROUND).quantize(Decimal(1)) * ROUND
            plans.append(
                SalesPlan(
                    metric=SalesPlan.Metric.WON_REVENUE,
                    period_kind=SalesPlan.PeriodKind.MONTH,
                    period_start=add_months(first, i),
                    manager_id=row["owner_id"],
                    target=max(target, ROUND),
                )
            )
    SalesPlan.objects.bulk_create(plans, ignore_conflicts=True)
    return len(plans)
