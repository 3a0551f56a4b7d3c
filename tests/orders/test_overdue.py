"""The overdue sweep: an open order that overstays its status's norm is reported to its
manager and their team lead once per entry into the status, whichever worker gets
there first; without a norm, or once delivered, an order is never overdue."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from tests.concurrency import run_together
from voronka.activities.models import Notification, NotificationKind
from voronka.core import events
from voronka.orders import overdue, tasks
from voronka.orders.models import Order, OverdueAlert, Status, StatusSetting, Transition
from voronka.orders.services import order_delete, order_set_status

MSK = ZoneInfo("Europe/Moscow")
MONDAY = dt.datetime(2026, 11, 23, 10, 0, tzinfo=MSK)
HOUR = dt.timedelta(hours=1)
MINUTE = dt.timedelta(minutes=1)
CONFIRMED_NORM = dt.timedelta(hours=48)  # the default norm of «confirmed», calendar hours


@pytest.fixture
def english(personas):
    """Notices are written in each person's language: these people read English."""
    from voronka.accounts.models import User

    User.objects.update(language="en")
    for person in personas.all().values():
        person.refresh_from_db()
    return personas


@pytest.fixture(autouse=True)
def no_norm_for_new(db):
    """Only «confirmed» has a norm in these tests, so each test reads one deadline."""
    StatusSetting.objects.filter(status=Status.NEW).update(norm_hours=None)


@pytest.fixture
def heard(monkeypatch):
    got: list[dict] = []
    listener = lambda **payload: got.append(payload)  # noqa: E731
    monkeypatch.setitem(
        events._handlers, events.ORDER_OVERDUE, [*events._handlers[events.ORDER_OVERDUE], listener]
    )
    return got


def move(order: Order, status: str, at: dt.datetime, actor=None) -> Order:
    return order_set_status(actor=actor or order.owner, order=order, to_status=status,
                            version=order.version, at=at)  # fmt: skip


@pytest.fixture
def confirmed(english, make_order):
    """Alice's order received on Monday at 10:00 and confirmed at 11:00: due Wednesday 11:00."""
    order = make_order(received_at=MONDAY)
    return move(order, Status.CONFIRMED, MONDAY + HOUR)


def notices() -> list[tuple[str, str]]:
    return sorted(
        Notification.objects.filter(kind=NotificationKind.ORDER_OVERDUE).values_list(
            "recipient__username", "url"
        )
    )


def test_an_order_past_its_norm_is_reported_to_its_manager_and_team_lead(
    confirmed, heard, django_capture_on_commit_callbacks
):
    due = MONDAY + HOUR + CONFIRMED_NORM
    assert confirmed.status_due_at == due

    with django_capture_on_commit_callbacks(execute=True):
        assert overdue.sweep(now=due + MINUTE) == 1

    url = f"/orders/{confirmed.pk}/"
    assert notices() == [("alice", url), ("lead", url)]
    title = Notification.objects.filter(recipient__username="alice").get().title
    assert title.startswith(f"Order {confirmed.number} is still «Confirmed»: its norm ran out at ")
    assert "11/25/2026" in title  # Wednesday, in the organisation's time
    assert heard == [{"order_id": confirmed.pk, "status": "confirmed", "actor_id": None}]
    alert = OverdueAlert.objects.get()
    assert (alert.order_id, alert.status, alert.entered_at) == (
        confirmed.pk, "confirmed", MONDAY + HOUR,
    )  # fmt: skip


def test_an_order_within_its_norm_is_not_reported(confirmed):
    due = MONDAY + HOUR + CONFIRMED_NORM
    assert overdue.sweep(now=due - MINUTE) == 0
    assert overdue.sweep(now=due) == 0  # at the deadline itself it is still in time
    assert notices() == []


def test_a_second_sweep_says_nothing_again(confirmed, heard, django_capture_on_commit_callbacks):
    later = MONDAY + HOUR + CONFIRMED_NORM + MINUTE
    with django_capture_on_commit_callbacks(execute=True):
        assert overdue.sweep(now=later) == 1
        assert overdue.sweep(now=later + HOUR) == 0
    assert len(notices()) == 2
    assert len(heard) == 1
    assert OverdueAlert.objects.count() == 1


def test_a_new_entry_into_the_status_is_reported_again(confirmed):
    Transition.objects.create(from_status=Status.CONFIRMED, to_status=Status.NEW)
    first_due = MONDAY + HOUR + CONFIRMED_NORM
    assert overdue.sweep(now=first_due + MINUTE) == 1

    order = move(Order.objects.get(pk=confirmed.pk), Status.NEW, first_due + 2 * HOUR)
    order = move(order, Status.CONFIRMED, first_due + 3 * HOUR)

    assert overdue.sweep(now=first_due + 3 * HOUR + MINUTE) == 0  # just came back: in time
    assert overdue.sweep(now=first_due + 3 * HOUR + CONFIRMED_NORM + MINUTE) == 1
    assert len(notices()) == 4
    assert sorted(OverdueAlert.objects.values_list("entered_at", flat=True)) == [
        MONDAY + HOUR, first_due + 3 * HOUR,
    ]  # fmt: skip


def test_an_order_left_in_a_status_without_a_norm_is_never_reported(english, make_order):
    StatusSetting.objects.filter(status=Status.CONFIRMED).update(norm_hours=None)
    order = move(make_order(received_at=MONDAY), Status.CONFIRMED, MONDAY + HOUR)
    assert order.status_due_at is None
    assert overdue.sweep(now=MONDAY + 1000 * HOUR) == 0
    assert notices() == []


def test_a_delivered_order_is_never_overdue(english, make_order):
    order = make_order(received_at=MONDAY)
    for n, status in enumerate((Status.CONFIRMED, Status.PAID, Status.ASSEMBLED, Status.SHIPPED,
                                Status.DELIVERED), start=1):  # fmt: skip
        order = move(order, status, MONDAY + n * HOUR)
    assert order.status_due_at is None
    # Even with a deadline left on the row by hand, a final status is not overdue.
    Order.objects.filter(pk=order.pk).update(status_due_at=MONDAY + 6 * HOUR)

    assert overdue.sweep(now=MONDAY + 1000 * HOUR) == 0
    assert notices() == []


def test_a_deleted_order_is_not_reported(confirmed):
    order_delete(actor=confirmed.owner, order=confirmed, version=confirmed.version)
    assert overdue.sweep(now=MONDAY + 1000 * HOUR) == 0
    assert notices() == []


def test_a_manager_without_a_team_lead_is_told_alone(english, make_order, client_company):
    from voronka.clients.models import Company

    company = Company.objects.create(name="ООО «Лютик»", owner=english.bob)
    order = make_order(actor=english.bob, owner=english.bob, company=company, contact=None,
                       received_at=MONDAY)  # fmt: skip
    move(order, Status.CONFIRMED, MONDAY + HOUR, actor=english.bob)
    assert overdue.sweep(now=MONDAY + HOUR + CONFIRMED_NORM + MINUTE) == 1
    assert [who for who, _url in notices()] == ["bob"]


def test_the_team_leads_own_order_tells_the_lead_once(english, make_order):
    order = make_order(actor=english.lead, owner=english.lead, received_at=MONDAY)
    move(order, Status.CONFIRMED, MONDAY + HOUR, actor=english.lead)
    assert overdue.sweep(now=MONDAY + HOUR + CONFIRMED_NORM + MINUTE) == 1
    assert [who for who, _url in notices()] == ["lead"]


def test_the_notice_is_written_in_the_readers_language(personas, make_order):
    from voronka.accounts.models import User

    User.objects.filter(pk=personas.alice.pk).update(language="ru")
    User.objects.filter(pk=personas.lead.pk).update(language="en")
    order = move(make_order(received_at=MONDAY), Status.CONFIRMED, MONDAY + HOUR)
    overdue.sweep(now=MONDAY + HOUR + CONFIRMED_NORM + MINUTE)
    titles = dict(
        Notification.objects.filter(kind=NotificationKind.ORDER_OVERDUE).values_list(
            "recipient__username", "title"
        )
    )
    assert "25.11.2026" in titles["alice"]
    assert titles["lead"].startswith(f"Order {order.number} is still «Confirmed»")


def test_the_periodic_job_sweeps_as_of_now(confirmed):
    from django.utils import timezone

    Order.objects.filter(pk=confirmed.pk).update(status_due_at=timezone.now() - MINUTE)
    tasks.check_order_norms()
    tasks.check_order_norms()
    assert len(notices()) == 2


# --- Concurrent sweeps (PostgreSQL) ----------------------------------------------------------


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_four_sweeps_at_once_report_each_order_once(needs_postgres, english, make_order):
    StatusSetting.objects.filter(status=Status.NEW).update(norm_hours=None)
    orders = [move(make_order(received_at=MONDAY), Status.CONFIRMED, MONDAY + HOUR)
              for _ in range(6)]  # fmt: skip

    sent = run_together(4, lambda _: overdue.sweep(now=MONDAY + HOUR + CONFIRMED_NORM + MINUTE))

    assert sum(sent) == len(orders)
    assert OverdueAlert.objects.count() == len(orders)
    assert sorted(notices()) == sorted(
        [("alice", f"/orders/{o.pk}/") for o in orders]
        + [("lead", f"/orders/{o.pk}/") for o in orders]
    )
