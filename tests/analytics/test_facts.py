"""What one deal or lead adds to the rollups, and every service keeping the rollups exact."""

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from tests import factories
from tests.analytics.conftest import assert_rollups_exact, fresh, msk, rollup_rows
from voronka.analytics.facts import DealRow, LeadRow, deal_facts, lead_facts
from voronka.sales import services

MOSCOW = ZoneInfo("Europe/Moscow")
DAY_US = 86_400 * 1_000_000


def _row(**changes):
    values = {
        "created_at": datetime(2026, 3, 1, 9, 0, tzinfo=UTC),
        "closed_at": None,
        "status": "open",
        "owner_id": 7,
        "pipeline_id": 2,
        "source_id": None,
        "amount": Decimal("1500.00"),
        "expected_close_date": None,
        "lead_created_at": None,
    }
    return DealRow(**{**values, **changes})


def test_an_open_deal_adds_one_created_deal_on_its_local_day_and_its_stage_entries():
    created = datetime(2026, 3, 1, 21, 30, tzinfo=UTC)  # 00:30 on March 2nd in Moscow
    facts = deal_facts(_row(created_at=created), [(11, created)], MOSCOW)
    assert facts == {
        ("deal", date(2026, 3, 2), "created", 7, 2, None): {
            "count": 1, "amount": Decimal("1500.00"),
        },
        ("funnel", date(2026, 3, 2), 7, 2, None, 11): {"reached": 1, "left": 0, "stay_us": 0},
    }  # fmt: skip


def test_a_won_deal_adds_its_cycle_its_lead_and_whether_it_closed_late():
    created = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
    closed = datetime(2026, 3, 31, 22, 30, tzinfo=UTC)  # April 1st in Moscow
    row = _row(
        created_at=created, closed_at=closed, status="won", source_id=3,
        expected_close_date=date(2026, 3, 31),
        lead_created_at=datetime(2026, 2, 27, 9, 0, tzinfo=UTC),
    )  # fmt: skip
    entries = [(11, created), (12, created + timedelta(days=2)), (15, closed)]
    facts = deal_facts(row, entries, MOSCOW)
    cycle = (closed - created).total_seconds()  # 30 days 13.5 hours
    assert cycle == 30 * 86_400 + 13.5 * 3600
    assert facts[("deal", date(2026, 4, 1), "won", 7, 2, 3)] == {
        "count": 1, "amount": Decimal("1500.00"), "cycle_us": int(cycle * 1_000_000),
        "with_lead": 1, "lead_cycle_us": int(cycle * 1_000_000) + 2 * DAY_US,
        "with_expected": 1, "late": 1,
    }  # fmt: skip
    assert facts[("deal", date(2026, 3, 1), "created", 7, 2, 3)]["count"] == 1
    funnel = {k[-1]: v for k, v in facts.items() if k[0] == "funnel"}
    assert funnel == {
        11: {"reached": 1, "left": 1, "stay_us": 2 * DAY_US},
        12: {"reached": 1, "left": 1, "stay_us": int(cycle * 1_000_000) - 2 * DAY_US},
        15: {"reached": 1, "left": 0, "stay_us": 0},
    }


def test_a_lost_deal_closed_on_its_expected_day_is_not_late_and_has_no_lead():
    closed = datetime(2026, 3, 20, 20, 0, tzinfo=UTC)  # 23:00 on the 20th in Moscow
    facts = deal_facts(
        _row(closed_at=closed, status="lost", expected_close_date=date(2026, 3, 20)), [], MOSCOW
    )
    lost = facts[("deal", date(2026, 3, 20), "lost", 7, 2, None)]
    assert lost["late"] == 0 and lost["with_expected"] == 1
    assert "with_lead" not in lost
    assert not [k for k in facts if k[0] == "funnel"]


def test_a_stage_entered_twice_is_reached_once_with_both_stays_summed():
    t0 = datetime(2026, 3, 1, tzinfo=UTC)
    entries = [(1, t0), (2, t0 + timedelta(days=2)), (1, t0 + timedelta(days=3)),
               (2, t0 + timedelta(days=7))]  # fmt: skip
    facts = deal_facts(_row(created_at=t0), entries, MOSCOW)
    funnel = {k[-1]: v for k, v in facts.items() if k[0] == "funnel"}
    assert funnel == {
        1: {"reached": 1, "left": 1, "stay_us": (2 + 4) * DAY_US},
        2: {"reached": 1, "left": 1, "stay_us": 1 * DAY_US},  # the last stay is not over
    }


def test_an_open_deal_with_a_stale_closing_time_adds_no_closed_deal():
    facts = deal_facts(_row(closed_at=datetime(2026, 3, 2, tzinfo=UTC)), [], MOSCOW)
    assert [k[2] for k in facts if k[0] == "deal"] == ["created"]


def test_a_lead_adds_itself_on_its_local_day_with_how_far_it_went():
    created = datetime(2026, 3, 31, 21, 0, tzinfo=UTC)  # midnight of April 1st in Moscow
    assert lead_facts(LeadRow(created, 4, None, True, False), MOSCOW) == {
        ("lead", date(2026, 4, 1), 4, None): {"count": 1, "with_deal": 1, "with_won_deal": 0},
    }
    assert lead_facts(LeadRow(created, None, 5, True, True), MOSCOW) == {
        ("lead", date(2026, 4, 1), None, 5): {"count": 1, "with_deal": 1, "with_won_deal": 1},
    }


def test_every_service_keeps_the_rollups_equal_to_a_rebuild(world):
    p, s = world.people, world.stages
    head = p.head
    assert_rollups_exact()
    lead = world.lead(p.alice, msk(2026, 3, 1), source=world.source)
    assert_rollups_exact()
    world.at(msk(2026, 3, 2))
    services.lead_update(actor=head, lead=fresh(lead), version=fresh(lead).version,
                         data={"owner": p.bob, "source": None})  # fmt: skip
    assert_rollups_exact()
    deal = world.qualify(lead, msk(2026, 3, 3), "5000", expected_close_date=date(2026, 3, 10))
    assert_rollups_exact()
    world.move(deal, "proposal", msk(2026, 3, 5))
    assert_rollups_exact()
    world.update(deal, msk(2026, 3, 6), owner=p.alice, amount=Decimal("250.50"),
                 currency="USD", exchange_rate=Decimal("92.123456"), source=world.source,
                 expected_close_date=date(2026, 3, 8))  # fmt: skip
    assert_rollups_exact()
    world.win(deal, msk(2026, 3, 12, 23, 30))
    assert_rollups_exact()
    world.move(deal, "negotiation", msk(2026, 3, 14))  # reopened
    assert_rollups_exact()
    world.lose(deal, msk(2026, 3, 15))
    assert_rollups_exact()
    world.win(deal, msk(2026, 3, 16))
    assert_rollups_exact()
    world.delete(deal, msk(2026, 3, 17))
    assert_rollups_exact()
    world.restore(deal, msk(2026, 3, 18))
    assert_rollups_exact()
    world.delete(lead, msk(2026, 3, 19))
    assert_rollups_exact()
    world.restore(lead, msk(2026, 3, 20))
    assert_rollups_exact()
    product = factories.product(p.admin, price=Decimal("333.33"))
    other = world.deal(p.bob, msk(2026, 3, 21), "1")
    world.at(msk(2026, 3, 22))
    line = services.deal_line_add(actor=head, deal=fresh(other), version=fresh(other).version,
                                  line={"product": product, "quantity": 3})  # fmt: skip
    assert_rollups_exact()
    world.at(msk(2026, 3, 23))
    services.deal_line_remove(actor=head, deal=fresh(other), version=fresh(other).version,
                              line_id=line.pk)  # fmt: skip
    assert_rollups_exact()
    world.at(msk(2026, 3, 24))
    with_lines = services.deal_create(
        actor=head, data={"title": "С товарами", "owner": p.bob, "company": fresh(other).company,
                          "stage": s["qualification"]},
        lines=[{"product": product, "quantity": 2}],
    )  # fmt: skip
    assert_rollups_exact()
    assert with_lines.amount == Decimal("666.66")
    rows = rollup_rows()
    # The deal rollups each hold something (no interaction was logged here); the won deal's
    # amount is in roubles.
    assert all(rows[name] for name in ("DealDayTotal", "LeadDayTotal", "FunnelDayTotal"))
    assert rows["ActivityDayTotal"] == []
    assert len(rows["ClientSpell"]) == 4  # two clients: one row by person, one for everyone
    assert rows["OpenSpell"]
    won = [r for r in rows["DealDayTotal"] if r[1] == "won"]
    assert [(r[0], r[6]) for r in won] == [(date(2026, 3, 16), Decimal("23076.93"))]


def test_a_refused_change_leaves_the_rollups_as_they_were(world):
    from django.core.exceptions import ValidationError

    from voronka.core.errors import NotAllowed

    deal = world.deal(world.people.alice, msk(2026, 3, 1))
    before = rollup_rows()
    world.at(msk(2026, 3, 2))
    with pytest.raises(NotAllowed):
        services.deal_move_stage(
            actor=world.people.bob, deal=fresh(deal), stage=world.stages["won"], version=1
        )
    with pytest.raises(ValidationError):  # losing needs a reason
        services.deal_move_stage(
            actor=world.people.alice, deal=fresh(deal), stage=world.stages["lost"], version=1
        )
    assert rollup_rows() == before
    assert_rollups_exact()
