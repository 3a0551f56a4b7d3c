"""Writes of orders other than the workflow: taking one down, its client and manager,
editing by version, payment, deleting, and a won deal made into an order (by a click,
or by itself when the organisation says so)."""

from __future__ import annotations

from decimal import Decimal as D

import pytest
from django.core.exceptions import ValidationError

from voronka.core import events
from voronka.core.errors import NotAllowed, StaleVersion
from voronka.orders.models import Order, PaymentStatus, Status
from voronka.orders.services import (
    order_create,
    order_delete,
    order_from_deal,
    order_set_payment,
    order_update,
)


def fresh(order: Order) -> Order:
    return Order.all_objects.get(pk=order.pk)


def test_an_order_taken_down_by_a_manager(personas, client_company, catalogue,
                                          django_capture_on_commit_callbacks, monkeypatch):  # fmt: skip
    heard: list[dict] = []
    monkeypatch.setitem(events._handlers, events.ORDER_CREATED,
                        [lambda **payload: heard.append(payload)])  # fmt: skip
    company, contact = client_company
    with django_capture_on_commit_callbacks(execute=True):
        order = order_create(actor=personas.alice, data={"contact": contact},
                             lines=[{"product": catalogue[0], "quantity": 1}])  # fmt: skip

    order = fresh(order)
    assert order.number == f"{order.pk:06d}"
    assert (order.owner, order.company, order.status) == (personas.alice, company, Status.NEW)
    assert order.client_email == "petr@romashka.example"  # from the contact
    assert order.payment_status == PaymentStatus.UNPAID and order.currency == "RUB"
    assert order.created_by == personas.alice and order.version == 1
    assert list(order.changes.values_list("from_status", "to_status", "changed_by")) == [
        ("", "new", personas.alice.pk)
    ]
    assert order.status_entered_at == order.changes.get().changed_at
    assert order.number in order.search_text and "ромашка" in order.search_text
    assert heard == [{"order_id": order.pk, "actor_id": personas.alice.pk}]


def test_a_number_given_is_kept_and_must_be_unique(make_order):
    make_order(number="1С-0042")
    with pytest.raises(ValidationError) as caught:
        make_order(number="1С-0042")
    assert "number" in caught.value.message_dict
    assert Order.objects.filter(number="1С-0042").count() == 1


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"company": None, "contact": None}, "company", "Choose the client"),
        ({"owner": "bob"}, "owner", "cannot make this person responsible"),
        ({"company": "bobs"}, "company", "No such record"),
        ({"contact": "bobs_contact"}, "contact", "works for another company"),
    ],
)
def test_a_bad_order_is_refused_naming_the_field(change, field, message, personas, make_order):
    from tests import factories

    bobs = factories.company(personas.bob)
    named = {"bob": personas.bob, "bobs": bobs,
             "bobs_contact": factories.contact(personas.alice, company=factories.company(
                 personas.alice))}  # fmt: skip
    data = {key: named.get(value, value) if isinstance(value, str) else value
            for key, value in change.items()}  # fmt: skip
    with pytest.raises(ValidationError) as caught:
        make_order(**data)
    assert message in caught.value.message_dict[field][0]
    assert not Order.objects.exists()


def test_an_order_needs_a_line(make_order):
    with pytest.raises(ValidationError, match="at least one line"):
        make_order(lines=[])


@pytest.mark.parametrize("who", ["support", "outsider"])
def test_who_may_not_take_orders_for_this_client(who, personas, make_order):
    with pytest.raises((NotAllowed, ValidationError)):
        make_order(actor=getattr(personas, who))
    assert not Order.objects.exists()


def test_editing_goes_by_version(personas, alices_order):
    order = order_update(actor=personas.alice, order=alices_order, version=1,
                         data={"delivery_address": "Москва, Тверская, 1"})  # fmt: skip
    assert fresh(order).version == 2

    stale = fresh(order)
    stale.version = 1
    with pytest.raises(StaleVersion):
        order_update(actor=personas.lead, order=stale, version=1, data={"notes": "Позвонить"})
    assert fresh(order).notes == "" and fresh(order).delivery_address == "Москва, Тверская, 1"


def test_bob_may_not_edit_alices_order(personas, alices_order):
    with pytest.raises(NotAllowed):
        order_update(actor=personas.bob, order=alices_order, version=1, data={"notes": "x"})


def test_payment_is_recorded_once_and_heard(personas, alices_order, monkeypatch,
                                            django_capture_on_commit_callbacks):  # fmt: skip
    heard: list[dict] = []
    monkeypatch.setitem(events._handlers, events.ORDER_PAID,
                        [lambda **payload: heard.append(payload)])  # fmt: skip
    with django_capture_on_commit_callbacks(execute=True):
        order = order_set_payment(actor=personas.alice, order=alices_order, version=1,
                                  payment_status="paid")  # fmt: skip
        order_set_payment(actor=personas.alice, order=order, version=order.version,
                          payment_status="paid")  # fmt: skip
    order = fresh(order)
    assert order.payment_status == "paid" and order.paid_at is not None and order.version == 2
    assert heard == [{"order_id": order.pk, "actor_id": personas.alice.pk}]
    with pytest.raises(ValidationError, match="Unknown payment status"):
        order_set_payment(actor=personas.alice, order=order, version=2, payment_status="gold")


def test_a_deleted_order_is_gone_from_lists_and_its_deal_is_free_again(personas, won_deal):
    order = order_from_deal(actor=personas.alice, deal=won_deal)
    order_delete(actor=personas.alice, order=order, version=order.version)
    assert not Order.objects.filter(pk=order.pk).exists()
    again = order_from_deal(actor=personas.alice, deal=won_deal)
    assert again.pk != order.pk


# --- From a won deal ----------------------------------------------------------------------


def test_a_won_deal_becomes_an_order_with_its_products(personas, won_deal, client_company):
    order = fresh(order_from_deal(actor=personas.alice, deal=won_deal))

    company, contact = client_company
    assert (order.deal, order.company, order.contact, order.owner) == (
        won_deal, company, contact, personas.alice,
    )  # fmt: skip
    lines = list(order.lines.values_list("name", "quantity", "unit_price", "discount_percent",
                                         "vat_rate", "total"))  # fmt: skip
    assert lines == [
        ("Стул офисный", D("3.000"), D("1500.00"), D("10.00"), D("22.00"), D("4050.00")),
        ("Стол переговорный", D("1.000"), D("12000.00"), D("0.00"), D("10.00"), D("12000.00")),
    ]
    assert order.total == D("16050.00") == won_deal.amount


def test_a_deal_has_one_order(personas, won_deal):
    first = order_from_deal(actor=personas.alice, deal=won_deal)
    with pytest.raises(ValidationError) as caught:
        order_from_deal(actor=personas.lead, deal=won_deal)
    assert first.number in caught.value.message_dict["deal"][0]
    assert Order.objects.filter(deal=won_deal).count() == 1


def test_an_open_deal_does_not_become_an_order(personas, stages, client_company):
    from tests import factories

    deal = factories.deal(personas.alice, client=client_company[0])
    with pytest.raises(ValidationError, match="Only a won deal"):
        order_from_deal(actor=personas.alice, deal=deal)


def test_a_deal_without_products_becomes_one_line_of_its_amount(personas, stages, client_company):
    from tests import factories
    from voronka.sales.services import deal_move_stage

    deal = factories.deal(personas.alice, client=client_company[0], title="Внедрение CRM",
                          amount=D("250000.00"))  # fmt: skip
    deal = deal_move_stage(actor=personas.alice, deal=deal, stage=stages["won"],
                           version=deal.version)  # fmt: skip
    order = order_from_deal(actor=personas.alice, deal=deal)
    assert list(order.lines.values_list("name", "total")) == [("Внедрение CRM", D("250000.00"))]


def test_someone_who_cannot_see_the_deal_cannot_order_it(personas, won_deal):
    with pytest.raises(NotAllowed):
        order_from_deal(actor=personas.bob, deal=won_deal)


def test_won_deals_become_orders_by_themselves_when_the_organisation_says_so(
    personas, stages, client_company, catalogue, django_capture_on_commit_callbacks
):
    from voronka.core import organisation
    from voronka.core.models import Organisation
    from voronka.sales.services import deal_create, deal_move_stage

    organisation.current()
    Organisation.objects.update(orders_from_won_deals=True)
    organisation.forget()
    deal = deal_create(actor=personas.alice, data={
        "title": "Стулья", "owner": personas.alice, "company": client_company[0],
        "pipeline": stages["new"].pipeline,
    }, lines=[{"product": catalogue[0], "quantity": D(4), "price": D("1500.00")}])  # fmt: skip

    with django_capture_on_commit_callbacks(execute=True):
        deal = deal_move_stage(actor=personas.alice, deal=deal, stage=stages["won"],
                               version=deal.version)  # fmt: skip

    order = Order.objects.get(deal=deal)
    assert order.total == D("6000.00") and order.created_by is None
    assert order.owner == personas.alice


def test_won_deals_stay_deals_by_default(personas, won_deal):
    assert not Order.objects.filter(deal=won_deal).exists()
