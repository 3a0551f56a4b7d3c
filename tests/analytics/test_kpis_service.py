"""Service-quality KPIs against values worked out by hand, on requests made through the services.

The desk's March 2026 (Moscow time). One SLA policy for normal priority, in calendar time:
first response within 60 minutes, resolution within 480 (8 hours). Requests of ООО «Ромашка»
(Alice's client, with a contact who has an e-mail, so a resolution sends a survey):

====  =======  =========  ========  =======  ====================  ====================  =====
req   assignee kind       category  product  received              first reply           score
====  =======  =========  ========  =======  ====================  ====================  =====
R1    alice    question   Доставка  P1       2 Mar 10:00           10:30 (30 min)        5
R2    alice    complaint  Качество  P1       3 Mar 10:00           12:00 (120, late)     2
R3    bob      complaint  Качество  P2       5 Mar 09:00           09:15 (15 min)        —
R4    bob      question   —         —        10 Mar 12:00, low     —                     —
R5    support  complaint  —         —        20 Mar 12:00          12:45 (45 min)        4
R6    alice    question   —         —        25 Feb 10:00          10:20                 —
R7    alice    complaint  —         —        15 Mar 12:00          12:10, then deleted   1
R8    bob      question   —         —        2 Apr 10:00           —                     —
====  =======  =========  ========  =======  ====================  ====================  =====

Resolved: R1 on 2 Mar 14:00 (4 h), R2 on 4 Mar 10:00 (24 h, late: due 3 Mar 18:00), R5 on
20 Mar 16:45 (4.75 h), R6 on 2 Mar 10:00 (120 h), R7 on 15 Mar 13:00. R3 (resolution due
5 Mar 17:00) and R4 stay open; R4 is of low priority, so it has no SLA, and a client known by
e-mail only. R5 was taken down unassigned; the support agent who answered it took it.
Surveys are answered the day after the resolution (R2's on 5 Mar); R6's is never answered.

March, for everyone who sees every request (head, admin, support):

* received: R1–R5 = 5; first response over R1, R2, R3, R5: 30, 120, 15, 45 → mean 52.5,
  median 37.5 minutes;
* resolved in March: R1 4, R2 24, R5 4.75, R6 120 hours → mean 38.1875, median 14.375;
* with an SLA: R1, R2, R3, R5; missed: R2 (late twice), R3 (still open past 5 Mar 17:00)
  → 2 / 4;
* complaints: R2, R3, R5, resolved R2 and R5 → 2 / 3;
* CSAT: 5, 2, 4 → 11 / 3 = 3.67, satisfied (4 or 5) 2 of 3.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import pytest

from tests import factories
from tests.analytics.conftest import fresh, groups, kpi, msk, report
from tests.api_client import ApiClient
from tests.service.conftest import client_company, make_request  # noqa: F401 - fixtures
from voronka.analytics.drill import drill_target, drill_url
from voronka.analytics.engine import KPIS, compute
from voronka.analytics.periods import Period
from voronka.analytics.scope import Filters
from voronka.service import services, surveys
from voronka.service.models import Request, Survey

MAR_1, MAR_31 = date(2026, 3, 1), date(2026, 3, 31)
MARCH = Period(MAR_1, MAR_31)
NOW = msk(2026, 4, 15, 12)
SERVICE = [
    "requests_new", "first_response_minutes", "request_handling_hours", "sla_breach_rate",
    "complaints_resolution_rate", "csat",
]  # fmt: skip


@dataclass
class Desk:
    """Works requests through the services at given moments."""

    people: Any
    clock: Any
    make: Any

    def receive(self, when: datetime, **data: Any) -> Request:
        self.clock.set(when)
        return self.make(received_at=when, **data)

    def reply(self, request: Request, when: datetime, actor: Any = None) -> None:
        self.clock.set(when)
        current = fresh(request)
        services.request_reply(actor=actor or current.assignee, request=current, body="Разбираемся")

    def resolve(self, request: Request, when: datetime, actor: Any = None) -> None:
        self.clock.set(when)
        current = fresh(request)
        services.request_set_status(
            actor=actor or current.assignee or self.people.support, request=current,
            status="resolved",
        )  # fmt: skip

    def answer(self, request: Request, when: datetime, score: int) -> Survey:
        self.clock.set(when)
        survey = Survey.objects.get(request=request)
        return surveys.survey_answer(token=surveys.token_for(survey), score=score)

    def delete(self, request: Request, when: datetime) -> None:
        self.clock.set(when)
        current = fresh(request)
        services.request_delete(actor=self.people.support, request=current,
                                version=current.version)  # fmt: skip


@pytest.fixture
def desk(personas, clock, make_request) -> Desk:  # noqa: F811 - the fixture
    return Desk(personas, clock, make_request)


@pytest.fixture
def march(desk, personas, clock):
    """The requests of the module docstring; returns them by name, with categories and products."""
    p = personas
    clock.set(msk(2026, 2, 1))
    services.policy_create(actor=p.admin, data={
        "name": "Обычный", "priority": "normal", "first_response_minutes": 60,
        "resolution_minutes": 480, "clock": "calendar",
    })  # fmt: skip
    delivery = services.category_save(actor=p.admin, category=None, data={"name": "Доставка"})
    quality = services.category_save(actor=p.admin, category=None, data={"name": "Качество"})
    p1 = factories.product(p.admin, name="Станок")
    p2 = factories.product(p.admin, name="Сервис")

    r6 = desk.receive(msk(2026, 2, 25, 10), assignee=p.alice)
    desk.reply(r6, msk(2026, 2, 25, 10, 20))
    r1 = desk.receive(msk(2026, 3, 2, 10), assignee=p.alice, category=delivery, product=p1)
    desk.reply(r1, msk(2026, 3, 2, 10, 30))
    desk.resolve(r6, msk(2026, 3, 2, 10))
    desk.resolve(r1, msk(2026, 3, 2, 14))
    desk.answer(r1, msk(2026, 3, 3, 9), 5)
    r2 = desk.receive(msk(2026, 3, 3, 10), assignee=p.alice, kind="complaint",
                      category=quality, product=p1)  # fmt: skip
    desk.reply(r2, msk(2026, 3, 3, 12))
    desk.resolve(r2, msk(2026, 3, 4, 10))
    desk.answer(r2, msk(2026, 3, 5, 11), 2)
    r3 = desk.receive(msk(2026, 3, 5, 9), assignee=p.bob, kind="complaint", category=quality,
                      product=p2)  # fmt: skip
    desk.reply(r3, msk(2026, 3, 5, 9, 15))
    r4 = desk.receive(msk(2026, 3, 10, 12), assignee=p.bob, priority="low", company=None,
                      contact=None, client_name="Аноним", client_email="anon@example.com")  # fmt: skip
    r7 = desk.receive(msk(2026, 3, 15, 12), assignee=p.alice, kind="complaint")
    desk.reply(r7, msk(2026, 3, 15, 12, 10))
    desk.resolve(r7, msk(2026, 3, 15, 13))
    desk.answer(r7, msk(2026, 3, 16, 9), 1)
    desk.delete(r7, msk(2026, 3, 17))
    r5 = desk.receive(msk(2026, 3, 20, 12), kind="complaint")
    desk.reply(r5, msk(2026, 3, 20, 12, 45), actor=p.support)
    desk.resolve(r5, msk(2026, 3, 20, 16, 45))
    desk.answer(r5, msk(2026, 3, 21, 10), 4)
    r8 = desk.receive(msk(2026, 4, 2, 10), assignee=p.bob)
    clock.set(NOW)
    requests = {"R1": r1, "R2": r2, "R3": r3, "R4": r4, "R5": r5, "R6": r6, "R7": r7, "R8": r8}
    return {**requests, "delivery": delivery, "quality": quality, "p1": p1, "p2": p2}


def service_report(actor, start=MAR_1, end=MAR_31, **kwargs) -> dict[str, Any]:
    found = report(actor, SERVICE, start, end, **kwargs)
    return {kpi_id: found[kpi_id].as_json() for kpi_id in SERVICE}


EVERYONE_IN_MARCH = {
    "requests_new": {"total": {"value": 5}},
    "first_response_minutes": {
        "total": {"value": 52.5, "mean": 52.5, "median": 37.5, "count": 4}
    },
    "request_handling_hours": {
        "total": {"value": 38.1875, "mean": 38.1875, "median": 14.375, "count": 4}
    },
    "sla_breach_rate": {"total": {"value": 0.5, "numerator": 2, "denominator": 4}},
    "complaints_resolution_rate": {
        "total": {"value": 0.6667, "numerator": 2, "denominator": 3}
    },
    "csat": {
        "total": {
            "value": 3.67, "numerator": 11, "denominator": 3, "share_satisfied": 0.6667,
            "satisfied": 2,
        }
    },
}  # fmt: skip


# The numbers -----------------------------------------------------------------------------------


def test_the_head_of_sales_gets_the_march_numbers_worked_out_by_hand(march, personas):
    assert service_report(personas.head) == EVERYONE_IN_MARCH


@pytest.mark.parametrize("who", ["admin", "support"])
def test_support_and_the_administrator_see_every_request_too(march, personas, who):
    assert service_report(getattr(personas, who)) == EVERYONE_IN_MARCH


def test_alice_counts_only_the_requests_assigned_to_her(march, personas):
    # R1, R2 received; R6 (120 h) resolved in March as well: 4, 24, 120 → mean 49.3333.
    assert service_report(personas.alice) == {
        "requests_new": {"total": {"value": 2}},
        "first_response_minutes": {
            "total": {"value": 75.0, "mean": 75.0, "median": 75.0, "count": 2}
        },
        "request_handling_hours": {
            "total": {"value": 49.3333, "mean": 49.3333, "median": 24.0, "count": 3}
        },
        "sla_breach_rate": {"total": {"value": 0.5, "numerator": 1, "denominator": 2}},
        "complaints_resolution_rate": {
            "total": {"value": 1.0, "numerator": 1, "denominator": 1}
        },
        "csat": {
            "total": {
                "value": 3.5, "numerator": 7, "denominator": 2, "share_satisfied": 0.5,
                "satisfied": 1,
            }
        },
    }  # fmt: skip


def test_her_team_lead_reads_the_same_as_alice_and_bob_his_own(march, personas):
    assert service_report(personas.lead) == service_report(personas.alice)
    bob = service_report(personas.bob)
    assert bob["requests_new"]["total"] == {"value": 2}  # R3, R4
    assert bob["first_response_minutes"]["total"]["mean"] == 15.0
    assert bob["sla_breach_rate"]["total"] == {"value": 1.0, "numerator": 1, "denominator": 1}
    assert bob["csat"]["total"] == {"value": None, "reason": "no survey answers in the period"}


def test_someone_with_no_requests_gets_null_values_with_their_reasons(march, personas):
    assert service_report(personas.outsider) == {
        "requests_new": {"total": {"value": 0}},
        "first_response_minutes": {"total": {
            "value": None, "reason": "no request received in the period has had a first response",
            "mean": None, "median": None, "count": 0,
        }},
        "request_handling_hours": {"total": {
            "value": None, "reason": "no request resolved in the period", "mean": None,
            "median": None, "count": 0,
        }},
        "sla_breach_rate": {"total": {
            "value": None, "reason": "no request received in the period has an SLA",
            "numerator": 0, "denominator": 0,
        }},
        "complaints_resolution_rate": {"total": {
            "value": None, "reason": "no complaints received in the period", "numerator": 0,
            "denominator": 0,
        }},
        "csat": {"total": {"value": None, "reason": "no survey answers in the period"}},
    }  # fmt: skip


def test_a_deleted_request_and_its_answer_never_count(desk, march, personas):
    # R7 (deleted on 17 March) was a complaint of alice, answered 12:10, resolved, scored 1.
    assert Request.all_objects.get(pk=march["R7"].pk).is_deleted
    assert Survey.objects.get(request=march["R7"]).score == 1
    extra = desk.receive(msk(2026, 3, 25, 10), assignee=personas.alice, kind="complaint")
    desk.reply(extra, msk(2026, 3, 25, 10, 30))
    desk.resolve(extra, msk(2026, 3, 25, 11))
    desk.answer(extra, msk(2026, 3, 25, 12), 3)
    desk.clock.set(NOW)
    before = service_report(personas.head)
    assert before["requests_new"]["total"]["value"] == 6
    assert before["csat"]["total"]["denominator"] == 4

    desk.delete(extra, msk(2026, 4, 1))
    desk.clock.set(NOW)

    assert service_report(personas.head) == EVERYONE_IN_MARCH


def test_the_sla_breach_rate_is_judged_at_the_end_of_the_period_or_now(march, personas):
    first_days = Period(MAR_1, date(2026, 3, 5))
    # On 5 March at noon R3's resolution is not due yet (17:00): only R2 has missed.
    midday = compute(actor=personas.head, ids=["sla_breach_rate"], period=first_days,
                     now=msk(2026, 3, 5, 12))  # fmt: skip
    # The period over, R3 has been waiting past its deadline since 17:00.
    after = compute(actor=personas.head, ids=["sla_breach_rate"], period=first_days,
                    now=msk(2026, 3, 6, 9))  # fmt: skip

    assert midday["sla_breach_rate"].total.as_json() == {
        "value": 0.3333, "numerator": 1, "denominator": 3,
    }  # fmt: skip
    assert after["sla_breach_rate"].total.as_json() == {
        "value": 0.6667, "numerator": 2, "denominator": 3,
    }  # fmt: skip


def test_a_reopened_request_leaves_the_handling_time_until_it_is_resolved_again(
    desk, march, personas
):
    desk.clock.set(msk(2026, 4, 3))
    services.request_set_status(actor=personas.alice, request=fresh(march["R1"]),
                                status="reopened")  # fmt: skip
    desk.clock.set(NOW)

    handled = kpi(personas.head, "request_handling_hours", MAR_1, MAR_31).total
    complaints = kpi(personas.head, "complaints_resolution_rate", MAR_1, MAR_31).total

    # R2 24, R5 4.75, R6 120 → mean 49.5833, median 24.
    assert (handled.mean, handled.median, handled.count) == (49.5833, 24.0, 3)
    assert complaints.numerator == 2  # R1 was a question: the complaints did not change


def test_closing_an_open_request_counts_as_resolving_it(desk, march, personas):
    desk.clock.set(msk(2026, 3, 6, 9))  # R3, received 5 March 09:00: 24 hours
    services.request_set_status(actor=personas.bob, request=fresh(march["R3"]), status="closed")
    desk.clock.set(NOW)

    r = report(personas.head, ["request_handling_hours", "complaints_resolution_rate"], MAR_1,
               MAR_31)  # fmt: skip

    assert r["request_handling_hours"].total.count == 5
    assert r["request_handling_hours"].total.median == 24.0
    assert r["complaints_resolution_rate"].total.as_json() == {
        "value": 1.0, "numerator": 3, "denominator": 3,
    }  # fmt: skip


# Groups ----------------------------------------------------------------------------------------


def test_groups_by_manager_add_up_to_the_total(march, personas):
    p = personas
    r = report(p.head, SERVICE, MAR_1, MAR_31, by="manager")
    alice, bob, support = str(p.alice.pk), str(p.bob.pk), str(p.support.pk)

    assert groups(r["requests_new"]) == {alice: 2, bob: 2, support: 1}
    assert groups(r["first_response_minutes"]) == {alice: 75.0, bob: 15.0, support: 45.0}
    assert groups(r["request_handling_hours"]) == {alice: 49.3333, support: 4.75}
    sla = {g.key: (g.value.numerator, g.value.denominator) for g in r["sla_breach_rate"].groups}
    assert sla == {alice: (1, 2), bob: (1, 1), support: (0, 1)}
    assert groups(r["csat"]) == {alice: 3.5, support: 4.0}
    labels = {g.key: g.label for g in r["requests_new"].groups}
    assert labels[alice] == "Алиса Иванова"


def test_groups_by_team_put_the_support_agent_in_no_team(march, personas):
    r = report(personas.head, ["requests_new", "complaints_resolution_rate"], MAR_1, MAR_31,
               by="team")  # fmt: skip
    north, south = str(personas.alice.team_id), str(personas.bob.team_id)

    assert groups(r["requests_new"]) == {north: 2, south: 2, None: 1}
    assert [g.label for g in r["requests_new"].groups][-1] == "No team"
    complaints = {
        g.key: (g.value.numerator, g.value.denominator)
        for g in r["complaints_resolution_rate"].groups
    }
    assert complaints == {north: (1, 1), south: (0, 1), None: (1, 1)}


def test_groups_by_category_are_named_after_the_categories(march, personas):
    r = report(personas.head, SERVICE, MAR_1, MAR_31, by="category")
    delivery, quality = str(march["delivery"].pk), str(march["quality"].pk)

    shown = [(g.key, g.label, g.value.value) for g in r["requests_new"].groups]
    assert shown == [(quality, "Качество", 2), (delivery, "Доставка", 1), (None, "No category", 2)]
    complaints = {
        g.key: (g.value.numerator, g.value.denominator)
        for g in r["complaints_resolution_rate"].groups
    }
    assert complaints == {quality: (1, 2), None: (1, 1)}
    # The survey keeps the request's category: R1 (5) delivery, R2 (2) quality, R5 (4) none.
    assert groups(r["csat"]) == {delivery: 5.0, quality: 2.0, None: 4.0}


def test_groups_by_product_use_the_request_and_the_survey_product(march, personas):
    r = report(personas.head, SERVICE, MAR_1, MAR_31, by="product")
    p1, p2 = str(march["p1"].pk), str(march["p2"].pk)

    assert groups(r["requests_new"]) == {p1: 2, p2: 1, None: 2}
    assert groups(r["first_response_minutes"]) == {p1: 75.0, p2: 15.0, None: 45.0}
    csat = {g.key: g.value.as_json() for g in r["csat"].groups}
    assert csat[p1] == {
        "value": 3.5, "numerator": 7, "denominator": 2, "share_satisfied": 0.5, "satisfied": 1,
    }  # fmt: skip
    assert csat[None]["value"] == 4.0


def test_groups_by_client_put_a_request_of_no_known_client_apart(march, personas):
    r = report(personas.head, ["requests_new"], MAR_1, MAR_31, by="client")
    company = f"company:{march['R1'].company_id}"

    assert groups(r["requests_new"]) == {company: 4, None: 1}  # R4: an e-mail only
    assert [g.label for g in r["requests_new"].groups] == ["ООО «Ромашка»", "No client"]


def test_groups_by_week_list_every_week_of_march(march, personas):
    r = report(personas.head, SERVICE, MAR_1, MAR_31, by="week")

    assert groups(r["requests_new"]) == {
        "2026-W09": 0, "2026-W10": 3, "2026-W11": 1, "2026-W12": 1, "2026-W13": 0, "2026-W14": 0,
    }  # fmt: skip
    # Response times by the week a request came in; handling times by the week it was resolved.
    assert groups(r["first_response_minutes"]) == {
        "2026-W09": None, "2026-W10": 55.0, "2026-W11": None, "2026-W12": 45.0,
        "2026-W13": None, "2026-W14": None,
    }  # fmt: skip
    week_10 = next(g for g in r["first_response_minutes"].groups if g.key == "2026-W10").value
    assert (week_10.mean, week_10.median, week_10.count) == (55.0, 30.0, 3)  # 30, 120, 15
    handled = {g.key: g.value.count for g in r["request_handling_hours"].groups}
    assert handled == {"2026-W09": 0, "2026-W10": 3, "2026-W11": 0, "2026-W12": 1,
                       "2026-W13": 0, "2026-W14": 0}  # fmt: skip


def test_groups_by_month_and_the_totals_agree(march, personas):
    by_month = report(personas.head, SERVICE, MAR_1, MAR_31, by="month")
    total = report(personas.head, SERVICE, MAR_1, MAR_31)

    for kpi_id in SERVICE:
        [march_group] = by_month[kpi_id].groups
        assert march_group.key == "2026-03"
        assert march_group.value == total[kpi_id].total == by_month[kpi_id].total


@pytest.mark.parametrize("by", ["manager", "team", "product", "category", "client", "week"])
def test_every_grouping_adds_up_to_the_total(march, personas, by):
    r = report(personas.head, SERVICE, MAR_1, MAR_31, by=by)

    assert sum(g.value.value for g in r["requests_new"].groups) == 5
    assert sum(g.value.count for g in r["first_response_minutes"].groups) == 4
    assert sum(g.value.count for g in r["request_handling_hours"].groups) == 4
    for kpi_id, parts in (("sla_breach_rate", (2, 4)), ("complaints_resolution_rate", (2, 3)),
                          ("csat", (11, 3))):  # fmt: skip
        found = r[kpi_id].groups
        assert sum(g.value.numerator or 0 for g in found) == parts[0], kpi_id
        assert sum(g.value.denominator or 0 for g in found) == parts[1], kpi_id


def test_other_kpis_cannot_be_grouped_by_category(march, personas):
    r = compute(actor=personas.head, ids=["deals_won", "requests_new"], period=MARCH,
                by="category")  # fmt: skip

    assert r["deals_won"].groups == []
    assert len(r["requests_new"].groups) == 3
    assert "category" not in KPIS["won_revenue"].groupings


# Filters ---------------------------------------------------------------------------------------


def test_the_manager_team_and_product_filters_narrow_the_requests(march, personas):
    p = personas
    by_bob = report(p.head, ["requests_new"], MAR_1, MAR_31, filters=Filters(manager=p.bob.pk))
    north = report(p.head, ["requests_new"], MAR_1, MAR_31,
                   filters=Filters(team=p.alice.team_id))  # fmt: skip
    p1 = report(p.head, SERVICE, MAR_1, MAR_31, filters=Filters(product=march["p1"].pk))

    assert by_bob["requests_new"].total.value == 2
    assert north["requests_new"].total.value == 2
    assert p1["requests_new"].total.value == 2  # R1, R2
    assert p1["csat"].total.value == 3.5
    assert p1["request_handling_hours"].total.count == 2  # R1 4 h, R2 24 h


def test_pipeline_and_source_filters_do_not_apply_to_requests(march, personas, pipeline, source):
    filtered = Filters(pipeline=pipeline.pk, source=source.pk)

    assert service_report(personas.head, filters=filtered) == EVERYONE_IN_MARCH


# Active clients --------------------------------------------------------------------------------


def test_a_client_with_only_a_request_is_an_active_client(desk, personas, clock):
    p = personas
    quiet = factories.company(p.bob, name="Лютик")
    clock.set(msk(2026, 3, 9))
    assert kpi(p.head, "active_clients", MAR_1, MAR_31, now=NOW).total.value == 0

    desk.receive(msk(2026, 3, 10, 12), assignee=p.alice)  # Ромашка, Alice's
    desk.receive(msk(2026, 3, 11, 12), company=quiet, contact=None)  # nobody's yet
    clock.set(NOW)

    # Read from the spells and from the records alike (``kpi`` compares both).
    assert kpi(p.head, "active_clients", MAR_1, MAR_31).total.value == 2
    assert kpi(p.alice, "active_clients", MAR_1, MAR_31).total.value == 1
    assert kpi(p.bob, "active_clients", MAR_1, MAR_31).total.value == 0
    # Ninety days after the last request the clients are no longer active.
    june = kpi(p.head, "active_clients", date(2026, 6, 1), date(2026, 6, 30), now=msk(2026, 7, 1))
    assert june.total.value == 0


def test_a_deleted_request_makes_no_client_active(desk, personas, clock):
    request = desk.receive(msk(2026, 3, 10, 12), assignee=personas.alice)
    desk.delete(request, msk(2026, 3, 12))
    clock.set(NOW)

    assert kpi(personas.head, "active_clients", MAR_1, MAR_31).total.value == 0


# Drill-down ------------------------------------------------------------------------------------


def _target(kpi_id, **kwargs):
    return drill_target(kpi_id, MARCH, kwargs.pop("filters", Filters()), **kwargs)


def test_each_service_kpi_links_to_the_requests_it_counts(db):
    created = {"created_from": "2026-03-01", "created_to": "2026-03-31"}

    assert _target("requests_new") == ("service:request-list", created)
    assert _target("first_response_minutes") == (
        "service:request-list", {**created, "responded": "1"},
    )  # fmt: skip
    assert _target("request_handling_hours") == (
        "service:request-list", {"resolved_from": "2026-03-01", "resolved_to": "2026-03-31"},
    )  # fmt: skip
    assert _target("sla_breach_rate") == ("service:request-list", {**created, "breached": "1"})
    assert _target("complaints_resolution_rate") == (
        "service:request-list", {**created, "kind": "complaint"},
    )  # fmt: skip
    assert _target("csat") == (
        "service:request-list", {"surveyed_from": "2026-03-01", "surveyed_to": "2026-03-31"},
    )  # fmt: skip


def test_a_group_and_the_filters_narrow_the_link(db):
    filters = Filters(team=3, manager=7, product=9, pipeline=1, source=2)

    _name, params = _target("requests_new", filters=filters, by="category", key="5")
    assert params == {
        "assignee": "7", "team": "3", "product": "9", "category": "5",
        "created_from": "2026-03-01", "created_to": "2026-03-31",
    }  # fmt: skip
    assert _target("requests_new", by="manager", key="4")[1]["assignee"] == "4"
    assert _target("csat", by="client", key="company:12")[1] == {
        "surveyed_from": "2026-03-01", "surveyed_to": "2026-03-31", "company": "12",
    }  # fmt: skip
    assert _target("requests_new", by="client", key="contact:8")[1]["contact"] == "8"
    week = _target("request_handling_hours", by="week", key="2026-W10")[1]
    assert (week["resolved_from"], week["resolved_to"]) == ("2026-03-02", "2026-03-08")
    # The first week of the period begins in February: the link keeps to the period.
    assert _target("requests_new", by="week", key="2026-W09")[1]["created_from"] == "2026-03-01"


def _rows_behind(kpi_id: str, value) -> int:
    """How many requests the list behind a number must show (see ``drill``'s docstring)."""
    if kpi_id == "requests_new":
        return value.value
    if kpi_id in ("first_response_minutes", "request_handling_hours"):
        return value.count
    if kpi_id == "sla_breach_rate":
        return value.numerator or 0
    return value.denominator or 0  # the complaints received; the answered surveys


@pytest.mark.parametrize("who", ["head", "alice"])
def test_each_number_and_group_opens_a_list_of_exactly_its_requests(client, march, personas, who):
    actor = getattr(personas, who)
    # A manager's list also shows her clients' requests that others handle: the dashboard's
    # links name her as the assignee, as here.
    filters = Filters() if who == "head" else Filters(manager=actor.pk)
    client.force_login(actor)
    checked = 0
    for by in (None, "manager", "category", "product", "client", "week"):
        found = compute(actor=actor, ids=SERVICE, period=MARCH, by=by, filters=filters)
        for kpi_id in SERVICE:
            rows = [(None, found[kpi_id].total)] if by is None else []
            rows += [(g.key, g.value) for g in found[kpi_id].groups or []]
            for key, value in rows:
                url = drill_url(kpi_id, MARCH, filters, by=by, key=key)
                if url is None:
                    assert key is None and by is not None, (kpi_id, by)
                    continue
                listed = client.get(url)
                assert listed.status_code == 200, url
                assert listed.context["total"] == _rows_behind(kpi_id, value), (kpi_id, by, key)
                checked += 1
    assert checked > 60


def test_groups_of_records_with_no_value_have_no_link(db):
    for by in ("category", "manager", "product", "client"):
        assert _target("requests_new", by=by, key=None) is None, by
    assert _target("requests_new", by="client", key="somebody") is None


# API and command line --------------------------------------------------------------------------


def test_the_api_answers_the_service_kpis_by_category(march, personas):
    response = ApiClient(personas.support).get(
        "/kpis", ids=",".join(SERVICE), by="category", **{"from": "2026-03-01", "to": "2026-03-31"}
    )

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["by"] == "category"
    assert {k: v["total"] for k, v in body["kpis"].items()} == {
        k: v["total"] for k, v in EVERYONE_IN_MARCH.items()
    }
    quality = str(march["quality"].pk)
    assert body["kpis"]["requests_new"]["groups"][0] == {
        "key": quality, "label": "Качество", "value": 2,
    }  # fmt: skip
    assert body["kpis"]["csat"]["groups"][-1] == {
        "key": None, "label": "No category", "value": 4.0, "numerator": 4, "denominator": 1,
        "share_satisfied": 1.0, "satisfied": 1,
    }  # fmt: skip


def test_alice_gets_only_her_numbers_from_the_api(march, personas):
    body = (
        ApiClient(personas.alice)
        .get("/kpis", ids="requests_new,csat", **{"from": "2026-03-01", "to": "2026-03-31"})
        .json()
    )

    assert body["kpis"]["requests_new"] == {"total": {"value": 2}}
    assert body["kpis"]["csat"]["total"]["value"] == 3.5


def test_the_catalogue_lists_the_service_kpis_with_their_units(db, personas):
    catalogue = {e["id"]: e for e in ApiClient(personas.head).get("/kpis/catalogue").json()}

    assert {k: catalogue[k]["unit"] for k in SERVICE} == {
        "requests_new": "count", "first_response_minutes": "minutes",
        "request_handling_hours": "hours", "sla_breach_rate": "ratio",
        "complaints_resolution_rate": "ratio", "csat": "score",
    }  # fmt: skip
    assert catalogue["csat"]["groupings"] == [
        "manager", "team", "product", "client", "category", "day", "week", "month", "quarter",
    ]  # fmt: skip


def _command(capsys, *args: str) -> str:
    from voronka.cli import main

    code = main(["kpi", "--from", "2026-03-01", "--to", "2026-03-31", "--lang", "en", *args])
    out = capsys.readouterr()
    assert code == 0, out.err
    return out.out


def test_the_command_prints_what_the_api_answers(march, personas, capsys):
    api = (
        ApiClient(personas.head)
        .get(
            "/kpis",
            ids=",".join(SERVICE),
            by="category",
            **{"from": "2026-03-01", "to": "2026-03-31"},
        )
        .json()
    )

    printed = _command(capsys, "--ids", ",".join(SERVICE), "--by", "category", "--json",
                       "--as", "head")  # fmt: skip

    assert json.loads(printed) == api


def test_the_command_table_shows_minutes_hours_and_the_score(march, personas, capsys):
    printed = _command(capsys, "--ids", ",".join(SERVICE), "--as", "head")

    assert printed.splitlines() == [
        "Requests received             5",
        "Response time, minutes        52.5 min (median 37.5 min, n=4)",
        "Handling time, hours          38.2 h (median 14.4 h, n=4)",
        "SLA breaches                  50.00% (2 / 4)",
        "Complaints resolved           66.67% (2 / 3)",
        "Customer satisfaction (CSAT)  3.67 (66.67% satisfied, n=3)",
    ]
