"""Whatever a client sends the orders API, it answers as its schema says: the order, or
422 naming what was wrong — never a server error, never a half-made order."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.api_client import ApiClient
from voronka.orders.models import Order, OrderLine

FUZZ = settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)

# Strings people and programs put where a number goes, and numbers at the edges.
numbers = st.one_of(
    st.sampled_from(["1", "0", "-1", "1.005", "1,5", "1e3", "NaN", "Infinity", "", " 2 ",
                     "99999999999999.99", "0.001", "abc", "١٢"]),
    st.integers(min_value=-(10**20), max_value=10**20),
    st.floats(allow_nan=True, allow_infinity=True),
    st.decimals(allow_nan=False, allow_infinity=False, places=3).map(str),
    st.none(),
)  # fmt: skip
texts = st.one_of(st.text(max_size=60), st.just("\x00"), st.none(), st.integers())


def _line(product_ids: list[int]):
    return st.fixed_dictionaries(
        {},
        optional={
            "product": st.one_of(st.sampled_from(product_ids), st.integers(), st.text(max_size=5)),
            "name": texts, "sku": texts, "unit": texts, "quantity": numbers,
            "unit_price": numbers, "discount_percent": numbers, "vat_rate": numbers,
        },
    )  # fmt: skip


def _order(company_id: int, product_ids: list[int]):
    return st.fixed_dictionaries(
        {"lines": st.lists(_line(product_ids), max_size=3)},
        optional={
            "company": st.one_of(st.just(company_id), st.integers(), st.none()),
            "owner": st.one_of(st.integers(min_value=-5, max_value=10**20), st.none()),
            "delivery_method": st.one_of(st.sampled_from(["post", "drone"]), texts),
            "delivery_date": st.one_of(st.sampled_from(["2025-03-10", "10.03.2025"]), texts),
            "currency": texts, "notes": texts, "client_email": texts, "number": texts,
            "exchange_rate": numbers, "prices_include_vat": st.one_of(st.booleans(), texts),
            "received_at": st.one_of(st.sampled_from(["2025-03-03T09:00:00+03:00",
                                                      "2999-01-01T00:00:00Z"]), texts),
        },
    )  # fmt: skip


def test_any_order_body_is_made_whole_or_refused_naming_a_field(
    personas, client_company, catalogue
):
    company, _contact = client_company
    api = ApiClient(personas.alice)

    @FUZZ
    @given(body=_order(company.pk, [product.pk for product in catalogue]))
    def check(body):
        made_before = Order.all_objects.count()
        response = api.post("/orders", body)

        assert response.status_code in (201, 422), (body, response.content)
        if response.status_code == 422:
            assert response.json()["detail"], body
            assert all(item["loc"][0] == "body" for item in response.json()["detail"])
            assert Order.all_objects.count() == made_before
        else:
            order = Order.objects.get(pk=response.json()["id"])
            lines = OrderLine.objects.filter(order=order)
            assert sum(line.total for line in lines) == order.total
            assert Decimal(response.json()["total"]) == order.total

    check()


@pytest.mark.parametrize(
    "query",
    ["status=lost", "status=new,lost", "open=maybe", "owner=-1", "owner=99999999999999999999",
     "created_from=2025-02-30", "limit=0", "limit=100000", "sort=price", "q=%00",
     "cursor=%%%", "team=abc", "delivered_to=tomorrow"],
)  # fmt: skip
def test_any_bad_list_parameter_is_refused_and_never_fails(personas, query):
    browser = Client()
    browser.force_login(personas.head)

    response = browser.get(f"/api/v1/orders?{query}")

    assert response.status_code in (400, 422), (query, response.content)
