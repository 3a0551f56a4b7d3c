"""The board's kept totals always equal a count of the deals done by hand."""

from collections import defaultdict
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from tests import factories
from voronka.core.errors import StaleVersion
from voronka.sales import queries, services
from voronka.sales.models import ClosedDayTotal, Deal, StageTotal
from voronka.sales.rollups import rebuild_board_totals


def _by_hand():
    """Live deals per (stage, owner, day closed in Moscow or None while open): count and
    amount × rate, rounded per deal."""
    expected = defaultdict(lambda: [0, Decimal("0")])
    moscow = ZoneInfo("Europe/Moscow")
    for deal in Deal.all_objects.all():
        if deal.deleted_at is None:
            day = deal.closed_at.astimezone(moscow).date() if deal.status != "open" else None
            cell = expected[(deal.stage_id, deal.owner_id, day)]
            cell[0] += 1
            cell[1] += (deal.amount * deal.exchange_rate).quantize(Decimal("0.01"))
    return {k: tuple(v) for k, v in expected.items() if v[0]}


def _kept():
    kept = {
        (t.stage_id, t.owner_id, None): (t.count, t.amount)
        for t in StageTotal.objects.all()
        if t.count or t.amount
    }
    kept |= {
        (t.stage_id, t.owner_id, t.day): (t.count, t.amount)
        for t in ClosedDayTotal.objects.all()
        if t.count or t.amount
    }
    return kept


def test_every_deal_operation_keeps_the_totals_equal_to_the_deals(personas, stages, lost_reason):
    def fresh(deal):
        return Deal.all_objects.get(pk=deal.pk)

    p = factories.product(personas.admin, price=Decimal("333.33"))
    a = factories.deal(personas.alice, amount=Decimal("1000"))
    b = factories.deal(personas.alice, amount=Decimal("250.50"), currency="USD",
                       exchange_rate=Decimal("92.123456"))  # fmt: skip
    c = factories.deal(personas.bob, lines=[{"product": p, "quantity": 3}])
    d = factories.deal(personas.lead, amount=Decimal("5"))
    assert _kept() == _by_hand()

    services.deal_move_stage(actor=personas.alice, deal=a, stage=stages["proposal"], version=1)
    services.deal_update(actor=personas.lead, deal=fresh(b), version=1,
                         data={"owner": personas.lead, "amount": Decimal("300")})  # fmt: skip
    services.deal_line_add(actor=personas.bob, deal=fresh(c), version=1, line={"product": p})
    services.deal_move_stage(actor=personas.bob, deal=fresh(c), stage=stages["won"], version=2,
                             amount=fresh(c).amount)  # fmt: skip
    services.deal_move_stage(actor=personas.alice, deal=fresh(a), stage=stages["lost"], version=2,
                             lost_reason=lost_reason)  # fmt: skip
    services.deal_move_stage(actor=personas.alice, deal=fresh(a), stage=stages["negotiation"],
                             version=3)  # fmt: skip
    services.deal_delete(actor=personas.lead, deal=fresh(d), version=1)
    assert _kept() == _by_hand()
    services.deal_restore(actor=personas.head, deal=fresh(d))
    services.deal_move_stage(actor=personas.bob, deal=fresh(c), stage=stages["new"], version=3)
    line = fresh(c).lines.first()
    services.deal_line_remove(actor=personas.bob, deal=fresh(c), version=4, line_id=line.pk)

    assert _kept() == _by_hand()
    assert _by_hand() != {}  # the sequence leaves open deals to compare
    kept = _kept()
    assert rebuild_board_totals() == len(kept)
    assert _kept() == kept


def test_a_refused_change_leaves_the_totals_alone(personas, stages):
    deal = factories.deal(personas.alice, amount=Decimal("10"))
    before = _kept()
    with pytest.raises(StaleVersion):
        services.deal_update(
            actor=personas.alice, deal=deal, version=7, data={"amount": Decimal(1)}
        )
    assert _kept() == before == _by_hand()


def test_the_board_reads_the_kept_totals_within_each_persons_visibility(personas, stages):
    factories.deal(personas.alice, amount=Decimal("100"))
    factories.deal(personas.lead, amount=Decimal("20"))
    factories.deal(personas.bob, amount=Decimal("3"))
    pipeline = stages["new"].pipeline

    def first_column(user, **kw):
        column = queries.board(user, pipeline, **kw)[0]
        return column.count, column.total

    assert first_column(personas.head) == (3, Decimal("123.00"))
    assert first_column(personas.lead) == (2, Decimal("120.00"))
    assert first_column(personas.alice) == (1, Decimal("100.00"))
    assert first_column(personas.support) == (3, Decimal("123.00"))
    assert first_column(personas.outsider) == (0, Decimal("0.00"))
    assert first_column(personas.head, owner_id=personas.bob.pk) == (1, Decimal("3.00"))
    # A search counts the matching deals themselves.
    assert first_column(personas.head, q="несуществующая") == (0, Decimal("0.00"))


def test_a_deal_closed_after_midnight_in_moscow_counts_on_the_moscow_day(personas, stages):
    from datetime import UTC, date, datetime

    from voronka.sales.rollups import board_state

    deal = factories.deal(personas.alice, amount=Decimal("7"))
    services.deal_move_stage(actor=personas.alice, deal=deal, stage=stages["won"], version=1)
    late_evening_utc = datetime(2026, 11, 25, 22, 30, tzinfo=UTC)  # 01:30 on the 26th in Moscow
    Deal.objects.filter(pk=deal.pk).update(closed_at=late_evening_utc)
    rebuild_board_totals()
    assert list(ClosedDayTotal.objects.values_list("day", "count")) == [(date(2026, 11, 26), 1)]
    assert board_state(Deal.objects.get(pk=deal.pk)).day == date(2026, 11, 26)
