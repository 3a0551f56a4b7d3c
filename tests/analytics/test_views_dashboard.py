"""The head of sales' dashboard and a manager's own numbers, on a small dataset by hand.

January: alice wins 40 000. February (the period looked at): alice wins 100 000
(created 2 Feb, won 12 Feb) and loses one deal; bob wins 50 000 (created 4 Feb, won
24 Feb) and has an open deal of 7 000 expected on 20 Feb (overdue at the end of February).
Leads in February: alice's from «Сайт», bob's with no source. The clock stands at 2 March.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.urls import reverse

from tests.analytics.conftest import msk

pytestmark = pytest.mark.django_db

FEBRUARY = {"period": "custom", "from": "2026-02-01", "to": "2026-02-28"}
DASHBOARD = reverse("analytics:dashboard")
MINE = reverse("analytics:my-dashboard")


@pytest.fixture
def sales(world):
    p = world.people
    world.won_deal(p.alice, msk(2026, 1, 5), msk(2026, 1, 15), "40000", title="Январская")
    alice_won = world.won_deal(p.alice, msk(2026, 2, 2), msk(2026, 2, 12), "100000", title="Станки")
    alice_lost = world.deal(p.alice, msk(2026, 2, 3), "30000", title="Проигранная")
    world.lose(alice_lost, msk(2026, 2, 10))
    bob_won = world.won_deal(p.bob, msk(2026, 2, 4), msk(2026, 2, 24), "50000", title="Прессы")
    overdue = world.deal(
        p.bob, msk(2026, 2, 5), "7000", title="Зависшая", expected_close_date=date(2026, 2, 20)
    )
    world.lead(p.alice, msk(2026, 2, 6), source=world.source)
    world.lead(p.bob, msk(2026, 2, 7))
    world.at(msk(2026, 3, 2, 10))
    return {"alice_won": alice_won, "bob_won": bob_won, "overdue": overdue}


def get(client, user, url=DASHBOARD, params=None, language="en"):
    client.force_login(user)
    return client.get(url, params or {}, HTTP_ACCEPT_LANGUAGE=language)


def tiles(response):
    return {t.kpi: t for t in response.context["board"].tiles}


def values(table):
    """A dashboard table as {row label: [headline values]}."""
    return {row.label: [cell.raw for cell in row.cells] for row in table.rows}


# Who may see what ------------------------------------------------------------------------------


def test_the_head_of_sales_sees_the_dashboard(client, personas, sales):
    response = get(client, personas.head, params=FEBRUARY)

    assert response.status_code == 200
    assert response.templates[0].name == "analytics/dashboard.html"


def test_a_manager_is_sent_to_their_own_dashboard_with_the_same_filters(client, personas):
    response = get(client, personas.alice, params={"period": "last_month"})

    assert response.status_code == 302
    assert response["Location"] == f"{MINE}?period=last_month"


@pytest.mark.parametrize("url", [DASHBOARD, MINE])
def test_a_support_agent_may_not_read_the_sales_figures(client, personas, url):
    response = get(client, personas.support, url)

    assert response.status_code == 403


@pytest.mark.parametrize("url", [DASHBOARD, MINE])
def test_a_visitor_is_asked_to_log_in(client, url):
    response = client.get(url)

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


@pytest.mark.parametrize(("persona", "target"), [
    ("head", "analytics:dashboard"), ("admin", "analytics:dashboard"),
    ("alice", "activities:my-day"), ("support", "sales:board"),
])  # fmt: skip
def test_the_start_page_of_the_head_of_sales_is_the_dashboard(client, personas, persona, target):
    client.force_login(getattr(personas, persona))

    response = client.get(reverse("core:home"))

    assert response["Location"] == reverse(target)


def test_the_menu_offers_the_dashboard_to_everyone_but_support(client, personas):
    link = f'href="{DASHBOARD}"'

    head_page = get(client, personas.head, reverse("sales:deal-list")).content.decode()
    alice_page = get(client, personas.alice, reverse("sales:deal-list")).content.decode()
    support_page = get(client, personas.support, reverse("sales:deal-list")).content.decode()

    assert link in head_page
    assert link in alice_page
    assert link not in support_page


# The numbers -----------------------------------------------------------------------------------


def test_the_tiles_show_the_periods_numbers_and_the_change_against_january(client, personas, sales):
    response = get(client, personas.head, params=FEBRUARY)

    shown = tiles(response)
    assert shown["won_revenue"].value.value == Decimal("150000.00")
    assert shown["won_revenue"].previous.value == Decimal("40000.00")
    assert shown["won_revenue"].change.amount == 2.75  # (150 000 − 40 000) ÷ 40 000
    assert shown["won_revenue"].change.good is True
    assert shown["deals_won"].value.value == 2
    assert shown["deals_won"].change.amount == 1.0  # two against one
    assert shown["win_rate"].value.value == 0.6667  # 2 won of 3 closed
    assert shown["win_rate"].previous.value == 1.0
    assert shown["win_rate"].change.unit == "pp"
    assert shown["win_rate"].change.amount == -33.33
    assert shown["win_rate"].change.good is False
    assert shown["avg_deal_size"].value.value == Decimal("75000.00")
    assert shown["avg_deal_size"].change.amount == 0.875  # 75 000 against 40 000
    assert shown["sales_cycle_days"].value.value == 15.0  # 10 and 20 days
    assert shown["sales_cycle_days"].value.median == 15.0
    assert shown["leads_new"].value.value == 2
    assert shown["overdue_deals"].value.value == 1
    assert shown["open_pipeline_value"].value.value == Decimal("7000.00")
    assert shown["lead_conversion_rate"].value.value == 0.0


def test_the_tiles_read_as_numbers_with_arrows_and_percentage_points(client, personas, sales):
    html = get(client, personas.head, params=FEBRUARY).content.decode()

    revenue = html[html.index('id="tile-won_revenue"') :][:1500]
    assert "150,000.00\xa0₽" in revenue
    assert "+275.0 %" in revenue
    assert "bi-arrow-up" in revenue
    assert "40,000.00\xa0₽" in revenue
    win_rate = html[html.index('id="tile-win_rate"') :][:1500]
    assert "66.7 %" in win_rate
    assert "−33.3 p.p." in win_rate
    assert "bi-arrow-down" in win_rate
    cycle = html[html.index('id="tile-sales_cycle_days"') :][:1500]
    assert "15.0 d" in cycle
    assert "median: 15.0 d" in cycle


def test_in_russian_money_and_percentages_use_russian_separators(client, personas, sales):
    html = get(client, personas.head, params=FEBRUARY, language="ru").content.decode()

    revenue = html[html.index('id="tile-won_revenue"') :][:1500]
    assert "150\xa0000,00\xa0₽" in revenue
    win_rate = html[html.index('id="tile-win_rate"') :][:1500]
    assert "66,7" in win_rate


def test_an_undefined_value_is_a_dash_with_its_reason_never_zero(client, personas, sales):
    response = get(
        client, personas.head, params={"period": "custom", "from": "2026-02-25", "to": "2026-02-25"}
    )

    win_rate = tiles(response)["win_rate"]
    assert win_rate.value.value is None
    html = response.content.decode()
    tile = html[html.index('id="tile-win_rate"') :][:800]
    assert f'title="{win_rate.reason}"' in tile
    assert "—" in tile


def test_the_funnel_counts_the_deals_created_in_february_by_stage(client, personas, sales):
    response = get(client, personas.head, params=FEBRUARY)

    funnel = response.context["board"].funnel
    assert funnel.created.value == 4
    assert funnel.lost == 1
    reached = values(funnel.table)
    assert reached["Новая"][0] == 4
    assert reached["Новая"][1] == 0.0  # nobody moved on to qualification
    assert reached["Успешно реализовано"][0] == 2
    html = response.content.decode()
    assert 'id="dash-funnel-chart"' in html
    assert 'id="dash-funnel-data"' in html


def test_won_revenue_over_time_is_weekly_for_a_month_with_empty_weeks_as_zero(
    client, personas, sales
):
    response = get(client, personas.head, params=FEBRUARY)

    timeline = response.context["board"].timeline
    assert timeline.bucket == "week"
    assert timeline.chart["keys"] == ["2026-W05", "2026-W06", "2026-W07", "2026-W08", "2026-W09"]
    assert timeline.chart["revenue"] == [0.0, 0.0, 100000.0, 0.0, 50000.0]
    assert timeline.chart["deals"] == [0, 0, 1, 0, 1]


def test_the_time_axis_switches_to_months_on_request(client, personas, sales):
    params = {"period": "custom", "from": "2026-01-01", "to": "2026-02-28", "bucket": "month"}

    timeline = get(client, personas.head, params=params).context["board"].timeline

    assert timeline.chart["keys"] == ["2026-01", "2026-02"]
    assert timeline.chart["revenue"] == [40000.0, 150000.0]


def test_the_leaderboard_lists_each_manager_with_their_numbers(client, personas, sales):
    board = get(client, personas.head, params=FEBRUARY).context["board"]

    rows = values(board.leaderboard)
    columns = [c.key for c in board.leaderboard.columns]
    alice = dict(zip(columns, rows["Алиса Иванова"], strict=True))
    bob = dict(zip(columns, rows["Борис Петров"], strict=True))
    assert [r.label for r in board.leaderboard.rows][:2] == ["Алиса Иванова", "Борис Петров"]
    assert alice["won_revenue"] == Decimal("100000.00")
    assert alice["deals_won"] == 1
    assert alice["win_rate"] == 0.5
    assert alice["sales_cycle_days"] == 10.0
    assert bob["won_revenue"] == Decimal("50000.00")
    assert bob["win_rate"] == 1.0
    assert bob["sales_cycle_days"] == 20.0


def test_the_sources_table_counts_leads_and_deals_per_source(client, personas, sales):
    board = get(client, personas.head, params=FEBRUARY).context["board"]

    rows = values(board.sources)
    assert rows["Сайт"] == [1, 0.0, 0, Decimal("0.00")]
    assert rows["No source"] == [1, 0.0, 2, Decimal("150000.00")]


def test_the_overdue_deals_list_links_to_the_deal_card(client, personas, sales):
    response = get(client, personas.head, params=FEBRUARY)

    assert [d.pk for d in response.context["board"].overdue] == [sales["overdue"].pk]
    html = response.content.decode()
    assert reverse("sales:deal-detail", args=[sales["overdue"].pk]) in html


def test_a_team_lead_sees_only_the_numbers_of_their_team(client, personas, sales):
    response = get(client, personas.lead, params=FEBRUARY)

    shown = tiles(response)
    assert shown["won_revenue"].value.value == Decimal("100000.00")
    assert shown["deals_won"].value.value == 1
    assert shown["win_rate"].value.value == 0.5
    assert shown["overdue_deals"].value.value == 0
    board = response.context["board"]
    assert "Борис Петров" not in values(board.leaderboard)
    assert board.overdue == []
    assert "Прессы" not in response.content.decode()


@pytest.mark.parametrize(("filters", "revenue"), [
    ({"manager": "bob"}, Decimal("50000.00")),
    ({"team": "North"}, Decimal("100000.00")),
])  # fmt: skip
def test_filters_narrow_the_numbers(client, personas, sales, filters, revenue):
    from voronka.accounts.models import Team

    params = dict(FEBRUARY)
    if "manager" in filters:
        params["manager"] = str(personas.bob.pk)
    if "team" in filters:
        params["team"] = str(Team.objects.get(name=filters["team"]).pk)

    response = get(client, personas.head, params=params)

    assert tiles(response)["won_revenue"].value.value == revenue
    assert response.context["form"].errors == {}


def test_wrong_filters_are_reported_and_the_page_uses_the_defaults(client, personas, sales):
    params = {"period": "custom", "from": "2026-02-28", "to": "2026-02-01", "manager": "999999"}

    response = get(client, personas.head, params=params)

    assert response.status_code == 200
    form = response.context["form"]
    assert set(form.errors) == {"to", "manager"}
    choice = response.context["choice"]
    # This month (March, by the clock), for everyone.
    assert (choice.period.start, choice.period.end) == (date(2026, 3, 1), date(2026, 3, 31))
    assert choice.filters.manager is None
    html = response.content.decode()
    assert "The period ends before it starts." in html
    assert "is-invalid" in html


def test_a_quiet_period_says_so_and_suggests_a_wider_one(client, personas, sales):
    response = get(client, personas.head, params={"period": "this_month"})

    assert response.context["board"].quiet is True
    html = response.content.decode()
    assert 'id="dash-quiet"' in html
    assert "period=last_12_months" in html


def test_the_dashboard_makes_a_bounded_number_of_queries(
    client, personas, sales, django_assert_max_num_queries
):
    client.force_login(personas.head)

    with django_assert_max_num_queries(65):
        response = client.get(DASHBOARD, FEBRUARY)

    assert response.status_code == 200


# A manager's own numbers ---------------------------------------------------------------------


def test_a_manager_sees_their_own_numbers(client, personas, sales):
    response = get(client, personas.alice, MINE, FEBRUARY)

    assert response.status_code == 200
    shown = tiles(response)
    assert shown["won_revenue"].value.value == Decimal("100000.00")
    assert shown["win_rate"].value.value == 0.5
    assert response.context["person"] == personas.alice
    assert "Прессы" not in response.content.decode()


def test_a_manager_cannot_open_someone_elses_numbers(client, personas, sales):
    response = get(client, personas.bob, MINE, {**FEBRUARY, "manager": personas.alice.pk})

    assert response.status_code == 200
    assert response.context["person"] == personas.bob
    assert tiles(response)["won_revenue"].value.value == Decimal("50000.00")
    assert "Станки" not in response.content.decode()


def test_a_team_lead_sees_their_own_numbers_not_the_teams(client, personas, sales):
    response = get(client, personas.lead, MINE, FEBRUARY)

    assert response.context["person"] == personas.lead
    assert tiles(response)["won_revenue"].value.value == Decimal("0.00")


def test_a_team_lead_opens_a_team_members_numbers_but_not_an_outsiders(client, personas, sales):
    member = get(client, personas.lead, MINE, {**FEBRUARY, "manager": personas.alice.pk})
    other = get(client, personas.lead, MINE, {**FEBRUARY, "manager": personas.bob.pk})

    assert tiles(member)["won_revenue"].value.value == Decimal("100000.00")
    assert other.context["person"] == personas.lead
    assert "manager" in other.context["form"].errors
    assert tiles(other)["won_revenue"].value.value == Decimal("0.00")


def test_the_head_of_sales_opens_any_managers_page(client, personas, sales):
    response = get(client, personas.head, MINE, {**FEBRUARY, "manager": personas.bob.pk})

    assert response.context["person"] == personas.bob
    shown = tiles(response)
    assert shown["won_revenue"].value.value == Decimal("50000.00")
    assert shown["overdue_deals"].value.value == 1
    assert [d.pk for d in response.context["board"].overdue] == [sales["overdue"].pk]
    assert "Numbers of Борис Петров" in response.content.decode()


def test_the_head_of_sales_without_a_manager_is_asked_to_choose_one(client, personas, sales):
    response = get(client, personas.head, MINE, FEBRUARY)

    assert response.context["person"] is None
    assert 'id="dash-choose"' in response.content.decode()


def test_a_leaderboard_row_links_to_that_managers_page(client, personas, sales):
    board = get(client, personas.head, params=FEBRUARY).context["board"]

    row = next(r for r in board.leaderboard.rows if r.key == str(personas.alice.pk))
    assert row.url.startswith(MINE + "?")
    assert f"manager={personas.alice.pk}" in row.url


def test_a_managers_page_makes_a_bounded_number_of_queries(
    client, personas, sales, django_assert_max_num_queries
):
    client.force_login(personas.alice)

    with django_assert_max_num_queries(50):
        response = client.get(MINE, FEBRUARY)

    assert response.status_code == 200
