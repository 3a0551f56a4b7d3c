"""GET /api/v1/kpis and /api/v1/kpis/catalogue: the report in the catalogue's JSON shape.

The March 2026 dataset, by hand (Moscow time):

* alice (North) wins 100 (created 2 March, won 4 March: 2 days) and 200 (3 → 7 March: 4 days);
* bob (South) wins 300 (1 → 7 March: 6 days) and loses 50 (2 → 10 March);
* alice won 1000 in February, outside the period; alice has one lead of 5 March.

For the head of sales: won revenue 600, 3 won, 1 lost, win rate 3/4 = 0.75, average check
600 / 3 = 200, sales cycle (2 + 4 + 6) / 3 = 4 days, median 4. Alice (and her team lead):
300, 2 won, win rate 2/2, average 150, cycle 3 days. Bob: 300, win rate 1/2.
"""

from __future__ import annotations

import pytest

from tests.analytics.conftest import msk
from tests.api_client import ApiClient, errors
from voronka.analytics.models import DealDayTotal

MARCH = {"from": "2026-03-01", "to": "2026-03-31"}
SALES = "won_revenue,deals_won,deals_lost,win_rate,avg_deal_size,sales_cycle_days"
NO_FILTERS = {"team": None, "manager": None, "pipeline": None, "source": None, "product": None}


@pytest.fixture
def march(world):
    p = world.people
    world.won_deal(p.alice, msk(2026, 3, 2), msk(2026, 3, 4), "100")
    world.won_deal(p.alice, msk(2026, 3, 3), msk(2026, 3, 7), "200")
    world.won_deal(p.bob, msk(2026, 3, 1), msk(2026, 3, 7), "300")
    world.lose(world.deal(p.bob, msk(2026, 3, 2), "50"), msk(2026, 3, 10))
    world.won_deal(p.alice, msk(2026, 2, 10), msk(2026, 2, 20), "1000")
    world.lead(p.alice, msk(2026, 3, 5))
    world.at(msk(2026, 4, 15))
    return world


def kpis(user, **params):
    response = ApiClient(user).get("/kpis", **{**MARCH, **params})
    assert response.status_code == 200, response.content
    return response.json()


def test_the_head_of_sales_gets_the_totals_computed_by_hand(march):
    assert kpis(march.people.head, ids=SALES) == {
        "from": "2026-03-01",
        "to": "2026-03-31",
        "by": None,
        "filters": NO_FILTERS,
        "kpis": {
            "won_revenue": {"total": {"value": 600.0}},
            "deals_won": {"total": {"value": 3}},
            "deals_lost": {"total": {"value": 1}},
            "win_rate": {"total": {"value": 0.75, "numerator": 3, "denominator": 4}},
            "avg_deal_size": {"total": {"value": 200.0, "numerator": 600.0, "denominator": 3}},
            "sales_cycle_days": {"total": {"value": 4.0, "mean": 4.0, "median": 4.0, "count": 3}},
        },
    }


def test_ids_may_be_repeated_and_come_back_once_each_in_the_order_asked(march):
    body = kpis(march.people.head, ids=["win_rate,won_revenue", "win_rate", " deals_won "])

    assert list(body["kpis"]) == ["win_rate", "won_revenue", "deals_won"]


def test_without_ids_every_kpi_of_the_catalogue_is_computed(march):
    catalogue = ApiClient(march.people.head).get("/kpis/catalogue").json()

    body = kpis(march.people.head)

    assert list(body["kpis"]) == [entry["id"] for entry in catalogue]
    assert body["kpis"]["won_revenue"] == {"total": {"value": 600.0}}
    assert body["kpis"]["leads_new"] == {"total": {"value": 1}}


def test_groups_by_manager_add_up_to_the_total(march):
    p = march.people

    body = kpis(p.head, ids="won_revenue,deals_won,win_rate", by="manager")

    alice, bob = str(p.alice.pk), str(p.bob.pk)
    assert body["by"] == "manager"
    assert body["kpis"]["won_revenue"] == {
        "total": {"value": 600.0},
        "groups": [
            {"key": alice, "label": "Алиса Иванова", "value": 300.0},
            {"key": bob, "label": "Борис Петров", "value": 300.0},
        ],
    }
    assert body["kpis"]["win_rate"]["groups"] == [
        {"key": alice, "label": "Алиса Иванова", "value": 1.0, "numerator": 2, "denominator": 2},
        {"key": bob, "label": "Борис Петров", "value": 0.5, "numerator": 1, "denominator": 2},
    ]
    for kpi_id in ("won_revenue", "deals_won"):
        result = body["kpis"][kpi_id]
        assert sum(g["value"] for g in result["groups"]) == result["total"]["value"]


def test_groups_by_month_list_the_month_with_its_stable_key(march):
    body = kpis(march.people.head, ids="won_revenue", by="month")

    assert body["kpis"]["won_revenue"]["groups"] == [
        {"key": "2026-03", "label": "March 2026", "value": 600.0}
    ]


def test_a_kpi_that_cannot_be_grouped_keeps_its_total_and_has_no_groups(march):
    body = kpis(march.people.head, ids="funnel", by="manager")

    funnel = body["kpis"]["funnel"]
    assert funnel["groups"] == []
    # Deals created in March: 100, 200, 300 and 50; the funnel's stages come along.
    assert funnel["total"]["value"] == 4
    assert funnel["total"]["lost"] == 1
    assert [s["reached"] for s in funnel["total"]["stages"]] == [4, 0, 0, 0, 3]


def test_a_manager_sees_only_her_own_numbers(march):
    body = kpis(march.people.alice, ids=SALES, by="manager")["kpis"]

    assert body["won_revenue"] == {
        "total": {"value": 300.0},
        "groups": [{"key": str(march.people.alice.pk), "label": "Алиса Иванова", "value": 300.0}],
    }
    assert body["deals_lost"]["total"] == {"value": 0}
    assert body["win_rate"]["total"] == {"value": 1.0, "numerator": 2, "denominator": 2}
    assert body["avg_deal_size"]["total"] == {"value": 150.0, "numerator": 300.0, "denominator": 2}
    assert body["sales_cycle_days"]["total"] == {
        "value": 3.0, "mean": 3.0, "median": 3.0, "count": 2
    }  # fmt: skip


def test_a_team_lead_sees_the_team_and_not_the_other_team(march):
    body = kpis(march.people.lead, ids="won_revenue,win_rate", by="team")["kpis"]

    north = str(march.people.alice.team_id)
    assert body["won_revenue"] == {
        "total": {"value": 300.0},
        "groups": [{"key": north, "label": "North", "value": 300.0}],
    }
    assert body["win_rate"]["total"] == {"value": 1.0, "numerator": 2, "denominator": 2}


def test_the_other_team_sees_its_own_loss(march):
    body = kpis(march.people.bob, ids="won_revenue,win_rate")["kpis"]

    assert body["won_revenue"]["total"] == {"value": 300.0}
    assert body["win_rate"]["total"] == {"value": 0.5, "numerator": 1, "denominator": 2}


def test_an_outsider_gets_zeros_and_nulls_with_their_reasons(march):
    body = kpis(march.people.outsider, ids=SALES + ",leads_new")["kpis"]

    assert body == {
        "won_revenue": {"total": {"value": 0.0}},
        "deals_won": {"total": {"value": 0}},
        "deals_lost": {"total": {"value": 0}},
        "win_rate": {
            "total": {
                "value": None,
                "reason": "no deals closed in the period",
                "numerator": 0,
                "denominator": 0,
            }
        },
        "avg_deal_size": {
            "total": {
                "value": None,
                "reason": "no deals won in the period",
                "numerator": 0.0,
                "denominator": 0,
            }
        },
        "sales_cycle_days": {
            "total": {
                "value": None,
                "reason": "no deals won in the period",
                "mean": None,
                "median": None,
                "count": 0,
            }
        },
        "leads_new": {"total": {"value": 0}},
    }


def test_a_support_agent_reads_deals_but_not_leads(march):
    body = kpis(march.people.support, ids="won_revenue,leads_new")["kpis"]

    assert body["won_revenue"]["total"] == {"value": 600.0}
    assert body["leads_new"]["total"] == {"value": 0}


def test_filters_narrow_the_report_and_come_back_in_it(march):
    p = march.people

    by_manager = kpis(p.head, ids="won_revenue", manager=p.bob.pk)
    by_team = kpis(p.head, ids="won_revenue", team=p.alice.team_id)
    by_pipeline = kpis(p.head, ids="won_revenue,leads_new", pipeline=march.pipeline.pk)

    assert by_manager["filters"] == {**NO_FILTERS, "manager": p.bob.pk}
    assert by_manager["kpis"]["won_revenue"]["total"] == {"value": 300.0}
    assert by_team["filters"] == {**NO_FILTERS, "team": p.alice.team_id}
    assert by_team["kpis"]["won_revenue"]["total"] == {"value": 300.0}
    assert by_pipeline["kpis"]["won_revenue"]["total"] == {"value": 600.0}
    assert by_pipeline["kpis"]["leads_new"]["total"] == {
        "value": None,
        "reason": "leads belong to no pipeline; remove the pipeline filter",
    }


def test_a_token_works_like_a_session(march):
    from voronka.accounts.services import api_token_create

    _token, raw = api_token_create(actor=march.people.alice, name="reports")

    response = ApiClient(token=raw).get("/kpis", ids="won_revenue", **MARCH)

    assert response.status_code == 200
    assert response.json()["kpis"]["won_revenue"]["total"] == {"value": 300.0}


def test_without_a_token_or_a_session_the_answer_is_401(march):
    response = ApiClient().get("/kpis", ids="won_revenue", **MARCH)

    assert response.status_code == 401
    assert response.json() == {"detail": "Unauthorized"}
    assert ApiClient().get("/kpis/catalogue").status_code == 401


def test_a_report_reads_nothing_into_the_rollups(march):
    before = list(DealDayTotal.objects.order_by("pk").values())

    kpis(march.people.head)

    assert list(DealDayTotal.objects.order_by("pk").values()) == before


def test_a_report_of_every_kpi_takes_a_bounded_number_of_queries(
    march, django_assert_max_num_queries
):
    client = ApiClient(march.people.head)

    with django_assert_max_num_queries(45):
        response = client.get("/kpis", **MARCH)
    with django_assert_max_num_queries(75):
        grouped = client.get("/kpis", by="manager", **MARCH)

    assert response.status_code == 200
    assert grouped.status_code == 200


# --- Refusals: 422 naming the parameter --------------------------------------------------------


def refusal(user, **params):
    response = ApiClient(user).get("/kpis", **params)
    assert response.status_code == 422, response.content
    return errors(response)


def test_an_unknown_kpi_is_refused_listing_the_valid_ids(march):
    found = refusal(march.people.head, ids="won_revenue,nonsense", **MARCH)

    assert list(found) == ["ids"]
    message = found["ids"][0]
    assert message.startswith("Unknown KPI: nonsense. Valid ids: leads_new, lead_to_deal_rate, ")
    assert ", won_revenue, " in message


def test_an_unknown_grouping_is_refused(march):
    assert list(refusal(march.people.head, by="weekday", **MARCH)) == ["by"]


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"from": "2026-13-01", "to": "2026-03-31"}, "from"),
        ({"from": "yesterday", "to": "2026-03-31"}, "from"),
        ({"from": "2026-03-01", "to": "31.03.2026"}, "to"),
        ({"to": "2026-03-31"}, "from"),
        ({"from": "2026-03-01"}, "to"),
        ({"from": "0001-01-01", "to": "0001-01-02"}, "from"),
        ({"from": "9999-12-30", "to": "9999-12-31"}, "from"),
    ],
)
def test_a_missing_or_bad_date_is_refused_naming_it(march, params, field):
    assert field in refusal(march.people.head, **params)


def test_a_period_that_ends_before_it_starts_is_refused(march):
    found = refusal(march.people.head, **{"from": "2026-03-31", "to": "2026-03-01"})

    assert found == {"to": ["The period ends before it starts."]}


def test_a_period_longer_than_five_years_is_refused_but_five_years_is_fine(march):
    head = march.people.head
    # 1 January 2021 to 4 January 2026, both included: 1826 + 4 = 1830 days.
    longest = {"from": "2021-01-01", "to": "2026-01-04"}

    found = refusal(head, **{"from": "2021-01-01", "to": "2026-01-05"})

    assert found == {"to": ["The period is longer than 1830 days."]}
    assert ApiClient(head).get("/kpis", ids="won_revenue", **longest).status_code == 200


@pytest.mark.parametrize("field", ["team", "manager", "pipeline", "source", "product"])
def test_a_filter_naming_nothing_is_refused_naming_the_filter(march, field):
    found = refusal(march.people.head, ids="won_revenue", **{field: 987654}, **MARCH)

    assert list(found) == [field]


def test_a_filter_that_is_not_a_number_is_refused(march):
    assert list(refusal(march.people.head, team="North", **MARCH)) == ["team"]


def test_a_colleague_who_left_may_be_named_by_the_head_but_not_by_a_manager(march):
    from voronka.accounts.services import user_create

    gone = user_create(username="gone", password="long-enough-1", role="manager")
    gone.is_active = False
    gone.save(update_fields=["is_active"])

    assert refusal(march.people.alice, manager=gone.pk, **MARCH) == {"manager": ["No such user."]}
    assert kpis(march.people.head, ids="won_revenue", manager=gone.pk)["kpis"] == {
        "won_revenue": {"total": {"value": 0.0}}
    }


def test_a_pipeline_switched_off_is_a_filter_for_the_head_only(march):
    from voronka.sales.services import pipeline_create, pipeline_update

    old = pipeline_create(actor=march.people.admin, name="Старая", stages=[{"name": "Новая"}])
    pipeline_update(actor=march.people.admin, pipeline=old, data={"is_active": False})

    assert refusal(march.people.alice, pipeline=old.pk, **MARCH) == {
        "pipeline": ["No such pipeline."]
    }
    assert kpis(march.people.head, ids="deals_won", pipeline=old.pk)["kpis"] == {
        "deals_won": {"total": {"value": 0}}
    }


# --- The catalogue -----------------------------------------------------------------------------


def test_the_catalogue_describes_each_kpi_and_its_groupings(personas):
    catalogue = ApiClient(personas.alice).get("/kpis/catalogue").json()

    by_id = {entry["id"]: entry for entry in catalogue}
    assert by_id["won_revenue"] == {
        "id": "won_revenue",
        "label": "Won revenue",
        "unit": "money",
        "groupings": [
            "manager", "team", "source", "product", "pipeline", "stage", "client",
            "day", "week", "month", "quarter",
        ],
    }  # fmt: skip
    assert by_id["leads_new"]["groupings"] == [
        "manager", "team", "source", "product", "day", "week", "month", "quarter",
    ]  # fmt: skip
    assert by_id["funnel"] == {
        "id": "funnel", "label": "Sales funnel", "unit": "table", "groupings": []
    }  # fmt: skip
    assert by_id["win_rate"]["unit"] == "ratio"
    assert by_id["sales_cycle_days"]["unit"] == "days"
    assert by_id["activities_logged"]["unit"] == "count"


def test_the_schema_documents_the_report_and_its_refusals(db):
    from django.test import Client

    schema = Client().get("/api/v1/openapi.json").json()
    report = schema["paths"]["/api/v1/kpis"]["get"]

    assert {"200", "401", "422"} <= set(report["responses"])
    assert "won_revenue,win_rate" in report["description"]
    names = [p["name"] for p in report["parameters"]]
    assert names == ["ids", "from", "to", "by", "team", "manager", "pipeline", "source", "product"]
    assert set(schema["components"]["schemas"]["ReportOut"]["properties"]) == {
        "from", "to", "by", "filters", "kpis"
    }  # fmt: skip
