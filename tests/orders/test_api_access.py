"""Who may read and change an order through the API, persona by persona.

An order one may not see answers 404, exactly as one that does not exist; one seen but
not one's to change answers 403. Either way the order, its lines and its changes stay
exactly as they were.
"""

from __future__ import annotations

import pytest

from tests import factories
from tests.api_client import ApiClient
from voronka.orders.models import Order, OrderLine, StatusChange

PERSONAS = ["admin", "head", "lead", "alice", "bob", "support", "outsider"]
# Alice's order for her own client: she, her team lead, the head and the admin change it;
# support reads it.
ALICES = {
    "admin": "change", "head": "change", "lead": "change", "alice": "change", "bob": "none",
    "support": "read", "outsider": "none",
}  # fmt: skip
# Alice's order for Bob's client: Bob reads it, because the client is his.
FOR_BOBS_CLIENT = {**ALICES, "bob": "read"}
REFUSAL = {"read": 403, "none": 404}
# services.order_update checks the client's visibility even when the edit leaves the client
# as it was: whoever may change an order but not see its client cannot edit it (reported).


def _state(order: Order) -> tuple:
    return (
        Order.all_objects.filter(pk=order.pk).values().get(),
        list(OrderLine.objects.filter(order_id=order.pk).values()),
        list(StatusChange.objects.filter(order_id=order.pk).values()),
    )


def _put(api: ApiClient, path: str, body: dict):
    return api.client.put(f"/api/v1{path}", body, content_type="application/json")


WRITES = {
    "edit": (lambda api, o, c: api.patch(f"/orders/{o.pk}", {"notes": "Правка",
                                                              "version": o.version}), 200),
    "lines": (lambda api, o, c: _put(api, f"/orders/{o.pk}/lines",
                                     {"version": o.version,
                                      "lines": [{"product": c[0].pk, "quantity": "5"}]}), 200),
    "status": (lambda api, o, c: api.post(f"/orders/{o.pk}/status",
                                          {"status": "confirmed", "version": o.version}), 200),
    "payment": (lambda api, o, c: api.post(f"/orders/{o.pk}/payment",
                                           {"payment_status": "paid", "version": o.version}),
                200),
    "delete": (lambda api, o, c: api.delete(f"/orders/{o.pk}", version=o.version), 204),
}  # fmt: skip


@pytest.fixture
def order_of(personas, make_order):
    """``order_of(case)``: Alice's order of her client, or of Bob's client (made by the head)."""

    def make(case: str) -> Order:
        if case == "alices":
            return make_order()
        bobs_company = factories.company(personas.bob, name="ООО Василёк")
        return make_order(actor=personas.head, company=bobs_company, contact=None)

    return make


CASES = {"alices": ALICES, "for_bobs_client": FOR_BOBS_CLIENT}


@pytest.mark.parametrize("who", PERSONAS)
@pytest.mark.parametrize("case", list(CASES))
def test_who_sees_an_order(personas, order_of, who, case):
    order = order_of(case)
    access = CASES[case][who]
    api = ApiClient(getattr(personas, who))

    listed = [item["id"] for item in api.get("/orders").json()["items"]]
    read = api.get(f"/orders/{order.pk}")

    assert listed == ([] if access == "none" else [order.pk])
    assert read.status_code == (404 if access == "none" else 200)
    if access == "none":
        assert read.json() == {"detail": "Not found."}
    else:
        assert read.json()["can_change"] is (access == "change")


@pytest.mark.parametrize("who", PERSONAS)
@pytest.mark.parametrize("case", list(CASES))
@pytest.mark.parametrize("write", list(WRITES))
def test_who_changes_an_order_and_a_refusal_changes_nothing(
    request, personas, order_of, catalogue, who, case, write
):
    order = order_of(case)
    access = CASES[case][who]
    call, success = WRITES[write]
    before = _state(order)

    response = call(ApiClient(getattr(personas, who)), order, catalogue)

    if access == "change":
        assert response.status_code == success, response.json()
        assert _state(order) != before
    else:
        assert response.status_code == REFUSAL[access]
        assert _state(order) == before


@pytest.mark.parametrize("who", PERSONAS)
def test_a_stale_version_from_someone_who_may_not_change_is_still_refused_as_such(
    personas, alices_order, who
):
    """Whether the order changed meanwhile is not told to who may not change it."""
    access = ALICES[who]
    before = _state(alices_order)

    response = ApiClient(getattr(personas, who)).post(
        f"/orders/{alices_order.pk}/status", {"status": "confirmed", "version": 99}
    )

    assert response.status_code == {"change": 409, **REFUSAL}[access]
    assert _state(alices_order) == before
