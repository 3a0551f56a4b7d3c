"""The order status workflow: every move of the default table, allowed or refused, with
and without payment; the organisation's own table; what a move records; two people
moving one order at once."""

from __future__ import annotations

import itertools

import pytest
from django.core.exceptions import ValidationError
from django.db import transaction

from tests.concurrency import run_together
from tests.orders.conftest import walk
from voronka.core import events
from voronka.core.errors import NotAllowed, StaleVersion
from voronka.orders import defaults
from voronka.orders.models import (
    FLOW,
    Order,
    PaymentStatus,
    Status,
    StatusChange,
    StatusSetting,
    Transition,
)
from voronka.orders.services import order_set_payment, order_set_status

DEFAULT = {(a, b): paid for a, b, paid in defaults.TRANSITIONS}
ORDER_EVENTS = (
    events.ORDER_CREATED, events.ORDER_STATUS_CHANGED, events.ORDER_PAID,
    events.ORDER_DELIVERED, events.ORDER_CANCELLED,
)  # fmt: skip


def fresh(order: Order) -> Order:
    return Order.all_objects.get(pk=order.pk)


def put(order: Order, status: str, payment: str) -> Order:
    """Set the order's state directly, as a test's starting point."""
    Order.all_objects.filter(pk=order.pk).update(status=status, payment_status=payment)
    return fresh(order)


@pytest.fixture
def heard(monkeypatch):
    got: list[tuple[str, dict]] = []
    for name in ORDER_EVENTS:
        listener = lambda name=name, **payload: got.append((name, payload))  # noqa: E731
        monkeypatch.setitem(events._handlers, name, [*events._handlers[name], listener])
    return got


def test_the_default_workflow_is_installed_by_the_migrations(db):
    table = {(t.from_status, t.to_status): t.requires_payment for t in Transition.objects.all()}
    assert table == DEFAULT
    assert set(StatusSetting.objects.values_list("status", flat=True)) == set(Status.values)


@pytest.mark.parametrize("from_status", FLOW)
def test_every_move_from_a_status_is_allowed_or_refused_by_the_table(
    from_status, personas, alices_order
):
    """Each of the 7 targets, unpaid and paid: moved exactly when the table allows it;
    a refusal names both statuses and changes nothing."""
    for to_status, payment in itertools.product(FLOW, PaymentStatus.values):
        if to_status == from_status:
            continue
        order = put(alices_order, from_status, payment)
        allowed = (from_status, to_status) in DEFAULT and (
            not DEFAULT[(from_status, to_status)] or payment == PaymentStatus.PAID
        )
        before = StatusChange.objects.count()
        with transaction.atomic():
            savepoint = transaction.savepoint()
            try:
                moved = order_set_status(actor=personas.alice, order=order, to_status=to_status,
                                         version=order.version)  # fmt: skip
            except ValidationError as error:
                assert not allowed, (from_status, to_status, payment, error)
                message = error.message_dict["status"][0]
                assert str(Status(from_status).label) in message
                assert str(Status(to_status).label) in message
                if (from_status, to_status) in DEFAULT:
                    assert "must be paid" in message
                else:
                    assert "cannot go from" in message
                assert fresh(order).status == from_status
                assert StatusChange.objects.count() == before
            else:
                assert allowed, (from_status, to_status, payment)
                assert moved.status == fresh(order).status == to_status
                assert StatusChange.objects.count() == before + 1
            transaction.savepoint_rollback(savepoint)


def test_a_move_to_the_same_status_is_refused(personas, alices_order):
    with pytest.raises(ValidationError, match="already"):
        order_set_status(actor=personas.alice, order=alices_order, to_status="new",
                         version=alices_order.version)  # fmt: skip


def test_an_unknown_status_is_refused(personas, alices_order):
    with pytest.raises(ValidationError, match="Unknown order status"):
        order_set_status(actor=personas.alice, order=alices_order, to_status="lost",
                         version=alices_order.version)  # fmt: skip


def test_the_organisation_decides_the_moves_and_which_need_payment(personas, alices_order):
    Transition.objects.create(from_status="new", to_status="shipped", requires_payment=True)
    Transition.objects.filter(from_status="new", to_status="confirmed").delete()

    with pytest.raises(ValidationError, match="cannot go from"):
        order_set_status(actor=personas.alice, order=alices_order, to_status="confirmed",
                         version=alices_order.version)  # fmt: skip
    with pytest.raises(ValidationError, match="must be paid"):
        order_set_status(actor=personas.alice, order=alices_order, to_status="shipped",
                         version=alices_order.version)  # fmt: skip
    order = order_set_payment(actor=personas.alice, order=alices_order,
                              version=alices_order.version, payment_status="paid")  # fmt: skip
    order = order_set_status(actor=personas.alice, order=order, to_status="shipped",
                             version=order.version)  # fmt: skip
    assert fresh(order).status == "shipped"


def test_the_whole_way_is_recorded_with_who_and_when(personas, alices_order, heard,
                                                     django_capture_on_commit_callbacks):  # fmt: skip
    with django_capture_on_commit_callbacks(execute=True):
        order = walk(alices_order, personas.alice, "confirmed", "paid", "assembled", "shipped",
                     "delivered")  # fmt: skip

    order = fresh(order)
    changes = list(order.changes.order_by("changed_at", "pk"))
    assert [(c.from_status, c.to_status) for c in changes] == [
        ("", "new"), ("new", "confirmed"), ("confirmed", "paid"), ("paid", "assembled"),
        ("assembled", "shipped"), ("shipped", "delivered"),
    ]  # fmt: skip
    assert {c.changed_by for c in changes} == {personas.alice}
    assert [c.changed_at for c in changes] == sorted(c.changed_at for c in changes)
    assert order.payment_status == PaymentStatus.PAID and order.paid_at == changes[2].changed_at
    assert order.delivered_at == order.closed_at == changes[-1].changed_at
    assert order.status_entered_at == changes[-1].changed_at
    assert order.status_due_at is None  # a delivered order is never late
    assert order.version == 6  # created, then five moves
    names = [name for name, _ in heard]
    assert names.count(events.ORDER_STATUS_CHANGED) == 5
    assert names.count(events.ORDER_PAID) == 1
    assert names.count(events.ORDER_DELIVERED) == 1
    moved = [p for name, p in heard if name == events.ORDER_STATUS_CHANGED]
    assert moved[-1] == {"order_id": order.pk, "change_id": changes[-1].pk,
                         "from_status": "shipped", "to_status": "delivered",
                         "actor_id": personas.alice.pk}  # fmt: skip


def test_entering_a_status_with_a_norm_sets_its_deadline(personas, alices_order):
    StatusSetting.objects.filter(status="confirmed").update(norm_hours=48, clock="calendar")
    order = walk(alices_order, personas.alice, "confirmed")
    order = fresh(order)
    assert order.status_due_at is not None
    assert (order.status_due_at - order.status_entered_at).total_seconds() == 48 * 3600


def test_cancelling_closes_the_order_and_is_heard(personas, alices_order, heard,
                                                  django_capture_on_commit_callbacks):  # fmt: skip
    with django_capture_on_commit_callbacks(execute=True):
        order = order_set_status(actor=personas.alice, order=alices_order, to_status="cancelled",
                                 version=alices_order.version, comment="Клиент передумал")  # fmt: skip
    order = fresh(order)
    assert order.closed_at is not None and order.delivered_at is None
    assert order.changes.last().comment == "Клиент передумал"
    assert (events.ORDER_CANCELLED, {"order_id": order.pk, "actor_id": personas.alice.pk}) in heard


@pytest.mark.parametrize("who", ["bob", "support", "outsider"])
def test_only_who_may_change_the_order_moves_it(who, personas, alices_order):
    with pytest.raises(NotAllowed):
        order_set_status(actor=getattr(personas, who), order=alices_order,
                         to_status="confirmed", version=alices_order.version)  # fmt: skip
    assert fresh(alices_order).status == "new"


@pytest.mark.parametrize("who", ["alice", "lead", "head", "admin"])
def test_the_manager_their_lead_and_the_head_move_it(who, personas, alices_order):
    order = order_set_status(actor=getattr(personas, who), order=alices_order,
                             to_status="confirmed", version=alices_order.version)  # fmt: skip
    assert fresh(order).status == "confirmed"


def test_a_move_based_on_a_stale_copy_is_a_conflict_and_changes_nothing(personas, alices_order):
    seen_by_lead = fresh(alices_order)
    walk(alices_order, personas.alice, "confirmed")

    with pytest.raises(StaleVersion) as caught:
        order_set_status(actor=personas.lead, order=seen_by_lead, to_status="cancelled",
                         version=seen_by_lead.version)  # fmt: skip

    assert caught.value.current_version == 2
    order = fresh(alices_order)
    assert order.status == "confirmed"
    assert list(order.changes.values_list("to_status", flat=True)) == ["new", "confirmed"]


# --- Two people at once (PostgreSQL) ---------------------------------------------------------


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_people_moving_one_order_at_once_one_wins_the_other_is_told(
    needs_postgres, personas, make_order
):
    order = make_order()
    seen = fresh(order)
    people = [(personas.alice, "confirmed"), (personas.lead, "cancelled")]

    def move(n: int) -> str:
        actor, status = people[n]
        try:
            order_set_status(actor=actor, order=fresh(seen), to_status=status,
                             version=seen.version)  # fmt: skip
        except StaleVersion:
            return "conflict"
        return status

    outcomes = run_together(2, move)

    assert sorted(outcomes, key=lambda o: o == "conflict")[1] == "conflict"
    winner = next(o for o in outcomes if o != "conflict")
    order = fresh(order)
    assert order.status == winner
    assert order.version == 2
    assert list(order.changes.values_list("to_status", flat=True)) == ["new", winner]
