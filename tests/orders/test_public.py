"""The client's public status page of an order: opened by the signed link alone, showing
that order and nothing internal; forged links refused with 400, revoked or deleted
orders with 404."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from django.core import signing
from django.test import Client
from django.utils import translation

from tests.orders.conftest import walk
from voronka.core import organisation
from voronka.orders import links
from voronka.orders.models import Order, Status
from voronka.orders.services import order_delete


def label(status: str, language: str) -> str:
    with translation.override(language):
        return str(Status(status).label)


def open_page(order_or_path, **params):
    path = order_or_path if isinstance(order_or_path, str) else links.public_path(order_or_path)
    return Client().get(path, params)


def states(response) -> list[tuple[str, str]]:
    return [(step.status, step.state) for step in response.context["steps"]]


@pytest.fixture
def noted_order(make_order):
    return make_order(notes="Внутренняя пометка: клиент капризный", client_phone="+79120000000")


def test_a_genuine_link_shows_the_order_to_anyone_without_a_login(personas, noted_order):
    order = walk(noted_order, personas.alice, Status.CONFIRMED)

    response = open_page(order)

    assert response.status_code == 200
    assert response.context["order"].pk == order.pk
    html = response.content.decode()
    assert f"№ {order.number}" in html
    assert label(Status.CONFIRMED, "ru") in html
    assert "Стул офисный" in html
    assert "Стол переговорный" in html
    assert "15\xa0000,00\xa0₽" in html  # the total
    assert "Алиса" in html  # the manager's first name
    assert "Voronka" in html  # the organisation
    # Nothing internal: notes, the manager's surname, contacts, the link's secret.
    for secret in ("Внутренняя пометка", "Иванова", "alice@example.com", "+79120000000",
                   order.public_nonce, "petr@romashka.example"):  # fmt: skip
        assert secret not in html


def test_the_page_is_kept_out_of_search_engines_caches_and_referrers(alices_order):
    response = open_page(alices_order)
    assert response["X-Robots-Tag"] == "noindex, nofollow"
    assert response["Referrer-Policy"] == "no-referrer"
    assert "no-store" in response["Cache-Control"]
    html = response.content.decode()
    assert '<meta name="robots" content="noindex, nofollow">' in html
    assert '<meta name="referrer" content="no-referrer">' in html


def test_the_page_speaks_the_orders_language_and_the_switch_changes_it(make_order):
    russian, english = make_order(), make_order(language="en")
    assert open_page(russian)["Content-Language"] == "ru"
    assert open_page(english)["Content-Language"] == "en"
    switched = open_page(russian, lang="en")
    assert switched["Content-Language"] == "en"
    assert "What you ordered" in switched.content.decode()
    assert open_page(english, lang="xx")["Content-Language"] == "en"


def test_the_progress_shows_each_step_with_its_date_and_a_skipped_one(personas, alices_order):
    order = walk(alices_order, personas.alice, Status.CONFIRMED, Status.ASSEMBLED)

    response = open_page(order)

    assert states(response) == [
        ("new", "done"), ("confirmed", "done"), ("paid", "skipped"), ("assembled", "current"),
        ("shipped", "todo"), ("delivered", "todo"),
    ]  # fmt: skip
    dates = {step.status: step.at for step in response.context["steps"]}
    changes = {c.to_status: c.changed_at for c in order.changes.all()}
    assert dates == {"new": changes["new"], "confirmed": changes["confirmed"], "paid": None,
                     "assembled": changes["assembled"], "shipped": None, "delivered": None}  # fmt: skip


def test_a_cancelled_order_shows_where_it_stopped(personas, alices_order):
    order = walk(alices_order, personas.alice, Status.CONFIRMED, Status.CANCELLED)
    response = open_page(order)
    assert states(response) == [
        ("new", "done"), ("confirmed", "done"), ("paid", "todo"), ("assembled", "todo"),
        ("shipped", "todo"), ("delivered", "todo"), ("cancelled", "stopped"),
    ]  # fmt: skip
    assert label(Status.CANCELLED, "ru") in response.content.decode()


def test_a_returned_order_shows_its_way_and_the_return(personas, alices_order):
    from voronka.orders.services import order_set_payment

    order = walk(alices_order, personas.alice, Status.CONFIRMED, Status.PAID, Status.ASSEMBLED)
    order = order_set_payment(actor=personas.alice, order=order, version=order.version,
                              payment_status="paid")  # fmt: skip
    order = walk(order, personas.alice, Status.SHIPPED, Status.DELIVERED, Status.RETURNED)
    response = open_page(order)
    assert states(response) == [
        ("new", "done"), ("confirmed", "done"), ("paid", "done"), ("assembled", "done"),
        ("shipped", "done"), ("delivered", "done"), ("returned", "stopped"),
    ]  # fmt: skip


# --- Refused links -------------------------------------------------------------------------


def test_a_link_with_a_changed_character_is_forged(alices_order):
    path = links.public_path(alices_order)
    token = path.rstrip("/").rsplit("/", 1)[1]
    bad = token[:-1] + ("A" if token[-1] != "A" else "B")
    response = open_page(f"/orders/status/{bad}/")
    assert response.status_code == 400
    assert response.context["reason"] == "forged"
    assert "№" not in response.content.decode()
    assert response["X-Robots-Tag"] == "noindex, nofollow"


def test_a_made_up_link_is_forged(db):
    assert open_page("/orders/status/not-a-token/").status_code == 400
    made_up = signing.dumps([1, "guess"], salt="another-salt")
    assert open_page(f"/orders/status/{made_up}/").status_code == 400


def test_another_orders_id_put_into_a_link_is_forged(make_order):
    mine, theirs = make_order(), make_order()
    token = links.token_for(mine)
    payload, rest = token.split(":", 1)
    changed = json.dumps([theirs.pk, mine.public_nonce], separators=(",", ":")).encode()
    forged = signing.b64_encode(changed).decode() + ":" + rest

    response = open_page(f"/orders/status/{forged}/")

    assert response.status_code == 400
    assert "order" not in response.context


def test_a_revoked_link_is_gone(alices_order):
    path = links.public_path(alices_order)
    Order.objects.filter(pk=alices_order.pk).update(public_nonce="a-new-secret")

    response = open_page(path)

    assert response.status_code == 404
    assert response.context["reason"] == "gone"
    assert open_page(Order.objects.get(pk=alices_order.pk)).status_code == 200  # the new link


def test_a_deleted_orders_link_is_gone(personas, alices_order):
    path = links.public_path(alices_order)
    order_delete(actor=personas.alice, order=alices_order, version=alices_order.version)
    response = open_page(path)
    assert response.status_code == 404
    assert "Стул офисный" not in response.content.decode()


def test_the_page_takes_no_posts(alices_order):
    response = Client().post(links.public_path(alices_order))
    assert response.status_code == 405


# --- Queries -------------------------------------------------------------------------------


def test_the_page_reads_three_queries_however_long_the_order(
    personas, make_order, catalogue, django_assert_max_num_queries
):
    chair, table = catalogue
    small = make_order(lines=[{"product": chair, "quantity": 1}])
    big = make_order(lines=[{"product": chair if n % 2 else table, "quantity": Decimal(n)}
                            for n in range(1, 31)])  # fmt: skip
    big = walk(big, personas.alice, Status.CONFIRMED, Status.CANCELLED)
    organisation.current()  # the organisation's settings are cached between requests

    for order in (small, big):
        path = links.public_path(order)
        with django_assert_max_num_queries(3):
            response = open_page(path)
        assert response.status_code == 200
    assert len(response.context["lines"]) == 30
