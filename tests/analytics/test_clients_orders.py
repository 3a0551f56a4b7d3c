"""Orders in the client KPIs: a delivered order is a purchase, an order is an interaction.

On the orders of ``test_kpis_orders`` (see its docstring). Purchases up to the end of March:

* ООО «Ромашка»: the deal won on 1 March (20 000) and O1 delivered on 5 March (3 000); O8,
  made of that deal and delivered on 12 March, is the same sale as the deal and is not
  counted again; O5 was cancelled, O2 is new;
* Иван (a contact without a company): O4 delivered on 16 March, 100.00 USD at 90.5 = 9 050;
* ООО «Берёзка»: nothing yet: O3 was delivered and returned, O7 is delivered on 1 April.

So for March: new customers 2; lifetime 4 and 0 days (mean 2.0, median 2.0); LTV
(23 000 + 9 050) ÷ 2 = 16 025.00; repeat purchases 1 of 2.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest

from tests import factories
from tests.analytics.conftest import assert_rollups_exact, kpi, msk, report
from tests.analytics.test_kpis_orders import (  # noqa: F401 - fixtures
    DELIVER,
    NOW,
    catalogue,
    client_company,
    desk,
    orders,
    steps,
)
from voronka.analytics.models import ClientSpell
from voronka.analytics.scope import Filters

MAR_1, MAR_31 = date(2026, 3, 1), date(2026, 3, 31)
APR_1, APR_30 = date(2026, 4, 1), date(2026, 4, 30)
CLIENT_IDS = ["new_customers", "customer_lifetime_days", "customer_ltv", "repeat_purchase_rate"]


def client_report(actor, start=MAR_1, end=MAR_31, **kwargs):
    found = report(actor, CLIENT_IDS, start, end, **kwargs)
    return {kpi_id: found[kpi_id].total.as_json() for kpi_id in CLIENT_IDS}


# Purchases -------------------------------------------------------------------------------------


def test_a_delivered_order_is_a_purchase_and_an_order_of_a_won_deal_is_that_deal(
    orders,  # noqa: F811 - the fixture
    personas,
):
    assert client_report(personas.head) == {
        "new_customers": {"value": 2},
        "customer_lifetime_days": {"value": 2.0, "mean": 2.0, "median": 2.0, "count": 2},
        "customer_ltv": {"value": 16025.0, "numerator": 32050.0, "denominator": 2},
        "repeat_purchase_rate": {"value": 0.5, "numerator": 1, "denominator": 2},
    }


def test_april_brings_the_order_delivered_on_its_first_minutes(orders, personas):  # noqa: F811
    # O7 (12 000), delivered at 00:30 on 1 April, makes ООО «Берёзка» a customer in April.
    assert client_report(personas.head, APR_1, APR_30) == {
        "new_customers": {"value": 1},
        "customer_lifetime_days": {"value": 1.3333, "mean": 1.3333, "median": 0.0, "count": 3},
        "customer_ltv": {"value": 14683.33, "numerator": 44050.0, "denominator": 3},
        "repeat_purchase_rate": {"value": 0.3333, "numerator": 1, "denominator": 3},
    }


def test_a_manager_counts_the_purchases_of_her_deals_and_orders(orders, personas):  # noqa: F811
    # Alice: the deal and O1 of ООО «Ромашка»; not O8 a second time.
    assert client_report(personas.alice) == {
        "new_customers": {"value": 1},
        "customer_lifetime_days": {"value": 4.0, "mean": 4.0, "median": 4.0, "count": 1},
        "customer_ltv": {"value": 23000.0, "numerator": 23000.0, "denominator": 1},
        "repeat_purchase_rate": {"value": 1.0, "numerator": 1, "denominator": 1},
    }
    bob = client_report(personas.bob)
    assert bob["customer_ltv"] == {"value": 9050.0, "numerator": 9050.0, "denominator": 1}
    assert client_report(personas.head, filters=Filters(manager=personas.bob.pk)) == bob


def test_an_order_of_a_deal_reopened_since_is_the_purchase_instead(
    orders,  # noqa: F811
    personas,
    stages,
    clock,
):
    from voronka.sales.models import Deal
    from voronka.sales.services import deal_move_stage

    clock.set(msk(2026, 4, 2, 10))
    deal = Deal.objects.get(pk=orders["deal"].pk)
    deal_move_stage(actor=personas.head, deal=deal, stage=stages["negotiation"],
                    version=deal.version)  # fmt: skip
    clock.set(NOW)
    # ООО «Ромашка» now bought by O1 on 5 March and O8 on 12 March: 7 days, 23 000.
    assert client_report(personas.head) == {
        "new_customers": {"value": 2},
        "customer_lifetime_days": {"value": 3.5, "mean": 3.5, "median": 3.5, "count": 2},
        "customer_ltv": {"value": 16025.0, "numerator": 32050.0, "denominator": 2},
        "repeat_purchase_rate": {"value": 0.5, "numerator": 1, "denominator": 2},
    }


def test_a_returned_order_is_no_purchase(orders, desk, personas):  # noqa: F811
    desk.move(orders["O4"], ("returned", msk(2026, 4, 3, 10)))
    desk.clock.set(NOW)
    # Иван bought only O4: ООО «Ромашка» is the one customer left.
    assert client_report(personas.head) == {
        "new_customers": {"value": 1},
        "customer_lifetime_days": {"value": 4.0, "mean": 4.0, "median": 4.0, "count": 1},
        "customer_ltv": {"value": 23000.0, "numerator": 23000.0, "denominator": 1},
        "repeat_purchase_rate": {"value": 1.0, "numerator": 1, "denominator": 1},
    }


def test_a_deleted_delivered_order_is_no_purchase(orders, desk, personas):  # noqa: F811
    desk.delete(orders["O1"], msk(2026, 4, 3, 10))
    desk.clock.set(NOW)
    found = client_report(personas.head)
    assert found["customer_ltv"] == {"value": 14525.0, "numerator": 29050.0, "denominator": 2}
    assert found["repeat_purchase_rate"]["numerator"] == 0


def test_a_client_who_only_ordered_is_a_customer_by_the_delivery_day(desk, personas, catalogue):  # noqa: F811
    chair, _table = catalogue
    buyer = factories.contact(personas.bob, first_name="Ольга", last_name="Заказова")
    order = desk.take(personas.bob, buyer, msk(2026, 3, 30, 12), [{"product": chair}])
    desk.move(order, *steps(DELIVER, msk(2026, 3, 30, 13), msk(2026, 3, 30, 14),
                            msk(2026, 3, 30, 15), msk(2026, 3, 31, 9),
                            msk(2026, 4, 1, 0, 1)))  # fmt: skip
    desk.clock.set(NOW)
    assert kpi(personas.head, "new_customers", MAR_1, MAR_31).total.value == 0
    assert kpi(personas.head, "new_customers", APR_1, APR_30).total.value == 1
    ltv = kpi(personas.head, "customer_ltv", APR_1, APR_30).total
    assert ltv.value == Decimal("1500.00")


# Active clients --------------------------------------------------------------------------------


def test_a_client_with_only_orders_is_an_active_client(orders, personas):  # noqa: F811
    p = personas
    # ООО «Берёзка» and Иван have nothing but orders; ООО «Ромашка» has its deal too.
    assert kpi(p.head, "active_clients", MAR_1, MAR_31).total.value == 3
    assert kpi(p.alice, "active_clients", MAR_1, MAR_31).total.value == 1
    assert kpi(p.bob, "active_clients", MAR_1, MAR_31).total.value == 2
    assert kpi(p.outsider, "active_clients", MAR_1, MAR_31).total.value == 0
    south = Filters(team=p.bob.team_id)
    assert kpi(p.head, "active_clients", MAR_1, MAR_31, filters=south).total.value == 2
    # Through the orders' products the spells do not tell apart: read from the records.
    tables = Filters(product=orders["table"].pk)
    assert kpi(p.head, "active_clients", MAR_1, MAR_31, filters=tables).total.value == 2
    assert_rollups_exact()


def test_a_status_change_keeps_a_client_active(desk, personas, catalogue, clock):  # noqa: F811
    chair, _table = catalogue
    company = factories.company(personas.bob, name="ООО «Долгий заказ»")
    order = desk.take(personas.bob, company, msk(2026, 1, 5, 10), [{"product": chair}])
    june = (date(2026, 6, 1), date(2026, 6, 30))
    clock.set(msk(2026, 7, 1))
    # Received on 5 January: 90 days later, by June, the client is no longer active...
    assert kpi(personas.head, "active_clients", *june).total.value == 0
    # ...unless the order moved since: confirmed on 20 May, it is active again until August.
    desk.move(order, ("confirmed", msk(2026, 5, 20, 10)))
    clock.set(msk(2026, 7, 1))
    assert kpi(personas.head, "active_clients", *june).total.value == 1
    assert kpi(personas.bob, "active_clients", *june).total.value == 1
    assert kpi(personas.alice, "active_clients", *june).total.value == 0
    assert ClientSpell.objects.filter(company=company, person__isnull=True).count() == 2
    assert_rollups_exact()


def test_a_deleted_order_makes_no_client_active(desk, personas, catalogue):  # noqa: F811
    chair, _table = catalogue
    company = factories.company(personas.alice, name="ООО «Передумали»")
    order = desk.take(personas.alice, company, msk(2026, 3, 10, 10), [{"product": chair}])
    desk.clock.set(NOW)
    assert kpi(personas.head, "active_clients", MAR_1, MAR_31).total.value == 1
    desk.delete(order, msk(2026, 3, 11, 10))
    desk.clock.set(NOW)
    assert kpi(personas.head, "active_clients", MAR_1, MAR_31).total.value == 0
    assert not ClientSpell.objects.filter(company=company).exists()
    assert_rollups_exact()


def test_giving_an_order_to_another_manager_moves_its_clients_activity(desk, personas, catalogue):  # noqa: F811
    from voronka.orders.models import Order
    from voronka.orders.services import order_update

    chair, _table = catalogue
    company = factories.company(personas.head, name="ООО «Общий»")
    order = desk.take(personas.alice, company, msk(2026, 3, 10, 10), [{"product": chair}])
    desk.clock.set(msk(2026, 3, 12, 10))
    current = Order.objects.get(pk=order.pk)
    order_update(actor=personas.head, order=current, version=current.version,
                 data={"owner": personas.bob})  # fmt: skip
    desk.clock.set(NOW)
    assert kpi(personas.alice, "active_clients", MAR_1, MAR_31).total.value == 0
    assert kpi(personas.bob, "active_clients", MAR_1, MAR_31).total.value == 1
    assert_rollups_exact()


# The life cycle --------------------------------------------------------------------------------


def test_a_customer_who_orders_again_is_not_churned(desk, personas, catalogue, clock):  # noqa: F811
    chair, _table = catalogue
    clock.set(msk(2024, 5, 1))
    ordering = factories.company(personas.alice, name="Заказывает", lifecycle_stage="customer")
    quiet = factories.company(personas.alice, name="Молчит", lifecycle_stage="customer")
    desk.take(personas.alice, quiet, msk(2024, 5, 2), [{"product": chair}])
    desk.take(personas.alice, ordering, msk(2024, 5, 2), [{"product": chair}])
    desk.take(personas.alice, ordering, NOW - timedelta(days=30), [{"product": chair}])
    clock.set(NOW)
    stages = kpi(personas.head, "lifecycle_stage_counts", MAR_1, MAR_31).total.extra["stages"]
    assert stages == {"churned": 1, "customer": 1}


@pytest.mark.parametrize("who", ["head", "alice"])
def test_client_kpis_read_the_same_from_the_records_and_the_spells(orders, personas, who):  # noqa: F811
    # conftest.report compares the two paths; here over a quarter, as of its end.
    actor = getattr(personas, who)
    found = report(actor, ["active_clients", *CLIENT_IDS], date(2026, 1, 1), MAR_31)
    assert found["active_clients"].total.value == (3 if who == "head" else 1)
