"""Order KPIs against values worked out by hand, on orders taken and moved through the services.

March 2026, Moscow time (UTC+3). Clients: ООО «Ромашка» (Alice's), ООО «Берёзка» (Bob's) and
Иван, a contact of Bob's with no company. Products: a chair at 1 500.00 and a table at
12 000.00 (prices include VAT, so an order's total is the sum of its lines).

=====  =====  ========  ==================  ===========================  =================
order  owner  client    lines (total)       received                     then
=====  =====  ========  ==================  ===========================  =================
O7     bob    Берёзка   table (12 000)      25 Feb 10:00                 assembled 5 Mar, shipped
                                                                         20 Mar, delivered 1 Apr 00:30
O3     bob    Берёзка   table+chair         1 Mar 00:10 (28 Feb UTC)     assembled 4 Mar, delivered
                        (13 500)                                         10 Mar 00:10, returned 20 Mar
O1     alice  Ромашка   2 chairs (3 000)    2 Mar 10:00                  delivered 5 Mar 16:00
O8     alice  Ромашка   the deal (20 000)   8 Mar 10:00, of a deal won   delivered 12 Mar 10:00
                                            on 1 Mar
O5     alice  Ромашка   chair (1 500)       10 Mar 12:00                 cancelled 11 Mar
O4     bob    Иван      100.00 USD at 90.5  15 Mar 10:00                 delivered 16 Mar 22:00
O6     alice  Ромашка   chair               20 Mar 10:00                 deleted 21 Mar
O2     alice  Ромашка   table (12 000)      31 Mar 23:59 (20:59 UTC)     new
O9     alice  Ромашка   chair               1 Apr 00:05 (31 Mar UTC)     new
=====  =====  ========  ==================  ===========================  =================

March, for the head of sales:

* received: O3, O1, O8, O5, O4, O2 = 6 (alice 4, bob 2; O7 in February, O9 in April, O6
  deleted);
* delivered in March: O1 78 h, O3 216 h, O8 96 h, O4 36 h → mean 106.5, median 87 hours;
* delivered order revenue: O1 3 000 + O8 20 000 + O4 9 050 = 32 050.00 (O3 was returned);
* by status at the end of March: new 1 (O2), shipped 1 (O7), delivered 3 (O1, O4, O8),
  cancelled 1 (O5), returned 1 (O3): 7 orders; at the end of 5 March: assembled 2 (O3, O7),
  delivered 1 (O1).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import pytest

from tests import factories
from tests.analytics.conftest import groups, kpi, msk, report
from tests.api_client import ApiClient
from tests.orders.conftest import catalogue, client_company  # noqa: F401 - fixtures
from voronka.analytics.drill import drill_target, drill_url
from voronka.analytics.engine import KPIS, compute
from voronka.analytics.periods import Period
from voronka.analytics.scope import Filters
from voronka.analytics.values import Value
from voronka.orders.models import Order

MAR_1, MAR_31 = date(2026, 3, 1), date(2026, 3, 31)
MARCH = Period(MAR_1, MAR_31)
NOW = msk(2026, 4, 15, 12)
ORDER_KPIS = ["orders_new", "order_fulfilment_hours", "order_revenue", "orders_by_status"]
DELIVER = ("confirmed", "paid", "assembled", "shipped", "delivered")


@dataclass
class Desk:
    """Takes down and moves orders through the services at given moments, as the head."""

    people: Any
    clock: Any

    def take(self, owner: Any, client: Any, when: datetime, lines: list[dict[str, Any]],
             **data: Any) -> Order:  # fmt: skip
        from voronka.orders.services import order_create

        self.clock.set(when)
        key = "company" if type(client).__name__ == "Company" else "contact"
        data = {key: client, "owner": owner, "prices_include_vat": True, **data}
        return order_create(actor=self.people.head, data=data, lines=lines, received_at=when)

    def move(self, order: Order, *steps: tuple[str, datetime]) -> Order:
        from voronka.orders.services import order_set_status

        for status, when in steps:
            self.clock.set(when)
            order = Order.all_objects.get(pk=order.pk)
            order = order_set_status(
                actor=self.people.head, order=order, to_status=status, version=order.version
            )
        return order

    def delete(self, order: Order, when: datetime) -> None:
        from voronka.orders.services import order_delete

        self.clock.set(when)
        order = Order.all_objects.get(pk=order.pk)
        order_delete(actor=self.people.head, order=order, version=order.version)


def steps(statuses: tuple[str, ...], *moments: datetime) -> tuple[tuple[str, datetime], ...]:
    return tuple(zip(statuses, moments, strict=True))


@pytest.fixture
def desk(personas, clock) -> Desk:
    return Desk(personas, clock)


@pytest.fixture
def orders(desk, personas, clock, client_company, catalogue, stages):  # noqa: F811
    """The orders of the module docstring, by name, with the clients, products and the deal."""
    from voronka.orders.services import order_from_deal
    from voronka.sales.services import deal_move_stage

    p = personas
    romashka, _petr = client_company
    chair, table = catalogue
    clock.set(msk(2026, 2, 1))
    berezka = factories.company(p.bob, name="ООО «Берёзка»")
    ivan = factories.contact(p.bob, first_name="Иван", last_name="Безкомпаниев")

    o7 = desk.take(p.bob, berezka, msk(2026, 2, 25, 10), [{"product": table}])
    desk.move(o7, *steps(DELIVER[:2], msk(2026, 2, 26, 10), msk(2026, 2, 27, 10)))
    o3 = desk.take(p.bob, berezka, msk(2026, 3, 1, 0, 10),
                   [{"product": table}, {"product": chair}])  # fmt: skip
    clock.set(msk(2026, 3, 1, 9))
    deal = factories.deal(p.alice, actor=p.head, title="Мебель в холл", amount=Decimal("20000"),
                          company=romashka)  # fmt: skip
    clock.set(msk(2026, 3, 1, 12))
    deal = deal_move_stage(actor=p.head, deal=deal, stage=stages["won"], version=deal.version)
    o1 = desk.take(p.alice, romashka, msk(2026, 3, 2, 10), [{"product": chair, "quantity": 2}])
    desk.move(o1, *steps(DELIVER, msk(2026, 3, 2, 12), msk(2026, 3, 3, 10), msk(2026, 3, 3, 15),
                         msk(2026, 3, 4, 10), msk(2026, 3, 5, 16)))  # fmt: skip
    desk.move(o3, *steps(DELIVER, msk(2026, 3, 2, 10), msk(2026, 3, 3, 10), msk(2026, 3, 4, 10),
                         msk(2026, 3, 6, 10), msk(2026, 3, 10, 0, 10)))  # fmt: skip
    desk.move(o7, ("assembled", msk(2026, 3, 5, 10)))
    clock.set(msk(2026, 3, 8, 10))
    o8 = order_from_deal(actor=p.head, deal=deal)
    desk.move(o8, *steps(DELIVER, msk(2026, 3, 8, 11), msk(2026, 3, 9, 10), msk(2026, 3, 10, 10),
                         msk(2026, 3, 11, 10), msk(2026, 3, 12, 10)))  # fmt: skip
    o5 = desk.take(p.alice, romashka, msk(2026, 3, 10, 12), [{"product": chair}])
    desk.move(o5, ("cancelled", msk(2026, 3, 11, 12)))
    o4 = desk.take(p.bob, ivan, msk(2026, 3, 15, 10),
                   [{"name": "Консультация", "unit_price": Decimal("100.00")}],
                   currency="USD", exchange_rate=Decimal("90.5"))  # fmt: skip
    desk.move(o4, *steps(DELIVER, msk(2026, 3, 15, 11), msk(2026, 3, 15, 12),
                         msk(2026, 3, 15, 13), msk(2026, 3, 15, 14), msk(2026, 3, 16, 22)))  # fmt: skip
    desk.move(o7, ("shipped", msk(2026, 3, 20, 10)))
    desk.move(o3, ("returned", msk(2026, 3, 20, 12)))
    o6 = desk.take(p.alice, romashka, msk(2026, 3, 20, 10), [{"product": chair}])
    desk.delete(o6, msk(2026, 3, 21, 10))
    o2 = desk.take(p.alice, romashka, msk(2026, 3, 31, 23, 59), [{"product": table}])
    desk.move(o7, ("delivered", msk(2026, 4, 1, 0, 30)))
    o9 = desk.take(p.alice, romashka, msk(2026, 4, 1, 0, 5), [{"product": chair}])
    clock.set(NOW)
    return {
        "O1": o1, "O2": o2, "O3": o3, "O4": o4, "O5": o5, "O6": o6, "O7": o7, "O8": o8,
        "O9": o9, "deal": deal, "romashka": romashka, "berezka": berezka, "ivan": ivan,
        "chair": chair, "table": table,
    }  # fmt: skip


def order_report(actor, start=MAR_1, end=MAR_31, **kwargs) -> dict[str, Any]:
    found = report(actor, ORDER_KPIS, start, end, **kwargs)
    return {kpi_id: found[kpi_id].as_json() for kpi_id in ORDER_KPIS}


def statuses(**counts: int) -> list[dict[str, Any]]:
    """The parts of orders_by_status, every status in the workflow's order."""
    labels = {
        "new": "New", "confirmed": "Confirmed", "paid": "Paid", "assembled": "Assembled",
        "shipped": "Shipped", "delivered": "Delivered", "cancelled": "Cancelled",
        "returned": "Returned",
    }  # fmt: skip
    return [{"key": k, "label": label, "value": counts.get(k, 0)} for k, label in labels.items()]


EVERYONE_IN_MARCH = {
    "orders_new": {"total": {"value": 6}},
    "order_fulfilment_hours": {
        "total": {"value": 106.5, "mean": 106.5, "median": 87.0, "count": 4}
    },
    "order_revenue": {"total": {"value": 32050.0}},
    "orders_by_status": {
        "total": {
            "value": 7,
            "statuses": statuses(new=1, shipped=1, delivered=3, cancelled=1, returned=1),
        }
    },
}


# The numbers -----------------------------------------------------------------------------------


def test_the_head_of_sales_gets_the_march_numbers_worked_out_by_hand(orders, personas):
    assert order_report(personas.head) == EVERYONE_IN_MARCH


@pytest.mark.parametrize("who", ["admin", "support"])
def test_support_and_the_administrator_see_every_order_too(orders, personas, who):
    assert order_report(getattr(personas, who)) == EVERYONE_IN_MARCH


def test_alice_counts_only_the_orders_she_runs(orders, personas):
    # O1, O8, O5, O2 received; O1 (78 h) and O8 (96 h) delivered; O1 + O8 = 23 000.
    assert order_report(personas.alice) == {
        "orders_new": {"total": {"value": 4}},
        "order_fulfilment_hours": {
            "total": {"value": 87.0, "mean": 87.0, "median": 87.0, "count": 2}
        },
        "order_revenue": {"total": {"value": 23000.0}},
        "orders_by_status": {
            "total": {"value": 4, "statuses": statuses(new=1, delivered=2, cancelled=1)}
        },
    }


def test_her_team_lead_reads_the_same_as_alice_and_bob_his_own(orders, personas):
    assert order_report(personas.lead) == order_report(personas.alice)
    bob = order_report(personas.bob)
    assert bob["orders_new"]["total"] == {"value": 2}  # O3, O4
    assert bob["order_fulfilment_hours"]["total"] == {
        "value": 126.0, "mean": 126.0, "median": 126.0, "count": 2,
    }  # fmt: skip
    assert bob["order_revenue"]["total"] == {"value": 9050.0}  # O3 was returned
    assert bob["orders_by_status"]["total"]["value"] == 3  # O7, O3, O4


def test_someone_with_no_orders_gets_zeros_and_a_null_time_with_its_reason(orders, personas):
    assert order_report(personas.outsider) == {
        "orders_new": {"total": {"value": 0}},
        "order_fulfilment_hours": {"total": {
            "value": None, "reason": "no order delivered in the period", "mean": None,
            "median": None, "count": 0,
        }},
        "order_revenue": {"total": {"value": 0.0}},
        "orders_by_status": {"total": {"value": 0, "statuses": statuses()}},
    }  # fmt: skip


def test_orders_by_status_at_a_past_date_read_the_status_history(orders, personas):
    # At the end of 5 March O3 (shipped on the 6th) and O7 (shipped on the 20th) were being
    # assembled and O1 had been delivered at 16:00; the others had not arrived yet.
    early = kpi(personas.head, "orders_by_status", MAR_1, date(2026, 3, 5)).total.as_json()
    assert early == {"value": 3, "statuses": statuses(assembled=2, delivered=1)}
    # Now O3 is returned and O7 delivered: the end of March does not see the 1 April delivery.
    assert Order.objects.get(pk=orders["O7"].pk).status == "delivered"
    april = kpi(personas.head, "orders_by_status", date(2026, 4, 1), date(2026, 4, 30))
    assert april.total.as_json() == {
        "value": 8,
        "statuses": statuses(new=2, delivered=4, cancelled=1, returned=1),
    }


def test_orders_arriving_around_midnight_count_on_their_moscow_day(orders, personas):
    by_day = groups(kpi(personas.head, "orders_new", MAR_1, MAR_31, by="day"))
    # O3 arrived at 00:10 on 1 March (21:10 on 28 February in UTC), O2 at 23:59 on 31 March.
    assert by_day["2026-03-01"] == 1
    assert by_day["2026-03-31"] == 1
    assert kpi(personas.head, "orders_new", date(2026, 2, 1), date(2026, 2, 28)).total.value == 1
    april_first = kpi(personas.head, "orders_new", date(2026, 4, 1), date(2026, 4, 1))
    assert april_first.total.value == 1  # O9, 00:05 on 1 April
    # O7, delivered at 00:30 on 1 April, counts for April.
    fulfilment = kpi(personas.head, "order_fulfilment_hours", date(2026, 4, 1), date(2026, 4, 1))
    assert fulfilment.total.count == 1
    assert fulfilment.total.value == 830.5  # 25 Feb 10:00 → 1 Apr 00:30


def test_a_deleted_order_never_counts(desk, orders, personas):
    assert Order.all_objects.get(pk=orders["O6"].pk).is_deleted
    desk.delete(orders["O1"], msk(2026, 4, 2))
    desk.clock.set(NOW)
    found = order_report(personas.head)
    assert found["orders_new"]["total"] == {"value": 5}
    assert found["order_fulfilment_hours"]["total"]["count"] == 3
    assert found["order_revenue"]["total"] == {"value": 29050.0}
    assert found["orders_by_status"]["total"]["value"] == 6


# Groupings -------------------------------------------------------------------------------------


def test_groups_by_manager_and_team(orders, personas):
    p = personas
    by_manager = report(p.head, ORDER_KPIS, MAR_1, MAR_31, by="manager")
    assert groups(by_manager["orders_new"]) == {str(p.alice.pk): 4, str(p.bob.pk): 2}
    assert groups(by_manager["order_fulfilment_hours"]) == {str(p.alice.pk): 87.0,
                                                            str(p.bob.pk): 126.0}  # fmt: skip
    assert groups(by_manager["order_revenue"]) == {
        str(p.alice.pk): Decimal("23000.00"), str(p.bob.pk): Decimal("9050.00"),
    }  # fmt: skip
    parts = {g.key: g.value.as_json() for g in by_manager["orders_by_status"].groups}
    assert parts == {
        str(p.alice.pk): {"value": 4, "statuses": statuses(new=1, delivered=2, cancelled=1)},
        str(p.bob.pk): {"value": 3, "statuses": statuses(shipped=1, delivered=1, returned=1)},
    }
    by_team = report(p.head, ["orders_new"], MAR_1, MAR_31, by="team")["orders_new"]
    assert [(g.label, g.value.value) for g in by_team.groups] == [("North", 4), ("South", 2)]


def test_groups_by_client_put_a_contact_without_a_company_apart(orders, personas):
    found = report(personas.head, ORDER_KPIS, MAR_1, MAR_31, by="client")
    romashka, berezka = orders["romashka"].pk, orders["berezka"].pk
    ivan = f"contact:{orders['ivan'].pk}"
    assert [(g.key, g.label, g.value.value) for g in found["orders_new"].groups] == [
        (f"company:{romashka}", "ООО «Ромашка»", 4),
        (ivan, "Безкомпаниев Иван", 1),  # equal counts: by name
        (f"company:{berezka}", "ООО «Берёзка»", 1),
    ]
    assert groups(found["order_revenue"]) == {
        f"company:{romashka}": Decimal("23000.00"), ivan: Decimal("9050.00"),
    }  # fmt: skip
    assert groups(found["orders_by_status"])[f"company:{berezka}"] == 2  # O7, O3


def test_groups_by_product_count_an_order_once_per_product_it_holds(orders, personas, desk):
    chair, table = str(orders["chair"].pk), str(orders["table"].pk)
    # An order of two lines of chairs is one order of chairs.
    desk.take(personas.alice, orders["romashka"], msk(2026, 3, 30, 10),
              [{"product": orders["chair"]}, {"product": orders["chair"], "quantity": 3}])  # fmt: skip
    desk.clock.set(NOW)
    found = report(personas.head, ORDER_KPIS, MAR_1, MAR_31, by="product")
    # Chairs: O3, O1, O5 and the new one; tables: O3, O2; no product: O8 (the deal), O4.
    assert groups(found["orders_new"]) == {chair: 4, table: 2, None: 2}
    assert found["orders_new"].groups[-1].label == "No products"
    # Delivered: O1 (chairs, 78 h), O3 (both, 216 h), O8 and O4 (no product, 96 h and 36 h).
    fulfilment = {g.key: g.value.as_json() for g in found["order_fulfilment_hours"].groups}
    assert fulfilment == {
        chair: {"value": 147.0, "mean": 147.0, "median": 147.0, "count": 2},
        table: {"value": 216.0, "mean": 216.0, "median": 216.0, "count": 1},
        None: {"value": 66.0, "mean": 66.0, "median": 66.0, "count": 2},
    }
    assert groups(found["order_revenue"]) == {chair: Decimal("3000.00"),
                                              None: Decimal("29050.00")}  # fmt: skip
    by_status = {g.key: g.value.as_json()["statuses"] for g in found["orders_by_status"].groups}
    assert by_status[table] == statuses(new=1, shipped=1, returned=1)  # O2, O7, O3


def test_groups_by_week_list_every_week_of_march(orders, personas):
    found = report(personas.head, ["orders_new", "order_fulfilment_hours"], MAR_1, MAR_31,
                   by="week")  # fmt: skip
    # 1 March 2026 is a Sunday: the first week of the period is the ninth of the year.
    assert groups(found["orders_new"]) == {
        "2026-W09": 1, "2026-W10": 2, "2026-W11": 2, "2026-W12": 0, "2026-W13": 0, "2026-W14": 1,
    }  # fmt: skip
    assert groups(found["order_fulfilment_hours"]) == {
        "2026-W09": None, "2026-W10": 78.0, "2026-W11": 156.0, "2026-W12": 36.0, "2026-W13": None,
        "2026-W14": None,
    }  # fmt: skip


@pytest.mark.parametrize("by", ["manager", "team", "client", "month"])
def test_groups_add_up_to_the_total(orders, personas, by):
    found = report(personas.head, ["orders_new", "order_revenue"], MAR_1, MAR_31, by=by)
    for kpi_id in ("orders_new", "order_revenue"):
        assert sum(g.value.value for g in found[kpi_id].groups) == found[kpi_id].total.value


def test_orders_by_status_has_no_time_groups(orders, personas):
    found = report(personas.head, ["orders_by_status"], MAR_1, MAR_31, by="month")
    assert found["orders_by_status"].groups == []
    assert found["orders_by_status"].total.value == 7


def test_the_manager_team_and_product_filters_narrow_the_orders(orders, personas):
    p = personas
    assert order_report(p.head, filters=Filters(manager=p.alice.pk)) == order_report(p.alice)
    south = order_report(p.head, filters=Filters(team=p.bob.team_id))
    assert south == order_report(p.bob)
    tables = order_report(p.head, filters=Filters(product=orders["table"].pk))
    assert tables["orders_new"]["total"] == {"value": 2}  # O3, O2
    assert tables["order_fulfilment_hours"]["total"]["count"] == 1  # O3
    assert tables["order_revenue"]["total"] == {"value": 0.0}  # O3 was returned


def test_pipeline_and_source_filters_do_not_apply_to_orders(orders, personas, pipeline, source):
    chosen = Filters(pipeline=pipeline.pk, source=source.pk)
    assert order_report(personas.head, filters=chosen) == EVERYONE_IN_MARCH


# API and command line --------------------------------------------------------------------------


def test_the_api_answers_the_order_kpis(orders, personas):
    response = ApiClient(personas.head).get(
        "/kpis", ids=",".join(ORDER_KPIS), **{"from": "2026-03-01", "to": "2026-03-31"}
    )

    assert response.status_code == 200, response.content
    assert response.json()["kpis"] == EVERYONE_IN_MARCH


def test_alice_gets_only_her_orders_from_the_api_grouped_by_month(orders, personas):
    body = (
        ApiClient(personas.alice)
        .get(
            "/kpis",
            ids="orders_new,order_fulfilment_hours",
            by="month",
            **{"from": "2026-02-01", "to": "2026-03-31"},
        )
        .json()
    )

    assert body["kpis"]["orders_new"] == {
        "total": {"value": 4},
        "groups": [
            {"key": "2026-02", "label": "February 2026", "value": 0},
            {"key": "2026-03", "label": "March 2026", "value": 4},
        ],
    }
    assert body["kpis"]["order_fulfilment_hours"]["groups"][1]["median"] == 87.0


def test_the_catalogue_lists_the_order_kpis_with_their_units(db, personas):
    listed = {e["id"]: e for e in ApiClient(personas.head).get("/kpis/catalogue").json()}

    assert {k: listed[k]["unit"] for k in ORDER_KPIS} == {
        "orders_new": "count", "order_fulfilment_hours": "hours", "order_revenue": "money",
        "orders_by_status": "table",
    }  # fmt: skip
    assert set(listed["orders_by_status"]["groupings"]) == {
        "manager", "team", "client", "product",
    }  # fmt: skip
    assert set(KPIS["orders_new"].groupings) == {
        "manager", "team", "client", "product", "day", "week", "month", "quarter",
    }  # fmt: skip


def _command(capsys, *args: str) -> str:
    from voronka.cli import main

    code = main(["kpi", "--from", "2026-03-01", "--to", "2026-03-31", "--lang", "en", *args])
    out = capsys.readouterr()
    assert code == 0, out.err
    return out.out


def test_the_command_prints_what_the_api_answers(orders, personas, capsys):
    ids = "orders_new,order_fulfilment_hours,orders_by_status"
    api = (
        ApiClient(personas.head)
        .get("/kpis", ids=ids, by="manager", **{"from": "2026-03-01", "to": "2026-03-31"})
        .json()
    )

    printed = _command(capsys, "--ids", ids, "--by", "manager", "--json", "--as", "head")

    assert json.loads(printed) == api


def test_the_command_table_shows_hours_and_the_orders_per_status(orders, personas, capsys):
    printed = _command(capsys, "--ids", ",".join(ORDER_KPIS), "--as", "head")

    assert printed.splitlines() == [
        "New orders               6",
        "Order fulfilment, hours  106.5 h (median 87.0 h, n=4)",
        "Delivered order revenue  32,050.00",
        "Orders by status         7",
        "  New                    1",
        "  Confirmed              0",
        "  Paid                   0",
        "  Assembled              0",
        "  Shipped                1",
        "  Delivered              3",
        "  Cancelled              1",
        "  Returned               1",
    ]


# Drill-down ------------------------------------------------------------------------------------


def _target(kpi_id, **kwargs):
    return drill_target(kpi_id, MARCH, kwargs.pop("filters", Filters()), **kwargs)


def test_each_order_kpi_links_to_the_orders_it_counts(db):
    created = {"created_from": "2026-03-01", "created_to": "2026-03-31"}
    delivered = {"delivered_from": "2026-03-01", "delivered_to": "2026-03-31"}

    assert _target("orders_new") == ("orders:order-list", created)
    assert _target("order_fulfilment_hours") == ("orders:order-list", delivered)
    assert _target("order_revenue") == ("orders:order-list", {**delivered, "status": "delivered"})
    assert _target("orders_by_status") == ("orders:order-list", {"created_to": "2026-03-31"})
    assert _target("orders_by_status", key="shipped") == (
        "orders:order-list",
        {"created_to": "2026-03-31", "status": "shipped", "status_at": "2026-03-31"},
    )
    assert _target("orders_by_status", key="lost") is None  # no such status


def test_a_group_and_the_filters_narrow_the_order_link(db):
    filters = Filters(team=3, manager=7, product=9, pipeline=1, source=2)

    params = _target("orders_new", filters=filters, by="client", key="company:12")[1]
    assert params == {
        "owner": "7", "team": "3", "product": "9", "company": "12",
        "created_from": "2026-03-01", "created_to": "2026-03-31",
    }  # fmt: skip
    assert _target("order_revenue", by="client", key="contact:8")[1]["contact"] == "8"
    assert _target("orders_new", by="manager", key="4")[1]["owner"] == "4"
    assert _target("orders_by_status", by="team", key="5")[1] == {
        "created_to": "2026-03-31", "team": "5",
    }  # fmt: skip
    week = _target("order_fulfilment_hours", by="week", key="2026-W11")[1]
    assert (week["delivered_from"], week["delivered_to"]) == ("2026-03-09", "2026-03-15")
    # The first week of the period begins in February: the link keeps to the period.
    assert _target("orders_new", by="week", key="2026-W09")[1]["created_from"] == "2026-03-01"
    for by in ("manager", "team", "product", "client"):
        assert _target("orders_new", by=by, key=None) is None, by
    assert _target("orders_by_status", by="month", key="2026-03") is None


def _listed(client, url: str) -> list[Order]:
    response = client.get(url)
    assert response.status_code == 200, url
    assert response.context["form"].errors == {}, url
    page = response.context["page"]
    assert page.next_cursor is None  # every order on the one page
    assert page.total == len(page.items)
    return list(page.items)


def _assert_rows_behind(kpi_id: str, value, rows: list[Order]) -> None:
    if kpi_id == "order_fulfilment_hours":
        assert len(rows) == value.count
    elif kpi_id == "order_revenue":
        amounts = [(o.total * o.exchange_rate).quantize(Decimal("0.01")) for o in rows]
        assert sum(amounts, Decimal(0)) == value.value
    else:
        assert len(rows) == value.value


@pytest.mark.parametrize("who", ["head", "alice"])
def test_each_number_group_and_status_opens_a_list_of_exactly_its_orders(
    client, orders, personas, who
):
    actor = getattr(personas, who)
    # A manager's list also shows her clients' orders that others run: the dashboard's links
    # name her as the manager, as here.
    filters = Filters() if who == "head" else Filters(manager=actor.pk)
    client.force_login(actor)
    checked = 0
    for period in (MARCH, Period(MAR_1, date(2026, 3, 5)), Period(MAR_1, date(2026, 4, 30))):
        for by in (None, "manager", "team", "client", "product", "week", "month"):
            found = compute(actor=actor, ids=ORDER_KPIS, period=period, by=by, filters=filters)
            for kpi_id in ORDER_KPIS:
                rows = [(None, found[kpi_id].total)] if by is None else []
                rows += [(g.key, g.value) for g in found[kpi_id].groups or []]
                if kpi_id == "orders_by_status" and by is None:
                    parts = found[kpi_id].total.extra["statuses"]
                    rows += [(s["key"], Value(s["value"])) for s in parts]
                for key, value in rows:
                    url = drill_url(kpi_id, period, filters, by=by, key=key)
                    if url is None:
                        assert key is None and by is not None, (kpi_id, by)
                        continue
                    _assert_rows_behind(kpi_id, value, _listed(client, url))
                    checked += 1
    assert checked > 150
