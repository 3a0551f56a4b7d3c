"""The plan page: the grid of targets, saving it, and plan vs fact."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from django.utils import timezone

from tests import factories
from voronka.analytics.models import SalesPlan
from voronka.analytics.services import plan_set
from voronka.sales import services as sales_services

MSK = ZoneInfo("Europe/Moscow")
URL = reverse("analytics:plans")
# The first quarter of 2025 is over, so every cell shows its fact.
Q1 = {"metric": "won_revenue", "year": "2025", "kind": "month", "q": "1"}


def plans():
    return sorted(
        SalesPlan.objects.values_list(
            "metric", "period_start", "manager__username", "team__name", "target", "version"
        ),
        key=str,
    )


def set_target(actor, target, *, start=date(2025, 2, 1), **who):
    return plan_set(actor=actor, metric="won_revenue", period_kind="month", period_start=start,
                    target=target, **who)  # fmt: skip


def cell(who, start):
    return f"{who}-{start.isoformat()}"


def grid_post(rows, **extra):
    """A posted grid: ``rows`` maps a cell name to (new value, original value, version)."""
    data = dict(Q1)
    for name, (value, original, version) in rows.items():
        data[f"t-{name}"] = value
        data[f"o-{name}"] = original
        data[f"v-{name}"] = str(version)
    data.update(extra)
    return data


@pytest.fixture
def won_in_february(personas, stages, monkeypatch):
    """alice won 30 000 on 10 February 2025; her target for February is 120 000."""
    moment = datetime(2025, 2, 10, 12, tzinfo=MSK)
    monkeypatch.setattr(timezone, "now", lambda: moment)
    deal = factories.deal(personas.alice, amount=Decimal("30000"))
    sales_services.deal_move_stage(actor=personas.alice, deal=deal, stage=stages["won"], version=1)
    monkeypatch.undo()
    set_target(personas.head, "120000", manager=personas.alice)
    return deal


def test_the_head_sees_teams_with_their_managers_and_each_cell_with_fact_and_fulfilment(
    client, personas, won_in_february, django_assert_max_num_queries
):
    client.force_login(personas.head)
    with django_assert_max_num_queries(40):
        page = client.get(URL, Q1)
    assert page.status_code == 200
    html = page.content.decode()
    rows = [r.key for r in page.context["rows"]]
    assert rows == [
        f"t{personas.lead.team_id}", f"m{personas.alice.pk}", f"m{personas.lead.pk}",
        f"t{personas.bob.team_id}", f"m{personas.bob.pk}",
        f"t{personas.outsider.team_id}", f"m{personas.outsider.pk}",
    ]  # fmt: skip
    alice = next(r for r in page.context["rows"] if r.key == f"m{personas.alice.pk}")
    february = alice.cells[1]
    assert (february.value, february.version) == ("120000", 1)
    assert (february.fact.text, february.fulfilment.text) == ("30\xa0000,00\xa0₽", "25,0\xa0%")
    assert alice.cells[0].fulfilment is None  # no target for January
    assert f'name="t-{cell("m" + str(personas.alice.pk), date(2025, 2, 1))}"' in html
    assert 'id="plan-save"' in html
    # Plan vs fact of the quarter: alice's target, fact and fulfilment.
    line = next(x for x in page.context["pvf"]["sections"][1]["lines"]
                if x["label"] == "Алиса Иванова")  # fmt: skip
    assert (line["target"].text, line["fact"].text, line["fulfilment"].text) == (
        "120\xa0000,00\xa0₽", "30\xa0000,00\xa0₽", "25,0\xa0%",
    )  # fmt: skip


def test_the_page_costs_the_same_queries_for_more_managers(
    client, personas, won_in_february, django_assert_max_num_queries
):
    from voronka.accounts.services import user_create

    client.force_login(personas.head)
    for n in range(10):
        user = user_create(username=f"m{n}", password="x-Y-z-12345", role="manager",
                           team=personas.bob.team)  # fmt: skip
        set_target(personas.head, "100", manager=user)
    with django_assert_max_num_queries(40):
        assert client.get(URL, Q1).status_code == 200


def test_a_manager_sees_only_their_own_row_read_only(client, personas, won_in_february):
    client.force_login(personas.alice)
    page = client.get(URL, Q1)
    assert [r.key for r in page.context["rows"]] == [f"m{personas.alice.pk}"]
    html = page.content.decode()
    assert 'id="plan-save"' not in html
    assert 'name="t-' not in html
    assert "120000" in html


def test_the_support_agent_sees_no_plans(client, personas, won_in_february):
    client.force_login(personas.support)
    page = client.get(URL, Q1)
    assert page.status_code == 200
    assert 'id="plan-empty"' in page.content.decode()


def test_the_head_saves_two_cells_of_the_grid_at_once(client, personas):
    client.force_login(personas.head)
    alice, south = f"m{personas.alice.pk}", f"t{personas.bob.team_id}"
    data = grid_post({
        cell(alice, date(2025, 1, 1)): ("150 000", "", 0),
        cell(south, date(2025, 3, 1)): ("400000,50", "", 0),
        cell(alice, date(2025, 2, 1)): ("", "", 0),  # unchanged: not saved
    })  # fmt: skip
    answer = client.post(URL, data)
    assert answer.status_code == 302
    assert answer["Location"] == f"{URL}?metric=won_revenue&year=2025&kind=month&q=1"
    assert plans() == sorted([
        ("won_revenue", date(2025, 1, 1), "alice", None, Decimal("150000.00"), 1),
        ("won_revenue", date(2025, 3, 1), None, "South", Decimal("400000.50"), 1),
    ], key=str)  # fmt: skip


def test_an_htmx_save_answers_with_the_grid(client, personas):
    client.force_login(personas.lead)
    alice = f"m{personas.alice.pk}"
    data = grid_post({cell(alice, date(2025, 1, 1)): ("10", "", 0)})
    answer = client.post(URL, data, headers={"HX-Request": "true"})
    assert answer.status_code == 200
    assert 'id="plan-saved"' in answer.content.decode()
    assert [p[2] for p in plans()] == ["alice"]


def test_a_manager_posting_a_target_is_refused_and_nothing_changes(client, personas):
    set_target(personas.head, "100", manager=personas.alice)
    before = plans()
    client.force_login(personas.alice)
    alice = f"m{personas.alice.pk}"
    answer = client.post(URL, grid_post({cell(alice, date(2025, 2, 1)): ("999999", "100", 1)}))
    assert answer.status_code == 403
    assert plans() == before


def test_a_team_lead_posting_another_teams_cell_is_refused_and_nothing_changes(client, personas):
    client.force_login(personas.lead)
    alice, bob = f"m{personas.alice.pk}", f"m{personas.bob.pk}"
    answer = client.post(URL, grid_post({
        cell(alice, date(2025, 1, 1)): ("10", "", 0),
        cell(bob, date(2025, 1, 1)): ("10", "", 0),  # not a row the lead sees: ignored
    }))  # fmt: skip
    # Bob's row is not on the lead's grid, so only alice's cell is read.
    assert answer.status_code == 302
    assert [p[2] for p in plans()] == ["alice"]


def test_a_conflict_keeps_the_input_and_says_so_and_nothing_is_saved(client, personas):
    set_target(personas.head, "100", manager=personas.alice)
    set_target(personas.lead, "200", manager=personas.alice, start=date(2025, 2, 1))  # now v2
    before = plans()
    client.force_login(personas.head)
    alice = f"m{personas.alice.pk}"
    answer = client.post(URL, grid_post({
        cell(alice, date(2025, 1, 1)): ("50", "", 0),
        cell(alice, date(2025, 2, 1)): ("300", "100", 1),
    }), headers={"HX-Request": "true"})  # fmt: skip
    assert answer.status_code == 409
    html = answer.content.decode()
    assert 'id="plan-conflict"' in html
    assert 'value="300"' in html and 'value="50"' in html
    assert plans() == before


def test_an_invalid_cell_is_marked_and_nothing_is_saved(client, personas):
    client.force_login(personas.head)
    alice, bob = f"m{personas.alice.pk}", f"m{personas.bob.pk}"
    answer = client.post(URL, grid_post({
        cell(alice, date(2025, 1, 1)): ("50", "", 0),
        cell(bob, date(2025, 1, 1)): ("-3", "", 0),
    }))  # fmt: skip
    assert answer.status_code == 422
    html = answer.content.decode()
    assert "План не может быть отрицательным." in html  # the default language is Russian
    assert 'id="plan-errors"' in html
    assert plans() == []


def test_quarter_targets_and_the_russian_page(client, personas):
    plan_set(actor=personas.head, metric="deals_won", period_kind="quarter",
             period_start=date(2025, 4, 1), manager=personas.bob, target="12")  # fmt: skip
    client.force_login(personas.head)
    page = client.get(URL, {"metric": "deals_won", "year": "2025", "kind": "quarter"},
                      headers={"Accept-Language": "ru"})  # fmt: skip
    assert [c.label for c in page.context["columns"]] == [
        "Q1 2025",
        "Q2 2025",
        "Q3 2025",
        "Q4 2025",
    ]
    bob = next(r for r in page.context["rows"] if r.key == f"m{personas.bob.pk}")
    assert [c.value for c in bob.cells] == ["", "12", "", ""]


def test_anonymous_visitors_are_sent_to_log_in(client, db):
    assert client.get(URL).status_code == 302
