"""Client and work KPIs against values worked out by hand, on data made through the services."""

from datetime import date
from decimal import Decimal

import pytest

from tests import factories
from tests.analytics.conftest import fresh, groups, kpi, msk, report, utc
from voronka.activities import services as activities

MAR_1, MAR_31 = date(2026, 3, 1), date(2026, 3, 31)
NOW = msk(2026, 6, 15, 12)
CLIENT_IDS = ["new_customers", "customer_lifetime_days", "customer_ltv", "repeat_purchase_rate"]


@pytest.fixture
def buyers(world):
    """Purchases (won deals) by client, all alice's except Y (bob's):

    company X: 2025-06-10 100 000, 2026-03-05 50 000, 2026-04-10 70 000 (after March)
    company Y: 2026-03-20 30 000
    contact Z (no company): 2026-01-10, 2026-01-20, 2026-02-01, 10 000 each
    company Q: a deal lost in March, never a purchase
    """
    p = world.people
    x = factories.company(p.alice, name="X")
    y = factories.company(p.bob, name="Y")
    z = factories.contact(p.alice, last_name="Зуев")
    q = factories.company(p.alice, name="Q")
    world.won_deal(p.alice, msk(2025, 6, 1), msk(2025, 6, 10), "100000", company=x)
    world.won_deal(p.alice, msk(2026, 3, 1), msk(2026, 3, 5), "50000", company=x)
    world.won_deal(p.alice, msk(2026, 4, 1), msk(2026, 4, 10), "70000", company=x)
    world.won_deal(p.bob, msk(2026, 3, 1), msk(2026, 3, 20), "30000", company=y)
    for day in (date(2026, 1, 10), date(2026, 1, 20), date(2026, 2, 1)):
        world.won_deal(p.alice, msk(2026, 1, 2), msk(day.year, day.month, day.day), "10000",
                       contact=z)  # fmt: skip
    world.lose(world.deal(p.alice, msk(2026, 3, 2), company=q), msk(2026, 3, 9))
    world.at(NOW)
    return {"X": x, "Y": y, "Z": z, "Q": q}


def test_client_kpis_over_all_history_up_to_the_end_of_march(world, buyers):
    r = report(world.people.head, CLIENT_IDS, MAR_1, MAR_31)
    assert r["new_customers"].total.value == 1  # Y; X bought first in 2025, Z in January
    lifetime = r["customer_lifetime_days"].total
    # X: 2025-06-10 → 2026-03-05 = 268 days; Y: 0; Z: January 10th → February 1st = 22.
    assert (lifetime.mean, lifetime.median, lifetime.count) == (round(290 / 3, 4), 22.0, 3)
    # (150 000 + 30 000 + 30 000) ÷ 3; X's April purchase is after the period.
    assert r["customer_ltv"].total.value == Decimal("70000.00")
    assert r["repeat_purchase_rate"].total.value == round(2 / 3, 4)  # X and Z


def test_client_kpis_with_an_even_number_of_clients_and_in_january(world, buyers):
    february = report(world.people.head, CLIENT_IDS, date(2026, 2, 1), date(2026, 2, 28))
    lifetime = february["customer_lifetime_days"].total
    # X (one purchase so far: 0 days) and Z (22 days): the median is the mean of the two.
    assert (lifetime.mean, lifetime.median, lifetime.count) == (11.0, 11.0, 2)
    assert february["new_customers"].total.value == 0
    quarter = kpi(world.people.head, "new_customers", date(2026, 1, 1), MAR_31)
    assert quarter.total.value == 2  # Z in January, Y in March


def test_client_kpis_count_only_the_purchases_a_manager_may_see(world, buyers):
    bob = report(world.people.bob, CLIENT_IDS, MAR_1, MAR_31)
    assert bob["new_customers"].total.value == 1
    assert bob["customer_ltv"].total.value == Decimal("30000.00")
    assert bob["repeat_purchase_rate"].total.value == 0.0
    outsider = report(world.people.outsider, CLIENT_IDS, MAR_1, MAR_31)
    assert outsider["customer_ltv"].total.value is None
    assert outsider["repeat_purchase_rate"].total.reason


def test_a_deleted_purchase_does_not_count(world, buyers):
    deal = buyers["Y"].deals.get()
    world.delete(deal, msk(2026, 4, 1))
    world.at(NOW)
    r = report(world.people.head, CLIENT_IDS, MAR_1, MAR_31)
    assert r["new_customers"].total.value == 0
    assert r["customer_ltv"].total.value == Decimal("90000.00")  # (150 000 + 30 000) ÷ 2


def _log(actor, when, **links):
    return activities.activity_log(
        actor=actor, data={"kind": "call", "occurred_at": when, "subject": "Звонок", **links}
    )


def test_active_clients_had_an_interaction_in_the_90_days_up_to_the_end_of_the_period(
    world, buyers
):
    p = world.people
    v = factories.company(p.alice, name="V")
    w = factories.company(p.alice, name="W")
    # The window of March is January 1st 00:00 to April 1st 00:00 in Moscow (31 + 28 + 31 days).
    _log(p.alice, msk(2026, 1, 1, 0, 30), company=v)
    _log(p.alice, msk(2025, 12, 31, 23, 0), company=w)
    world.at(NOW)
    # X, Y and Q had deals created or moved in March; Z bought in January; V was called.
    assert kpi(p.head, "active_clients", MAR_1, MAR_31).total.value == 5
    assert kpi(p.bob, "active_clients", MAR_1, MAR_31).total.value == 1  # Y
    # A period not over yet is seen as of now (June 15th): X (won April 10th) and Y (won
    # March 20th) are within 90 days.
    assert kpi(p.head, "active_clients", date(2026, 6, 1), date(2026, 6, 30)).total.value == 2
    # Nothing happened since April 10th: by the end of July (window from May 2nd) nobody.
    july = kpi(p.head, "active_clients", date(2026, 7, 1), date(2026, 7, 31), now=msk(2026, 8, 9))
    assert july.total.value == 0


def test_life_cycle_counts_clients_by_stage_and_customers_gone_quiet_as_churned(world):
    p = world.people
    for stage in ("lead", "first_contact", "negotiation"):
        factories.company(p.alice, lifecycle_stage=stage)
    factories.contact(p.alice, lifecycle_stage="lead")
    factories.contact(p.alice, company=factories.company(p.alice, lifecycle_stage="lead"))
    recent = factories.company(p.alice, lifecycle_stage="customer")
    world.won_deal(p.alice, msk(2026, 1, 10), msk(2026, 2, 10), company=recent)
    world.at(msk(2024, 5, 1))
    quiet = factories.company(p.alice, lifecycle_stage="customer")
    world.won_deal(p.alice, msk(2024, 5, 1), msk(2024, 6, 1), company=quiet)
    loyal = factories.company(p.alice, lifecycle_stage="repeat_customer")
    world.won_deal(p.alice, msk(2024, 5, 1), msk(2024, 6, 2), company=loyal)
    _log(p.alice, msk(2026, 3, 1), company=loyal)  # bought long ago, but still talks to us
    world.at(NOW)
    r = kpi(p.head, "lifecycle_stage_counts", MAR_1, MAR_31)
    assert r.total.extra["stages"] == {
        "churned": 1, "customer": 1, "first_contact": 1, "lead": 3, "negotiation": 1,
        "repeat_customer": 1,
    }  # fmt: skip
    assert r.total.value == 8  # a contact of a company counts with its company
    assert kpi(p.bob, "lifecycle_stage_counts", MAR_1, MAR_31).total.value == 0


# Tasks and activities -------------------------------------------------------------------------


def _task(world, assignee, created, due, *, done=None, cancelled=None):
    world.at(created)
    task = activities.task_create(
        actor=assignee, data={"title": "Перезвонить", "due_at": due, "assignee": assignee}
    )
    if done is not None:
        world.at(done)
        activities.task_complete(actor=assignee, task=fresh(task))
    if cancelled is not None:
        world.at(cancelled)
        current = fresh(task)
        activities.task_set_status(
            actor=assignee, task=current, version=current.version, status="cancelled"
        )
    return task


@pytest.fixture
def tasks(world):
    """alice: T1 due Mar 10, done Mar 12 (late); T2 due Mar 15, done Mar 14; T3 due Mar 20,
    open; T4 due Apr 5, done Apr 10; T5 due Mar 25, cancelled Mar 26; T7 due Mar 18 12:00,
    done at exactly 12:00. bob: T6 due Mar 28, open."""
    p = world.people
    feb = msk(2026, 2, 20)
    _task(world, p.alice, feb, msk(2026, 3, 10), done=msk(2026, 3, 12))
    _task(world, p.alice, feb, msk(2026, 3, 15), done=msk(2026, 3, 14))
    _task(world, p.alice, feb, msk(2026, 3, 20))
    _task(world, p.alice, feb, msk(2026, 4, 5), done=msk(2026, 4, 10))
    _task(world, p.alice, feb, msk(2026, 3, 25), cancelled=msk(2026, 3, 26))
    _task(world, p.alice, feb, msk(2026, 3, 18, 12), done=msk(2026, 3, 18, 12))
    _task(world, p.bob, feb, msk(2026, 3, 28))
    world.at(NOW)


def test_overdue_tasks_now_and_as_of_past_dates(world, tasks):
    p = world.people
    assert kpi(p.head, "tasks_overdue", MAR_1, MAR_31).total.value == 2  # T3, T6
    # As of the end of April 7th, T4 (due the 5th, done the 10th) was overdue too.
    assert kpi(p.head, "tasks_overdue", date(2026, 4, 1), date(2026, 4, 7)).total.value == 3
    assert kpi(p.head, "tasks_overdue", date(2026, 6, 1), date(2026, 6, 30)).total.value == 2
    # Before anything was due.
    assert kpi(p.head, "tasks_overdue", date(2026, 3, 1), date(2026, 3, 9)).total.value == 0
    assert kpi(p.alice, "tasks_overdue", MAR_1, MAR_31).total.value == 1
    assert kpi(p.lead, "tasks_overdue", MAR_1, MAR_31).total.value == 1  # alice's T3
    assert kpi(p.bob, "tasks_overdue", MAR_1, MAR_31).total.value == 1
    by_manager = kpi(p.head, "tasks_overdue", MAR_1, MAR_31, by="manager")
    assert groups(by_manager) == {str(p.alice.pk): 1, str(p.bob.pk): 1}


def test_overdue_tasks_are_a_point_in_time_and_have_no_time_groups(world, tasks):
    by_month = kpi(world.people.head, "tasks_overdue", date(2026, 4, 1), date(2026, 4, 30),
                   by="month")  # fmt: skip
    assert by_month.total.value == 2
    assert by_month.groups == []


def test_tasks_done_on_time_among_those_completed_in_the_period(world, tasks):
    p = world.people
    march = kpi(p.head, "tasks_on_time_rate", MAR_1, MAR_31).total
    # Completed in March: T1 (late), T2 (early), T7 (at the minute it was due: on time).
    assert (march.value, march.numerator, march.denominator) == (round(2 / 3, 4), 2, 3)
    april = kpi(p.head, "tasks_on_time_rate", date(2026, 4, 1), date(2026, 4, 30)).total
    assert (april.value, april.numerator, april.denominator) == (0.0, 0, 1)
    february = kpi(p.head, "tasks_on_time_rate", date(2026, 2, 1), date(2026, 2, 28)).total
    assert february.value is None and february.reason
    assert kpi(p.bob, "tasks_on_time_rate", MAR_1, MAR_31).total.value is None
    by_week = kpi(p.head, "tasks_on_time_rate", MAR_1, MAR_31, by="week")
    # T1 done Thursday the 12th (W11); T2 Saturday the 14th (W11); T7 Wednesday the 18th (W12).
    assert groups(by_week)["2026-W11"] == 0.5
    assert groups(by_week)["2026-W12"] == 1.0
    assert groups(by_week)["2026-W10"] is None


def test_activities_logged_in_the_period_by_local_day(world):
    p = world.people
    company = factories.company(p.alice)
    bobs = factories.company(p.bob)
    _log(p.alice, utc(2026, 2, 28, 21, 30), company=company)  # March 1st 00:30 in Moscow
    _log(p.alice, msk(2026, 3, 15), company=company)
    _log(p.bob, msk(2026, 3, 16), company=bobs)
    _log(p.alice, utc(2026, 3, 31, 21, 0), company=company)  # April 1st in Moscow
    gone = _log(p.alice, msk(2026, 3, 17), company=company)
    world.at(msk(2026, 3, 18))
    activities.activity_delete(actor=p.alice, activity=fresh(gone), version=fresh(gone).version)
    world.at(NOW)
    assert kpi(p.head, "activities_logged", MAR_1, MAR_31).total.value == 3
    assert kpi(p.alice, "activities_logged", MAR_1, MAR_31).total.value == 2
    by_manager = kpi(p.head, "activities_logged", MAR_1, MAR_31, by="manager")
    assert groups(by_manager) == {str(p.alice.pk): 2, str(p.bob.pk): 1}
    by_month = kpi(p.head, "activities_logged", MAR_1, date(2026, 4, 30), by="month")
    assert groups(by_month) == {"2026-03": 3, "2026-04": 1}
    assert sum(groups(by_month).values()) == by_month.total.value
