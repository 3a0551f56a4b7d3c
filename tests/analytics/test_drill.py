"""Every KPI number leads to a list of exactly the records it counts.

A small history over September and October 2026 (Moscow time): two managers, two
sources, two products, a deal won and reopened, a deal won and then deleted, a deal
closed late, a lead of August and a deal of August won in September. For every KPI
with a record list, its total and its groups (by manager, source, month, product,
stage, client), the list its drill-down link opens shows as many records as the
number counts, and their amounts add up to it where it is money.
"""

from __future__ import annotations

from contextlib import contextmanager
from datetime import UTC, date, datetime
from decimal import Decimal
from unittest import mock
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse

from tests import factories
from voronka.activities import queries as activity_queries
from voronka.activities import services as activity_services
from voronka.activities.forms import ActivityFilterForm
from voronka.analytics import drill
from voronka.analytics.drill import drill_target, drill_url
from voronka.analytics.engine import KPIS, UnknownKpi, compute
from voronka.analytics.periods import Period
from voronka.analytics.scope import Filters
from voronka.sales import services
from voronka.sales.models import Deal, LeadSource, Stage

MSK = ZoneInfo("Europe/Moscow")
CENT = Decimal("0.01")
# Two months in the past: the point-in-time KPIs are read as of the end of October.
AUTUMN = Period(date(2026, 9, 1), date(2026, 10, 31))
# Running into this month (today is in November 2026): point-in-time KPIs are as of now.
TO_DATE = Period(date(2026, 9, 1), date(2026, 11, 30))


def at(month: int, day: int, hour: int = 12, minute: int = 0) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=MSK)


@contextmanager
def clock(when: datetime):
    with mock.patch("django.utils.timezone.now", return_value=when.astimezone(UTC)):
        yield


def fresh(deal: Deal) -> Deal:
    return Deal.all_objects.get(pk=deal.pk)


def move(actor, deal, stage, when, **extra):
    with clock(when):
        deal = fresh(deal)
        return services.deal_move_stage(
            actor=actor, deal=deal, stage=stage, version=deal.version, **extra
        )


def new_deal(owner, when, **data):
    with clock(when):
        return factories.deal(owner, **data)


def qualify(actor, lead, when, **data):
    with clock(when):
        lead.refresh_from_db()
        return services.lead_qualify(actor=actor, lead=lead, version=lead.version, **data)


def new_lead(owner, when, **data):
    with clock(when):
        return factories.lead(owner, **data)


def new_task(assignee, due, **data):
    with clock(at(9, 1, 9)):
        return activity_services.task_create(
            actor=assignee, data={"assignee": assignee, "title": "Задача", "due_at": due, **data}
        )


@pytest.fixture
def history(personas, stages, lost_reason, source):
    """The autumn of Alice (North) and Bob (South); see the module docstring."""
    alice, bob, admin = personas.alice, personas.bob, personas.admin
    web = source
    call = LeadSource.objects.create(name="Звонок", kind="phone")
    p1 = factories.product(admin, name="Станок", price=Decimal("10000.00"))
    p2 = factories.product(admin, name="Сервис", price=Decimal("25000.00"))
    won, lost = stages["won"], stages["lost"]

    l1 = new_lead(alice, at(9, 3), source=web)
    new_lead(alice, at(9, 10))  # no source, never a deal
    l3 = new_lead(bob, at(10, 2), source=call)
    new_lead(bob, at(10, 5), source=web)  # never a deal
    l5 = new_lead(alice, at(10, 20), source=call)
    new_lead(bob, at(8, 25), source=web)  # before the period

    d1 = qualify(alice, l1, at(9, 5), expected_close_date=date(2026, 9, 15))
    with clock(at(9, 5, 13)):
        services.deal_line_add(
            actor=alice, deal=fresh(d1), version=fresh(d1).version,
            line={"product": p1, "quantity": 2},
        )  # fmt: skip
    move(alice, d1, stages["proposal"], at(9, 10))
    move(alice, d1, won, at(9, 20))  # late: expected by 15.09

    d2 = new_deal(alice, at(9, 8), amount=Decimal("50000"), source=web,
                  expected_close_date=date(2026, 10, 10))  # fmt: skip
    move(alice, d2, won, at(10, 3))
    d3 = new_deal(alice, at(9, 12), amount=Decimal("20000"), currency="USD",
                  exchange_rate=Decimal("90"))  # fmt: skip
    move(alice, d3, lost, at(9, 25), lost_reason=lost_reason)

    d4 = qualify(bob, l3, at(10, 3), amount=Decimal("30000"),
                 expected_close_date=date(2026, 10, 1))  # fmt: skip
    move(bob, d4, lost, at(10, 15), lost_reason=lost_reason)  # late
    d5 = new_deal(bob, at(9, 15), source=call, expected_close_date=date(2026, 10, 31),
                  lines=[{"product": p1, "quantity": 1}, {"product": p2, "quantity": 1}])  # fmt: skip
    move(bob, d5, won, at(10, 31, 23, 30))  # the last minutes of the period, Moscow time

    # Won in September and reopened in October: open, counted nowhere as won.
    d6 = new_deal(alice, at(9, 2), amount=Decimal("40000"), source=web,
                  expected_close_date=date(2026, 10, 20))  # fmt: skip
    move(alice, d6, won, at(9, 18))
    move(alice, d6, stages["negotiation"], at(10, 5))

    d7 = qualify(alice, l5, at(10, 21), expected_close_date=date(2026, 11, 30))
    with clock(at(10, 21, 13)):
        services.deal_line_add(
            actor=alice, deal=fresh(d7), version=fresh(d7).version, line={"product": p2}
        )

    # Won, then deleted: never counts.
    d8 = new_deal(bob, at(9, 3), amount=Decimal("99999"), source=web)
    move(bob, d8, won, at(10, 10))
    with clock(at(10, 12)):
        services.deal_delete(actor=bob, deal=fresh(d8), version=fresh(d8).version)

    # A contact with no company is the client; in a proposal at the end of October.
    d9 = new_deal(bob, at(9, 20), amount=Decimal("15000"), client=factories.contact(bob),
                  expected_close_date=date(2026, 10, 25))  # fmt: skip
    move(bob, d9, stages["proposal"], at(9, 25))
    move(bob, d9, stages["negotiation"], at(11, 10))

    d10 = new_deal(bob, at(10, 29), amount=Decimal("5000"), source=web)
    move(bob, d10, won, at(11, 5))
    d11 = new_deal(alice, at(9, 1, 9), amount=Decimal("12000"), source=call)
    move(alice, d11, won, at(10, 30))
    d12 = new_deal(bob, at(8, 20), amount=Decimal("7000"), source=web,
                   expected_close_date=date(2026, 8, 31))  # fmt: skip
    move(bob, d12, won, at(9, 1, 0, 10))  # the first minutes of the period, Moscow time

    # Tasks: done late, done on time, overdue and open, done after the period, cancelled.
    t1 = new_task(alice, at(10, 10, 10))
    with clock(at(10, 12)):
        activity_services.task_complete(actor=alice, task=t1)
    t2 = new_task(alice, at(10, 20))
    with clock(at(10, 18)):
        activity_services.task_complete(actor=alice, task=t2)
    new_task(bob, at(10, 25))
    t4 = new_task(alice, at(10, 30))
    with clock(at(11, 2)):
        activity_services.task_complete(actor=alice, task=t4)
    new_task(bob, at(11, 1))
    t6 = new_task(alice, at(9, 15))
    with clock(at(9, 16)):
        activity_services.task_set_status(
            actor=alice, task=t6, version=t6.version, status="cancelled"
        )

    for actor, kind, when, deal in [
        (alice, "call", at(9, 5), d1), (bob, "meeting", at(10, 3), d4),
        (alice, "note", at(10, 21), d7), (bob, "call", at(11, 3), d9),
    ]:  # fmt: skip
        activity_services.activity_log(
            actor=actor, data={"kind": kind, "occurred_at": when, "deal": deal}
        )
    return {"web": web, "call": call, "p1": p1, "p2": p2, "d9": d9}


# What each KPI's list must show ------------------------------------------------------------


def base_amount(deal: Deal) -> Decimal:
    return (deal.amount * deal.exchange_rate).quantize(CENT)


def listed(client, url: str) -> list:
    response = client.get(url)
    assert response.status_code == 200
    assert response.context["form"].errors == {}
    page = response.context["page"]
    assert page.next_cursor is None  # every record on the one page
    assert page.total == len(page.items)
    return page.items


def client_of(deal: Deal) -> str:
    return f"company:{deal.company_id}" if deal.company_id else f"contact:{deal.contact_id}"


def assert_list_matches(kpi_id: str, value, rows: list) -> None:
    """The rows are the records behind ``value``: their number, or their amounts' sum."""
    unit = KPIS[kpi_id].unit
    if kpi_id in ("lead_to_deal_rate", "lead_conversion_rate"):
        assert len(rows) == value.numerator
    elif kpi_id in ("win_rate", "tasks_on_time_rate"):
        assert len(rows) == value.denominator
    elif kpi_id == "avg_deal_size":
        assert len(rows) == value.denominator
        assert sum((base_amount(d) for d in rows), Decimal(0)) == value.numerator
    elif kpi_id == "revenue_per_client":
        assert sum((base_amount(d) for d in rows), Decimal(0)) == value.numerator
        assert len({client_of(d) for d in rows}) == value.denominator
    elif kpi_id == "weighted_pipeline_value":
        probability = dict(Stage.objects.values_list("pk", "probability"))
        weighted = sum(
            (
                base_amount(d) * probability[getattr(d, "stage_then", d.stage_id)] / 100
                for d in rows
            ),
            Decimal(0),
        )
        assert weighted.quantize(CENT) == value.value
    elif unit == "money":
        assert sum((base_amount(d) for d in rows), Decimal(0)) == value.value
    elif unit == "days":
        assert len(rows) == value.count
    elif kpi_id == "deals_closed_late":
        assert len(rows) == (value.numerator or 0)
    else:
        assert len(rows) == value.value


LISTED_KPIS = [
    "leads_new", "lead_to_deal_rate", "lead_conversion_rate", "deals_won", "deals_lost",
    "win_rate", "won_revenue", "avg_deal_size", "sales_cycle_days", "lead_to_win_days",
    "open_deals", "open_pipeline_value", "weighted_pipeline_value", "overdue_deals",
    "deals_closed_late", "revenue_per_client", "tasks_overdue", "tasks_on_time_rate",
]  # fmt: skip
GROUPINGS = [None, "manager", "source", "month", "product", "stage", "client"]
# Groups of records with no value for the grouping that no list filter selects.
UNLINKED_GROUPS = {"manager", "team", "product", "client"}


def test_every_kpi_with_records_is_checked_here():
    # Plan KPIs compare with a target; their records are those of the metric they plan.
    # Service KPIs list requests, order KPIs orders: test_kpis_service.py and
    # test_kpis_orders.py follow their links.
    with_records = {k.id for k in KPIS.values() if k.records and not k.id.startswith("plan_")
                    and not k.records.startswith(("requests_", "orders_"))}  # fmt: skip
    assert with_records == {*LISTED_KPIS, "funnel", "activities_logged"}


@pytest.mark.parametrize("period", [AUTUMN, TO_DATE], ids=["past", "to-date"])
@pytest.mark.parametrize("who", ["head", "alice"])
def test_each_number_and_group_lists_exactly_its_records(client, personas, history, period, who):
    actor = getattr(personas, who)
    client.force_login(actor)
    pages: dict[str, list] = {}  # several KPIs share a list (won deals): open it once
    checked = 0
    for by in GROUPINGS:
        ids = [k for k in LISTED_KPIS if by is None or by in KPIS[k].groupings]
        report = compute(actor=actor, ids=ids, period=period, by=by)
        for kpi_id in ids:
            result = report[kpi_id]
            rows = [(None, result.total)] if by is None else []
            rows += [(g.key, g.value) for g in result.groups or []]
            for key, value in rows:
                url = drill_url(kpi_id, period, Filters(), by=by, key=key)
                if url is None:
                    assert key is None and by in UNLINKED_GROUPS, (kpi_id, by, key)
                    continue
                if url not in pages:
                    pages[url] = listed(client, url)
                assert_list_matches(kpi_id, value, pages[url])
                checked += 1
    assert checked > 150


@pytest.mark.parametrize(
    "filters",
    [
        pytest.param(lambda p, h: Filters(source=h["web"].pk), id="source"),
        pytest.param(lambda p, h: Filters(manager=p.bob.pk), id="manager"),
        pytest.param(lambda p, h: Filters(team=p.alice.team_id), id="team"),
        pytest.param(lambda p, h: Filters(product=h["p1"].pk), id="product"),
    ],
)
def test_a_filtered_report_lists_the_same_filtered_records(client, personas, history, filters):
    chosen = filters(personas, history)
    client.force_login(personas.head)
    for period in (AUTUMN, TO_DATE):
        report = compute(actor=personas.head, ids=LISTED_KPIS, period=period, filters=chosen)
        for kpi_id in LISTED_KPIS:
            value = report[kpi_id].total
            url = drill_url(kpi_id, period, chosen)
            assert url is not None, kpi_id
            assert_list_matches(kpi_id, value, listed(client, url))


@pytest.mark.parametrize("who", ["head", "alice"])
def test_each_funnel_stage_lists_the_deals_that_reached_it(client, personas, history, stages, who):
    actor = getattr(personas, who)
    client.force_login(actor)
    funnel = compute(actor=actor, ids=["funnel"], period=AUTUMN)["funnel"].total
    assert len(listed(client, drill_url("funnel", AUTUMN, Filters()))) == funnel.value
    for stage in funnel.extra["stages"]:
        url = drill_url("funnel", AUTUMN, Filters(), key=stage["key"])
        assert len(listed(client, url)) == stage["reached"], stage["label"]
    lost_url = drill_url("funnel", AUTUMN, Filters(), key=str(stages["lost"].pk))
    assert len(listed(client, lost_url)) == funnel.extra["lost"]


def test_the_numbers_behind_the_lists_are_the_ones_counted_by_hand(personas, history):
    """The lists agree with the engine; here the engine agrees with a hand count."""
    report = compute(actor=personas.head, ids=LISTED_KPIS + ["funnel"], period=AUTUMN)
    # Won: d1 20 000, d2 50 000, d5 35 000 (23:30 on 31.10), d11 12 000, d12 7 000 (00:10 on 1.09).
    assert report["deals_won"].total.value == 5
    assert report["won_revenue"].total.value == Decimal("124000.00")
    assert report["deals_lost"].total.value == 2  # d3, d4
    assert (report["win_rate"].total.numerator, report["win_rate"].total.denominator) == (5, 7)
    # Late: d1, d4, d12 (closed 1.09 Moscow time, 31.08 in UTC); d2, d5 on time; d3, d11 no date.
    closed_late = report["deals_closed_late"].total
    assert (closed_late.value, closed_late.denominator) == (3, 5)
    assert report["lead_to_win_days"].total.count == 1  # d1 only came from a lead
    # Open at the end of October: d6 (reopened), d7, d9, d10 (won in November).
    assert report["open_deals"].total.value == 4
    assert report["open_pipeline_value"].total.value == Decimal("85000.00")
    assert report["overdue_deals"].total.value == 2  # d6, d9
    assert report["leads_new"].total.value == 5
    assert report["lead_to_deal_rate"].total.numerator == 3
    assert report["lead_conversion_rate"].total.numerator == 1
    assert report["tasks_overdue"].total.value == 2  # bob's of 25.10, alice's done on 2.11
    assert report["tasks_on_time_rate"].total.denominator == 2
    assert report["funnel"].total.value == 10  # d8 deleted, d12 created in August
    # The cohort's later moves count: d9's negotiation and d10's win came in November.
    reached = {s["label"]: s["reached"] for s in report["funnel"].total.extra["stages"]}
    assert reached == {
        "Новая": 10, "Квалификация": 0, "Предложение": 2, "Переговоры": 2,
        "Успешно реализовано": 6,  # d6 reached it before it was reopened
    }  # fmt: skip
    assert report["funnel"].total.extra["lost"] == 2


def test_interactions_logged_are_listed_by_the_activity_filters(personas, history):
    """No page lists interactions yet; the filters its link would carry already agree."""
    for actor in (personas.head, personas.alice):
        for period in (AUTUMN, TO_DATE):
            report = compute(actor=actor, ids=["activities_logged"], period=period, by="manager")
            result = report["activities_logged"]
            for key, value in [(None, result.total), *[(g.key, g.value) for g in result.groups]]:
                by = None if key is None else "manager"
                target = drill_target("activities_logged", period, Filters(), by=by, key=key)
                assert target is not None
                name, params = target
                assert name == "activities:activity-list"
                form = ActivityFilterForm(params, user=actor)
                found = activity_queries.activity_list(actor, **form.filters())
                assert form.errors == {}
                assert found.count() == value.value


# The shape of the links ----------------------------------------------------------------------


def query_of(url: str) -> tuple[str, dict[str, str]]:
    parts = urlsplit(url)
    return parts.path, {k: v[0] for k, v in parse_qs(parts.query).items()}


def test_a_months_group_narrows_the_closing_dates_to_that_month_within_the_period(personas):
    period = Period(date(2026, 3, 10), date(2026, 5, 20))
    url = drill_url("deals_won", period, Filters(manager=7), by="month", key="2026-05")
    assert query_of(url) == (
        reverse("sales:deal-list"),
        {"owner": "7", "status": "won", "closed_from": "2026-05-01", "closed_to": "2026-05-20"},
    )


@pytest.mark.parametrize(
    ("by", "key", "first", "last"),
    [
        ("day", "2026-03-05", "2026-03-05", "2026-03-05"),
        ("week", "2026-W09", "2026-02-23", "2026-03-01"),
        ("month", "2026-02", "2026-02-01", "2026-02-28"),
        ("quarter", "2026-Q1", "2026-01-01", "2026-03-31"),
    ],
)
def test_each_time_bucket_becomes_its_range_of_days(by, key, first, last):
    _path, params = query_of(
        drill_url(
            "leads_new", Period(date(2026, 1, 1), date(2026, 12, 31)), Filters(), by=by, key=key
        )  # fmt: skip
    )
    assert (params["created_from"], params["created_to"]) == (first, last)


def test_the_no_source_group_lists_deals_without_a_source(db):
    for key in (None, "null"):
        _path, params = query_of(
            drill_url("deals_lost", AUTUMN, Filters(source=3), by="source", key=key)
        )
        assert params.get("no_source") == "1"
        assert "source" not in params


def test_ratios_link_to_the_records_the_catalogue_names(db):
    assert query_of(drill_url("win_rate", AUTUMN, Filters()))[1]["status"] == "closed"
    assert query_of(drill_url("lead_conversion_rate", AUTUMN, Filters()))[1] == {
        "created_from": "2026-09-01", "created_to": "2026-10-31", "with_won_deal": "1",
    }  # fmt: skip
    assert query_of(drill_url("tasks_on_time_rate", AUTUMN, Filters()))[1] == {
        "status": "done", "completed_from": "2026-09-01", "completed_to": "2026-10-31",
    }  # fmt: skip


def test_a_past_as_of_date_names_the_day_and_the_current_one_uses_todays_filters(db):
    assert query_of(drill_url("overdue_deals", AUTUMN, Filters()))[1] == {
        "overdue_on": "2026-10-31"
    }
    assert query_of(drill_url("open_deals", AUTUMN, Filters()))[1] == {"open_on": "2026-10-31"}
    assert query_of(drill_url("overdue_deals", TO_DATE, Filters()))[1] == {"overdue": "1"}
    assert query_of(drill_url("tasks_overdue", TO_DATE, Filters()))[1] == {"overdue": "1"}
    assert query_of(drill_url("tasks_overdue", AUTUMN, Filters()))[1] == {
        "status": "all", "overdue_on": "2026-10-31",
    }  # fmt: skip


def test_kpis_without_a_record_list_and_ungroupable_groups_get_no_link(db):
    assert drill_url("lifecycle_stage_counts", AUTUMN, Filters()) is None
    assert drill_url("customer_ltv", AUTUMN, Filters()) is None
    assert drill_url("open_deals", AUTUMN, Filters(), by="month", key="2026-09") is None
    assert drill_url("deals_won", AUTUMN, Filters(), by="product", key=None) is None
    assert drill_url("deals_won", AUTUMN, Filters(), by="month", key="2027-01") is None
    assert drill_url("leads_new", AUTUMN, Filters(pipeline=1)) is None
    assert drill_url("activities_logged", AUTUMN, Filters()) == (
        "/activities/interactions/?from=2026-09-01&to=2026-10-31"
    )
    with pytest.raises(UnknownKpi):
        drill_url("no_such_kpi", AUTUMN, Filters())


def test_the_bucket_of_a_nonsense_key_is_none():
    assert drill.bucket_days("month", "2026-13") is None
    assert drill.bucket_days("week", "W09") is None


def test_plan_fulfilment_links_the_records_of_its_actual_value(client, personas, history):
    if "plan_fulfilment.deals_won" not in KPIS:
        pytest.skip("plan KPIs are not registered")
    client.force_login(personas.head)
    url = drill_url("plan_fulfilment.deals_won", AUTUMN, Filters(), by="manager",
                    key=str(personas.bob.pk))  # fmt: skip
    assert query_of(url)[1] == {
        "status": "won", "closed_from": "2026-09-01", "closed_to": "2026-10-31",
        "owner": str(personas.bob.pk),
    }  # fmt: skip
    assert len(listed(client, url)) == 2  # d5 and d12


# The lead and task lists read the same links ------------------------------------------------

ENGLISH = {"HTTP_ACCEPT_LANGUAGE": "en"}


def test_the_lead_list_shows_the_report_filters_as_chips(client, personas, history):
    client.force_login(personas.head)
    response = client.get(
        reverse("sales:lead-list"),
        {"created_from": "2026-09-01", "created_to": "2026-10-31", "with_deal": "1"},
        **ENGLISH,
    )
    body = response.content.decode()
    assert "Filtered by a report:" in body
    assert "Became a deal" in body
    assert sorted(lead.owner.username for lead in response.context["page"].items) == [
        "alice", "alice", "bob",
    ]  # fmt: skip
    # The hidden filters are not drawn as labelled fields of the filter bar.
    assert 'for="id_with_deal"' not in body


def test_a_bad_task_filter_is_left_out_and_the_others_still_apply(client, personas, history):
    client.force_login(personas.head)
    response = client.get(
        reverse("activities:task-list"),
        {"status": "done", "completed_from": "2026-10-01", "completed_to": "потом"},
        **ENGLISH,
    )
    assert response.status_code == 200
    assert "Completed to: Enter a valid date." in response.content.decode()
    # Done since 1.10: the two of October and the one of 2.11.
    assert response.context["page"].total == 3


def test_a_manager_following_a_team_link_sees_only_her_own_tasks(client, personas, history):
    client.force_login(personas.alice)
    response = client.get(
        reverse("activities:task-list"),
        {"status": "all", "overdue_on": "2026-10-31", "team": personas.bob.team_id},
    )
    assert response.context["page"].total == 0
    response = client.get(reverse("activities:task-list"), {"status": "all", "team": ""})
    assert {t.assignee_id for t in response.context["page"].items} == {personas.alice.pk}
