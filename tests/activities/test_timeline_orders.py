"""Orders on the interaction timeline of client and deal cards: each order as it arrived
and each later move to another status, only for the orders the reader may see."""

from __future__ import annotations

import datetime
import re
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import NoReverseMatch, reverse

from tests import factories
from tests.orders import conftest as order_fixtures
from voronka.activities import queries
from voronka.activities import services as activity_services
from voronka.activities.queries import TIMELINE_KINDS
from voronka.orders import services as order_services

# The orders tests' client, catalogue, orders and won deal.
catalogue = order_fixtures.catalogue
client_company = order_fixtures.client_company
make_order = order_fixtures.make_order
won_deal = order_fixtures.won_deal

MOSCOW = ZoneInfo("Europe/Moscow")
TIMELINE = reverse("activities:timeline")


def at(day: int, hour: int, minute: int = 0) -> datetime.datetime:
    return datetime.datetime(2026, 11, day, hour, minute, tzinfo=MOSCOW)


def move(order, actor, *steps):
    """Move ``order`` through ``(status, moment)`` steps; the order as it ends."""
    for status, moment in steps:
        order = order_services.order_set_status(
            actor=actor, order=order, to_status=status, version=order.version, at=moment
        )
    return order


def describe(entries) -> list[str]:
    out = []
    for e in entries:
        if e.kind == "order":
            out.append(f"order {e.order.number}")
        elif e.kind == "order_status":
            c = e.order_change
            out.append(f"{e.order.number} {c.from_status}>{c.to_status}")
        elif e.activity is not None:
            out.append(f"{e.kind} {e.activity.subject}")
        else:
            out.append(e.kind)
    return out


def as_(client, user, language="en"):
    client.force_login(user)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = language
    return client


def order_url(pk: int) -> str | None:
    """The order card's address, once the orders pages are mounted."""
    try:
        return reverse("orders:order-detail", args=[pk])
    except NoReverseMatch:
        return None


@pytest.fixture
def story(personas, make_order, client_company):
    """Alice's client ordered on the 2nd; the order was confirmed and paid, a call came in
    between, and on the 5th it was shipped with a comment."""
    company, contact = client_company
    alice = personas.alice
    order = make_order(received_at=at(2, 9))
    order = move(order, alice, ("confirmed", at(2, 10)), ("paid", at(2, 15)))
    activity_services.activity_log(
        actor=alice,
        data={"kind": "call", "occurred_at": at(3, 11), "subject": "Звонок", "company": company},
    )
    order = move(order, alice, ("assembled", at(4, 12)))
    order = order_services.order_set_status(
        actor=alice, order=order, to_status="shipped", version=order.version,
        comment="ТК «Деловые линии»", at=at(5, 9),
    )  # fmt: skip
    return {"company": company, "contact": contact, "order": order}


# --- The query --------------------------------------------------------------------------------


def test_a_clients_timeline_holds_its_order_and_each_later_status_change(personas, story):
    number = story["order"].number

    entries, next_before = queries.timeline(
        personas.alice, company=story["company"], kinds=TIMELINE_KINDS
    )

    assert describe(entries) == [
        f"{number} assembled>shipped",
        f"{number} paid>assembled",
        "call Звонок",
        f"{number} confirmed>paid",
        f"{number} new>confirmed",
        f"order {number}",
    ]
    assert entries[-1].at == at(2, 9)
    assert entries[0].order_change.comment == "ТК «Деловые линии»"
    assert entries[0].order_change.changed_by == personas.alice
    assert next_before is None


def test_the_contacts_timeline_holds_the_order_too(personas, story):
    entries, _next = queries.timeline(personas.alice, contact=story["contact"], kinds=["order"])

    assert [e.kind for e in entries] == ["order_status"] * 4 + ["order"]


def test_the_order_kind_brings_the_status_changes_along_and_leaves_the_rest_out(personas, story):
    company = story["company"]
    number = story["order"].number

    orders, _n = queries.timeline(personas.alice, company=company, kinds=["order"])
    changes, _n = queries.timeline(personas.alice, company=company, kinds=["order_status"])
    calls, _n = queries.timeline(personas.alice, company=company, kinds=["call"])

    assert describe(orders)[-1] == f"order {number}"
    assert len(orders) == 5
    assert describe(changes) == describe(orders)[:-1]
    assert describe(calls) == ["call Звонок"]


def test_without_kinds_the_timeline_stays_what_the_api_describes(personas, story):
    entries, _next = queries.timeline(personas.alice, company=story["company"])

    assert describe(entries) == ["call Звонок"]


def test_a_deal_timeline_holds_the_order_made_of_the_deal(personas, won_deal, stages):
    order = order_services.order_from_deal(actor=personas.alice, deal=won_deal)
    other = factories.deal(personas.alice, client=won_deal.company, title="Другая")

    entries, _next = queries.timeline(personas.alice, deal=won_deal, kinds=TIMELINE_KINDS)
    nothing, _next = queries.timeline(personas.alice, deal=other, kinds=["order"])

    assert [e.order for e in entries if e.kind == "order"] == [order]
    assert order.total == Decimal("16050.00")  # 3 chairs at 1 500 less 10 %, and a table
    assert nothing == []


def test_orders_someone_may_not_see_stay_off_their_timeline(personas, story):
    company = story["company"]

    hidden, _next = queries.timeline(personas.bob, company=company, kinds=["order"])
    read_only, _next = queries.timeline(personas.support, company=company, kinds=["order"])

    assert hidden == []
    assert len(read_only) == 5


def test_a_deleted_order_leaves_the_timeline(personas, story):
    order = story["order"]
    order_services.order_delete(actor=personas.alice, order=order, version=order.version)

    entries, _next = queries.timeline(personas.alice, company=story["company"], kinds=["order"])

    assert entries == []


def test_the_timeline_pages_through_orders_and_their_changes_like_the_rest(
    personas, make_order, client_company
):
    company, _contact = client_company
    orders = []
    for day in range(2, 6):
        order = make_order(received_at=at(day, 9))
        orders.append(move(order, personas.alice, ("confirmed", at(day, 10))))
    first_number, last_number = orders[0].number, orders[-1].number

    first, before = queries.timeline(personas.alice, company=company, kinds=["order"], limit=3)
    rest, end = queries.timeline(
        personas.alice, company=company, kinds=["order"], limit=10, before=before
    )

    assert describe(first) == [
        f"{last_number} new>confirmed", f"order {last_number}", f"{orders[2].number} new>confirmed",
    ]  # fmt: skip
    assert len(rest) == 5
    assert describe(rest)[-1] == f"order {first_number}"
    assert end is None


# --- On the cards ------------------------------------------------------------------------------


def entry_ids(html: str) -> list[str]:
    return re.findall(r'<li class="timeline-entry[^"]*" id="(order-[a-z-]*\d+)"', html)


def timeline_of(html: str) -> str:
    return html.split('id="timeline-body"')[1].split("</section>")[0]


def test_the_company_card_shows_the_order_and_its_moves_on_its_timeline(client, personas, story):
    order = story["order"]
    changes = list(order.changes.exclude(from_status="").order_by("-changed_at"))

    response = as_(client, personas.alice).get(
        reverse("clients:company-detail", args=[story["company"].pk])
    )

    assert response.status_code == 200
    html = timeline_of(response.content.decode())
    assert entry_ids(html) == [*(f"order-change-{c.pk}" for c in changes), f"order-{order.pk}"]
    arrival = html.split(f'id="order-{order.pk}"')[1].split("</li>")[0]
    assert "Order received" in arrival
    assert f"Order {order.number}" in arrival
    assert "15,000.00" in arrival  # two chairs and a table
    assert "order-status-shipped" in arrival
    assert "Алиса Иванова" in arrival or "Иванова Алиса" in arrival
    shipped = html.split(f'id="order-change-{changes[0].pk}"')[1].split("</li>")[0]
    assert "Order status changed" in shipped
    assert "Assembled" in shipped and "<strong>Shipped</strong>" in shipped
    assert "ТК «Деловые линии»" in shipped
    url = order_url(order.pk)
    if url is not None:
        assert f'href="{url}"' in arrival and f'href="{url}"' in shipped
    assert 'data-kind="order"' in response.content.decode()  # the chip


def test_the_card_reads_in_russian_too(client, personas, story):
    order = story["order"]

    response = as_(client, personas.alice, "ru").get(
        reverse("clients:contact-detail", args=[story["contact"].pk])
    )

    html = timeline_of(response.content.decode())
    assert response.status_code == 200
    assert f'id="order-{order.pk}"' in html
    assert "15\u00a0000,00\u00a0₽" in html or "15 000,00 ₽" in html or "15\u202f000,00" in html


def test_the_orders_chip_shows_the_orders_alone(client, personas, story):
    order = story["order"]

    response = as_(client, personas.alice).get(
        TIMELINE, {"company": story["company"].pk, "kind": "order"}
    )

    html = response.content.decode()
    assert response.status_code == 200
    assert len(entry_ids(html)) == 5
    assert entry_ids(html)[-1] == f"order-{order.pk}"
    assert 'id="activity-' not in html


def test_the_deal_card_shows_its_order_on_its_timeline(client, personas, won_deal, stages):
    order = order_services.order_from_deal(actor=personas.alice, deal=won_deal)

    response = as_(client, personas.alice).get(reverse("sales:deal-detail", args=[won_deal.pk]))

    html = timeline_of(response.content.decode())
    assert f'id="order-{order.pk}"' in html


def test_a_lead_card_offers_no_orders_chip(client, personas):
    lead = factories.lead(personas.alice, title="Новая заявка")

    html = as_(client, personas.alice).get(reverse("sales:lead-detail", args=[lead.pk])).content

    assert b'data-kind="order"' not in html


def test_a_manager_who_may_not_see_the_client_gets_nothing(client, personas, story):
    response = as_(client, personas.bob).get(
        TIMELINE, {"company": story["company"].pk, "kind": "order"}
    )

    assert response.status_code == 404


def _timeline_queries(client, company) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(TIMELINE, {"company": company.pk})
    assert response.status_code == 200
    return len(captured)


def test_the_timeline_asks_the_database_as_often_for_many_orders_as_for_one(
    client, personas, make_order, client_company, django_assert_max_num_queries
):
    company, _contact = client_company
    as_(client, personas.alice)
    first = make_order(received_at=at(2, 9))
    move(first, personas.alice, ("confirmed", at(2, 10)))
    one = _timeline_queries(client, company)
    for day in range(3, 15):
        order = make_order(received_at=at(day, 9))
        move(order, personas.alice, ("confirmed", at(day, 10)), ("cancelled", at(day, 11)))

    with django_assert_max_num_queries(one):
        response = client.get(TIMELINE, {"company": company.pk})

    assert len(entry_ids(response.content.decode())) == 20  # a page
