"""The orders API's changes: fields, lines, payment, status moves, deletion, the order of
a won deal, and the workflow as the API reads it.

A refusal — a stale version (409), a move the workflow does not allow or allows only
when paid (422 naming ``status``), bad input (422 naming the field) — leaves the order,
its lines and its changes exactly as they were.
"""

from __future__ import annotations

import pytest
from django.utils import translation
from django.utils.translation import pgettext

from tests import factories
from tests.api_client import ApiClient, errors
from tests.orders.conftest import walk
from voronka.orders.models import Order, OrderLine, PaymentStatus, Status, StatusChange
from voronka.orders.services import order_set_payment, order_update


def _state(order: Order) -> tuple:
    """Everything the API could change about the order."""
    return (
        Order.all_objects.filter(pk=order.pk).values().get(),
        list(OrderLine.objects.filter(order_id=order.pk).values()),
        list(StatusChange.objects.filter(order_id=order.pk).values()),
    )


def _fresh(order: Order) -> Order:
    return Order.all_objects.get(pk=order.pk)


# --- Fields --------------------------------------------------------------------------------


def test_a_manager_changes_the_delivery_and_the_version_moves_on(personas, alices_order):
    response = ApiClient(personas.alice).patch(
        f"/orders/{alices_order.pk}",
        {"delivery_method": "post", "delivery_address": "Тверь, а/я 5", "notes": "Хрупкое",
         "version": alices_order.version},
    )  # fmt: skip

    assert response.status_code == 200, response.json()
    body = response.json()
    assert (body["delivery_method"], body["delivery_address"], body["notes"]) == (
        "post", "Тверь, а/я 5", "Хрупкое",
    )  # fmt: skip
    assert body["version"] == alices_order.version + 1
    assert (body["total"], len(body["lines"])) == ("15000.00", 2)


def test_an_edit_based_on_a_stale_copy_is_refused_with_the_current_version(personas, alices_order):
    api = ApiClient(personas.alice)
    first = api.patch(f"/orders/{alices_order.pk}", {"notes": "Первая правка", "version": 1})
    assert first.status_code == 200
    before = _state(alices_order)

    stale = api.patch(f"/orders/{alices_order.pk}", {"notes": "Вторая правка", "version": 1})

    assert stale.status_code == 409
    assert stale.json()["current_version"] == 2
    assert _state(alices_order) == before
    assert _fresh(alices_order).notes == "Первая правка"


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        ({"owner": None}, "owner", None),
        ({"company": 999999}, "company", "No such company."),
        ({"deal": 999999}, "deal", "No such record."),
        ({"number": ""}, "number", "The order needs a number."),
        ({"language": "de"}, "language", None),
        ({"exchange_rate": "0"}, "exchange_rate", None),
        ({}, "version", None),
    ],
)  # fmt: skip
def test_bad_changes_are_refused_naming_the_field(personas, alices_order, body, field, message):
    before = _state(alices_order)
    body = {"version": alices_order.version, **body}
    if field == "version":
        body.pop("version")

    response = ApiClient(personas.alice).patch(f"/orders/{alices_order.pk}", body)

    assert response.status_code == 422, response.json()
    assert list(errors(response)) == [field]
    if message is not None:
        assert errors(response)[field] == [message]
    assert _state(alices_order) == before


def test_a_second_order_of_the_same_number_is_refused(personas, make_order):
    first = make_order(number="A-1")
    second = make_order()
    before = _state(second)

    response = ApiClient(personas.alice).patch(
        f"/orders/{second.pk}", {"number": first.number, "version": second.version}
    )

    assert errors(response) == {"number": ["An order with this number already exists."]}
    assert _state(second) == before


# --- Lines ---------------------------------------------------------------------------------


def test_new_lines_replace_the_old_and_the_totals_follow(personas, alices_order, catalogue):
    chair, _table = catalogue

    response = ApiClient(personas.alice).client.put(
        f"/api/v1/orders/{alices_order.pk}/lines",
        {"version": alices_order.version,
         "lines": [{"product": chair.pk, "quantity": "4", "unit_price": "1450.00",
                    "discount_percent": "5", "vat_rate": "20"}]},
        content_type="application/json",
    )  # fmt: skip

    assert response.status_code == 200, response.json()
    body = response.json()
    # 4 × 1 450.00 = 5 800.00, less 5 % = 5 510.00, of which VAT 20/120 = 918.33.
    assert [(line["gross"], line["discount"], line["vat"], line["total"])
            for line in body["lines"]] == [("5800.00", "290.00", "918.33", "5510.00")]  # fmt: skip
    assert (body["subtotal"], body["discount_total"], body["vat_total"], body["total"]) == (
        "5800.00", "290.00", "918.33", "5510.00",
    )  # fmt: skip
    assert OrderLine.objects.filter(order=alices_order).count() == 1


def _put_lines(api: ApiClient, order: Order, body: dict):
    return api.client.put(f"/api/v1/orders/{order.pk}/lines", body,
                          content_type="application/json")  # fmt: skip


def test_lines_of_an_assembled_order_cannot_change(personas, alices_order, catalogue):
    order = walk(alices_order, personas.alice, Status.CONFIRMED, Status.ASSEMBLED)
    before = _state(order)

    response = _put_lines(ApiClient(personas.alice), order,
                          {"version": order.version,
                           "lines": [{"product": catalogue[0].pk}]})  # fmt: skip

    assert errors(response) == {
        "lines": ["The order is already «Assembled»: its lines cannot change."]
    }
    assert _state(order) == before


@pytest.mark.parametrize(
    ("lines", "field", "message"),
    [
        ([], "lines", "Add at least one line to the order."),
        ([{"product": 999999}], "product", "No such product."),
        ([{"name": "Монтаж"}], "lines", "Line 1: give the unit price."),
        ([{"name": "Монтаж", "unit_price": "100", "discount_percent": "101"}],
         "discount_percent", None),
    ],
)  # fmt: skip
def test_bad_lines_are_refused_and_the_old_ones_stay(personas, alices_order, lines, field,
                                                     message):  # fmt: skip
    before = _state(alices_order)

    response = _put_lines(ApiClient(personas.alice), alices_order,
                          {"version": alices_order.version, "lines": lines})  # fmt: skip

    assert response.status_code == 422
    assert list(errors(response)) == [field]
    if message is not None:
        assert errors(response)[field] == [message]
    assert _state(alices_order) == before


def test_lines_based_on_a_stale_copy_are_refused(personas, alices_order, catalogue):
    order_update(actor=personas.alice, order=alices_order, version=1, data={"notes": "Срочно"})
    before = _state(alices_order)

    response = _put_lines(ApiClient(personas.alice), alices_order,
                          {"version": 1, "lines": [{"product": catalogue[0].pk}]})  # fmt: skip

    assert (response.status_code, response.json()["current_version"]) == (409, 2)
    assert _state(alices_order) == before


# --- Payment and status --------------------------------------------------------------------


def test_a_move_along_the_workflow_is_recorded_with_its_comment(personas, alices_order):
    response = ApiClient(personas.alice).post(
        f"/orders/{alices_order.pk}/status",
        {"status": "confirmed", "version": alices_order.version, "comment": "Клиент подтвердил"},
    )

    assert response.status_code == 200, response.json()
    body = response.json()
    change = StatusChange.objects.get(order=alices_order, to_status=Status.CONFIRMED)
    assert (body["status"], body["version"]) == ("confirmed", alices_order.version + 1)
    assert body["changes"][-1] == {
        "id": change.pk, "from_status": "new", "to_status": "confirmed",
        "changed_by": {"id": personas.alice.pk, "name": "Алиса Иванова"},
        "changed_at": body["status_entered_at"], "comment": "Клиент подтвердил",
        "email_to": "petr@romashka.example", "email_status": "pending", "email_sent_at": None,
    }  # fmt: skip
    assert [s["status"] for s in body["allowed_statuses"]] == ["paid", "assembled", "cancelled"]


def test_a_move_the_workflow_does_not_allow_is_refused_naming_both_statuses(personas, alices_order):
    before = _state(alices_order)

    response = ApiClient(personas.alice).post(
        f"/orders/{alices_order.pk}/status", {"status": "shipped", "version": alices_order.version}
    )

    assert response.status_code == 422
    assert errors(response) == {"status": ["An order cannot go from «New» to «Shipped»."]}
    assert _state(alices_order) == before


def test_a_move_that_needs_payment_is_refused_until_the_order_is_paid(personas, alices_order):
    order = walk(alices_order, personas.alice, Status.CONFIRMED, Status.ASSEMBLED)
    api = ApiClient(personas.alice)
    before = _state(order)

    unpaid = api.post(f"/orders/{order.pk}/status", {"status": "shipped",
                                                     "version": order.version})  # fmt: skip
    assert errors(unpaid) == {
        "status": ["The order must be paid before it goes from «Assembled» to «Shipped»."]
    }
    assert _state(order) == before

    paid = api.post(f"/orders/{order.pk}/payment", {"payment_status": "paid",
                                                    "version": order.version})  # fmt: skip
    assert (paid.status_code, paid.json()["payment_status"]) == (200, "paid")
    shipped = api.post(f"/orders/{order.pk}/status", {"status": "shipped",
                                                      "version": paid.json()["version"]})  # fmt: skip
    assert (shipped.status_code, shipped.json()["status"]) == (200, "shipped")


def test_of_two_people_moving_one_order_the_second_is_told_it_changed(personas, alices_order):
    seen = alices_order.version
    ApiClient(personas.lead).post(f"/orders/{alices_order.pk}/status",
                                  {"status": "confirmed", "version": seen})  # fmt: skip
    before = _state(alices_order)

    # The same move, from the copy Alice read before her lead's.
    late = ApiClient(personas.alice).post(
        f"/orders/{alices_order.pk}/status", {"status": "confirmed", "version": seen}
    )

    assert late.status_code == 409
    assert late.json()["current_version"] == seen + 1
    assert _state(alices_order) == before


@pytest.mark.parametrize(
    ("body", "field"),
    [({"status": "lost", "version": 1}, "status"), ({"status": "confirmed"}, "version"),
     ({"status": "confirmed", "version": 1, "comment": "x" * 501}, "comment")],
)  # fmt: skip
def test_a_bad_status_request_names_the_field(personas, alices_order, body, field):
    before = _state(alices_order)

    response = ApiClient(personas.alice).post(f"/orders/{alices_order.pk}/status", body)

    assert response.status_code == 422
    assert list(errors(response)) == [field]
    assert _state(alices_order) == before


def test_payment_is_set_with_the_version_read(personas, alices_order):
    api = ApiClient(personas.alice)
    path = f"/orders/{alices_order.pk}/payment"

    unknown = api.post(path, {"payment_status": "maybe", "version": alices_order.version})
    partial = api.post(path, {"payment_status": "partial", "version": alices_order.version})
    stale = api.post(path, {"payment_status": "paid", "version": alices_order.version})

    assert list(errors(unknown)) == ["payment_status"]
    assert (partial.status_code, partial.json()["payment_status"]) == (200, "partial")
    assert (stale.status_code, stale.json()["current_version"]) == (409, alices_order.version + 1)
    assert _fresh(alices_order).payment_status == PaymentStatus.PARTIAL


# --- Deleting ------------------------------------------------------------------------------


def test_an_order_is_deleted_with_the_version_read(personas, alices_order):
    api = ApiClient(personas.alice)

    stale = api.delete(f"/orders/{alices_order.pk}", version=alices_order.version + 1)
    deleted = api.delete(f"/orders/{alices_order.pk}", version=alices_order.version)

    assert (stale.status_code, deleted.status_code) == (409, 204)
    assert _fresh(alices_order).deleted_at is not None
    assert api.get(f"/orders/{alices_order.pk}").status_code == 404
    assert api.get("/orders").json()["items"] == []


# --- The order of a won deal ---------------------------------------------------------------


def test_a_won_deal_becomes_its_order_once(personas, won_deal, catalogue):
    chair, table = catalogue
    api = ApiClient(personas.alice)

    made = api.post(f"/deals/{won_deal.pk}/order")
    again = api.post(f"/deals/{won_deal.pk}/order")

    assert made.status_code == 201, made.json()
    body = made.json()
    order = Order.objects.get()
    assert body["deal"] == {"id": won_deal.pk, "name": "Мебель для переговорной"}
    assert [(line["product"]["id"], line["quantity"], line["discount_percent"], line["total"])
            for line in body["lines"]] == [
        (chair.pk, "3.000", "10.00", "4050.00"), (table.pk, "1.000", "0.00", "12000.00"),
    ]  # fmt: skip
    assert (body["total"], body["owner"]["id"]) == ("16050.00", personas.alice.pk)
    assert again.status_code == 422
    assert errors(again) == {"deal": [f"This deal already has order {order.number}."]}
    assert Order.objects.count() == 1


def test_a_deal_not_won_is_refused_naming_the_deal(personas, client_company, stages):
    company, _contact = client_company
    deal = factories.deal(personas.alice, company=company, pipeline=stages["new"].pipeline)

    response = ApiClient(personas.alice).post(f"/deals/{deal.pk}/order")

    assert errors(response) == {"deal": ["Only a won deal becomes an order."]}
    assert Order.all_objects.count() == 0


@pytest.mark.parametrize(
    ("who", "status"),
    [("admin", 201), ("head", 201), ("lead", 201), ("alice", 201), ("bob", 404),
     ("support", 403), ("outsider", 404)],
)  # fmt: skip
def test_who_makes_the_order_of_a_won_deal(personas, won_deal, who, status):
    response = ApiClient(getattr(personas, who)).post(f"/deals/{won_deal.pk}/order")

    assert response.status_code == status
    assert Order.objects.count() == (1 if status == 201 else 0)
    if status == 201:
        # Whoever makes it, the deal's manager is responsible for the order.
        assert Order.objects.get().owner_id == personas.alice.pk


# --- The workflow --------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["admin", "head", "lead", "alice", "bob", "support", "outsider"])
def test_everyone_who_sees_orders_reads_the_workflow(personas, who, django_assert_max_num_queries):
    api = ApiClient(getattr(personas, who))
    api.get("/me")

    with django_assert_max_num_queries(4):
        response = api.get("/order-workflow")

    assert response.status_code == 200
    body = response.json()
    assert body["transitions"] == [
        {"from_status": a, "to_status": b, "requires_payment": paid}
        for a, b, paid in [
            ("new", "confirmed", False), ("new", "cancelled", False),
            ("confirmed", "paid", False), ("confirmed", "assembled", False),
            ("confirmed", "cancelled", False), ("paid", "assembled", False),
            ("paid", "cancelled", False), ("assembled", "shipped", True),
            ("assembled", "cancelled", False), ("shipped", "delivered", False),
            ("shipped", "returned", False), ("delivered", "returned", False),
        ]
    ]  # fmt: skip
    assert [(s["status"], s["label"], s["is_open"], s["norm_hours"], s["clock"],
             s["notify_client"]) for s in body["statuses"]] == [
        # A new order waits for a manager, who works working hours.
        ("new", "New", True, 4, "working", False),
        ("confirmed", "Confirmed", True, 48, "calendar", True),
        ("paid", "Paid", True, 24, "calendar", True),
        ("assembled", "Assembled", True, 24, "calendar", False),
        ("shipped", "Shipped", True, 120, "calendar", True),
        ("delivered", "Delivered", False, None, "calendar", True),
        ("cancelled", "Cancelled", False, None, "calendar", True),
        ("returned", "Returned", False, None, "calendar", False),
    ]  # fmt: skip


def test_the_workflow_speaks_the_reader_s_language(personas):
    body = ApiClient(personas.alice, language="ru").get("/order-workflow").json()

    with translation.override("ru"):
        assert body["statuses"][0]["label"] == pgettext("order status", "New")


def test_an_order_paid_meanwhile_may_be_shipped(personas, alices_order):
    order = walk(alices_order, personas.alice, Status.CONFIRMED, Status.ASSEMBLED)
    order_set_payment(actor=personas.alice, order=order, version=order.version,
                      payment_status=PaymentStatus.PAID)  # fmt: skip

    body = ApiClient(personas.alice).get(f"/orders/{order.pk}").json()

    assert body["allowed_statuses"][0] == {
        "status": "shipped", "requires_payment": True, "possible": True,
    }  # fmt: skip
