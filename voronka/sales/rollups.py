"""The board's open-deal totals per stage and owner, maintained incrementally.

Every deal service takes the deal's board state before its change and after it
and applies the difference in the same transaction, so the totals can never
disagree with the deals a committed transaction left behind.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction
from django.db.models import Count, DecimalField, F, Sum
from django.db.models.functions import Round

from voronka.sales.models import Deal, StageTotal

CENT = Decimal("0.01")
MONEY_SUM: DecimalField[Decimal, Decimal] = DecimalField(max_digits=24, decimal_places=2)


@dataclass(frozen=True)
class BoardState:
    stage_id: int
    owner_id: int
    amount: Decimal


def board_state(deal: Deal) -> BoardState | None:
    """Where the deal counts on the board's open columns, or None if it does not."""
    if deal.deleted_at is not None or deal.status != Deal.Status.OPEN:
        return None
    return BoardState(
        deal.stage_id, deal.owner_id, (deal.amount * deal.exchange_rate).quantize(CENT)
    )


def _add(state: BoardState, sign: int) -> None:
    total, _created = StageTotal.objects.get_or_create(
        stage_id=state.stage_id, owner_id=state.owner_id
    )
    StageTotal.objects.filter(pk=total.pk).update(
        count=F("count") + sign, amount=F("amount") + sign * state.amount
    )


def board_apply(before: BoardState | None, after: BoardState | None) -> None:
    """Move the deal's contribution from ``before`` to ``after``."""
    if before == after:
        return
    if before is not None:
        _add(before, -1)
    if after is not None:
        _add(after, +1)


@transaction.atomic
def rebuild_board_totals() -> int:
    """Recompute every stage total from the deals; returns the number of rows."""
    StageTotal.objects.all().delete()
    rows = (
        Deal.objects.filter(status=Deal.Status.OPEN)
        .order_by()
        .values("stage_id", "owner_id")
        .annotate(
            n=Count("id"),
            # Rounded per deal, as board_state rounds, so rebuilt and kept totals agree.
            total=Sum(Round(F("amount") * F("exchange_rate"), 2), output_field=MONEY_SUM),
        )
    )
    totals = [
        StageTotal(
            stage_id=r["stage_id"], owner_id=r["owner_id"], count=r["n"],
            amount=(r["total"] or Decimal("0")).quantize(CENT),
        )
        for r in rows
    ]  # fmt: skip
    StageTotal.objects.bulk_create(totals, batch_size=1000)
    return len(totals)
