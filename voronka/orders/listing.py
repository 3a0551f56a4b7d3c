"""The orders as the list and the board read them: filters, sorts and board columns.

Every read starts from ``orders_visible_to(user)``, so a filter only ever narrows what
the person may see. Date filters are local days of the organisation, both ends
included. ``status_at`` is the analytics drill-down of "orders by status": with it,
``statuses`` are the statuses the orders had at the end of that day (by their
:class:`StatusChange` rows), not the ones they have now.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from django.db.models import (
    Count,
    DecimalField,
    Exists,
    ExpressionWrapper,
    F,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
)
from django.utils import timezone

from voronka.core import organisation
from voronka.orders.models import (
    FINAL_STATUSES,
    FLOW,
    OPEN_STATUSES,
    Order,
    OrderLine,
    Status,
    StatusChange,
)
from voronka.orders.queries import orders_visible_to, overdue_q
from voronka.orders.totals import to_cents

# Sort keys of the list: each ends with the id (a real field: the cursor reads it back),
# as keyset pages need.
ORDER_SORTS: dict[str, list[str]] = {
    "-created": ["-created_at", "-id"],
    "created": ["created_at", "id"],
    "-total": ["-total", "-id"],
    "total": ["total", "id"],
    "-number": ["-number", "-id"],
    "number": ["number", "id"],
    "-updated": ["-updated_at", "-id"],
}
DEFAULT_SORT = "-created"
# The board shows this many cards per column; the rest are one click away in the list.
BOARD_CARDS = 30
# Final columns hold the orders closed in the last this many days: older ones are history.
BOARD_FINAL_DAYS = 30
LIST_RELATED = ("owner", "company", "contact")


def day_start(day: date) -> datetime:
    """The first moment of ``day`` in the organisation's time zone."""
    return datetime.combine(day, time.min, tzinfo=organisation.current().tz)


def _day_range(name: str, first: date | None, last: date | None) -> Q:
    q = Q()
    if first is not None:
        q &= Q(**{f"{name}__gte": day_start(first)})
    if last is not None:
        q &= Q(**{f"{name}__lt": day_start(last + timedelta(days=1))})
    return q


def status_as_of(qs: QuerySet[Order], day: date, statuses: Sequence[str] = ()) -> QuerySet[Order]:
    """Orders of ``qs`` that existed at the end of local ``day``, with ``status_then`` the
    status each had at that moment (its latest change up to then); with ``statuses``,
    only the orders whose status then was one of them."""
    end = day_start(day + timedelta(days=1))
    latest = (
        StatusChange.objects.filter(order=OuterRef("pk"), changed_at__lt=end)
        .order_by("-changed_at", "-pk")
        .values("to_status")[:1]
    )
    qs = qs.filter(created_at__lt=end).annotate(status_then=Subquery(latest))
    if statuses:
        qs = qs.filter(status_then__in=list(statuses))
    return qs


def _search_q(term: str) -> Q:
    """The number (with or without «№»/«#»), the client's name, e-mail or phone."""
    term = term.strip().lower()
    number = term.lstrip("#№ ").strip()
    q = Q(search_text__contains=term)
    if number and number != term:
        q |= Q(number__iexact=number)
    return q


def order_list(
    user: Any,
    *,
    statuses: Iterable[str] = (),
    open_only: bool = False,
    overdue: bool = False,
    payment: str = "",
    owner_id: int | None = None,
    team_id: int | None = None,
    company_id: int | None = None,
    contact_id: int | None = None,
    deal_id: int | None = None,
    product_id: int | None = None,
    created_from: date | None = None,
    created_to: date | None = None,
    delivered_from: date | None = None,
    delivered_to: date | None = None,
    status_at: date | None = None,
    q: str = "",
    now: datetime | None = None,
) -> QuerySet[Order]:
    """Visible orders matching every filter given, with what a list row shows."""
    statuses = [s for s in statuses if s in Status.values]
    qs = orders_visible_to(user).select_related(*LIST_RELATED)
    if status_at is not None:
        qs = status_as_of(qs, status_at, statuses)
    elif statuses:
        qs = qs.filter(status__in=statuses)
    if open_only:
        qs = qs.filter(status__in=OPEN_STATUSES)
    if overdue:
        qs = qs.filter(overdue_q(now))
    if payment:
        qs = qs.filter(payment_status=payment)
    for name, value in (
        ("owner_id", owner_id), ("owner__team_id", team_id), ("company_id", company_id),
        ("contact_id", contact_id), ("deal_id", deal_id),
    ):  # fmt: skip
        if value is not None:
            qs = qs.filter(**{name: value})
    if product_id is not None:
        qs = qs.filter(
            Exists(OrderLine.objects.filter(order=OuterRef("pk"), product_id=product_id))
        )
    qs = qs.filter(_day_range("created_at", created_from, created_to))
    qs = qs.filter(_day_range("delivered_at", delivered_from, delivered_to))
    if q.strip():
        qs = qs.filter(_search_q(q))
    return qs


# --- The board ---------------------------------------------------------------------------


@dataclass
class BoardColumn:
    status: str
    label: str
    count: int = 0
    total: Decimal = Decimal("0")
    final: bool = False
    orders: list[Order] = field(default_factory=list)

    @property
    def more(self) -> int:
        return max(self.count - len(self.orders), 0)


def _base_amount() -> ExpressionWrapper:
    return ExpressionWrapper(
        F("total") * F("exchange_rate"), output_field=DecimalField(max_digits=24, decimal_places=8)
    )


def board_scope(user: Any, *, owner_id: int | None = None, now: datetime | None = None) -> Q:
    """What the board shows: every open order, and the final ones closed lately."""
    since = (now or timezone.now()) - timedelta(days=BOARD_FINAL_DAYS)
    scope = Q(status__in=OPEN_STATUSES) | Q(status__in=FINAL_STATUSES, closed_at__gte=since)
    if owner_id is not None:
        scope &= Q(owner_id=owner_id)
    return scope


def board_counts(
    user: Any, *, owner_id: int | None = None, now: datetime | None = None
) -> list[BoardColumn]:
    """The board's columns with their count and sum (in the base currency), no cards:
    one grouped query."""
    qs = orders_visible_to(user).filter(board_scope(user, owner_id=owner_id, now=now))
    rows = qs.order_by().values("status").annotate(n=Count("pk"), amount=Sum(_base_amount()))
    found = {row["status"]: row for row in rows}
    columns = []
    for status in FLOW:
        row = found.get(status, {})
        amount = row.get("amount")
        columns.append(
            BoardColumn(
                status=status,
                label=str(Status(status).label),
                count=row.get("n", 0),
                total=to_cents(Decimal(str(amount))) if amount is not None else Decimal("0.00"),
                final=status in FINAL_STATUSES,
            )  # fmt: skip
        )
    return columns


def board_cards(
    user: Any, status: str, *, owner_id: int | None = None, now: datetime | None = None,
    limit: int | None = None,
) -> list[Order]:  # fmt: skip
    """One column's cards: open ones the longest waiting first (the work to do), final
    ones the latest closed first."""
    qs = (
        orders_visible_to(user)
        .filter(board_scope(user, owner_id=owner_id, now=now), status=status)
        .select_related(*LIST_RELATED)
    )
    ordering = ["-closed_at", "-pk"] if status in FINAL_STATUSES else ["status_entered_at", "pk"]
    return list(qs.order_by(*ordering)[: limit or BOARD_CARDS])


def board(
    user: Any, *, owner_id: int | None = None, now: datetime | None = None,
    limit: int | None = None,
) -> list[BoardColumn]:  # fmt: skip
    """Every column of the board with its cards: one query for the counts and one per
    status for the cards, whatever the number of orders."""
    columns = board_counts(user, owner_id=owner_id, now=now)
    for column in columns:
        if column.count:
            column.orders = board_cards(user, column.status, owner_id=owner_id, now=now,
                                        limit=limit)  # fmt: skip
    return columns
