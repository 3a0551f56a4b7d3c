"""Order events reach webhooks: a real HTTP receiver on 127.0.0.1 gets each signed
delivery, whose ``data`` is the order as it was when the event happened."""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from http.server import ThreadingHTTPServer

import pytest

from tests.api_client import ApiClient
from tests.automation.conftest import (  # noqa: F401 - their webhook settings, autouse
    Receiver,
    _handler_for,
    _webhook_settings,
    make_webhook,
)
from tests.orders.conftest import walk
from voronka.automation.models import WebhookDelivery
from voronka.automation.payloads import build
from voronka.orders import overdue
from voronka.orders.models import Status, StatusChange

ORDER_EVENTS = [
    "order.created", "order.status_changed", "order.paid", "order.delivered",
    "order.cancelled", "order.overdue",
]  # fmt: skip
RECEIVED = datetime(2025, 3, 3, 6, 0, tzinfo=UTC)


@pytest.fixture
def receiver():
    """The automation tests' real receiver: records each POST and checks its signature."""
    found = Receiver()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(found))
    found.server = server
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield found
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


def _z(at: datetime | None) -> str | None:
    return at.astimezone(UTC).isoformat() if at else None


def test_an_order_s_life_reaches_a_webhook_subscribed_to_every_order_event_in_order(
    personas,
    make_order,
    receiver,
    django_capture_on_commit_callbacks,
):
    make_webhook(personas.admin, receiver.url, ORDER_EVENTS, receiver)
    alice = personas.alice
    run = django_capture_on_commit_callbacks
    with run(execute=True):
        order = make_order(received_at=RECEIVED)
    for status in (Status.CONFIRMED, Status.PAID, Status.ASSEMBLED, Status.SHIPPED,
                   Status.DELIVERED):  # fmt: skip
        with run(execute=True):
            order = walk(order, alice, status)
    with run(execute=True):
        other = make_order()
    with run(execute=True):
        walk(other, alice, Status.CANCELLED)

    got = [
        (r.headers["X-Voronka-Event"], r.json["data"]["id"], r.signature_ok)
        for r in receiver.requests
    ]
    assert got == [
        ("order.created", order.pk, True),
        *[("order.status_changed", order.pk, True)] * 2,
        ("order.paid", order.pk, True),
        *[("order.status_changed", order.pk, True)] * 3,
        ("order.delivered", order.pk, True),
        ("order.created", other.pk, True),
        ("order.status_changed", other.pk, True),
        ("order.cancelled", other.pk, True),
    ]
    statuses = [r.json["data"]["status"] for r in receiver.requests]
    # Each delivery carries the order as it was when its event happened.
    assert statuses == [
        "new", "confirmed", "paid", "paid", "assembled", "shipped", "delivered", "delivered",
        "new", "cancelled", "cancelled",
    ]  # fmt: skip
    assert set(WebhookDelivery.objects.values_list("status", flat=True)) == {"delivered"}


def test_the_order_payload_is_the_whole_order_with_money_as_strings(
    personas,
    client_company,
    catalogue,
    make_order,
    receiver,
    django_capture_on_commit_callbacks,
):
    company, contact = client_company
    chair, _table = catalogue
    make_webhook(personas.admin, receiver.url, ["order.created"], receiver)

    with django_capture_on_commit_callbacks(execute=True):
        order = make_order(
            received_at=RECEIVED, delivery_address="Москва, ул. Ленина, 1",
            lines=[{"product": chair, "quantity": 3, "discount_percent": 10},
                   {"name": "Доставка", "unit_price": "500", "vat_rate": "0"}],
        )  # fmt: skip

    [request] = receiver.requests
    body = request.json
    assert (body["event"], body["id"]) == ("order.created", request.headers["X-Voronka-Delivery"])
    assert body["data"] == {
        "id": order.pk,
        "number": order.number,
        "url": f"https://crm.example.com/orders/{order.pk}/",
        "status": "new",
        "status_entered_at": "2025-03-03T06:00:00+00:00",
        "status_due_at": "2025-03-03T10:00:00+00:00",
        "overdue": True,
        "payment_status": "unpaid",
        "paid_at": None,
        "company": {"id": company.pk, "name": "ООО «Ромашка»"},
        "contact": {"id": contact.pk, "name": "Клиентов Пётр"},
        "deal": None,
        "owner": {"id": personas.alice.pk, "name": "Алиса Иванова",
                  "email": "alice@example.com"},
        "client_email": "petr@romashka.example",
        "client_phone": "",
        "currency": "RUB",
        "exchange_rate": "1.000000",
        "prices_include_vat": True,
        "subtotal": "5000.00",
        "discount_total": "450.00",
        "vat_total": "730.33",
        "total": "4550.00",
        "delivery_method": "courier",
        "delivery_address": "Москва, ул. Ленина, 1",
        "delivery_date": None,
        "language": "ru",
        "external_id": "",
        "lines": [
            {"product": {"id": chair.pk, "name": "Стул офисный"}, "name": "Стул офисный",
             "sku": "CH-1", "unit": "", "quantity": "3.000", "unit_price": "1500.00",
             "discount_percent": "10.00", "vat_rate": "22.00", "discount": "450.00",
             "vat": "730.33", "total": "4050.00"},
            {"product": None, "name": "Доставка", "sku": "", "unit": "", "quantity": "1.000",
             "unit_price": "500.00", "discount_percent": "0.00", "vat_rate": "0.00",
             "discount": "0.00", "vat": "0.00", "total": "500.00"},
        ],
        "created_at": "2025-03-03T06:00:00+00:00",
        "delivered_at": None,
        "closed_at": None,
        "deleted": False,
    }  # fmt: skip


def test_a_status_change_says_from_to_who_when_and_why(
    personas,
    alices_order,
    receiver,
    django_capture_on_commit_callbacks,
):
    make_webhook(personas.admin, receiver.url, ["order.status_changed"], receiver)

    with django_capture_on_commit_callbacks(execute=True):
        response = ApiClient(personas.lead).post(
            f"/orders/{alices_order.pk}/status",
            {"status": "confirmed", "version": alices_order.version, "comment": "Согласовано"},
        )

    assert response.status_code == 200
    change = StatusChange.objects.get(to_status=Status.CONFIRMED)
    [request] = receiver.requests
    data = request.json["data"]
    assert (data["id"], data["status"]) == (alices_order.pk, "confirmed")
    assert data["change"] == {
        "id": change.pk,
        "from_status": "new",
        "to_status": "confirmed",
        "changed_by": {"id": personas.lead.pk, "name": "Лев Лидов", "email": "lead@example.com"},
        "changed_at": _z(change.changed_at),
        "comment": "Согласовано",
    }
    assert request.signature_ok


def test_a_refused_move_sends_nothing(
    personas,
    alices_order,
    receiver,
    django_capture_on_commit_callbacks,
):
    make_webhook(personas.admin, receiver.url, ORDER_EVENTS, receiver)

    with django_capture_on_commit_callbacks(execute=True):
        refused = ApiClient(personas.alice).post(
            f"/orders/{alices_order.pk}/status",
            {"status": "shipped", "version": alices_order.version},
        )

    assert refused.status_code == 422
    assert receiver.requests == []
    assert WebhookDelivery.objects.count() == 0


def test_an_overdue_order_goes_out_once_with_its_norm(
    personas, make_order, receiver, django_capture_on_commit_callbacks
):
    make_webhook(personas.admin, receiver.url, ["order.overdue"], receiver)
    order = make_order(received_at=RECEIVED)

    for _run in range(2):  # the sweep runs every five minutes: the order is reported once
        with django_capture_on_commit_callbacks(execute=True):
            overdue.sweep()

    [request] = receiver.requests
    data = request.json["data"]
    assert (request.headers["X-Voronka-Event"], request.signature_ok) == ("order.overdue", True)
    assert (data["id"], data["status"], data["overdue"], data["status_due_at"]) == (
        order.pk, "new", True, "2025-03-03T10:00:00+00:00",
    )  # fmt: skip


def test_a_webhook_not_subscribed_to_order_events_hears_none(
    personas,
    make_order,
    receiver,
    django_capture_on_commit_callbacks,
):
    make_webhook(personas.admin, receiver.url, ["deal.won"], receiver)

    with django_capture_on_commit_callbacks(execute=True):
        walk(make_order(), personas.alice, Status.CANCELLED)

    assert receiver.requests == []


@pytest.mark.parametrize("event", ORDER_EVENTS)
def test_an_order_deleted_for_good_before_the_send_still_goes_out_with_its_id(db, event):
    refs = {"order_id": 987654, "actor_id": None}
    if event == "order.status_changed":
        refs |= {"change_id": 55, "from_status": "new", "to_status": "confirmed"}

    data = build(event, refs)

    expected = {"id": 987654}
    if event == "order.status_changed":
        expected["change"] = {
            "id": 55, "from_status": "new", "to_status": "confirmed", "changed_by": None,
            "changed_at": None, "comment": "",
        }  # fmt: skip
    assert data == expected


def test_a_deleted_order_goes_out_marked_deleted(personas, alices_order):
    from voronka.orders.services import order_delete

    order_delete(actor=personas.alice, order=alices_order, version=alices_order.version)

    data = build("order.paid", {"order_id": alices_order.pk, "actor_id": personas.alice.pk})

    assert (data["id"], data["deleted"], data["total"]) == (alices_order.pk, True, "15000.00")
