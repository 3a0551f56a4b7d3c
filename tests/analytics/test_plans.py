"""Sales plans: who sets targets, how they are checked, and the plan KPIs computed by hand."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

import voronka.analytics.plans  # noqa: F401  (registers the plan KPIs)
from tests import factories
from voronka.analytics import engine
from voronka.analytics.models import SalesPlan
from voronka.analytics.periods import Period
from voronka.analytics.scope import Filters
from voronka.analytics.services import PlanCell, PlanGridError, plan_set, plans_set_many
from voronka.core.errors import NotAllowed, StaleVersion
from voronka.sales import services as sales_services

MSK = ZoneInfo("Europe/Moscow")
MARCH = Period(date(2027, 3, 1), date(2027, 3, 31))
# Wednesday 17 March 2027: working days left after it in March are 18, 19, 22–26, 29–31 = 10.
NOW = datetime(2027, 3, 17, 12, 0, tzinfo=MSK)


def at(day: date, hour: int = 12) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=MSK)


@pytest.fixture
def clock(monkeypatch):
    """Services stamp records with ``timezone.now()``; this sets that moment."""

    class Clock:
        def set(self, moment: datetime) -> None:
            monkeypatch.setattr(timezone, "now", lambda: moment)

    return Clock()


def plans():
    return sorted(
        SalesPlan.objects.values_list(
            "metric",
            "period_kind",
            "period_start",
            "manager__username",
            "team__name",
            "target",
            "version",
        ),
        key=str,
    )


def month_plan(actor, target, *, manager=None, team=None, metric="won_revenue", start=None):
    return plan_set(
        actor=actor, metric=metric, period_kind="month", period_start=start or MARCH.start,
        manager=manager, team=team, target=target,
    )  # fmt: skip


# Service: permissions ------------------------------------------------------------------------


def test_the_head_of_sales_sets_a_target_for_any_manager_and_team(personas):
    bob, south = personas.bob, personas.bob.team
    plan = month_plan(personas.head, "150000", manager=bob)
    team_plan = month_plan(personas.admin, Decimal("300000.50"), team=south)

    assert (plan.target, plan.version, plan.set_by) == (Decimal("150000.00"), 1, personas.head)
    assert team_plan.target == Decimal("300000.50")
    assert plans() == sorted(
        [
            ("won_revenue", "month", date(2027, 3, 1), "bob", None, Decimal("150000.00"), 1),
            ("won_revenue", "month", date(2027, 3, 1), None, "South", Decimal("300000.50"), 1),
        ],
        key=str,
    )


def test_a_team_lead_sets_targets_for_the_team_its_members_and_themselves(personas):
    north = personas.lead.team
    month_plan(personas.lead, "100", manager=personas.alice)
    month_plan(personas.lead, "50", manager=personas.lead)
    month_plan(personas.lead, "150", team=north)

    assert [p[3:6] for p in plans()] == sorted(
        [("alice", None, Decimal("100.00")), ("lead", None, Decimal("50.00")),
         (None, "North", Decimal("150.00"))], key=str,
    )  # fmt: skip


@pytest.mark.parametrize(
    ("actor", "whom"),
    [
        ("lead", "bob"),  # another team's manager
        ("lead", "team:South"),
        ("alice", "alice"),  # a manager does not set their own target
        ("alice", "team:North"),
        ("bob", "alice"),
        ("support", "alice"),
        ("outsider", "outsider"),
    ],
)
def test_people_without_the_right_cannot_set_a_target_and_nothing_changes(personas, actor, whom):
    from voronka.accounts.models import Team

    existing = month_plan(personas.head, "10", manager=personas.alice)
    before = plans()
    kind, _sep, name = whom.partition(":")
    target = (
        {"team": Team.objects.get(name=name)}
        if kind == "team"
        else {"manager": getattr(personas, whom)}
    )
    with pytest.raises(NotAllowed):
        plan_set(actor=getattr(personas, actor), metric="won_revenue", period_kind="month",
                 period_start=MARCH.start, target="999", version=existing.version, **target)  # fmt: skip
    assert plans() == before


# Service: validation and changes -------------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"target": "-1"}, "target", "The target cannot be negative."),
        ({"target": "много"}, "target", "Enter a number."),
        ({"metric": "deals_won", "target": "2.5"}, "target",
         "The target of a count is a whole number."),
        ({"period_start": date(2027, 3, 2)}, "period_start",
         "A plan period starts on the first day of a month."),
        ({"period_kind": "quarter", "period_start": date(2027, 2, 1)}, "period_start",
         "A quarter starts in January, April, July or October."),
        ({"manager": None}, "manager", "Choose a manager or a team."),
        ({"team": "North"}, "team", "A plan belongs to a manager or to a team, not to both."),
        ({"metric": "profit"}, "metric", "Choose a metric: won revenue, deals won or new leads."),
    ],
)  # fmt: skip
def test_it_names_the_field_of_an_invalid_target_and_saves_nothing(
    personas, changes, field, message
):
    args = {
        "metric": "won_revenue", "period_kind": "month", "period_start": MARCH.start,
        "manager": personas.alice, "team": None, "target": "100",
    }  # fmt: skip
    args.update(changes)
    if args["team"] == "North":
        args["team"] = personas.lead.team
    with pytest.raises(ValidationError) as caught:
        plan_set(actor=personas.head, **args)
    assert caught.value.message_dict == {field: [message]}
    assert plans() == []


def test_changing_a_target_advances_its_version_and_an_empty_target_removes_it(personas):
    plan = month_plan(personas.head, "100", manager=personas.alice)
    changed = plan_set(actor=personas.head, metric="won_revenue", period_kind="month",
                       period_start=MARCH.start, manager=personas.alice, target="1 250,5",
                       version=1)  # fmt: skip
    assert (changed.pk, changed.target, changed.version) == (plan.pk, Decimal("1250.50"), 2)

    removed = plan_set(actor=personas.head, metric="won_revenue", period_kind="month",
                       period_start=MARCH.start, manager=personas.alice, target="", version=2)  # fmt: skip
    assert removed is None
    assert plans() == []


def test_a_target_saved_from_a_stale_copy_is_refused_and_the_newer_one_kept(personas):
    month_plan(personas.head, "100", manager=personas.alice)
    plan_set(actor=personas.lead, metric="won_revenue", period_kind="month",
             period_start=MARCH.start, manager=personas.alice, target="200", version=1)  # fmt: skip

    with pytest.raises(StaleVersion) as caught:
        plan_set(actor=personas.head, metric="won_revenue", period_kind="month",
                 period_start=MARCH.start, manager=personas.alice, target="300", version=1)  # fmt: skip
    assert caught.value.current_version == 2
    assert [p[5:] for p in plans()] == [(Decimal("200.00"), 2)]


def test_a_new_target_does_not_overwrite_one_someone_set_meanwhile(personas):
    month_plan(personas.lead, "200", manager=personas.alice)
    with pytest.raises(StaleVersion):
        plan_set(actor=personas.head, metric="won_revenue", period_kind="month",
                 period_start=MARCH.start, manager=personas.alice, target="300", version=0)  # fmt: skip
    assert [p[5:] for p in plans()] == [(Decimal("200.00"), 1)]


def test_a_grid_is_saved_whole_or_not_at_all_with_an_error_per_cell(personas):
    month_plan(personas.head, "100", manager=personas.alice)
    before = plans()
    cells = [
        PlanCell("alice-03", date(2027, 3, 1), "150", version=1, manager=personas.alice),
        PlanCell("bob-03", date(2027, 3, 1), "-5", version=0, manager=personas.bob),
        PlanCell("lead-04", date(2027, 4, 1), "70", version=0, manager=personas.lead),
        PlanCell("alice-04", date(2027, 4, 1), "80", version=3, manager=personas.alice),
    ]
    with pytest.raises(PlanGridError) as caught:
        plans_set_many(actor=personas.head, metric="won_revenue", period_kind="month",
                       cells=cells)  # fmt: skip
    assert caught.value.errors == {
        "bob-03": "The target cannot be negative.",
        "alice-04": str(StaleVersion.message),
    }
    assert caught.value.stale is True
    assert plans() == before

    good = [cells[0], cells[2]]
    saved = plans_set_many(actor=personas.head, metric="won_revenue", period_kind="month",
                           cells=good)  # fmt: skip
    assert [(p.manager.username, p.target, p.version) for p in saved] == [
        ("alice", Decimal("150.00"), 2), ("lead", Decimal("70.00"), 1),
    ]  # fmt: skip


def test_a_team_lead_saving_a_grid_with_another_teams_cell_saves_nothing(personas):
    cells = [
        PlanCell("alice", MARCH.start, "10", version=0, manager=personas.alice),
        PlanCell("bob", MARCH.start, "10", version=0, manager=personas.bob),
    ]
    with pytest.raises(PlanGridError) as caught:
        plans_set_many(actor=personas.lead, metric="won_revenue", period_kind="month", cells=cells)
    assert list(caught.value.errors) == ["bob"]
    assert plans() == []


# KPIs ----------------------------------------------------------------------------------------


@pytest.fixture
def march(personas, stages, clock):
    """Plans and deals of March 2027, as of Wednesday 17 March, 12:00 in Moscow.

    Revenue targets: alice 100 000, bob 50 000, lead 20 000; team South 80 000 (stands for bob);
    team North none. Won in March: alice 30 000 (5th), bob 20 000 (10th); alice also won
    10 000 on 25 February. Open: alice 40 000 at «Предложение» (50 %) expected 25 March,
    alice 10 000 at «Переговоры» (75 %) expected 5 April, alice 5 000 at «Квалификация»
    (25 %) expected 10 March (overdue), bob 8 000 at «Новая» (10 %) expected 31 March.
    """
    p = personas
    south = p.bob.team
    for who, target in ((p.alice, "100000"), (p.bob, "50000"), (p.lead, "20000")):
        month_plan(p.head, target, manager=who)
    month_plan(p.head, "80000", team=south)

    def won(owner, amount, day):
        clock.set(at(day, 10))
        deal = factories.deal(owner, amount=Decimal(amount))
        clock.set(at(day, 15))
        sales_services.deal_move_stage(actor=owner, deal=deal, stage=stages["won"], version=1)

    won(p.alice, "30000", date(2027, 3, 5))
    won(p.bob, "20000", date(2027, 3, 10))
    won(p.alice, "10000", date(2027, 2, 25))
    clock.set(at(date(2027, 3, 1)))
    for owner, amount, stage, expected in (
        (p.alice, "40000", "proposal", date(2027, 3, 25)),
        (p.alice, "10000", "negotiation", date(2027, 4, 5)),
        (p.alice, "5000", "qualification", date(2027, 3, 10)),
        (p.bob, "8000", "new", date(2027, 3, 31)),
    ):
        factories.deal(owner, amount=Decimal(amount), stage=stages[stage],
                       expected_close_date=expected)  # fmt: skip
    clock.set(NOW)
    return p


def kpis(actor, ids, *, by=None, period=MARCH, filters=None, direct=False):
    report = engine.compute(actor=actor, ids=ids, period=period, by=by, filters=filters,
                            now=NOW, direct=direct)  # fmt: skip
    return report.as_json()["kpis"]


def groups(kpi_json, field="value"):
    return {g["label"]: g[field] for g in kpi_json["groups"]}


@pytest.mark.parametrize("direct", [False, True])
def test_the_head_sees_the_total_target_with_team_targets_standing_for_their_members(march, direct):
    out = kpis(march.head, ["plan_target", "won_revenue", "plan_fulfilment"], direct=direct)
    # South's team target (80 000) stands for bob; North has none: alice + lead.
    assert out["plan_target"]["total"] == {"value": 200000.0}
    assert out["won_revenue"]["total"] == {"value": 50000.0}
    assert out["plan_fulfilment"]["total"] == {
        "value": 0.25, "numerator": 50000.0, "denominator": 200000.0,
    }  # fmt: skip


def test_fulfilment_by_manager_and_by_team(march):
    by_manager = kpis(march.head, ["plan_target", "plan_fulfilment"], by="manager")
    assert groups(by_manager["plan_target"]) == {
        "Алиса Иванова": 100000.0, "Борис Петров": 50000.0, "Лев Лидов": 20000.0,
    }  # fmt: skip
    assert groups(by_manager["plan_fulfilment"]) == {
        "Алиса Иванова": 0.3, "Борис Петров": 0.4, "Лев Лидов": 0.0,
    }  # fmt: skip

    by_team = kpis(march.head, ["plan_target", "plan_fulfilment"], by="team")
    assert groups(by_team["plan_target"]) == {"North": 120000.0, "South": 80000.0}
    assert groups(by_team["plan_fulfilment"]) == {"North": 0.25, "South": 0.25}
    assert groups(by_team["plan_fulfilment"], "numerator") == {"North": 30000.0, "South": 20000.0}


@pytest.mark.parametrize(
    ("who", "target", "fulfilment"),
    [
        ("alice", 100000.0, 0.3),  # her own plan only
        ("bob", 50000.0, 0.4),  # South's team target is not his to see
        ("lead", 120000.0, 0.25),  # North: lead + alice
    ],
)
def test_each_manager_sees_the_plans_of_what_they_may_see(march, who, target, fulfilment):
    out = kpis(getattr(march, who), ["plan_target", "plan_fulfilment"])
    assert out["plan_target"]["total"]["value"] == target
    assert out["plan_fulfilment"]["total"]["value"] == fulfilment


def test_without_a_visible_plan_the_target_and_fulfilment_are_null_with_a_reason(march):
    out = kpis(march.support, ["plan_target", "plan_fulfilment"])
    assert out["plan_target"]["total"] == {"value": None, "reason": "no plan for the period"}
    assert out["plan_fulfilment"]["total"]["value"] is None
    assert out["plan_fulfilment"]["total"]["reason"] == "no plan for the period"

    week = Period(date(2027, 3, 8), date(2027, 3, 14))  # covers no whole month
    assert kpis(march.head, ["plan_target"], period=week)["plan_target"]["total"] == {
        "value": None, "reason": "no plan for the period",
    }  # fmt: skip


def test_a_pipeline_filter_makes_plans_null_rather_than_comparing_apples_and_pears(march, pipeline):
    out = kpis(march.head, ["plan_fulfilment"], filters=Filters(pipeline=pipeline.pk))
    assert out["plan_fulfilment"]["total"] == {
        "value": None, "reason": "plans are not set per pipeline, source or product",
    }  # fmt: skip


def test_filters_by_manager_and_team_narrow_target_and_actual_alike(march):
    alice = kpis(march.head, ["plan_fulfilment"], filters=Filters(manager=march.alice.pk))
    assert alice["plan_fulfilment"]["total"] == {
        "value": 0.3, "numerator": 30000.0, "denominator": 100000.0,
    }  # fmt: skip
    south = kpis(march.head, ["plan_fulfilment"], filters=Filters(team=march.bob.team_id))
    assert south["plan_fulfilment"]["total"] == {
        "value": 0.25, "numerator": 20000.0, "denominator": 80000.0,
    }  # fmt: skip


def test_a_quarter_target_stands_for_its_months(personas):
    head, alice = personas.head, personas.alice
    plan_set(actor=head, metric="won_revenue", period_kind="quarter",
             period_start=date(2027, 1, 1), manager=alice, target="300000")  # fmt: skip
    for month in (1, 2, 3):
        month_plan(head, "90000", manager=alice, start=date(2027, month, 1))

    def target(period):
        return kpis(head, ["plan_target"], period=period)["plan_target"]["total"]["value"]

    assert target(Period(date(2027, 1, 1), date(2027, 3, 31))) == 300000.0
    # The quarter does not lie inside February–March: its months count.
    assert target(Period(date(2027, 2, 1), date(2027, 3, 31))) == 180000.0
    assert target(Period(date(2027, 1, 1), date(2027, 12, 31))) == 300000.0


def test_the_forecast_adds_open_deals_expected_by_the_periods_end_and_the_pace_needed(march):
    out = kpis(march.head, ["plan_forecast"])
    # 50 000 won + 40 000 × 50 % + 8 000 × 10 % (the April and the overdue deal are out).
    assert out["plan_forecast"]["total"] == {
        "value": 70800.0,
        "forecast": 70800.0,
        "working_days_left": 10,
        "needed_per_working_day": 15000.0,  # (200 000 − 50 000) ÷ 10
        "target": 200000.0,
        "actual": 50000.0,
    }


def test_the_forecast_by_manager(march):
    out = kpis(march.head, ["plan_forecast"], by="manager")
    rows = {g["label"]: (g["forecast"], g["needed_per_working_day"]) for g in
            out["plan_forecast"]["groups"]}  # fmt: skip
    assert rows == {
        "Алиса Иванова": (50000.0, 7000.0),  # 30 000 + 20 000; (100 000 − 30 000) ÷ 10
        "Борис Петров": (20800.0, 3000.0),  # 20 000 + 800; (50 000 − 20 000) ÷ 10
        "Лев Лидов": (0.0, 2000.0),
    }


def test_the_forecast_of_deals_won_adds_the_probabilities(march):
    out = kpis(march.head, ["plan_forecast.deals_won"])
    assert out["plan_forecast.deals_won"]["total"]["value"] == 2.6  # 2 won + 0.5 + 0.1
    assert out["plan_forecast.deals_won"]["total"]["needed_per_working_day"] is None  # no plan


def test_the_forecast_of_new_leads_extrapolates_by_elapsed_days(personas, clock):
    clock.set(at(date(2027, 3, 2)))
    for _ in range(3):
        factories.lead(personas.alice)
    month_plan(personas.head, "10", manager=personas.alice, metric="leads_new")
    clock.set(NOW)
    out = kpis(personas.head, ["plan_forecast.leads_new", "plan_fulfilment.leads_new"])
    # 3 leads in 17 days of 31 → 3 × 31 ÷ 17 = 5.4706; (10 − 3) ÷ 10 working days = 0.7.
    forecast = out["plan_forecast.leads_new"]["total"]
    assert (forecast["value"], forecast["needed_per_working_day"]) == (5.47, 0.7)
    assert out["plan_fulfilment.leads_new"]["total"]["value"] == 0.3


def test_a_finished_period_forecasts_what_was_done(march):
    later = datetime(2027, 5, 1, 12, tzinfo=MSK)
    report = engine.compute(actor=march.head, ids=["plan_forecast"], period=MARCH, now=later)
    total = report["plan_forecast"].total
    assert (total.value, total.extra["working_days_left"]) == (Decimal("50000.00"), 0)
    assert total.extra["needed_per_working_day"] is None


def test_every_plan_kpi_is_in_the_catalogue_for_every_metric():
    ids = {i for i in engine.KPIS if i.startswith("plan_")}
    assert ids == {
        "plan_target", "plan_fulfilment", "plan_forecast",
        "plan_target.deals_won", "plan_fulfilment.deals_won", "plan_forecast.deals_won",
        "plan_target.leads_new", "plan_fulfilment.leads_new", "plan_forecast.leads_new",
    }  # fmt: skip
    assert engine.KPIS["plan_fulfilment"].unit == "ratio"
    assert engine.KPIS["plan_target.deals_won"].unit == "count"
