"""The orders section of the sales dashboard, on the orders of ``test_kpis_orders``.

March against February: 6 orders received (1 in February: O7); 4 delivered in 106.5 hours
on average, median 87 (none in February); 32 050.00 of delivered orders (none). Now (15
April) two of Alice's orders wait in «New» past its 4-hour norm: O2 and O9. At the end of
March: new 1, shipped 1, delivered 3, cancelled 1, returned 1.
"""

from __future__ import annotations

from decimal import Decimal
from urllib.parse import parse_qs, urlsplit

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.analytics.conftest import msk
from tests.analytics.test_kpis_orders import (  # noqa: F401 - fixtures
    DELIVER,
    NOW,
    catalogue,
    client_company,
    desk,
    orders,
    steps,
)

pytestmark = pytest.mark.django_db

MARCH = {"period": "custom", "from": "2026-03-01", "to": "2026-03-31"}
DASHBOARD = reverse("analytics:dashboard")


def get(client, user, params=None, language="en"):
    client.force_login(user)
    return client.get(DASHBOARD, params or MARCH, HTTP_ACCEPT_LANGUAGE=language)


def query(url: str) -> dict[str, list[str]]:
    return parse_qs(urlsplit(url).query)


def test_the_head_of_sales_sees_the_orders_of_march_against_february(
    client,
    personas,
    orders,  # noqa: F811 - the fixture
):
    response = get(client, personas.head)

    assert response.status_code == 200
    section = response.context["board"].orders
    tiles = {t.kpi: t for t in section.tiles}
    assert {k: (t.value.value, t.previous.value) for k, t in tiles.items()} == {
        "orders_new": (6, 1),
        "order_fulfilment_hours": (106.5, None),
        "order_revenue": (Decimal("32050.00"), Decimal("0.00")),
    }
    assert tiles["orders_new"].change.direction == "up"
    assert tiles["order_fulfilment_hours"].also == [("median", "87.0 h")]
    assert tiles["order_fulfilment_hours"].text == "106.5 h"
    assert section.overdue.value.value == 2  # O2 and O9, now
    assert [(s["key"], s["value"]) for s in section.statuses] == [
        ("new", 1), ("confirmed", 0), ("paid", 0), ("assembled", 0), ("shipped", 1),
        ("delivered", 3), ("cancelled", 1), ("returned", 1),
    ]  # fmt: skip
    html = response.content.decode()
    assert 'id="dash-orders"' in html
    assert 'data-chart="statuses"' in html
    assert "7 orders by status at the end of the period" in html


def test_each_orders_number_links_to_its_list(client, personas, orders):  # noqa: F811
    section = get(client, personas.head).context["board"].orders
    tiles = {t.kpi: t for t in section.tiles}
    assert query(tiles["orders_new"].url) == {
        "created_from": ["2026-03-01"], "created_to": ["2026-03-31"],
    }  # fmt: skip
    assert query(tiles["order_revenue"].url) == {
        "delivered_from": ["2026-03-01"], "delivered_to": ["2026-03-31"], "status": ["delivered"],
    }  # fmt: skip
    assert query(section.overdue.url) == {"overdue": ["1"]}
    shipped = next(s for s in section.statuses if s["key"] == "shipped")
    assert query(shipped["url"]) == {
        "created_to": ["2026-03-31"], "status": ["shipped"], "status_at": ["2026-03-31"],
    }  # fmt: skip
    # The lists show exactly the numbers.
    for url, count in ((tiles["orders_new"].url, 6), (section.overdue.url, 2),
                       (shipped["url"], 1), (section.statuses_url, 7)):  # fmt: skip
        page = client.get(url).context["page"]
        assert page.total == count, url


def test_a_team_lead_sees_the_orders_of_the_team(client, personas, orders):  # noqa: F811
    section = get(client, personas.lead).context["board"].orders
    tiles = {t.kpi: t for t in section.tiles}
    assert tiles["orders_new"].value.value == 4
    assert tiles["order_revenue"].value.value == Decimal("23000.00")
    assert section.overdue.value.value == 2
    assert section.on_hand.value == 4


def test_a_manager_filter_narrows_the_orders_and_their_links(client, personas, orders):  # noqa: F811
    params = {**MARCH, "manager": str(personas.bob.pk)}
    section = get(client, personas.head, params).context["board"].orders
    tiles = {t.kpi: t for t in section.tiles}
    assert tiles["orders_new"].value.value == 2
    assert section.overdue.value.value == 0
    assert query(section.overdue.url) == {"overdue": ["1"], "owner": [str(personas.bob.pk)]}
    assert query(tiles["orders_new"].url)["owner"] == [str(personas.bob.pk)]


def test_a_period_without_orders_says_so(client, personas, orders, desk):  # noqa: F811
    # Nothing arrived, was delivered or was on hand in January 2025; none is overdue then.
    for order in (orders["O2"], orders["O9"]):
        desk.move(order, ("cancelled", msk(2026, 4, 10)))
    desk.clock.set(NOW)
    response = get(client, personas.head, {"period": "custom", "from": "2025-01-01",
                                            "to": "2025-01-31"})  # fmt: skip

    assert response.context["board"].orders.is_empty
    html = response.content.decode()
    assert 'id="dash-orders-empty"' in html
    assert "No orders were received, delivered or in progress in this period." in html


def test_an_organisation_without_orders_sees_no_orders_section(client, personas, clock):
    clock.set(NOW)
    response = get(client, personas.head)

    assert response.status_code == 200
    assert response.context["board"].orders.has_orders is False
    assert 'id="dash-orders"' not in response.content.decode()


def test_the_section_renders_in_russian(client, personas, orders):  # noqa: F811
    response = get(client, personas.head, language="ru")

    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="dash-orders"' in html
    assert "106,5" in html  # the fulfilment time with a Russian decimal comma
    assert "32\u00a0050,00" in html


def test_the_orders_table_downloads_as_csv(client, personas, orders):  # noqa: F811
    client.force_login(personas.head)
    url = reverse("analytics:export", kwargs={"table": "orders", "fmt": "csv"})
    response = client.get(url, {**MARCH}, HTTP_ACCEPT_LANGUAGE="en")

    assert response.status_code == 200
    lines = response.content.decode("utf-8-sig").splitlines()
    assert lines[:6] == [
        "KPI,Value,Previous period",
        "New orders,6,1",
        '"Order fulfilment, hours",106.5,',
        '"Order fulfilment, hours (median)",87.0,',
        "Delivered order revenue,32050.00,0.00",
        "Overdue orders now,2,",
    ]
    assert "  Delivered,3," in lines


def test_the_dashboard_with_orders_makes_a_bounded_number_of_queries_whatever_their_number(
    client,
    personas,
    orders,  # noqa: F811 - the fixture
    desk,  # noqa: F811
    django_assert_max_num_queries,
):
    client.force_login(personas.head)
    with CaptureQueriesContext(connection) as few:
        assert client.get(DASHBOARD, MARCH).status_code == 200
    chair = orders["chair"]
    for day in range(2, 22):
        order = desk.take(personas.bob, orders["berezka"], msk(2026, 3, day, 9),
                          [{"product": chair}])  # fmt: skip
        desk.move(order, *steps(DELIVER, *(msk(2026, 3, day, 10 + h) for h in range(5))))
    desk.clock.set(NOW)

    with CaptureQueriesContext(connection) as many:
        response = client.get(DASHBOARD, MARCH)

    assert response.context["board"].orders.tiles[0].value.value == 26
    assert len(many.captured_queries) == len(few.captured_queries)
    with django_assert_max_num_queries(65):
        client.get(DASHBOARD, MARCH)
