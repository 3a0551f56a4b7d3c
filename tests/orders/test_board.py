"""The order board: a column per status with its count and sum, cards that know where
they may go, and moves by dragging (htmx) or by the card's menu (a plain form) that
the server judges by the workflow: allowed, refused, refused until paid, or stale."""

from __future__ import annotations

import datetime
import re
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.orders.conftest import walk
from tests.orders.test_views_list import NOW, as_, at, clock  # noqa: F401 - fixture
from voronka.orders import listing
from voronka.orders.models import FLOW, Order

BOARD = reverse("orders:order-board")
pytestmark = pytest.mark.usefixtures("clock")


def move_url(order) -> str:
    return reverse("orders:order-status", args=[order.pk])


def drag(client, user, order, status, version=None, **extra):
    """What the board's script sends when a card is dropped on a column."""
    data = {"status": status, "version": order.version if version is None else version, **extra}
    return as_(client, user).post(move_url(order), data, HTTP_HX_REQUEST="true")


def state(order) -> tuple:
    row = Order.all_objects.get(pk=order.pk)
    return (row.status, row.payment_status, row.version, row.changes.count())


def column(response, status):
    return next(c for c in response.context["columns"] if c.status == status)


# --- The columns ------------------------------------------------------------------------


def test_the_board_has_a_column_per_status_with_count_and_sum(client, personas, make_order):
    first = make_order(received_at=at(26, 9))
    make_order(received_at=at(26, 10))
    walk(first, personas.alice, "confirmed")
    response = as_(client, personas.alice).get(BOARD)
    assert response.status_code == 200
    columns = response.context["columns"]
    assert [c.status for c in columns] == list(FLOW)
    assert [(c.count, c.total) for c in columns[:3]] == [
        (1, Decimal("15000.00")),
        (1, Decimal("15000.00")),
        (0, Decimal("0.00")),
    ]
    text = response.content.decode()
    assert 'id="order-column-new"' in text and 'id="order-column-returned"' in text
    assert "15,000.00\xa0₽" in text


def test_a_final_column_holds_only_the_last_thirty_days(client, personas, make_order,
                                                        monkeypatch):  # fmt: skip
    old = make_order(received_at=at(1, 9) - datetime.timedelta(days=60))
    recent = make_order(received_at=at(20, 9))
    monkeypatch.setattr("django.utils.timezone.now",
                        lambda: (NOW - datetime.timedelta(days=45)).astimezone(datetime.UTC))  # fmt: skip
    walk(old, personas.alice, "cancelled")
    monkeypatch.setattr("django.utils.timezone.now", lambda: NOW.astimezone(datetime.UTC))
    walk(recent, personas.alice, "cancelled")
    cancelled = column(as_(client, personas.alice).get(BOARD), "cancelled")
    assert cancelled.count == 1
    assert [o.pk for o in cancelled.orders] == [recent.pk]


def test_a_full_column_shows_the_longest_waiting_and_links_to_the_rest(
    client, personas, make_order, monkeypatch
):
    monkeypatch.setattr(listing, "BOARD_CARDS", 2)
    made = [make_order(received_at=at(day, 9)) for day in (24, 22, 25)]
    response = as_(client, personas.alice).get(BOARD)
    new = column(response, "new")
    assert (new.count, [o.pk for o in new.orders], new.more) == (3, [made[1].pk, made[0].pk], 1)
    assert 'href="/orders/?status=new">and 1 more →' in response.content.decode()


def test_the_board_shows_only_what_the_person_may_see_and_filters_by_manager(
    client, personas, make_order
):
    make_order(received_at=at(26, 9))
    assert column(as_(client, personas.bob).get(BOARD), "new").count == 0
    assert column(as_(client, personas.head).get(BOARD), "new").count == 1
    assert column(client.get(BOARD, {"owner": personas.bob.pk}), "new").count == 0
    assert column(as_(client, personas.alice).get(BOARD, {"owner": "me"}), "new").count == 1


def test_a_card_carries_where_it_may_go_and_where_only_once_paid(client, personas, make_order):
    order = walk(make_order(received_at=at(26, 9)), personas.alice, "confirmed", "assembled")
    text = as_(client, personas.alice).get(BOARD).content.decode()
    card = re.search(rf'<article[^>]*id="order-card-{order.pk}"[^>]*>', text).group(0)
    assert 'data-allowed="shipped cancelled"' in card
    assert 'data-blocked="shipped"' in card
    assert "movable" in card
    assert f'data-version="{order.version}"' in card


def test_support_sees_cards_that_cannot_be_moved(client, personas, make_order):
    order = make_order(received_at=at(26, 9))
    text = as_(client, personas.support).get(BOARD).content.decode()
    card = re.search(rf'<article[^>]*id="order-card-{order.pk}"[^>]*>', text).group(0)
    assert "movable" not in card
    assert "order-card-menu" not in text


def test_an_overdue_card_says_how_late_it_is(client, personas, make_order):
    make_order(received_at=at(25, 9))
    text = as_(client, personas.alice).get(BOARD).content.decode()
    assert "overdue by 23 h" in text


def test_a_column_alone_is_answered_fresh_for_the_script(client, personas, make_order):
    order = make_order(received_at=at(26, 9))
    response = as_(client, personas.alice).get(BOARD, {"column": "new"}, HTTP_HX_REQUEST="true")
    text = response.content.decode()
    assert text.startswith('<section class="board-column order-column status-new')
    assert f'id="order-card-{order.pk}"' in text
    assert client.get(BOARD, {"column": "lost"}).status_code == 404


# --- Moves ------------------------------------------------------------------------------


def test_a_dropped_card_moves_the_order_and_the_headers_are_recounted(client, personas, make_order):
    order = make_order(received_at=at(26, 9))
    response = drag(client, personas.alice, order, "confirmed")
    assert response.status_code == 200
    order.refresh_from_db()
    assert (order.status, order.changes.count()) == ("confirmed", 2)
    text = response.content.decode()
    assert text.startswith(f'<article class="board-card card order-card movable" id="order-card-'
                           f'{order.pk}"')  # fmt: skip
    assert f'data-version="{order.version}"' in text and 'data-status="confirmed"' in text
    assert 'id="order-head-confirmed" hx-swap-oob="true"' in text
    heads = {c.status: c.count for c in response.context["columns"]}
    assert (heads["new"], heads["confirmed"]) == (0, 1)


@pytest.mark.parametrize(
    ("walked", "target", "code", "message"),
    [((), "shipped", 422, "An order cannot go from «New» to «Shipped»."),
     (("confirmed", "assembled"), "shipped", 422,
      "The order must be paid before it goes from «Assembled» to «Shipped»."),
     ((), "new", 422, "The order is already «New»."),
     ((), "lost", 422, "Unknown order status.")],
)  # fmt: skip
def test_a_move_the_workflow_refuses_is_answered_with_the_reason_and_changes_nothing(
    client, personas, make_order, walked, target, code, message
):
    order = walk(make_order(received_at=at(26, 9)), personas.alice, *walked)
    before = state(order)
    response = drag(client, personas.alice, order, target)
    assert (response.status_code, response.content.decode()) == (code, message)
    assert response["Content-Type"].startswith("text/plain")
    assert state(order) == before


def test_a_move_of_an_order_changed_meanwhile_is_a_conflict(client, personas, make_order):
    order = make_order(received_at=at(26, 9))
    seen = order.version
    walk(order, personas.lead, "confirmed")
    before = state(order)
    response = drag(client, personas.alice, order, "cancelled", version=seen)
    assert response.status_code == 409
    assert "changed by someone else" in response.content.decode()
    assert state(order) == before


def test_a_move_without_a_version_is_a_conflict_too(client, personas, make_order):
    order = make_order(received_at=at(26, 9))
    before = state(order)
    response = as_(client, personas.alice).post(move_url(order), {"status": "confirmed"},
                                                HTTP_HX_REQUEST="true")  # fmt: skip
    assert response.status_code == 409
    assert state(order) == before


def test_the_cards_menu_moves_the_order_and_comes_back_to_the_board(client, personas, make_order):
    order = make_order(received_at=at(26, 9))
    response = as_(client, personas.alice).post(
        move_url(order), {"status": "confirmed", "version": order.version,
                          "next": f"{BOARD}?owner=me"},
    )  # fmt: skip
    assert (response.status_code, response["Location"]) == (302, f"{BOARD}?owner=me")
    assert Order.objects.get(pk=order.pk).status == "confirmed"
    page = client.get(response["Location"]).content.decode()
    assert f"Order {order.number}: «Confirmed»." in page


def test_a_refused_move_from_the_menu_comes_back_with_the_reason(client, personas, make_order):
    order = walk(make_order(received_at=at(26, 9)), personas.alice, "confirmed", "assembled")
    before = state(order)
    response = as_(client, personas.alice).post(
        move_url(order), {"status": "shipped", "version": order.version, "next": BOARD}
    )
    assert (response.status_code, response["Location"]) == (302, BOARD)
    page = client.get(BOARD).content.decode()
    assert "The order must be paid before it goes from «Assembled» to «Shipped»." in page
    assert state(order) == before


def test_a_next_page_elsewhere_is_not_followed(client, personas, make_order):
    order = make_order(received_at=at(26, 9))
    response = as_(client, personas.alice).post(
        move_url(order), {"status": "confirmed", "version": order.version,
                          "next": "https://evil.example/"},
    )  # fmt: skip
    assert response["Location"] == reverse("orders:order-detail", args=[order.pk])


@pytest.mark.parametrize(("persona", "code"), [("support", 403), ("bob", 404), ("outsider", 404)])
def test_who_may_not_move_the_order_is_refused_and_nothing_changes(
    client, personas, make_order, persona, code
):
    order = make_order(received_at=at(26, 9))
    before = state(order)
    user = getattr(personas, persona)
    assert drag(client, user, order, "confirmed").status_code == code
    plain = as_(client, user).post(move_url(order), {"status": "confirmed",
                                                     "version": order.version})  # fmt: skip
    assert plain.status_code == code
    assert state(order) == before


def test_the_team_lead_moves_a_team_members_order(client, personas, make_order):
    order = make_order(received_at=at(26, 9))
    assert drag(client, personas.lead, order, "confirmed").status_code == 200
    assert Order.objects.get(pk=order.pk).status == "confirmed"


# --- Queries ----------------------------------------------------------------------------


PATHS = {
    "new": (), "confirmed": ("confirmed",), "paid": ("confirmed", "paid"),
    "assembled": ("confirmed", "assembled"),
    "shipped": ("confirmed", "paid", "assembled", "shipped"),
    "delivered": ("confirmed", "paid", "assembled", "shipped", "delivered"),
    "cancelled": ("cancelled",),
    "returned": ("confirmed", "paid", "assembled", "shipped", "returned"),
}  # fmt: skip


def test_the_board_reads_a_fixed_number_of_queries_whatever_the_cards(
    client, personas, make_order, django_assert_max_num_queries
):
    as_(client, personas.head)
    for n, path in enumerate(PATHS.values()):
        walk(make_order(received_at=at(1 + n, 9)), personas.alice, *path)
    with CaptureQueriesContext(connection) as one_each:
        client.get(BOARD)
    for n in range(24):
        path = list(PATHS.values())[n % len(PATHS)]
        walk(make_order(received_at=at(10, 9, n)), personas.alice, *path)
    with django_assert_max_num_queries(len(one_each.captured_queries)):
        response = client.get(BOARD)
    assert [c.count for c in response.context["columns"]] == [4] * len(PATHS)
