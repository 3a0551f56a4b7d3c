"""Sales KPIs against values worked out by hand on small datasets built through the services.

Every report is computed from the rollups and from the records (``kpi``/``report`` in the
conftest assert both are identical), so each expectation here checks both paths.
"""

from datetime import date
from decimal import Decimal

import pytest

from tests import factories
from tests.analytics.conftest import groups, kpi, msk, report, utc
from voronka.analytics import engine
from voronka.analytics.scope import Filters

MAR_1, MAR_31 = date(2026, 3, 1), date(2026, 3, 31)
NOW = msk(2026, 6, 15, 12)
SALES_IDS = [
    "deals_won", "deals_lost", "win_rate", "won_revenue", "avg_deal_size", "sales_cycle_days",
    "lead_to_win_days", "deals_closed_late", "revenue_per_client",
]  # fmt: skip


def _kpis_of(*modules: str) -> set[str]:
    return {k for k, spec in engine.KPIS.items() if spec.fn.__module__ in modules}


# Empty periods ---------------------------------------------------------------------------------


def test_an_empty_period_gives_zero_counts_and_sums_and_null_ratios_and_durations(world):
    world.at(NOW)
    r = report(world.people.head, sorted(engine.KPIS), MAR_1, MAR_31)
    expected_null = {
        "lead_to_deal_rate", "lead_conversion_rate", "win_rate", "avg_deal_size",
        "sales_cycle_days", "lead_to_win_days", "deals_closed_late", "funnel",
        "revenue_per_client", "customer_lifetime_days", "customer_ltv", "repeat_purchase_rate",
        "tasks_on_time_rate",
    }  # fmt: skip
    expected_zero = {
        "leads_new": 0, "deals_won": 0, "deals_lost": 0, "won_revenue": Decimal("0.00"),
        "open_deals": 0, "open_pipeline_value": Decimal("0.00"),
        "weighted_pipeline_value": Decimal("0.00"), "overdue_deals": 0, "active_clients": 0,
        "new_customers": 0, "lifecycle_stage_counts": 0, "tasks_overdue": 0,
        "activities_logged": 0,
    }  # fmt: skip
    checked = _kpis_of(
        "voronka.analytics.sales", "voronka.analytics.clients", "voronka.analytics.work"
    )
    assert checked == expected_null | set(expected_zero)
    for kpi_id in expected_null:
        value = r[kpi_id].total
        assert value.value is None, kpi_id
        assert value.reason, kpi_id  # a person reads why, instead of a misleading 0
    for kpi_id, zero in expected_zero.items():
        assert r[kpi_id].total.value == zero, kpi_id
    assert r.as_json()["kpis"]["win_rate"]["total"] == {
        "value": None, "reason": "no deals closed in the period", "numerator": 0,
        "denominator": 0,
    }  # fmt: skip


# Deals won and lost, revenue, cycle --------------------------------------------------------------


@pytest.fixture
def march(world):
    """Deals closed around March 2026.

    alice: A created Feb 10 10:00, won Mar 5 10:00, 100 000 (23 days), source «Сайт»;
           B created Mar 1 12:00, won Mar 11 18:00, 50 000 (10.25 days);
           F created Jan 10, won Feb 27, 7 000 (February);
           G created Mar 10, open.
    bob:   C created Feb 20 09:00, won Mar 20 09:00, 30 000 (28 days), source «Сайт»;
           D created Mar 2, lost Mar 15, 70 000;
           H created Mar 3, won Apr 2, 9 000 (April).
    lead:  E created Mar 3, lost Mar 25, 40 000.
    """
    p, s = world.people, world.source
    deals = {
        "A": world.won_deal(p.alice, msk(2026, 2, 10, 10), msk(2026, 3, 5, 10), "100000",
                            source=s),
        "B": world.won_deal(p.alice, msk(2026, 3, 1, 12), msk(2026, 3, 11, 18), "50000"),
        "F": world.won_deal(p.alice, msk(2026, 1, 10), msk(2026, 2, 27), "7000"),
        "G": world.deal(p.alice, msk(2026, 3, 10), "1000"),
        "C": world.won_deal(p.bob, msk(2026, 2, 20, 9), msk(2026, 3, 20, 9), "30000", source=s),
        "D": world.lose(world.deal(p.bob, msk(2026, 3, 2), "70000"), msk(2026, 3, 15)),
        "H": world.won_deal(p.bob, msk(2026, 3, 3), msk(2026, 4, 2), "9000"),
        "E": world.lose(world.deal(p.lead, msk(2026, 3, 3), "40000"), msk(2026, 3, 25)),
    }  # fmt: skip
    world.at(NOW)
    return deals


def test_deals_won_lost_revenue_and_average_check_of_march(world, march):
    r = report(world.people.head, SALES_IDS, MAR_1, MAR_31)
    assert r["deals_won"].total.value == 3  # A, B, C
    assert r["deals_lost"].total.value == 2  # D, E
    assert r["win_rate"].total.value == round(3 / 5, 4)
    assert (r["win_rate"].total.numerator, r["win_rate"].total.denominator) == (3, 5)
    assert r["won_revenue"].total.value == Decimal("180000.00")  # 100 000 + 50 000 + 30 000
    assert r["avg_deal_size"].total.value == Decimal("60000.00")  # 180 000 ÷ 3


def test_sales_cycle_is_the_mean_and_median_of_days_from_creation_to_winning(world, march):
    cycle = kpi(world.people.head, "sales_cycle_days", MAR_1, MAR_31).total
    # A 23 days, B 10.25 days, C 28 days: an odd count, the median is the middle one.
    assert cycle.value == cycle.mean == round((23 + 10.25 + 28) / 3, 4)
    assert cycle.median == 23.0
    assert cycle.count == 3
    # alice alone: A and B, an even count, the median is the mean of the two.
    mine = kpi(world.people.alice, "sales_cycle_days", MAR_1, MAR_31).total
    assert (mine.mean, mine.median, mine.count) == ((23 + 10.25) / 2, (23 + 10.25) / 2, 2)


def test_a_manager_sees_only_their_deals_and_a_team_lead_their_team(world, march):
    p = world.people
    alice = report(p.alice, SALES_IDS, MAR_1, MAR_31)
    assert alice["deals_won"].total.value == 2  # A, B
    assert alice["win_rate"].total.value == 1.0  # 2 ÷ 2
    assert alice["won_revenue"].total.value == Decimal("150000.00")
    bob = report(p.bob, SALES_IDS, MAR_1, MAR_31)
    assert bob["deals_won"].total.value == 1  # C
    assert bob["win_rate"].total.value == 0.5  # C ÷ (C + D)
    assert bob["won_revenue"].total.value == Decimal("30000.00")
    lead = report(p.lead, SALES_IDS, MAR_1, MAR_31)  # North: lead and alice
    assert lead["deals_won"].total.value == 2
    assert lead["deals_lost"].total.value == 1  # E
    assert lead["win_rate"].total.value == round(2 / 3, 4)
    outsider = report(p.outsider, SALES_IDS, MAR_1, MAR_31)
    assert outsider["deals_won"].total.value == 0
    assert outsider["win_rate"].total.value is None


def test_grouping_by_manager_and_team_adds_up_to_the_total(world, march):
    p = world.people
    by_manager = report(p.head, SALES_IDS, MAR_1, MAR_31, by="manager")
    assert groups(by_manager["deals_won"]) == {str(p.alice.pk): 2, str(p.bob.pk): 1}
    assert groups(by_manager["deals_lost"]) == {str(p.bob.pk): 1, str(p.lead.pk): 1}
    assert groups(by_manager["won_revenue"]) == {
        str(p.alice.pk): Decimal("150000.00"), str(p.bob.pk): Decimal("30000.00"),
    }  # fmt: skip
    assert groups(by_manager["win_rate"]) == {
        str(p.alice.pk): 1.0, str(p.bob.pk): 0.5, str(p.lead.pk): 0.0,
    }  # fmt: skip
    # Largest first: alice's 150 000 before bob's 30 000, labelled with the person's name.
    assert [g.label for g in by_manager["won_revenue"].groups] == [str(p.alice), str(p.bob)]
    north, south = str(p.alice.team_id), str(p.bob.team_id)
    by_team = report(p.head, SALES_IDS, MAR_1, MAR_31, by="team")
    assert groups(by_team["deals_won"]) == {north: 2, south: 1}
    assert groups(by_team["deals_lost"]) == {north: 1, south: 1}
    assert groups(by_team["win_rate"]) == {north: round(2 / 3, 4), south: 0.5}
    assert groups(by_team["won_revenue"]) == {
        north: Decimal("150000.00"),
        south: Decimal("30000.00"),
    }
    for by in (by_manager, by_team):
        assert sum(groups(by["deals_won"]).values()) == by["deals_won"].total.value
        assert sum(groups(by["won_revenue"]).values()) == by["won_revenue"].total.value


def test_grouping_by_source_puts_deals_without_one_in_the_null_group(world, march):
    r = report(world.people.head, ["deals_won", "won_revenue"], MAR_1, MAR_31, by="source")
    site = str(world.source.pk)
    assert groups(r["deals_won"]) == {site: 2, None: 1}  # A and C; B has no source
    assert groups(r["won_revenue"]) == {site: Decimal("130000.00"), None: Decimal("50000.00")}
    no_source = r["deals_won"].groups[-1]  # the null group comes last
    assert (no_source.key, no_source.label) == (None, "No source")
    assert r.as_json()["kpis"]["deals_won"]["groups"][-1] == {
        "key": None,
        "label": "No source",
        "value": 1,
    }


def test_time_groupings_have_stable_keys_and_add_up_to_the_total(world, march):
    head = world.people.head
    by_month = kpi(head, "deals_won", date(2026, 2, 1), date(2026, 4, 30), by="month")
    assert groups(by_month) == {"2026-02": 1, "2026-03": 3, "2026-04": 1}  # F | A B C | H
    assert [g.label for g in by_month.groups] == ["February 2026", "March 2026", "April 2026"]
    by_quarter = kpi(head, "won_revenue", date(2026, 1, 1), date(2026, 6, 30), by="quarter")
    # Q1: F 7 000 + A 100 000 + B 50 000 + C 30 000; Q2: H 9 000.
    assert groups(by_quarter) == {"2026-Q1": Decimal("187000.00"), "2026-Q2": Decimal("9000.00")}
    by_week = kpi(head, "deals_won", MAR_1, MAR_31, by="week")
    # Sunday March 1st is in week 9; A won Thursday March 5th (W10), B on the 11th (W11),
    # C on the 20th (W12); the empty weeks are listed too.
    assert groups(by_week) == {
        "2026-W09": 0, "2026-W10": 1, "2026-W11": 1, "2026-W12": 1, "2026-W13": 0,
        "2026-W14": 0,
    }  # fmt: skip
    assert by_month.total.value == sum(groups(by_month).values()) == 5
    assert by_quarter.total.value == sum(groups(by_quarter).values())
    by_day = kpi(head, "deals_lost", MAR_1, MAR_31, by="day")
    assert {k: n for k, n in groups(by_day).items() if n} == {"2026-03-15": 1, "2026-03-25": 1}
    assert len(by_day.groups) == 31


def test_a_kpi_that_cannot_be_grouped_so_returns_its_total_and_no_groups(world, march):
    r = report(world.people.head, ["open_deals", "funnel"], MAR_1, MAR_31, by="month")
    assert r["open_deals"].groups == []
    assert r["funnel"].groups == []
    with pytest.raises(engine.UnsupportedGrouping):
        engine.compute(actor=world.people.head, ids=["deals_won"],
                       period=engine.Period(MAR_1, MAR_31), by="colour")  # fmt: skip
    with pytest.raises(engine.UnknownKpi):
        engine.compute(actor=world.people.head, ids=["happiness"],
                       period=engine.Period(MAR_1, MAR_31))  # fmt: skip


def test_the_grouped_json_carries_the_total_and_the_groups(world, march):
    as_json = report(world.people.head, ["win_rate"], MAR_1, MAR_31, by="manager").as_json()
    p = world.people
    assert as_json["from"] == "2026-03-01" and as_json["to"] == "2026-03-31"
    assert as_json["by"] == "manager"
    assert as_json["filters"] == {
        "team": None,
        "manager": None,
        "pipeline": None,
        "source": None,
        "product": None,
    }
    assert as_json["kpis"]["win_rate"] == {
        "total": {"value": 0.6, "numerator": 3, "denominator": 5},
        "groups": [
            {"key": str(p.alice.pk), "label": str(p.alice), "value": 1.0, "numerator": 2,
             "denominator": 2},
            {"key": str(p.bob.pk), "label": str(p.bob), "value": 0.5, "numerator": 1,
             "denominator": 2},
            {"key": str(p.lead.pk), "label": str(p.lead), "value": 0.0, "numerator": 0,
             "denominator": 1},
        ],
    }  # fmt: skip


def test_filters_narrow_to_a_manager_a_team_and_a_source(world, march):
    p = world.people
    ids = ["deals_won", "won_revenue"]
    by_manager = report(p.head, ids, MAR_1, MAR_31, filters=Filters(manager=p.bob.pk))
    assert by_manager["won_revenue"].total.value == Decimal("30000.00")
    by_team = report(p.head, ids, MAR_1, MAR_31, filters=Filters(team=p.alice.team_id))
    assert by_team["deals_won"].total.value == 2
    by_source = report(p.head, ids, MAR_1, MAR_31, filters=Filters(source=world.source.pk))
    assert by_source["won_revenue"].total.value == Decimal("130000.00")
    # A manager's filter cannot widen what they see.
    peeking = report(p.alice, ids, MAR_1, MAR_31, filters=Filters(manager=p.bob.pk))
    assert peeking["deals_won"].total.value == 0


# Boundaries, reopening, deleting ------------------------------------------------------------------


def test_period_boundaries_are_the_organisations_days_not_utcs(world):
    p = world.people
    # 22:30 UTC on March 31st is 01:30 on April 1st in Moscow.
    world.won_deal(p.alice, msk(2026, 3, 1), utc(2026, 3, 31, 22, 30), "1000")
    # 21:00 UTC on February 28th is midnight of March 1st in Moscow; a minute earlier is February.
    world.won_deal(p.alice, msk(2026, 2, 1), utc(2026, 2, 28, 21, 0), "2000")
    world.won_deal(p.alice, msk(2026, 2, 1), utc(2026, 2, 28, 20, 59), "4000")
    world.at(NOW)
    head = p.head
    assert kpi(head, "won_revenue", MAR_1, MAR_31).total.value == Decimal("2000.00")
    assert kpi(head, "won_revenue", date(2026, 4, 1), date(2026, 4, 1)).total.value == Decimal(
        "1000.00"
    )
    assert kpi(head, "won_revenue", date(2026, 2, 28), date(2026, 2, 28)).total.value == Decimal(
        "4000.00"
    )
    by_month = kpi(head, "deals_won", date(2026, 2, 1), date(2026, 4, 30), by="month")
    assert groups(by_month) == {"2026-02": 1, "2026-03": 1, "2026-04": 1}


def test_a_won_deal_moved_back_to_an_open_stage_is_not_won_any_more(world):
    p = world.people
    deal = world.won_deal(p.alice, msk(2026, 3, 1), msk(2026, 3, 5), "1000")
    world.move(deal, "negotiation", msk(2026, 3, 10))
    world.at(NOW)
    r = report(p.head, ["deals_won", "won_revenue", "open_deals"], MAR_1, MAR_31)
    assert r["deals_won"].total.value == 0
    assert r["won_revenue"].total.value == Decimal("0.00")
    assert r["open_deals"].total.value == 1  # open at the end of March


def test_a_deal_won_again_later_counts_on_its_new_closing_day(world):
    p = world.people
    deal = world.won_deal(p.alice, msk(2026, 3, 1, 12), msk(2026, 3, 5, 12), "1000")
    world.move(deal, "proposal", msk(2026, 3, 10))
    world.win(deal, msk(2026, 4, 8, 12))
    world.at(NOW)
    assert kpi(p.head, "deals_won", MAR_1, MAR_31).total.value == 0
    april = report(p.head, ["deals_won", "sales_cycle_days"], date(2026, 4, 1), date(2026, 4, 30))
    assert april["deals_won"].total.value == 1
    # From creation on March 1st to the second win on April 8th: 38 days.
    assert april["sales_cycle_days"].total.value == 38.0


def test_a_lost_deal_reopened_is_not_lost_any_more(world):
    p = world.people
    deal = world.lose(world.deal(p.alice, msk(2026, 3, 1), "1000"), msk(2026, 3, 5))
    assert kpi(p.head, "deals_lost", MAR_1, MAR_31).total.value == 1
    world.move(deal, "new", msk(2026, 3, 6))
    world.at(NOW)
    assert kpi(p.head, "deals_lost", MAR_1, MAR_31).total.value == 0
    assert kpi(p.head, "win_rate", MAR_1, MAR_31).total.value is None


def test_a_deleted_deal_never_counts_and_counts_again_once_restored(world):
    p = world.people
    world.won_deal(p.alice, msk(2026, 3, 1), msk(2026, 3, 5), "1000")
    gone = world.won_deal(p.alice, msk(2026, 3, 1), msk(2026, 3, 6), "3000")
    world.delete(gone, msk(2026, 3, 20))
    world.at(NOW)
    ids = ["deals_won", "won_revenue", "avg_deal_size", "revenue_per_client"]
    r = report(p.head, ids, MAR_1, MAR_31)
    assert r["deals_won"].total.value == 1
    assert r["won_revenue"].total.value == Decimal("1000.00")
    world.restore(gone, msk(2026, 4, 1))
    world.at(NOW)
    r = report(p.head, ids, MAR_1, MAR_31)
    assert r["deals_won"].total.value == 2
    assert r["won_revenue"].total.value == Decimal("4000.00")
    assert r["avg_deal_size"].total.value == Decimal("2000.00")


def test_money_in_another_currency_counts_at_the_rate_stored_with_the_deal(world):
    p = world.people
    world.won_deal(p.alice, msk(2026, 3, 1), msk(2026, 3, 5), "1000.00", currency="USD",
                   exchange_rate=Decimal("92.5"))  # fmt: skip
    world.won_deal(p.alice, msk(2026, 3, 1), msk(2026, 3, 6), "250.50", currency="EUR",
                   exchange_rate=Decimal("100.123456"))  # fmt: skip
    world.won_deal(p.alice, msk(2026, 3, 1), msk(2026, 3, 7), "10000.00")
    world.at(NOW)
    r = report(p.head, ["won_revenue", "avg_deal_size"], MAR_1, MAR_31)
    # 1 000 × 92.5 = 92 500; 250.50 × 100.123456 = 25 080.925728 → 25 080.93; plus 10 000.
    assert r["won_revenue"].total.value == Decimal("127580.93")
    assert r["avg_deal_size"].total.value == Decimal("42526.98")  # 127 580.93 ÷ 3 = 42 526.9766…
    assert r.as_json()["kpis"]["won_revenue"]["total"] == {"value": 127580.93}


def test_half_a_cent_rounds_the_same_way_in_every_money_kpi(world):
    p = world.people
    # 100.25 × 0.5 = 50.125: half a cent.
    world.won_deal(p.alice, msk(2026, 3, 1), msk(2026, 3, 5), "100.25", currency="USD",
                   exchange_rate=Decimal("0.5"))  # fmt: skip
    world.deal(p.alice, msk(2026, 3, 2), "100.25", currency="USD", exchange_rate=Decimal("0.5"))
    world.at(NOW)
    head = p.head
    revenue = engine.compute(actor=head, ids=["won_revenue", "revenue_per_client"],
                             period=engine.Period(MAR_1, MAR_31))  # fmt: skip
    # One deal, one client: the revenue per client is the revenue.
    assert revenue["revenue_per_client"].total.value == revenue["won_revenue"].total.value
    period = engine.Period(date(2026, 6, 1), date(2026, 6, 30))
    kept = engine.compute(actor=head, ids=["open_pipeline_value"], period=period)
    direct = engine.compute(actor=head, ids=["open_pipeline_value"], period=period, direct=True)
    assert kept.as_json() == direct.as_json()


def test_revenue_per_client_divides_by_distinct_clients_companies_and_contacts(world):
    p = world.people
    company = factories.company(p.alice)
    person = factories.contact(p.alice)
    world.won_deal(p.alice, msk(2026, 3, 1), msk(2026, 3, 5), "100000", company=company)
    world.won_deal(p.alice, msk(2026, 3, 1), msk(2026, 3, 6), "50000", company=company)
    world.won_deal(p.bob, msk(2026, 3, 1), msk(2026, 3, 7), "30000")
    world.won_deal(p.alice, msk(2026, 3, 1), msk(2026, 3, 8), "20000", contact=person)
    world.won_deal(p.alice, msk(2026, 2, 1), msk(2026, 2, 8), "999000", contact=person)
    world.at(NOW)
    r = kpi(p.head, "revenue_per_client", MAR_1, MAR_31)
    # 200 000 from three clients: the company (two deals), bob's company, the contact.
    assert r.total.value == Decimal("66666.67")
    assert (r.total.numerator, r.total.denominator) == (Decimal("200000"), 3)
    mine = kpi(p.alice, "revenue_per_client", MAR_1, MAR_31, by="manager")
    assert mine.total.value == Decimal("85000.00")  # 170 000 ÷ 2
    assert groups(mine) == {str(p.alice.pk): Decimal("85000.00")}


# Leads --------------------------------------------------------------------------------------------


@pytest.fixture
def leads(world):
    """L1 alice Mar 3 (source «Сайт») → deal won Mar 20; L2 alice Mar 10 → open deal;
    L3 bob Mar 12, no deal; L4 bob Feb 20 → deal won Mar 6 18:00; L5 alice Mar 28, deleted."""
    p = world.people
    l1 = world.lead(p.alice, msk(2026, 3, 3), source=world.source)
    world.win(world.qualify(l1, msk(2026, 3, 4)), msk(2026, 3, 20))
    l2 = world.lead(p.alice, msk(2026, 3, 10))
    world.qualify(l2, msk(2026, 3, 11))
    l3 = world.lead(p.bob, msk(2026, 3, 12))
    l4 = world.lead(p.bob, msk(2026, 2, 20))
    world.win(world.qualify(l4, msk(2026, 2, 21)), msk(2026, 3, 6, 18))
    l5 = world.lead(p.alice, msk(2026, 3, 28))
    world.delete(l5, msk(2026, 3, 29))
    world.at(NOW)
    return {"L1": l1, "L2": l2, "L3": l3, "L4": l4, "L5": l5}


LEAD_IDS = ["leads_new", "lead_to_deal_rate", "lead_conversion_rate"]


def test_lead_counts_and_conversions_of_the_march_cohort(world, leads):
    r = report(world.people.head, LEAD_IDS, MAR_1, MAR_31)
    assert r["leads_new"].total.value == 3  # L1, L2, L3; L5 is deleted, L4 is February's
    assert r["lead_to_deal_rate"].total.value == round(2 / 3, 4)  # L1 and L2 have deals
    assert r["lead_conversion_rate"].total.value == round(1 / 3, 4)  # L1's deal is won
    alice = report(world.people.alice, LEAD_IDS, MAR_1, MAR_31)
    assert alice["leads_new"].total.value == 2
    assert alice["lead_to_deal_rate"].total.value == 1.0
    assert alice["lead_conversion_rate"].total.value == 0.5
    bob = report(world.people.bob, LEAD_IDS, MAR_1, MAR_31)
    assert bob["leads_new"].total.value == 1
    assert bob["lead_to_deal_rate"].total.value == 0.0


def test_lead_groupings_add_up_and_leads_without_a_source_form_the_null_group(world, leads):
    p = world.people
    by_source = report(p.head, LEAD_IDS, MAR_1, MAR_31, by="source")
    assert groups(by_source["leads_new"]) == {str(world.source.pk): 1, None: 2}
    assert groups(by_source["lead_conversion_rate"]) == {str(world.source.pk): 1.0, None: 0.0}
    by_manager = kpi(p.head, "leads_new", MAR_1, MAR_31, by="manager")
    assert groups(by_manager) == {str(p.alice.pk): 2, str(p.bob.pk): 1}
    by_month = kpi(p.head, "leads_new", date(2026, 2, 1), MAR_31, by="month")
    assert groups(by_month) == {"2026-02": 1, "2026-03": 3}
    assert by_month.total.value == 4


def test_a_deleted_lead_counts_again_once_restored(world, leads):
    world.restore(leads["L5"], msk(2026, 4, 2))
    world.at(NOW)
    r = report(world.people.head, LEAD_IDS, MAR_1, MAR_31)
    assert r["leads_new"].total.value == 4
    assert r["lead_to_deal_rate"].total.value == 0.5  # 2 of 4


def test_a_lead_whose_deal_is_deleted_has_no_deal_any_more(world, leads):
    deal = leads["L2"].deals.get()
    world.delete(deal, msk(2026, 4, 1))
    world.at(NOW)
    assert kpi(world.people.head, "lead_to_deal_rate", MAR_1, MAR_31).total.value == round(1 / 3, 4)


def test_lead_kpis_are_undefined_for_a_pipeline(world, leads):
    r = report(world.people.head, LEAD_IDS, MAR_1, MAR_31,
               filters=Filters(pipeline=world.pipeline.pk))  # fmt: skip
    for kpi_id in LEAD_IDS:
        assert r[kpi_id].total.value is None
        assert "pipeline" in r[kpi_id].total.reason


def test_lead_to_win_days_counts_only_deals_that_came_from_a_lead(world, leads):
    world.won_deal(world.people.alice, msk(2026, 3, 1), msk(2026, 3, 9), "5000")  # no lead
    world.at(NOW)
    r = report(world.people.head, ["lead_to_win_days", "sales_cycle_days"], MAR_1, MAR_31)
    days = r["lead_to_win_days"].total
    # L1: March 3rd 12:00 → won March 20th 12:00, 17 days; L4: February 20th 12:00 → March 6th
    # 18:00, 14.25 days. An even count: the median is the mean of the two.
    assert (days.mean, days.median, days.count) == ((17 + 14.25) / 2, (17 + 14.25) / 2, 2)
    assert r["sales_cycle_days"].total.count == 3
    empty = kpi(world.people.head, "lead_to_win_days", date(2026, 5, 1), date(2026, 5, 31))
    assert empty.total.value is None and empty.total.reason


# Open pipeline, weighted, overdue -----------------------------------------------------------------


@pytest.fixture
def pipeline_deals(world):
    """Open deals then and now (stage probabilities: new 10, qualification 25, proposal 50,
    negotiation 75).

    P1 alice Mar 1, new, 10 000, expected Mar 20
    P2 alice Mar 2, 20 000, expected Apr 1, → proposal Apr 10
    P3 bob Mar 3, 40 000, expected Mar 31, → negotiation Mar 20, won May 5
    P4 bob Apr 20, 8 000, expected Jul 1, → qualification Apr 21
    P5 alice Mar 5, 6 000, lost Mar 25, reopened in qualification May 1
    P6 alice Mar 6, 5 000, won Mar 26
    P7 bob Mar 7, 1 000 000, deleted Mar 28
    """
    p = world.people
    d = {
        "P1": world.deal(p.alice, msk(2026, 3, 1), "10000", expected_close_date=date(2026, 3, 20)),
        "P2": world.deal(p.alice, msk(2026, 3, 2), "20000", expected_close_date=date(2026, 4, 1)),
        "P3": world.deal(p.bob, msk(2026, 3, 3), "40000", expected_close_date=date(2026, 3, 31)),
        "P4": world.deal(p.bob, msk(2026, 4, 20), "8000", expected_close_date=date(2026, 7, 1)),
        "P5": world.deal(p.alice, msk(2026, 3, 5), "6000"),
        "P6": world.deal(p.alice, msk(2026, 3, 6), "5000"),
        "P7": world.deal(p.bob, msk(2026, 3, 7), "1000000"),
    }
    world.move(d["P3"], "negotiation", msk(2026, 3, 20))
    world.lose(d["P5"], msk(2026, 3, 25))
    world.win(d["P6"], msk(2026, 3, 26))
    world.delete(d["P7"], msk(2026, 3, 28))
    world.move(d["P2"], "proposal", msk(2026, 4, 10))
    world.move(d["P4"], "qualification", msk(2026, 4, 21))
    world.move(d["P5"], "qualification", msk(2026, 5, 1))
    world.win(d["P3"], msk(2026, 5, 5))
    world.at(NOW)
    return d


PIPELINE_IDS = ["open_deals", "open_pipeline_value", "weighted_pipeline_value", "overdue_deals"]
JUNE_1, JUNE_30 = date(2026, 6, 1), date(2026, 6, 30)


def test_the_open_pipeline_now(world, pipeline_deals):
    r = report(world.people.head, PIPELINE_IDS, JUNE_1, JUNE_30)
    assert r["open_deals"].total.value == 4  # P1, P2, P4, P5
    assert r["open_pipeline_value"].total.value == Decimal("44000.00")
    # 10 000 × 10% + 20 000 × 50% + 8 000 × 25% + 6 000 × 25%
    assert r["weighted_pipeline_value"].total.value == Decimal("14500.00")
    # Expected before today (June 15th): P1 (March 20th) and P2 (April 1st).
    assert r["overdue_deals"].total.value == 2


def test_the_open_pipeline_as_of_the_end_of_a_past_month(world, pipeline_deals):
    r = report(world.people.head, PIPELINE_IDS, MAR_1, MAR_31)
    # At the end of March: P1 and P2 in «new», P3 in negotiation; P4 did not exist, P5 was lost,
    # P6 won, P7 is deleted (and deleted records never count).
    assert r["open_deals"].total.value == 3
    assert r["open_pipeline_value"].total.value == Decimal("70000.00")
    assert r["weighted_pipeline_value"].total.value == Decimal("33000.00")  # 1 000 + 2 000 + 30 000
    # As of the end of March 31st: P1 (20th) and P3 (31st) are late; P2 is due April 1st.
    assert r["overdue_deals"].total.value == 2


def test_the_open_pipeline_by_stage_and_manager(world, pipeline_deals):
    p, s = world.people, world.stages
    then = report(p.head, ["open_deals", "weighted_pipeline_value"], MAR_1, MAR_31, by="stage")
    assert groups(then["open_deals"]) == {str(s["new"].pk): 2, str(s["negotiation"].pk): 1}
    assert groups(then["weighted_pipeline_value"]) == {
        str(s["new"].pk): Decimal("3000.00"), str(s["negotiation"].pk): Decimal("30000.00"),
    }  # fmt: skip
    by_manager = report(p.head, ["open_pipeline_value"], JUNE_1, JUNE_30, by="manager")
    assert groups(by_manager["open_pipeline_value"]) == {
        str(p.alice.pk): Decimal("36000.00"), str(p.bob.pk): Decimal("8000.00"),
    }  # fmt: skip
    overdue = kpi(p.head, "overdue_deals", MAR_1, MAR_31, by="manager")
    assert groups(overdue) == {str(p.alice.pk): 1, str(p.bob.pk): 1}
    assert kpi(p.bob, "open_deals", JUNE_1, JUNE_30).total.value == 1
    assert kpi(p.lead, "open_deals", JUNE_1, JUNE_30).total.value == 3  # alice's


def test_a_stage_every_deal_has_left_is_no_group_of_the_open_pipeline(world, pipeline_deals):
    s = world.stages
    # P3 left «negotiation» when it was won in May: no deal is open there now.
    now = report(world.people.head, ["open_deals"], JUNE_1, JUNE_30, by="stage")
    assert groups(now["open_deals"]) == {
        str(s["new"].pk): 1, str(s["proposal"].pk): 1, str(s["qualification"].pk): 2,
    }  # fmt: skip


def test_the_weighted_pipeline_keeps_the_fraction_of_a_rouble(world):
    world.deal(world.people.alice, msk(2026, 6, 1), "1212")  # «new», 10 %
    world.at(NOW)
    period = engine.Period(JUNE_1, JUNE_30)
    head = world.people.head
    direct = engine.compute(actor=head, ids=["weighted_pipeline_value"], period=period,
                            direct=True)  # fmt: skip
    assert direct["weighted_pipeline_value"].total.value == Decimal("121.20")
    kept = engine.compute(actor=head, ids=["weighted_pipeline_value"], period=period)
    assert kept["weighted_pipeline_value"].total.value == Decimal("121.20")


def test_deals_closed_late_compares_the_local_closing_day_with_the_expected_date(world):
    p = world.people
    # Closed on the expected day, late in the evening: not late.
    on_time = world.deal(p.bob, msk(2026, 3, 8), expected_close_date=date(2026, 3, 30))
    world.lose(on_time, msk(2026, 3, 30, 23, 30))
    # Won at 21:30 UTC on March 29th, which is March 30th in Moscow: a day late.
    late = world.deal(p.alice, msk(2026, 3, 8), expected_close_date=date(2026, 3, 29))
    world.win(late, utc(2026, 3, 29, 21, 30))
    world.won_deal(
        p.alice, msk(2026, 3, 6), msk(2026, 3, 26), expected_close_date=date(2026, 3, 20)
    )
    world.won_deal(p.alice, msk(2026, 3, 6), msk(2026, 3, 27))  # no expected date
    world.at(NOW)
    r = kpi(p.head, "deals_closed_late", MAR_1, MAR_31)
    assert (r.total.value, r.total.numerator, r.total.denominator) == (2, 2, 3)
    by_manager = kpi(p.head, "deals_closed_late", MAR_1, MAR_31, by="manager")
    assert groups(by_manager) == {str(p.alice.pk): 2, str(p.bob.pk): 0}


# The funnel ---------------------------------------------------------------------------------------


@pytest.fixture
def funnel_deals(world):
    """Stage histories of the deals created in March (all moves at 10:00):

    F1 Mar 2 new → Mar 4 qualification → Mar 7 proposal → Mar 8 negotiation → Mar 9 won
    F2 Mar 3 new → Mar 4 qualification → Mar 10 lost
    F3 Mar 5 new (stays)
    F4 Mar 6 new → Mar 8 qualification → Mar 9 new → Mar 11 qualification → Mar 12 proposal
    and, outside the cohort, one created February 25th and moved in March, and one in another
    pipeline.
    """
    from voronka.sales.services import pipeline_create

    p = world.people
    f1 = world.deal(p.alice, msk(2026, 3, 2, 10))
    for stage, day in (("qualification", 4), ("proposal", 7), ("negotiation", 8), ("won", 9)):
        world.move(f1, stage, msk(2026, 3, day, 10))
    f2 = world.deal(p.alice, msk(2026, 3, 3, 10))
    world.move(f2, "qualification", msk(2026, 3, 4, 10))
    world.move(f2, "lost", msk(2026, 3, 10, 10))
    world.deal(p.bob, msk(2026, 3, 5, 10))
    f4 = world.deal(p.bob, msk(2026, 3, 6, 10))
    for stage, day in (("qualification", 8), ("new", 9), ("qualification", 11), ("proposal", 12)):
        world.move(f4, stage, msk(2026, 3, day, 10))
    february = world.deal(p.bob, msk(2026, 2, 25, 10))
    world.move(february, "qualification", msk(2026, 3, 2, 10))
    other = pipeline_create(actor=p.admin, name="Партнёры", stages=[{"name": "Первая"}])
    world.deal(p.alice, msk(2026, 3, 2, 10), pipeline=other)
    world.at(NOW)


def test_the_funnel_counts_reached_conversion_drop_off_and_days_in_stage(world, funnel_deals):
    s = world.stages
    r = kpi(world.people.head, "funnel", MAR_1, MAR_31)
    assert r.total.value == 4  # deals created in March in the pipeline
    extra = r.total.extra
    assert extra["pipeline"] == world.pipeline.pk
    assert extra["lost"] == 1  # F2
    rows = {row["label"]: row for row in extra["stages"]}
    assert [row["key"] for row in extra["stages"]] == [
        str(s[name].pk) for name in ("new", "qualification", "proposal", "negotiation", "won")
    ]
    assert {name: row["reached"] for name, row in rows.items()} == {
        "Новая": 4, "Квалификация": 3, "Предложение": 2, "Переговоры": 1,
        "Успешно реализовано": 1,
    }  # fmt: skip
    assert rows["Новая"]["conversion_to_next"] == {"value": 0.75, "numerator": 3, "denominator": 4}
    assert rows["Квалификация"]["conversion_to_next"]["value"] == round(2 / 3, 4)
    assert rows["Предложение"]["conversion_to_next"]["value"] == 0.5
    assert rows["Переговоры"]["conversion_to_next"]["value"] == 1.0
    assert rows["Успешно реализовано"]["conversion_to_next"] is None
    assert [row["drop_off"] for row in extra["stages"]] == [1, 1, 1, 0, None]
    # Days in a stage, over the deals that left it (every stay of a deal summed):
    # new: F1 2 + F2 1 + F4 (2 + 2) = 7 over 3; qualification: F1 3 + F2 6 + F4 (1 + 1) = 11
    # over 3; proposal: F1 1 (F4 is still there); negotiation: F1 1; won: nobody left.
    assert [row["mean_days_in_stage"] for row in extra["stages"]] == [
        round(7 / 3, 4), round(11 / 3, 4), 1.0, 1.0, None,
    ]  # fmt: skip
    assert rows["Новая"]["kind"] == "open" and rows["Успешно реализовано"]["kind"] == "won"


def test_the_funnel_of_a_manager_and_of_an_empty_period(world, funnel_deals):
    bob = kpi(world.people.bob, "funnel", MAR_1, MAR_31)
    assert bob.total.value == 2  # F3, F4
    assert [row["reached"] for row in bob.total.extra["stages"]] == [2, 1, 1, 0, 0]
    empty = kpi(world.people.head, "funnel", date(2026, 5, 1), date(2026, 5, 31))
    assert empty.total.value is None
    assert empty.total.reason == "no deals created in the period"
    assert [row["reached"] for row in empty.total.extra["stages"]] == [0, 0, 0, 0, 0]
