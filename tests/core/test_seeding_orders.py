"""The orders' demo data: orders of won deals and repeat orders, played through the order
workflow.

The generator writes plain rows around the services for speed; these tests hold it to
what the services would have left, checked against the default workflow, the norms'
own ``due_at`` and amounts worked out here by hand. One seeding serves the module.
"""

from __future__ import annotations

import io
from collections import Counter, defaultdict
from datetime import datetime, time
from decimal import ROUND_HALF_UP, Decimal

import pytest
from django.core.management import call_command
from django.db import transaction

from voronka.core import organisation
from voronka.orders import defaults, norms
from voronka.orders.models import (
    FINAL_STATUSES,
    OPEN_STATUSES,
    ExportRun,
    Order,
    OrderLine,
    OverdueAlert,
    StatusChange,
)
from voronka.orders.queries import overdue_q
from voronka.orders.services import _search_text
from voronka.sales.models import Deal, DealLine, Product

DEALS = 300
CENT = Decimal("0.01")
ALLOWED = {(f, t): paid for f, t, paid in defaults.TRANSITIONS}


@pytest.fixture(scope="module")
def seeded(django_db_setup, django_db_blocker):
    """One 300-deal seed for every test of the module, rolled back after the last."""
    with django_db_blocker.unblock():
        outer = transaction.atomic()
        outer.__enter__()
        try:
            out = io.StringIO()
            call_command("seed", deals=DEALS, seed=42, stdout=out)
            yield out.getvalue()
        finally:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)


def history_end() -> datetime:
    """Where the seeded history stops: the start of today in the organisation's zone."""
    tz = organisation.current().tz
    return datetime.combine(datetime.now(tz).date(), time.min, tzinfo=tz)


def changes_by_order() -> dict[int, list[StatusChange]]:
    by_order: dict[int, list[StatusChange]] = defaultdict(list)
    for change in StatusChange.objects.order_by("order_id", "changed_at", "pk"):
        by_order[change.order_id].append(change)
    return by_order


def by_hand(quantity, price, discount, rate, include_vat) -> tuple[Decimal, ...]:
    """A line's gross, discount, VAT and total as an invoice counts them."""
    gross = (quantity * price).quantize(CENT, ROUND_HALF_UP)
    off = (gross * discount / 100).quantize(CENT, ROUND_HALF_UP)
    amount = gross - off
    if include_vat:
        vat = (amount * rate / (100 + rate)).quantize(CENT, ROUND_HALF_UP)
        return gross, off, vat, amount
    vat = (amount * rate / 100).quantize(CENT, ROUND_HALF_UP)
    return gross, off, vat, amount + vat


@pytest.mark.django_db
def test_the_summary_counts_the_orders(seeded):
    assert f"{Order.objects.count()} orders" in seeded
    assert Order.objects.count() > 0


@pytest.mark.django_db
def test_most_won_deals_became_an_order_and_customers_ordered_again(seeded):
    won = Deal.objects.filter(status="won").count()
    of_deals = Order.objects.filter(deal__isnull=False)
    repeat = Order.objects.filter(deal__isnull=True)

    assert 0.7 * won <= of_deals.count() <= 0.95 * won
    assert of_deals.exclude(deal__status="won").count() == 0
    # a small demo tops the orders up with repeat orders of supplies, licences, support
    assert repeat.count() >= DEALS * 1.5 - of_deals.count() - 30
    assert not OrderLine.objects.filter(order__deal__isnull=True, product__isnull=True).exists()


@pytest.mark.django_db
def test_an_order_of_a_deal_copies_its_client_manager_and_lines(seeded):
    org = organisation.current()
    deal_lines = defaultdict(list)
    for line in DealLine.objects.order_by("pk"):
        deal_lines[line.deal_id].append(
            (line.product_id, line.quantity, line.price, line.discount_percent)
        )
    lines = defaultdict(list)
    for line in OrderLine.objects.order_by("position", "pk"):
        lines[line.order_id].append(line)
    vat_of = {p.pk: p.vat_rate for p in Product.objects.all()}

    for order in Order.objects.filter(deal__isnull=False).select_related("deal", "contact"):
        deal = order.deal
        assert (order.company_id, order.contact_id, order.owner_id) == (
            deal.company_id, deal.contact_id, deal.owner_id,
        )  # fmt: skip
        assert order.created_at >= deal.closed_at
        assert order.created_by_id == order.owner_id
        assert order.client_email == (order.contact.email if order.contact else "")
        mine = lines[order.pk]
        if deal_lines[deal.pk]:
            assert [(x.product_id, x.quantity, x.unit_price, x.discount_percent) for x in mine] == (
                deal_lines[deal.pk]
            )
            for x in mine:
                rate = vat_of[x.product_id]
                assert x.vat_rate == (org.order_vat_rate if rate is None else rate)
        else:
            assert [(x.name, x.quantity, x.unit_price) for x in mine] == [
                (deal.title, 1, deal.amount)
            ]
        assert [x.position for x in mine] == list(range(1, len(mine) + 1))


@pytest.mark.django_db
def test_totals_are_the_sums_of_lines_counted_as_an_invoice_counts(seeded):
    lines = defaultdict(list)
    for line in OrderLine.objects.all():
        lines[line.order_id].append(line)

    for order in Order.objects.all():
        mine = lines[order.pk]
        assert mine
        for x in mine:
            expected = by_hand(x.quantity, x.unit_price, x.discount_percent, x.vat_rate,
                               order.prices_include_vat)  # fmt: skip
            assert (x.gross, x.discount, x.vat, x.total) == expected
        assert order.subtotal == sum(x.gross for x in mine)
        assert order.discount_total == sum(x.discount for x in mine)
        assert order.vat_total == sum(x.vat for x in mine)
        assert order.total == sum(x.total for x in mine)


@pytest.mark.django_db
def test_every_orders_changes_walk_the_default_workflow_in_time(seeded):
    end = history_end()
    changes = changes_by_order()

    for order in Order.objects.all():
        path = changes[order.pk]
        arrival = path[0]
        assert (arrival.from_status, arrival.to_status) == ("", "new")
        assert arrival.changed_at == order.created_at
        assert arrival.changed_by_id == order.owner_id
        for before, after in zip(path, path[1:], strict=False):
            assert after.from_status == before.to_status
            assert (after.from_status, after.to_status) in ALLOWED
            assert before.changed_at <= after.changed_at <= end
        last = path[-1]
        assert order.status == last.to_status
        assert order.status_entered_at == last.changed_at
        assert order.version >= len(path)
        assert order.created_at <= order.updated_at <= end
        assert order.closed_at == (last.changed_at if order.status in FINAL_STATUSES else None)


@pytest.mark.django_db
def test_no_unpaid_order_passed_a_move_that_asks_for_payment(seeded):
    changes = changes_by_order()

    for order in Order.objects.all():
        needing = [c for c in changes[order.pk] if ALLOWED.get((c.from_status, c.to_status))]
        for change in needing:
            assert order.paid_at is not None
            assert order.paid_at <= change.changed_at
            assert order.payment_status in ("paid", "refunded")
        went_paid = [c for c in changes[order.pk] if c.to_status == "paid"]
        if went_paid:
            assert order.paid_at == went_paid[0].changed_at
        if order.payment_status == "paid":
            assert order.paid_at is not None and order.paid_at >= order.created_at
        if order.payment_status == "refunded":
            assert order.status in ("cancelled", "returned")
    assert Order.objects.filter(payment_status="unpaid", status__in=["shipped", "delivered"]
                                ).count() == 0  # fmt: skip


@pytest.mark.django_db
def test_delivered_orders_and_only_they_know_when_they_were_delivered(seeded):
    changes = changes_by_order()

    for order in Order.objects.all():
        delivered = [c.changed_at for c in changes[order.pk] if c.to_status == "delivered"]
        assert order.delivered_at == (delivered[0] if delivered else None)
        if order.status == "delivered":
            assert order.delivered_at is not None
    assert Order.objects.filter(delivered_at__isnull=True, status="delivered").count() == 0
    assert Order.objects.filter(delivered_at__isnull=False).exclude(
        status__in=["delivered", "returned"]
    ).count() == 0  # fmt: skip


@pytest.mark.django_db
def test_statuses_spread_as_in_a_working_shop_and_some_orders_are_overdue_now(seeded):
    orders = Order.objects.all()
    n = orders.count()
    statuses = Counter(orders.values_list("status", flat=True))
    open_ = orders.filter(status__in=OPEN_STATUSES)
    overdue = orders.filter(overdue_q(history_end()))

    assert 0.7 * n <= statuses["delivered"] <= 0.95 * n
    assert 0.03 * n <= statuses["cancelled"] <= 0.2 * n
    assert statuses["returned"] >= 1
    assert open_.count() >= 5
    assert 1 <= overdue.count() < 0.6 * open_.count()
    assert set(orders.values_list("payment_status", flat=True)) >= {"paid", "refunded", "unpaid"}


@pytest.mark.django_db
def test_each_status_deadline_is_what_the_norms_say(seeded):
    for order in Order.objects.all():
        assert order.status_due_at == norms.due_at(order.status, order.status_entered_at)


@pytest.mark.django_db
def test_the_overdue_sweep_has_claimed_every_stay_past_its_norm(seeded):
    """A worker started on the demo does not report a year of old delays at once."""
    end = history_end()
    claims = set(OverdueAlert.objects.values_list("order_id", "status", "entered_at"))

    for order in Order.objects.filter(overdue_q(end)):
        assert (order.pk, order.status, order.status_entered_at) in claims
    changes = changes_by_order()
    for order_id, path in changes.items():
        for stay, left in zip(path, [*path[1:], None], strict=True):
            due = norms.due_at(stay.to_status, stay.changed_at)
            until = left.changed_at if left is not None else end
            late = due is not None and due < until
            assert ((order_id, stay.to_status, stay.changed_at) in claims) == late


@pytest.mark.django_db
def test_the_clients_e_mails_are_marked_sent_and_none_waits(seeded):
    notify = {status for status, (_norm, on) in defaults.NORMS.items() if on}
    orders = {o.pk: o for o in Order.objects.all()}

    for change in StatusChange.objects.all():
        order = orders[change.order_id]
        if change.to_status in notify and order.client_email:
            assert change.email_to == order.client_email
            assert change.email_status == "sent"
            assert change.changed_at < change.email_sent_at
        else:
            assert (change.email_to, change.email_status) == ("", "none")
    assert StatusChange.objects.filter(email_status="sent").exists()


@pytest.mark.django_db
def test_older_orders_went_to_accounting_and_the_last_days_are_new_since_the_last_export(seeded):
    runs = list(ExportRun.objects.order_by("created_at"))
    last = runs[-1].created_at
    exported = Order.objects.filter(exported_at__isnull=False)
    fresh = Order.objects.filter(exported_at__isnull=True)

    assert sum(r.count for r in runs) == exported.count()
    assert {o.exported_at for o in exported} == {r.created_at for r in runs}
    assert all(o.created_at < o.exported_at for o in exported)
    assert all(o.created_at >= last for o in fresh)
    assert 0 < fresh.count() < 0.1 * Order.objects.count()
    assert (history_end() - last).days < 7


@pytest.mark.django_db
def test_numbers_follow_the_dates_and_search_finds_the_client(seeded):
    orders = list(Order.objects.select_related("company", "contact").order_by("created_at", "pk"))

    assert [o.number for o in orders] == [f"{o.pk:06d}" for o in orders]
    assert [o.pk for o in orders] == sorted(o.pk for o in orders)
    for order in orders:
        assert order.search_text == _search_text(order)
        assert len(order.public_nonce) >= 20
    assert len({o.public_nonce for o in orders}) == len(orders)


@pytest.mark.django_db
def test_goods_go_by_courier_carrier_or_pickup_and_the_rest_electronically(seeded):
    methods = Counter(Order.objects.values_list("delivery_method", flat=True))
    couriers = Order.objects.filter(delivery_method__in=["courier", "carrier"])

    assert methods["digital"] > 0 and methods["courier"] > 0 and methods["pickup"] > 0
    assert couriers.filter(delivery_address="").count() == 0
    assert Order.objects.filter(delivery_method="digital", delivery_date__isnull=False).count() == 0
    assert set(Product.objects.values_list("unit", flat=True)) == {"шт", "лиц", "усл"}
