"""The list of orders: who sees which, every filter of the drill-down, sort, pages,
the empty state, and a number of queries that does not grow with the rows."""

from __future__ import annotations

import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests import factories
from voronka.orders.models import Order
from voronka.orders.services import order_set_status

MOSCOW = ZoneInfo("Europe/Moscow")
NOW = datetime.datetime(2026, 11, 26, 12, 0, tzinfo=MOSCOW)  # a Thursday
LIST = reverse("orders:order-list")


def at(day: int, hour: int, minute: int = 0) -> datetime.datetime:
    return datetime.datetime(2026, 11, day, hour, minute, tzinfo=MOSCOW)


@pytest.fixture
def clock(monkeypatch):
    """Every "now" in Voronka is Thursday 26.11.2026 12:00 Moscow time."""
    monkeypatch.setattr("django.utils.timezone.now", lambda: NOW.astimezone(datetime.UTC))
    return NOW


def as_(client, user):
    """``client`` logged in as ``user``, reading the pages in English."""
    client.force_login(user)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


def move(order, actor, status, when):
    return order_set_status(actor=actor, order=order, to_status=status, version=order.version,
                            at=when)  # fmt: skip


@pytest.fixture
def orders(personas, make_order, catalogue, clock):
    """Four orders of November 2026 (Moscow time):

    * new — Alice's, received 25.11 09:00, still new: overdue (the norm is 4 working hours);
    * delivered — Alice's, received 02.11, paid 03.11, assembled 04.11, delivered 10.11;
    * confirmed — Alice's, only a table, received 20.11 23:30, confirmed 26.11 10:00;
    * bobs — Bob's own client's, received 15.11 00:10, still new: overdue.
    """
    alice, bob = personas.alice, personas.bob
    chair, table = catalogue
    new = make_order(received_at=at(25, 9))
    delivered = make_order(received_at=at(2, 10))
    for status, when in (("confirmed", at(2, 12)), ("paid", at(3, 10)),
                         ("assembled", at(4, 12)), ("shipped", at(5, 10)),
                         ("delivered", at(10, 15))):  # fmt: skip
        delivered = move(delivered, alice, status, when)
    confirmed = make_order(received_at=at(20, 23, 30),
                           lines=[{"product": table, "quantity": 1}])  # fmt: skip
    confirmed = move(confirmed, alice, "confirmed", at(26, 10))
    bobs_client = factories.company(bob, name="ИП Боброва")
    bobs = make_order(actor=bob, owner=bob, company=bobs_client, contact=None,
                      received_at=at(15, 0, 10))  # fmt: skip
    return {"new": new, "delivered": delivered, "confirmed": confirmed, "bobs": bobs}


def listed(client, user, params=None) -> set[str]:
    response = as_(client, user).get(LIST, params or {})
    assert response.status_code == 200
    return {o.number for o in response.context["page"].items}


def numbers(orders, *names) -> set[str]:
    return {orders[name].number for name in names}


# --- Who sees what ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("persona", "expected"),
    [("admin", ("new", "delivered", "confirmed", "bobs")),
     ("head", ("new", "delivered", "confirmed", "bobs")),
     ("support", ("new", "delivered", "confirmed", "bobs")),
     ("lead", ("new", "delivered", "confirmed")),
     ("alice", ("new", "delivered", "confirmed")),
     ("bob", ("bobs",)),
     ("outsider", ())],
)  # fmt: skip
def test_each_persona_lists_exactly_the_orders_they_may_see(
    client, personas, orders, persona, expected
):
    assert listed(client, getattr(personas, persona)) == numbers(orders, *expected)


def test_the_list_shows_number_client_status_payment_total_manager_and_delivery(
    client, personas, orders
):
    response = as_(client, personas.head).get(LIST)
    text = response.content.decode()
    new = orders["new"]
    assert f'href="/orders/{new.pk}/"' in text
    assert "ООО «Ромашка»" in text and "ИП Боброва" in text
    assert "overdue by 23 h" in text  # due 25.11 13:00, now 26.11 12:00
    # Received on Sunday 15.11 00:10: four working hours end on Monday 16.11 at 13:00.
    assert "overdue by 9 d 23 h" in text
    assert "Not paid" in text and "Paid" in text
    assert "15,000.00\xa0₽" in text  # two chairs and a table
    assert "Алиса Иванова" in text or str(personas.alice) in text
    assert "Courier" in text


def test_the_overdue_mark_says_how_long(client, personas, orders):
    text = as_(client, personas.alice).get(LIST).content.decode()
    # Received 25.11 09:00 with a 4-hour norm: due 13:00, late by 23 h at 26.11 12:00.
    assert "overdue by 23 h" in text


# --- Filters ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("params", "expected"),
    [({"status": "new"}, ("new", "bobs")),
     ({"status": ["new", "confirmed"]}, ("new", "confirmed", "bobs")),
     ({"open": "1"}, ("new", "confirmed", "bobs")),
     ({"overdue": "1"}, ("new", "bobs")),
     ({"payment": "paid"}, ("delivered",)),
     ({"payment": "unpaid"}, ("new", "confirmed", "bobs")),
     ({"created_from": "2026-11-15", "created_to": "2026-11-20"}, ("confirmed", "bobs")),
     ({"created_from": "2026-11-21"}, ("new",)),
     ({"created_to": "2026-11-14"}, ("delivered",)),
     ({"delivered_from": "2026-11-10", "delivered_to": "2026-11-10"}, ("delivered",)),
     ({"delivered_to": "2026-11-09"}, ()),
     ({"status_at": "2026-11-03", "status": "paid"}, ("delivered",)),
     ({"status_at": "2026-11-04", "status": "paid"}, ()),
     ({"status_at": "2026-11-04", "status": "assembled"}, ("delivered",)),
     ({"status_at": "2026-11-15", "status": "new"}, ("bobs",)),
     ({"status_at": "2026-11-14", "status": "new"}, ()),
     ({"status_at": "2026-11-25", "status": ["new", "confirmed"]}, ("new", "confirmed", "bobs")),
     ({"status_at": "2026-11-26", "status": "confirmed"}, ("confirmed",)),
     ({"q": "ромашка"}, ("new", "delivered", "confirmed")),
     ({"q": "боброва"}, ("bobs",)),
     ({"open": "1", "overdue": "1", "q": "ромашка"}, ("new",))],
)  # fmt: skip
def test_each_filter_narrows_the_list(client, personas, orders, params, expected):
    assert listed(client, personas.head, params) == numbers(orders, *expected)


def test_the_filters_of_people_and_clients_narrow_the_list(client, personas, orders,
                                                           client_company, catalogue):  # fmt: skip
    company, contact = client_company
    chair, table = catalogue
    head = personas.head
    alices = numbers(orders, "new", "delivered", "confirmed")
    assert listed(client, head, {"owner": personas.alice.pk}) == alices
    assert listed(client, head, {"owner": personas.bob.pk}) == numbers(orders, "bobs")
    assert listed(client, head, {"team": personas.alice.team_id}) == alices
    assert listed(client, head, {"team": personas.bob.team_id}) == numbers(orders, "bobs")
    assert listed(client, head, {"company": company.pk}) == alices
    assert listed(client, head, {"contact": contact.pk}) == alices
    assert listed(client, head, {"client": f"company:{company.pk}"}) == alices
    assert listed(client, head, {"product": chair.pk}) == numbers(orders, "new", "delivered",
                                                                  "bobs")  # fmt: skip
    assert listed(client, head, {"product": table.pk}) == numbers(orders, *orders)


def test_the_deal_filter_lists_the_order_of_the_deal(client, personas, orders, won_deal):
    from voronka.orders.services import order_from_deal

    order = order_from_deal(actor=personas.alice, deal=won_deal)
    assert listed(client, personas.alice, {"deal": won_deal.pk}) == {order.number}


def test_a_number_finds_its_order_with_or_without_the_sign(client, personas, orders):
    number = orders["bobs"].number
    assert listed(client, personas.head, {"q": number}) == {number}
    assert listed(client, personas.head, {"q": f"#{number}"}) == {number}
    assert listed(client, personas.head, {"q": f"№ {number}"}) == {number}


def test_a_filter_never_shows_what_the_person_may_not_see(client, personas, orders):
    assert listed(client, personas.alice, {"owner": personas.bob.pk}) == set()
    assert listed(client, personas.alice, {"q": "боброва"}) == set()


def test_a_bad_drill_down_value_is_named_and_ignored(client, personas, orders):
    response = as_(client, personas.head).get(LIST, {"status_at": "26.13.2026"})
    assert response.status_code == 200
    assert len(response.context["page"].items) == 4
    assert "Status as of: Enter a valid date." in response.content.decode()


def test_the_drill_down_filters_show_as_removable_chips(client, personas, orders, catalogue):
    chair, _table = catalogue
    response = as_(client, personas.head).get(
        LIST, {"product": chair.pk, "status_at": "2026-11-15", "status": "new"}
    )
    chips = {c["name"]: c for c in response.context["form"].drill_chips()}
    assert set(chips) == {"product", "status_at"}
    assert chips["product"]["value"] == "Стул офисный"
    assert chips["product"]["remove"] == "status_at=2026-11-15&status=new"


def test_the_status_as_of_a_day_is_shown_with_the_day(client, personas, orders):
    response = as_(client, personas.head).get(LIST, {"status_at": "2026-11-03", "status": "paid"})
    [order] = response.context["page"].items
    assert order.status == "delivered" and order.status_then == "paid"
    assert "on 11/03/2026" in response.content.decode()


# --- Sort, pages, empty -----------------------------------------------------------------


def test_the_list_sorts_by_total_and_by_date(client, personas, orders, catalogue):
    totals = [o.total for o in as_(client, personas.head).get(LIST, {"sort": "total"})
              .context["page"].items]  # fmt: skip
    assert totals == sorted(totals)
    assert totals[0] == Decimal("12000.00")
    newest = [o.number for o in as_(client, personas.head).get(LIST).context["page"].items]
    by_date = sorted(orders.values(), key=lambda o: o.created_at, reverse=True)
    assert newest == [o.number for o in by_date]


def test_the_list_pages_with_cursors(client, personas, make_order, clock, settings):
    settings.VORONKA_PAGE_SIZE = 2
    made = [make_order(received_at=at(day, 10)).number for day in (1, 2, 3)]
    first = as_(client, personas.alice).get(LIST)
    assert [o.number for o in first.context["page"].items] == [made[2], made[1]]
    cursor = first.context["page"].next_cursor
    second = client.get(LIST, {"cursor": cursor})
    assert [o.number for o in second.context["page"].items] == [made[0]]


def test_an_empty_list_says_so_and_offers_the_first_order(client, personas, db):
    text = as_(client, personas.alice).get(LIST).content.decode()
    assert "No orders yet." in text
    assert 'href="/orders/new/"' in text
    filtered = client.get(LIST, {"status": "returned"}).content.decode()
    assert "No orders match these filters." in filtered


def test_support_reads_the_list_but_is_not_offered_a_new_order(client, personas, orders):
    response = as_(client, personas.support).get(LIST)
    assert response.context["may_create"] is False
    assert 'href="/orders/new/"' not in response.content.decode()


def test_an_htmx_request_gets_only_the_table(client, personas, orders):
    response = as_(client, personas.head).get(LIST, {"status": "new"}, HTTP_HX_REQUEST="true")
    text = response.content.decode()
    assert text.lstrip().startswith('<div id="order-table"')
    assert "<nav" not in text.split('id="order-table"')[0]


def test_the_list_renders_in_russian(client, personas, orders):
    client.force_login(personas.alice)
    text = client.get(LIST, HTTP_ACCEPT_LANGUAGE="ru").content.decode()
    assert "15\u00a0000,00\u00a0₽" in text


# --- Queries ----------------------------------------------------------------------------


def _queries(client, params) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(LIST, params).status_code == 200
    return len(ctx.captured_queries)


@pytest.mark.parametrize("params", [{}, {"status_at": "2026-11-26", "status": "new",
                                         "product": "1", "overdue": "1"}])  # fmt: skip
def test_the_list_reads_a_fixed_number_of_queries_whatever_the_rows(
    client, personas, make_order, clock, params, django_assert_max_num_queries
):
    as_(client, personas.head)
    for day in (1, 2):
        make_order(received_at=at(day, 10))
    few = _queries(client, params)
    for day in range(3, 23):
        make_order(received_at=at(day, 10))
    with django_assert_max_num_queries(few):
        client.get(LIST, params)
    assert _queries(client, params) == few
    assert Order.objects.count() == 22
