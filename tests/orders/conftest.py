"""Fixtures of the orders tests: a client, a catalogue, orders, a won deal, and a real
SMTP server for the client's e-mails."""

from __future__ import annotations

from decimal import Decimal

import pytest

from tests.activities.conftest import mail_server, smtp_settings  # noqa: F401 - fixtures
from tests.service.conftest import client_company  # noqa: F401 - the fixture


@pytest.fixture
def catalogue(db, personas):
    """Two products: a chair at 1 500.00 (VAT 22 %) and a table at 12 000.00 (VAT 10 %)."""
    from tests import factories

    chair = factories.product(personas.admin, name="Стул офисный", sku="CH-1",
                              price=Decimal("1500.00"), vat_rate=Decimal("22"))  # fmt: skip
    table = factories.product(personas.admin, name="Стол переговорный", sku="TB-2",
                              price=Decimal("12000.00"), vat_rate=Decimal("10"))  # fmt: skip
    return chair, table


@pytest.fixture
def make_order(db, personas, client_company, catalogue):  # noqa: F811 - the fixture
    """``make_order(actor=…, lines=…, **fields)``: an order of Alice's client, by Alice,
    of two chairs and a table unless told otherwise."""
    from voronka.orders.services import order_create

    company, contact = client_company
    chair, table = catalogue

    def make(*, actor=None, lines=None, received_at=None, **data):
        data.setdefault("company", company)
        data.setdefault("contact", contact)
        data.setdefault("owner", personas.alice)
        if lines is None:
            lines = [{"product": chair, "quantity": 2}, {"product": table, "quantity": 1}]
        return order_create(actor=actor or personas.alice, data=data, lines=lines,
                            received_at=received_at)  # fmt: skip

    return make


@pytest.fixture
def alices_order(make_order):
    return make_order()


@pytest.fixture
def won_deal(db, personas, stages, client_company, catalogue):  # noqa: F811 - the fixture
    """Alice's deal with her client for three chairs (10 % off) and a table, won."""
    from voronka.sales.models import Deal
    from voronka.sales.services import deal_create, deal_move_stage

    company, contact = client_company
    chair, table = catalogue
    deal = deal_create(
        actor=personas.alice,
        data={"title": "Мебель для переговорной", "owner": personas.alice, "company": company,
              "contact": contact, "pipeline": stages["new"].pipeline},
        lines=[{"product": chair, "quantity": Decimal(3), "price": chair.price,
                "discount_percent": Decimal(10)},
               {"product": table, "quantity": Decimal(1), "price": table.price}],
    )  # fmt: skip
    deal_move_stage(actor=personas.alice, deal=deal, stage=stages["won"], version=deal.version)
    return Deal.objects.get(pk=deal.pk)


def walk(order, actor, *statuses):
    """Move ``order`` through ``statuses`` in turn; the order as it ends."""
    from voronka.orders.services import order_set_status

    for status in statuses:
        order = order_set_status(actor=actor, order=order, to_status=status, version=order.version)
    return order
