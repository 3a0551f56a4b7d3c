"""Reads of orders, scoped by who is asking.

The head of sales and the administrator see every order, and so does support (to read
only: they answer clients' questions about their orders). A manager sees the orders
they are responsible for (a team lead, their team's) and, to read only, the orders of
the clients they may see.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone

from voronka.clients.queries import companies_visible_to, contacts_visible_to
from voronka.core.visibility import Family, owner_q, sees_everything
from voronka.orders.models import OPEN_STATUSES, Order, StatusChange, StatusSetting, Transition


def orders_visible_to(user: Any, *, write: bool = False) -> QuerySet[Order]:
    mine = owner_q(user, Family.ORDERS, write=write)
    qs = Order.objects.all()
    if write or sees_everything(user) or getattr(user, "role", "") == "support":
        return qs.filter(mine)
    their_clients = Q(company__in=companies_visible_to(user).values("pk")) | Q(
        contact__in=contacts_visible_to(user).values("pk")
    )
    return qs.filter(mine | their_clients)


def may_change(user: Any, order: Order) -> bool:
    """Whether ``user`` may edit this order and move it through the workflow."""
    return orders_visible_to(user, write=True).filter(pk=order.pk).exists()


def overdue_q(now: datetime | None = None) -> Q:
    """Open orders that have stayed in their status beyond its norm."""
    return Q(status__in=OPEN_STATUSES, status_due_at__lt=now or timezone.now())


def transitions() -> dict[tuple[str, str], bool]:
    """The organisation's allowed moves: (from, to) → whether the order must be paid."""
    return {(t.from_status, t.to_status): t.requires_payment for t in Transition.objects.all()}


def allowed_targets(order: Order, table: dict[tuple[str, str], bool] | None = None) -> list[str]:
    """The statuses this order may go to next, whatever its payment; in workflow order."""
    from voronka.orders.models import FLOW

    table = transitions() if table is None else table
    return [status for status in FLOW if (order.status, status) in table]


def status_settings() -> dict[str, StatusSetting]:
    return {s.status: s for s in StatusSetting.objects.all()}


def order_timeline(order: Order) -> QuerySet[StatusChange]:
    return order.changes.select_related("changed_by").order_by("changed_at", "pk")
