"""The "Orders" block of the company and contact cards: the client's latest orders, how
many there are, and the links to all of them and to a new one."""

from __future__ import annotations

import datetime
import re
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import NoReverseMatch, reverse

from tests import factories
from tests.orders import conftest as order_fixtures
from voronka.clients.views import CARD_ORDERS
from voronka.orders import services as order_services
from voronka.orders.models import Order

# The orders tests' client, catalogue and orders.
catalogue = order_fixtures.catalogue
client_company = order_fixtures.client_company
make_order = order_fixtures.make_order

MOSCOW = ZoneInfo("Europe/Moscow")


def at(day: int, hour: int = 10) -> datetime.datetime:
    return datetime.datetime(2026, 10, day, hour, tzinfo=MOSCOW)


def card(client, user, record, language="en"):
    client.force_login(user)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = language
    return client.get(reverse(f"clients:{record._meta.model_name}-detail", args=[record.pk]))


def block_of(response) -> str:
    assert response.status_code == 200
    return response.content.decode().split('id="orders"')[1].split("</section>")[0]


def listed(block: str) -> list[int]:
    return [int(pk) for pk in re.findall(r'id="client-order-(\d+)"', block)]


def route(name: str, *args) -> str | None:
    """A page's address, once the orders pages are mounted."""
    try:
        return reverse(name, args=args)
    except NoReverseMatch:
        return None


def test_the_company_card_lists_its_orders_newest_first_with_the_links(
    client, personas, make_order, client_company
):
    company, _contact = client_company
    older = make_order(received_at=at(1))
    newer = make_order(received_at=at(5))

    block = block_of(card(client, personas.alice, company))

    assert listed(block) == [newer.pk, older.pk]
    row = block.split(f'id="client-order-{newer.pk}"')[1].split("</tr>")[0]
    assert f"№ {newer.number}" in row
    assert "10/05/2026" in row or "05.10.2026" in row
    assert "order-status-new" in row
    assert "15,000.00" in row  # two chairs and a table
    assert re.search(r'orders-count">2<', block)
    new_order = route("orders:order-create")
    if new_order is not None:
        assert f'href="{new_order}?company={company.pk}"' in block
        assert "New order" in block
        assert f'href="{route("orders:order-list")}?company={company.pk}"' in block
        assert f'href="{route("orders:order-detail", newer.pk)}"' in row


def test_the_card_lists_the_latest_few_and_counts_them_all(
    client, personas, make_order, client_company
):
    company, _contact = client_company
    orders = [make_order(received_at=at(day)) for day in range(1, CARD_ORDERS + 3)]

    block = block_of(card(client, personas.alice, company))

    assert listed(block) == [o.pk for o in reversed(orders)][:CARD_ORDERS]
    assert re.search(rf'orders-count">{CARD_ORDERS + 2}<', block)


def test_the_contact_card_lists_the_contacts_orders(
    client, personas, make_order, client_company, catalogue
):
    company, contact = client_company
    theirs = make_order(received_at=at(2))
    other = factories.contact(personas.alice, first_name="Анна", last_name="Другая",
                              company=company)  # fmt: skip
    not_theirs = make_order(contact=other, received_at=at(3))

    block = block_of(card(client, personas.alice, contact))

    assert listed(block) == [theirs.pk]
    assert not_theirs.pk not in listed(block)
    if route("orders:order-create") is not None:
        assert f"?contact={contact.pk}" in block


def test_an_overdue_open_order_is_marked(client, personas, make_order, client_company):
    company, _contact = client_company
    late = make_order(received_at=at(1))  # four working hours to confirm, long gone
    done = make_order(received_at=at(2))
    order_services.order_set_status(
        actor=personas.alice, order=done, to_status="cancelled", version=done.version, at=at(2, 11)
    )

    block = block_of(card(client, personas.alice, company))

    late_row = block.split(f'id="client-order-{late.pk}"')[1].split("</tr>")[0]
    done_row = block.split(f'id="client-order-{done.pk}"')[1].split("</tr>")[0]
    assert "order-overdue" in late_row and "overdue by" in late_row
    assert "order-overdue" not in done_row


def test_support_reads_the_orders_without_a_new_order_button(
    client, personas, make_order, client_company
):
    company, _contact = client_company
    order = make_order(received_at=at(1))

    block = block_of(card(client, personas.support, company))

    assert listed(block) == [order.pk]
    assert "New order" not in block


def test_a_deleted_order_leaves_the_block(client, personas, make_order, client_company):
    company, _contact = client_company
    order = make_order(received_at=at(1))
    order_services.order_delete(actor=personas.alice, order=order, version=order.version)

    block = block_of(card(client, personas.alice, company))

    assert listed(block) == []
    assert "No orders from this client yet." in block


def test_a_manager_who_may_not_see_the_client_sees_no_card_and_nothing_changes(
    client, personas, make_order, client_company
):
    company, contact = client_company
    order = make_order(received_at=at(1))
    before = list(Order.objects.values_list("pk", "version", "status"))

    assert card(client, personas.bob, company).status_code == 404
    assert card(client, personas.bob, contact).status_code == 404
    assert list(Order.objects.values_list("pk", "version", "status")) == before
    assert order.pk in [pk for pk, _v, _s in before]


def test_the_block_reads_in_russian(client, personas, make_order, client_company):
    company, _contact = client_company
    make_order(received_at=at(1))

    block = block_of(card(client, personas.alice, company, "ru"))

    assert "01.10.2026" in block
    assert re.search(r"15\s000,00\s₽", block)


def _card_queries(client, company) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(reverse("clients:company-detail", args=[company.pk]))
    assert response.status_code == 200
    return len(captured)


def test_the_card_asks_the_database_as_often_for_many_orders_as_for_a_few(
    client, personas, make_order, client_company, django_assert_max_num_queries
):
    company, _contact = client_company
    client.force_login(personas.alice)
    for day in range(1, CARD_ORDERS + 1):
        make_order(received_at=at(day))
    few = _card_queries(client, company)
    for day in range(CARD_ORDERS + 1, 3 * CARD_ORDERS):
        make_order(received_at=at(day))

    with django_assert_max_num_queries(few):
        response = client.get(reverse("clients:company-detail", args=[company.pk]))

    assert len(listed(block_of(response))) == CARD_ORDERS


@pytest.mark.parametrize("language", ["en", "ru"])
def test_a_client_without_orders_says_so(client, personas, language):
    company = factories.company(personas.alice, name="Тихая")

    block = block_of(card(client, personas.alice, company, language))

    assert listed(block) == []
    if language == "en":
        assert "No orders from this client yet." in block
