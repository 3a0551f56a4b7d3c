"""The board's totals per stage and owner, maintained incrementally.

Open deals count in :class:`StageTotal`; won and lost deals in
:class:`ClosedDayTotal` by the day they closed. Every deal service takes the
deal's board state before its change and after it and applies the difference in
the same transaction, so the totals never disagree with the deals a committed
transaction left behind.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import Count, DecimalField, F, Sum
from django.db.models.functions import Round, TruncDate
from django.utils import timezone

from voronka.core import organisation
from voronka.core.money import cents
from voronka.sales.models import ClosedDayTotal, Deal, StageTotal

CENT = Decimal("0.01")
MONEY_SUM: DecimalField[Decimal, Decimal] = DecimalField(max_digits=24, decimal_places=2)


@dataclass(frozen=True)
class BoardState:
    stage_id: int
    owner_id: int
    amount: Decimal
    day: date | None  # None while open; the local day of closing once won or lost


def board_state(deal: Deal) -> BoardState | None:
    """Where the deal counts on the board, or None if it does not count at all."""
    if deal.deleted_at is not None:
        return None
    day = None
    if deal.status != Deal.Status.OPEN:
        if deal.closed_at is None:
            return None
        day = timezone.localtime(deal.closed_at, organisation.current().tz).date()
    amount = cents(deal.amount * deal.exchange_rate)
    return BoardState(deal.stage_id, deal.owner_id, amount, day)


def _add(state: BoardState, sign: int) -> None:
    change = {"count": F("count") + sign, "amount": F("amount") + sign * state.amount}
    if state.day is None:
        row = StageTotal.objects.get_or_create(stage_id=state.stage_id, owner_id=state.owner_id)[0]
        StageTotal.objects.filter(pk=row.pk).update(**change)
    else:
        day_row = ClosedDayTotal.objects.get_or_create(
            stage_id=state.stage_id, owner_id=state.owner_id, day=state.day
        )[0]
        ClosedDayTotal.objects.filter(pk=day_row.pk).update(**change)


def board_apply(before: BoardState | None, after: BoardState | None) -> None:
    """Move the deal's contribution from ``before`` to ``after``."""
    if before == after:
        return
    if before is not None:
        _add(before, -1)
    if after is not None:
        _add(after, +1)


def board_apply_many(
    changes: list[tuple[BoardState | None, BoardState | None]],
    *,
    known: dict[Any, int] | None = None,
) -> None:
    """:func:`board_apply` for many deals at once (an import)."""
    from collections import defaultdict

    from voronka.core import increments

    open_: dict[tuple[Any, ...], dict[str, Any]] = defaultdict(lambda: {"count": 0, "amount": 0})
    closed: dict[tuple[Any, ...], dict[str, Any]] = defaultdict(lambda: {"count": 0, "amount": 0})
    for before, after in changes:
        if before == after:
            continue
        for state, sign in ((before, -1), (after, 1)):
            if state is None:
                continue
            if state.day is None:
                slot = open_[(state.stage_id, state.owner_id)]
            else:
                slot = closed[(state.day, state.stage_id, state.owner_id)]
            slot["count"] += sign
            slot["amount"] += sign * state.amount
    increments.add(StageTotal, ("stage_id", "owner_id"), open_, by="stage_id", known=known)
    increments.add(ClosedDayTotal, ("day", "stage_id", "owner_id"), closed, by="day", known=known)


def _per_deal_sum() -> Sum:
    # Rounded per deal, as board_state rounds, so rebuilt and kept totals agree.
    return Sum(Round(F("amount") * F("exchange_rate"), 2), output_field=MONEY_SUM)


@transaction.atomic
def rebuild_board_totals() -> int:
    """Recompute every board total from the deals; returns the number of rows."""
    StageTotal.objects.all().delete()
    ClosedDayTotal.objects.all().delete()
    open_rows = (
        Deal.objects.filter(status=Deal.Status.OPEN)
        .order_by()
        .values("stage_id", "owner_id")
        .annotate(n=Count("id"), total=_per_deal_sum())
    )
    StageTotal.objects.bulk_create(
        [
            StageTotal(stage_id=r["stage_id"], owner_id=r["owner_id"], count=r["n"],
                       amount=cents(r["total"] or Decimal("0")))
            for r in open_rows
        ],
        batch_size=1000,
    )  # fmt: skip
    closed_rows = (
        Deal.objects.exclude(status=Deal.Status.OPEN)
        .filter(closed_at__isnull=False)
        .annotate(day=TruncDate("closed_at", tzinfo=organisation.current().tz))
        .order_by()
        .values("stage_id", "owner_id", "day")
        .annotate(n=Count("id"), total=_per_deal_sum())
    )
    ClosedDayTotal.objects.bulk_create(
        [
            ClosedDayTotal(stage_id=r["stage_id"], owner_id=r["owner_id"], day=r["day"],
                           count=r["n"], amount=cents(r["total"] or Decimal("0")))
            for r in closed_rows
        ],
        batch_size=1000,
    )  # fmt: skip
    return StageTotal.objects.count() + ClosedDayTotal.objects.count()
