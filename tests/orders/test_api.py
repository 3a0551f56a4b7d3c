"""The orders API: taking an order down, reading it, and the list with its filters.

Orders are of Alice's client ООО «Ромашка» (``client_company``) unless a test says
otherwise; the catalogue has a chair (1 500.00, VAT 22 %) and a table (12 000.00, VAT 10 %).
Changes, the workflow and who may do what are in the other ``test_api_*`` modules.
"""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import get_args

import pytest
from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from tests import factories
from tests.api_client import BASE, ApiClient, errors
from tests.orders.conftest import walk
from voronka.core import organisation
from voronka.orders import links, schemas
from voronka.orders.models import (
    DeliveryMethod,
    MailStatus,
    Order,
    OrderLine,
    PaymentStatus,
    Status,
    StatusChange,
    StatusSetting,
)
from voronka.orders.services import order_set_payment

# 2025-03-03 is a Monday; 09:00 in Moscow.
RECEIVED = datetime.datetime(2025, 3, 3, 6, 0, tzinfo=datetime.UTC)


def _z(at: datetime.datetime | None) -> str | None:
    """A time as the API writes it."""
    return None if at is None else DjangoJSONEncoder().default(at.astimezone(datetime.UTC))


def _opens(url: str) -> Order:
    """The order the client's status link opens."""
    base = settings.VORONKA_BASE_URL.rstrip("/")
    token = url.removeprefix(base + reverse("orders:public-status", args=["-"])[:-2])
    return links.order_from_token(token.rstrip("/"))


def _ids(api: ApiClient, **params) -> list[int]:
    response = api.get("/orders", **params)
    assert response.status_code == 200, response.json()
    return [item["id"] for item in response.json()["items"]]


# --- Taking an order down ------------------------------------------------------------------


def test_a_manager_takes_down_an_order_and_it_answers_in_full_with_decimal_strings(
    personas, client_company, catalogue
):
    company, contact = client_company
    chair, table = catalogue
    alice = personas.alice

    response = ApiClient(alice).post(
        "/orders",
        {
            "company": company.pk, "contact": contact.pk, "delivery_method": "pickup",
            "delivery_address": "Москва, ул. Ленина, 1", "delivery_date": "2025-03-10",
            "notes": "Позвонить за час", "currency": "RUB",
            "received_at": "2025-03-03T09:00:00+03:00",
            "lines": [
                {"product": chair.pk, "quantity": "3", "discount_percent": "10"},
                {"product": table.pk, "unit_price": "11000.50"},
                {"name": "Доставка", "unit_price": "500", "vat_rate": "0", "unit": "усл."},
            ],
        },
    )  # fmt: skip

    assert response.status_code == 201, response.json()
    order = Order.objects.get()
    lines = list(order.lines.order_by("position"))
    change = StatusChange.objects.get()
    body = response.json()
    assert body.pop("updated_at") == _z(order.updated_at)
    assert _opens(body.pop("public_url")) == order
    assert body == {
        "id": order.pk,
        "number": f"{order.pk:06d}",
        "status": "new",
        "is_open": True,
        # The «new» norm of four hours ran out long ago.
        "overdue": True,
        "status_entered_at": "2025-03-03T06:00:00Z",
        "status_due_at": "2025-03-03T10:00:00Z",
        "payment_status": "unpaid",
        "paid_at": None,
        "company": {"id": company.pk, "name": "ООО «Ромашка»"},
        "contact": {"id": contact.pk, "name": "Клиентов Пётр"},
        "client_name": "ООО «Ромашка»",
        "client_email": "petr@romashka.example",
        "client_phone": "",
        "deal": None,
        "owner": {"id": alice.pk, "name": "Алиса Иванова"},
        "currency": "RUB",
        "exchange_rate": "1.000000",
        "prices_include_vat": True,
        "subtotal": "16000.50",
        "discount_total": "450.00",
        "vat_total": "1730.38",
        "total": "15550.50",
        "delivery_method": "pickup",
        "delivery_address": "Москва, ул. Ленина, 1",
        "delivery_date": "2025-03-10",
        "language": "ru",
        "notes": "Позвонить за час",
        "external_id": "",
        "delivered_at": None,
        "closed_at": None,
        "exported_at": None,
        "created_at": "2025-03-03T06:00:00Z",
        "version": 1,
        "lines": [
            {"id": lines[0].pk, "position": 1, "product": {"id": chair.pk, "name": "Стул офисный"},
             "name": "Стул офисный", "sku": "CH-1", "unit": "", "quantity": "3.000",
             "unit_price": "1500.00", "discount_percent": "10.00", "vat_rate": "22.00",
             "gross": "4500.00", "discount": "450.00", "vat": "730.33", "total": "4050.00"},
            {"id": lines[1].pk, "position": 2,
             "product": {"id": table.pk, "name": "Стол переговорный"},
             "name": "Стол переговорный", "sku": "TB-2", "unit": "", "quantity": "1.000",
             "unit_price": "11000.50", "discount_percent": "0.00", "vat_rate": "10.00",
             "gross": "11000.50", "discount": "0.00", "vat": "1000.05", "total": "11000.50"},
            {"id": lines[2].pk, "position": 3, "product": None, "name": "Доставка", "sku": "",
             "unit": "усл.", "quantity": "1.000", "unit_price": "500.00",
             "discount_percent": "0.00", "vat_rate": "0.00", "gross": "500.00",
             "discount": "0.00", "vat": "0.00", "total": "500.00"},
        ],
        "changes": [
            {"id": change.pk, "from_status": "", "to_status": "new",
             "changed_by": {"id": alice.pk, "name": "Алиса Иванова"},
             "changed_at": "2025-03-03T06:00:00Z", "comment": "", "email_to": "",
             "email_status": "none", "email_sent_at": None},
        ],
        "allowed_statuses": [
            {"status": "confirmed", "requires_payment": False, "possible": True},
            {"status": "cancelled", "requires_payment": False, "possible": True},
        ],
        "can_change": True,
    }  # fmt: skip
    assert (order.total, order.vat_total) == (Decimal("15550.50"), Decimal("1730.38"))


def test_the_head_makes_an_order_for_a_manager_and_a_number_of_their_own(
    personas, client_company, catalogue
):
    company, _contact = client_company
    chair, _table = catalogue

    response = ApiClient(personas.head).post(
        "/orders",
        {"company": company.pk, "owner": personas.alice.pk, "number": "ИМ-2025-001",
         "prices_include_vat": False, "lines": [{"product": chair.pk, "quantity": "2"}]},
    )  # fmt: skip

    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["number"], body["owner"]["id"], body["contact"]) == (
        "ИМ-2025-001", personas.alice.pk, None,
    )  # fmt: skip
    # VAT on top: 3 000.00 + 22 % = 660.00.
    assert (body["subtotal"], body["vat_total"], body["total"]) == ("3000.00", "660.00", "3660.00")


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        ({"lines": []}, "lines", "Add at least one line to the order."),
        ({"company": None, "lines": [{"name": "Услуга", "unit_price": "10"}]}, "company",
         "Choose the client: a company or a contact."),
        ({"lines": [{"quantity": "1", "unit_price": "10"}]}, "lines",
         "Line 1: choose a product or write a name."),
        ({"lines": [{"name": "Услуга"}]}, "lines", "Line 1: give the unit price."),
        ({"lines": [{"name": "Услуга", "unit_price": "10"}, {"product": 999999}]}, "product",
         "No such product."),
        ({"lines": [{"name": "Услуга", "unit_price": "-1"}]}, "unit_price", None),
        ({"lines": [{"name": "Услуга", "unit_price": "1.005"}]}, "unit_price", None),
        ({"lines": [{"name": "Услуга", "unit_price": "10", "quantity": "0"}]}, "quantity", None),
        ({"lines": [{"name": "Услуга", "unit_price": "10", "vat_rate": "120"}]}, "vat_rate",
         None),
        ({"lines": [{"name": "Услуга", "unit_price": "10", "discount_percent": "abc"}]},
         "discount_percent", None),
        ({"company": 999999, "lines": [{"name": "Услуга", "unit_price": "10"}]}, "company",
         "No such company."),
        ({"owner": 999999, "lines": [{"name": "Услуга", "unit_price": "10"}]}, "owner",
         "No such user."),
        ({"delivery_method": "drone", "lines": [{"name": "Услуга", "unit_price": "10"}]},
         "delivery_method", None),
        ({"client_email": "не почта", "lines": [{"name": "Услуга", "unit_price": "10"}]},
         "client_email", "Enter a valid email address."),
        ({"received_at": "2999-01-01T00:00:00Z", "lines": [{"name": "Услуга",
                                                            "unit_price": "10"}]},
         "received_at", "Value error, must not be in the future"),
        ({"company": None}, "lines", None),
    ],
)  # fmt: skip
def test_bad_input_is_refused_naming_the_field_and_nothing_is_made(
    personas, client_company, body, field, message
):
    company, _contact = client_company
    body = {"company": company.pk, **body}

    response = ApiClient(personas.alice).post("/orders", body)

    assert response.status_code == 422, response.json()
    assert list(errors(response)) == [field]
    if message is not None:
        assert errors(response)[field] == [message]
    assert Order.all_objects.count() == 0
    assert OrderLine.objects.count() == 0


def test_a_manager_cannot_give_an_order_outside_their_team(personas, client_company, catalogue):
    company, _contact = client_company

    response = ApiClient(personas.alice).post(
        "/orders",
        {"company": company.pk, "owner": personas.bob.pk,
         "lines": [{"product": catalogue[0].pk}]},
    )  # fmt: skip

    assert errors(response) == {"owner": ["You cannot make this person responsible for an order."]}
    assert Order.all_objects.count() == 0


def test_the_client_of_another_team_is_refused_like_one_that_does_not_exist(
    personas, client_company, catalogue
):
    company, _contact = client_company
    api = ApiClient(personas.bob)
    lines = [{"product": catalogue[0].pk}]

    foreign = api.post("/orders", {"company": company.pk, "lines": lines})
    missing = api.post("/orders", {"company": 999999, "lines": lines})

    assert errors(foreign) == errors(missing) == {"company": ["No such company."]}
    assert Order.all_objects.count() == 0


def test_support_may_not_take_orders_down(personas, client_company, catalogue):
    company, _contact = client_company

    response = ApiClient(personas.support).post(
        "/orders", {"company": company.pk, "lines": [{"product": catalogue[0].pk}]}
    )

    assert response.status_code == 403
    assert Order.all_objects.count() == 0


# --- Reading -------------------------------------------------------------------------------


def test_an_order_reads_with_its_changes_and_the_moves_it_may_make(personas, alices_order):
    order = walk(alices_order, personas.alice, Status.CONFIRMED, Status.ASSEMBLED)

    body = ApiClient(personas.alice).get(f"/orders/{order.pk}").json()

    assert [(c["from_status"], c["to_status"]) for c in body["changes"]] == [
        ("", "new"), ("new", "confirmed"), ("confirmed", "assembled"),
    ]  # fmt: skip
    # «Confirmed» e-mails the client by default.
    assert [c["email_to"] for c in body["changes"]] == ["", "petr@romashka.example", ""]
    assert [c["email_status"] for c in body["changes"]] == ["none", "pending", "none"]
    # Shipping needs the order paid, and it is not.
    assert body["allowed_statuses"] == [
        {"status": "shipped", "requires_payment": True, "possible": False},
        {"status": "cancelled", "requires_payment": False, "possible": True},
    ]
    order = order_set_payment(
        actor=personas.alice, order=Order.objects.get(pk=order.pk), version=body["version"],
        payment_status=PaymentStatus.PAID,
    )  # fmt: skip
    paid = ApiClient(personas.alice).get(f"/orders/{order.pk}").json()
    assert paid["allowed_statuses"][0] == {
        "status": "shipped", "requires_payment": True, "possible": True,
    }  # fmt: skip
    assert paid["paid_at"] == _z(order.paid_at)


def test_the_overdue_flag_and_the_norm_are_shown(personas, make_order):
    late = make_order(received_at=RECEIVED)
    fresh = make_order()
    api = ApiClient(personas.alice)

    late_body = api.get(f"/orders/{late.pk}").json()
    fresh_body = api.get(f"/orders/{fresh.pk}").json()

    assert (late_body["overdue"], late_body["status_due_at"]) == (True, "2025-03-03T10:00:00Z")
    assert (fresh_body["overdue"], fresh_body["status_due_at"]) == (
        False, _z(fresh.status_due_at),
    )  # fmt: skip


def test_without_credentials_nothing_is_answered(alices_order):
    assert Client().get(f"{BASE}/orders").status_code == 401
    assert Client().get(f"{BASE}/orders/{alices_order.pk}").status_code == 401
    assert Client().get(f"{BASE}/order-workflow").status_code == 401


def test_a_session_without_the_csrf_token_changes_nothing(personas, alices_order):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(personas.alice)

    response = browser.post(
        f"{BASE}/orders/{alices_order.pk}/status",
        {"status": "confirmed", "version": alices_order.version},
        content_type="application/json",
    )

    assert response.status_code == 403
    assert Order.objects.get(pk=alices_order.pk).status == Status.NEW


# --- The list ------------------------------------------------------------------------------


def test_the_list_filters_as_the_order_list_does(
    personas, client_company, make_order, catalogue, stages, won_deal
):
    company, contact = client_company
    chair, table = catalogue
    alice, lead, head = personas.alice, personas.lead, personas.head
    old = make_order(received_at=RECEIVED, lines=[{"product": chair, "quantity": 1}])
    callers = factories.contact(alice, first_name="Лев", last_name="Звонков",
                                phone="+7 (912) 345-67-89")  # fmt: skip
    leads = make_order(actor=lead, owner=lead, company=None, contact=callers,
                       lines=[{"product": table, "quantity": 2}])  # fmt: skip
    bobs_company = factories.company(personas.bob, name="ООО Василёк")
    bobs = make_order(actor=head, company=bobs_company, contact=None, owner=personas.bob,
                      external_id="1C-77")  # fmt: skip
    paid = walk(make_order(deal=won_deal), alice, Status.CONFIRMED, Status.PAID)
    delivered = walk(make_order(), alice, Status.CONFIRMED, Status.PAID, Status.ASSEMBLED,
                     Status.SHIPPED, Status.DELIVERED)  # fmt: skip
    cancelled = walk(make_order(), alice, Status.CANCELLED)
    api = ApiClient(head)
    today = timezone.localtime(delivered.delivered_at, organisation.current().tz).date()

    everything = [cancelled.pk, delivered.pk, paid.pk, bobs.pk, leads.pk, old.pk]
    assert _ids(api) == everything
    assert _ids(api, sort="created") == _ids(api, sort="number") == everything[::-1]
    assert _ids(api, status="paid") == [paid.pk]
    assert _ids(api, status=["paid", "cancelled"]) == [cancelled.pk, paid.pk]
    assert _ids(api, status="paid,cancelled") == [cancelled.pk, paid.pk]
    assert _ids(api, open="1") == [paid.pk, bobs.pk, leads.pk, old.pk]
    assert _ids(api, overdue="1") == [old.pk]
    assert _ids(api, payment="paid") == [delivered.pk, paid.pk]
    assert _ids(api, owner=lead.pk) == [leads.pk]
    assert _ids(api, team=lead.team_id) == [cancelled.pk, delivered.pk, paid.pk, leads.pk,
                                            old.pk]  # fmt: skip
    assert _ids(api, company=bobs_company.pk) == [bobs.pk]
    assert _ids(api, contact=contact.pk) == [cancelled.pk, delivered.pk, paid.pk, old.pk]
    assert _ids(api, deal=won_deal.pk) == [paid.pk]
    assert _ids(api, product=chair.pk) == [cancelled.pk, delivered.pk, paid.pk, bobs.pk, old.pk]
    assert _ids(api, created_to="2025-03-03") == [old.pk]
    assert _ids(api, created_from="2025-03-03", created_to="2025-03-03") == [old.pk]
    assert _ids(api, created_from="2025-03-04") == everything[:-1]
    assert _ids(api, delivered_from=today, delivered_to=today) == [delivered.pk]
    assert _ids(api, delivered_to="2025-03-03") == []
    assert _ids(api, q="василёк") == [bobs.pk]
    assert _ids(api, q="1c-77") == [bobs.pk]
    assert _ids(api, q="89123456789") == _ids(api, q="звонков") == [leads.pk]
    assert _ids(api, q=f"#{old.number}") == [old.pk]
    assert _ids(api, sort="-total")[0] == leads.pk
    assert company.pk != bobs_company.pk


def test_bad_filters_name_the_parameter(personas):
    api = ApiClient(personas.head)

    bad_status = api.get("/orders", status="lost")
    bad_day = api.get("/orders", created_from="03.03.2025")
    bad_cursor = api.get("/orders", cursor="not-a-cursor")

    assert bad_status.status_code == bad_day.status_code == 422
    # A repeatable parameter's error says which value: the first, here.
    assert bad_status.json()["detail"][0]["loc"][-2:] == ["status", 0]
    assert bad_day.json()["detail"][0]["loc"] == ["query", "created_from"]
    assert bad_cursor.status_code == 400


def test_the_list_costs_the_same_few_queries_for_30_orders(
    personas, make_order, won_deal, django_assert_max_num_queries
):
    for n in range(30):
        order = make_order(deal=won_deal if n == 0 else None, delivery_method=DeliveryMethod.POST)
        if n % 3 == 0:
            walk(order, personas.alice, Status.CONFIRMED)
    api = ApiClient(personas.lead)
    api.get("/me")

    with django_assert_max_num_queries(5):
        response = api.get("/orders", limit=30)

    assert response.status_code == 200
    items = response.json()["items"]
    assert len(items) == 30
    assert sum(item["status"] == "confirmed" for item in items) == 10
    assert items[-1]["deal"] == {"id": won_deal.pk, "name": "Мебель для переговорной"}


def test_an_order_of_30_lines_reads_in_the_same_few_queries(
    personas, make_order, catalogue, django_assert_max_num_queries
):
    lines = [{"product": catalogue[n % 2], "quantity": n + 1} for n in range(30)]
    order = walk(make_order(lines=lines), personas.alice, Status.CONFIRMED, Status.ASSEMBLED)
    api = ApiClient(personas.lead)
    api.get("/me")

    with django_assert_max_num_queries(8):
        response = api.get(f"/orders/{order.pk}")

    assert response.status_code == 200
    assert (len(response.json()["lines"]), len(response.json()["changes"])) == (30, 3)


def test_pages_follow_one_another_without_gaps(personas, make_order):
    made = [make_order().pk for _n in range(5)]
    api = ApiClient(personas.alice)

    first = api.get("/orders", limit=2).json()
    second = api.get("/orders", limit=2, cursor=first["next_cursor"]).json()
    third = api.get("/orders", limit=2, cursor=second["next_cursor"]).json()

    seen = [item["id"] for p in (first, second, third) for item in p["items"]]
    assert seen == made[::-1]
    assert (first["count"], third["next_cursor"]) == (5, None)


# --- The schema ----------------------------------------------------------------------------

ORDER_PATHS = {
    "/api/v1/orders": {"get": {"400"}, "post": {"400", "403"}},
    "/api/v1/orders/{order_id}": {
        "get": {"404"}, "patch": {"400", "403", "404", "409"}, "delete": {"403", "404", "409"},
    },
    "/api/v1/orders/{order_id}/lines": {"put": {"400", "403", "404", "409"}},
    "/api/v1/orders/{order_id}/status": {"post": {"400", "403", "404", "409"}},
    "/api/v1/orders/{order_id}/payment": {"post": {"400", "403", "404", "409"}},
    "/api/v1/deals/{deal_id}/order": {"post": {"400", "403", "404"}},
    "/api/v1/order-workflow": {"get": {"403"}},
}  # fmt: skip


def test_the_schema_lists_the_order_operations_with_their_errors(db):
    schema = Client().get("/api/v1/openapi.json").json()

    found = {
        path: {
            method: set(op["responses"]) - {"200", "201", "204", "401", "422"}
            for method, op in schema["paths"][path].items()
        }
        for path in ORDER_PATHS
        if path in schema["paths"]
    }
    assert found == ORDER_PATHS
    for path in ORDER_PATHS:
        for operation in schema["paths"][path].values():
            assert operation["tags"] == ["orders"]
    money = schema["components"]["schemas"]["OrderLineOut"]["properties"]["total"]
    assert money["type"] == "string"


def test_the_choices_the_api_accepts_are_the_models_choices():
    assert list(get_args(schemas.OrderStatus)) == Status.values
    assert list(get_args(schemas.PaymentStatusName)) == PaymentStatus.values
    assert list(get_args(schemas.DeliveryMethodName)) == DeliveryMethod.values
    assert list(get_args(schemas.MailStatusName)) == MailStatus.values
    assert list(get_args(schemas.ClockName)) == StatusSetting.Clock.values
    assert set(get_args(schemas.LanguageName)) == {code for code, _name in settings.LANGUAGES}
