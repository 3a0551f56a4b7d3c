"""The service dashboard, on a small February by hand (Moscow time).

One SLA policy for normal priority, calendar time: first response within 60 minutes,
resolution within 8 hours. Requests of ООО «Ромашка» (Alice's client):

* A — alice, a complaint about delivery (category «Доставка», product «Станок»), received
  2 Feb 10:00, answered 10:20 (20 min), resolved 12:00 (2 h); the client scores 5 on 3 Feb;
* B — bob, a question, received 4 Feb 10:00, answered 11:30 (90 min: late), still open
  (resolution was due 4 Feb 18:00);
* C — alice, received 20 January (the previous period), answered 10:10 (10 min), resolved
  11:00;
* D — taken down by support, unassigned, received 2 March 09:00: its first response is due
  at 10:00, half an hour after the clock (2 March 09:30).

February for everyone: 2 received, response 55 min on average (median 55), handling 2 h,
SLA breaches 1 of 2, complaints resolved 1 of 1, CSAT 5.00 (1 answer, all satisfied).
January: 1 received, response 10 min.
"""

from __future__ import annotations

from datetime import date
from urllib.parse import parse_qs, urlsplit

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests import factories
from tests.analytics.conftest import clock, fresh, msk  # noqa: F401 - the clock fixture
from voronka.analytics.drill import drill_url
from voronka.analytics.periods import Period
from voronka.analytics.scope import Filters
from voronka.service import services, surveys
from voronka.service.models import Survey

pytestmark = pytest.mark.django_db

URL = reverse("service:dashboard")
FEBRUARY = {"period": "custom", "from": "2026-02-01", "to": "2026-02-28"}
FEB = Period(date(2026, 2, 1), date(2026, 2, 28))
NOW = msk(2026, 3, 2, 9, 30)


@pytest.fixture
def desk(personas, clock, make_request):  # noqa: F811 - the clock fixture
    p = personas
    clock.set(msk(2026, 1, 1))
    services.policy_create(actor=p.admin, data={
        "name": "Обычный", "priority": "normal", "first_response_minutes": 60,
        "resolution_minutes": 480, "clock": "calendar",
    })  # fmt: skip
    delivery = services.category_save(actor=p.admin, category=None, data={"name": "Доставка"})
    machine = factories.product(p.admin, name="Станок")

    def receive(when, **data):
        clock.set(when)
        return make_request(received_at=when, **data)

    def reply(request, when, actor=None):
        clock.set(when)
        current = fresh(request)
        services.request_reply(actor=actor or current.assignee, request=current, body="Да")

    c = receive(msk(2026, 1, 20, 10), assignee=p.alice)
    reply(c, msk(2026, 1, 20, 10, 10))
    clock.set(msk(2026, 1, 20, 11))
    services.request_set_status(actor=p.alice, request=fresh(c), status="resolved")
    a = receive(msk(2026, 2, 2, 10), assignee=p.alice, kind="complaint", category=delivery,
                product=machine)  # fmt: skip
    reply(a, msk(2026, 2, 2, 10, 20))
    clock.set(msk(2026, 2, 2, 12))
    services.request_set_status(actor=p.alice, request=fresh(a), status="resolved")
    clock.set(msk(2026, 2, 3, 9))
    survey = Survey.objects.get(request=a)
    surveys.survey_answer(token=surveys.token_for(survey), score=5)
    b = receive(msk(2026, 2, 4, 10), assignee=p.bob)
    reply(b, msk(2026, 2, 4, 11, 30))
    d = receive(msk(2026, 3, 2, 9))
    clock.set(NOW)
    return {"A": a, "B": b, "C": c, "D": d, "delivery": delivery, "machine": machine,
            "receive": receive}  # fmt: skip


def get(client, user, params=None, language="en"):
    client.force_login(user)
    return client.get(URL, params or {}, HTTP_ACCEPT_LANGUAGE=language)


def tiles(response):
    return {t.kpi: t for t in response.context["board"].tiles}


# Who may see what ------------------------------------------------------------------------------


def test_a_visitor_is_asked_to_log_in(client):
    response = client.get(URL)

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


@pytest.mark.parametrize("who", ["head", "admin", "support"])
def test_support_the_head_and_the_admin_see_every_request(client, personas, desk, who):
    response = get(client, getattr(personas, who), FEBRUARY)

    assert response.status_code == 200
    assert response.templates[0].name == "service/dashboard.html"
    shown = tiles(response)
    assert {kpi: t.value.value for kpi, t in shown.items()} == {
        "requests_new": 2, "first_response_minutes": 55.0, "request_handling_hours": 2.0,
        "sla_breach_rate": 0.5, "complaints_resolution_rate": 1.0, "csat": 5.0,
    }  # fmt: skip
    assert shown["first_response_minutes"].value.median == 55.0
    assert "manager" in response.context["form"].fields


def test_a_manager_sees_only_the_requests_assigned_to_them(client, personas, desk):
    alice = tiles(get(client, personas.alice, FEBRUARY))
    bob = tiles(get(client, personas.bob, FEBRUARY))

    assert alice["requests_new"].value.value == 1  # A; B is bob's although her client's
    assert alice["sla_breach_rate"].value.value == 0.0
    assert bob["requests_new"].value.value == 1
    assert bob["first_response_minutes"].value.value == 90.0
    assert bob["csat"].is_null


def test_a_manager_cannot_choose_someone_else(client, personas, desk):
    response = get(client, personas.alice, {**FEBRUARY, "manager": personas.bob.pk})

    assert "manager" not in response.context["form"].fields
    assert "team" not in response.context["form"].fields
    assert tiles(response)["requests_new"].value.value == 1
    assert response.context["board"].worst == []  # B is bob's


def test_a_team_lead_chooses_among_the_team(client, personas, desk):
    form = get(client, personas.lead, FEBRUARY).context["form"]

    assert [label for _pk, label in form.fields["team"].choices] == ["All teams", "North"]
    people = [label for _pk, label in form.fields["manager"].choices]
    assert people == ["Everyone", "Алиса Иванова", "Лев Лидов"]


def test_support_agents_are_among_the_people_to_choose(client, personas, desk):
    form = get(client, personas.head, FEBRUARY).context["form"]

    people = [label for _pk, label in form.fields["manager"].choices]
    assert "Софья Саппортова" in people
    assert "pipeline" not in form.fields and "source" not in form.fields


# The numbers and the charts --------------------------------------------------------------------


def test_the_tiles_compare_with_january(client, personas, desk):
    shown = tiles(get(client, personas.head, FEBRUARY))

    received = shown["requests_new"]
    assert received.previous.value == 1
    assert (received.change.direction, received.change.good) == ("up", None)  # neither
    response = shown["first_response_minutes"]
    assert response.previous.value == 10.0
    assert (response.change.direction, response.change.good) == ("up", False)  # slower
    assert shown["csat"].change is None  # no answers in January
    assert ("median", "55.0 min") in response.also
    assert ("satisfied (4–5)", "100.0 %") in shown["csat"].also
    assert ("missed", "1 of 2") in shown["sla_breach_rate"].also


def test_the_page_shows_minutes_hours_and_the_score(client, personas, desk):
    page = get(client, personas.head, FEBRUARY).content.decode()

    assert "55.0 min" in page
    assert "2.0 h" in page
    assert "5.00" in page
    assert "50.0 %" in page


def test_the_trends_run_week_by_week_through_february(client, personas, desk):
    board = get(client, personas.head, FEBRUARY).context["board"]

    # W05 (26 Jan – 1 Feb) … W09 (23 Feb – 1 Mar); A and B came in week 6.
    assert board.trend["requests"] == [0, 2, 0, 0, 0]
    assert board.trend["complaints"] == [0, 1, 0, 0, 0]
    assert board.trend["responseMean"] == [None, 55.0, None, None, None]
    assert board.trend["responseMedian"] == [None, 55.0, None, None, None]
    assert board.trend["handlingMean"] == [None, 2.0, None, None, None]
    assert board.trend["compliance"] == [None, 50.0, None, None, None]
    assert (board.trend["slaMet"][1], board.trend["slaTotal"][1]) == (1, 2)
    assert board.has_volume and board.has_times and board.has_sla


def test_by_month_the_trend_has_one_point(client, personas, desk):
    board = get(client, personas.head, {**FEBRUARY, "bucket": "month"}).context["board"]

    assert board.trend["labels"] == ["February 2026"]
    assert board.trend["requests"] == [2]


def test_complaints_by_category_and_satisfaction_by_product_and_manager(client, personas, desk):
    board = get(client, personas.head, FEBRUARY).context["board"]

    assert board.complaints["labels"] == ["Доставка"]
    assert (board.complaints["received"], board.complaints["resolved"]) == ([1], [1])
    products = {row.label: [c.raw for c in row.cells] for row in board.csat_products.rows}
    assert products == {"Станок": [5.0, 1.0, 1]}
    managers = {row.label: [c.raw for c in row.cells] for row in board.csat_managers.rows}
    assert managers == {"Алиса Иванова": [5.0, 1.0, 1]}


def test_the_product_filter_narrows_every_number(client, personas, desk):
    response = get(client, personas.head, {**FEBRUARY, "product": desk["machine"].pk})

    assert tiles(response)["requests_new"].value.value == 1
    assert response.context["choice"].filters.product == desk["machine"].pk
    assert response.context["board"].worst == []  # A is resolved; B has no product


def test_the_worst_open_requests_come_most_overdue_first(client, personas, desk):
    response = get(client, personas.head, FEBRUARY)

    assert response.context["board"].worst == [desk["B"], desk["D"]]
    page = response.content.decode()
    assert reverse("service:request-detail", args=[desk["B"].pk]) in page
    assert "overdue by 3\xa0weeks, 4\xa0days" in page  # resolution due 4 Feb 18:00
    assert "30\xa0minutes left" in page  # D's first response, due 10:00


def test_every_tile_links_to_the_requests_behind_it(client, personas, desk):
    shown = tiles(get(client, personas.head, FEBRUARY))

    for kpi_id, tile in shown.items():
        assert tile.url == drill_url(kpi_id, FEB, Filters()), kpi_id
    url = urlsplit(shown["sla_breach_rate"].url)
    assert url.path == reverse("service:request-list")
    assert parse_qs(url.query) == {
        "created_from": ["2026-02-01"], "created_to": ["2026-02-28"], "breached": ["1"],
    }  # fmt: skip


def test_a_managers_links_name_them_as_the_assignee(client, personas, desk):
    shown = tiles(get(client, personas.alice, FEBRUARY))
    lead = tiles(get(client, personas.lead, FEBRUARY))

    assert parse_qs(urlsplit(shown["requests_new"].url).query)["assignee"] == [
        str(personas.alice.pk)
    ]
    assert parse_qs(urlsplit(lead["requests_new"].url).query)["team"] == [
        str(personas.lead.team_id)
    ]


def test_a_managers_link_lists_exactly_the_requests_counted(client, personas, desk):
    client.force_login(personas.alice)
    tile = tiles(client.get(URL, FEBRUARY))["requests_new"]

    listed = client.get(tile.url)

    assert listed.status_code == 200
    assert [r.pk for r in listed.context["rows"]] == [desk["A"].pk]  # not bob's B


def test_a_quiet_period_shows_empty_states(client, personas, desk):
    response = get(client, personas.head, {"period": "custom", "from": "2025-06-01",
                                           "to": "2025-06-30"})  # fmt: skip

    board = response.context["board"]
    assert board.quiet
    assert not (board.has_volume or board.has_times or board.has_sla or board.has_complaints)
    page = response.content.decode()
    assert "No requests were received in this period." in page
    assert "No client answered a survey in this period." in page
    assert 'id="dash-quiet"' in page


def test_with_nothing_at_all_the_page_still_renders(client, personas):
    response = get(client, personas.support)

    assert response.status_code == 200
    assert "No open request has a deadline to meet." in response.content.decode()


def test_the_page_renders_in_russian(client, personas, desk):
    page = get(client, personas.head, FEBRUARY, language="ru").content.decode()

    assert "55,0" in page  # the decimal comma
    assert "Станок" in page


def test_the_number_of_queries_does_not_grow_with_the_requests(client, personas, desk, clock):  # noqa: F811
    client.force_login(personas.head)
    client.get(URL, FEBRUARY)  # the organisation's settings are cached from here on
    with CaptureQueriesContext(connection) as few:
        assert client.get(URL, FEBRUARY).status_code == 200
    for day in range(5, 25):
        desk["receive"](msk(2026, 2, day, 10), assignee=personas.bob, kind="complaint",
                        category=desk["delivery"])  # fmt: skip
    desk["receive"](msk(2026, 2, 26, 10), assignee=personas.alice)
    clock.set(NOW)

    with CaptureQueriesContext(connection) as many:
        response = client.get(URL, FEBRUARY)

    assert tiles(response)["requests_new"].value.value == 23
    assert len(many) == len(few)


def test_the_query_count_is_bounded(client, personas, desk, django_assert_max_num_queries):
    client.force_login(personas.head)

    with django_assert_max_num_queries(40):
        client.get(URL, FEBRUARY)


# Links between the service pages ---------------------------------------------------------------


def test_the_dashboard_links_to_the_queue_and_the_lists_link_back(client, personas, desk):
    page = get(client, personas.support, FEBRUARY).content.decode()
    listing = client.get(reverse("service:request-list")).content.decode()

    assert f'href="{reverse("service:queue")}"' in page
    assert f'href="{URL}"' in listing
