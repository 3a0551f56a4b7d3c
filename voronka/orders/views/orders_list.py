"""The list of orders with its filters, and the board of statuses."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET

from voronka.core.pagination import BadCursor, keyset_page
from voronka.orders import listing
from voronka.orders.forms import OrderFilterForm
from voronka.orders.models import Order, PaymentStatus, Status
from voronka.orders.queries import transitions
from voronka.orders.services import may_take_orders
from voronka.orders.templatetags.orders import overdue_text
from voronka.orders.views.orders_common import int_param, is_htmx
from voronka.sales.forms import people_filter_choices
from voronka.sales.views.common import writable


@login_required
@require_GET
def order_list(request: HttpRequest) -> HttpResponse:
    """Every order the person may see, filtered; the analytics' drill-down lands here."""
    user: Any = request.user
    form = OrderFilterForm(request.GET or None, user=user)
    filters, sort = form.filters() if form.is_bound else ({}, listing.DEFAULT_SORT)
    qs = listing.order_list(user, **filters)
    ordering = listing.ORDER_SORTS[sort]
    try:
        page = keyset_page(qs, ordering=ordering, cursor=request.GET.get("cursor") or None)
    except BadCursor:
        page = keyset_page(qs, ordering=ordering)
    context = {
        "form": form,
        "page": page,
        "sort": sort,
        "filtered": form.is_filtered(),
        "now": timezone.now(),
        "may_create": may_take_orders(user),
        "status_at": filters.get("status_at"),
    }
    if is_htmx(request) and not request.htmx.boosted:  # type: ignore[attr-defined]
        return render(request, "orders/order_list.html#table", context)
    return render(request, "orders/order_list.html", context)


def card_facts(
    user: Any, orders: Iterable[Order], table: dict[tuple[str, str], bool],
    now: datetime | None = None,
) -> None:  # fmt: skip
    """What a board card needs beyond its row: where it may go (and where only once paid),
    whether this person may move it, and how late it is."""
    now = now or timezone.now()
    for order in orders:
        unpaid = order.payment_status != PaymentStatus.PAID
        targets = [s for s in Status.values if (order.status, s) in table]
        facts: Any = order
        facts.movable = writable(user, order)
        facts.targets = targets
        facts.blocked = [s for s in targets if unpaid and table[(order.status, s)]]
        facts.late = overdue_text(order, now)


def _owner(request: HttpRequest) -> tuple[str, int | None]:
    param = request.GET.get("owner", "") or request.POST.get("owner", "")
    user: Any = request.user
    return param, (user.pk if param == "me" else int_param(param))


def _board_url(owner_param: str) -> str:
    """Where a card's menu brings the person back: the board as they filtered it."""
    url = reverse("orders:order-board")
    return f"{url}?{urlencode({'owner': owner_param})}" if owner_param else url


@login_required
@require_GET
def order_board(request: HttpRequest) -> HttpResponse:
    """A column per status: every open order, and those closed in the last 30 days.

    ``?column=<status>`` (htmx) answers that one column, fresh: the board reloads a
    column after a move was refused because someone else had changed the order.
    """
    user: Any = request.user
    owner_param, owner_id = _owner(request)
    table = transitions()
    now = timezone.now()
    column_status = request.GET.get("column", "")
    if column_status:
        if column_status not in Status.values:
            raise Http404
        columns = [c for c in listing.board_counts(user, owner_id=owner_id, now=now)
                   if c.status == column_status]  # fmt: skip
        columns[0].orders = listing.board_cards(user, column_status, owner_id=owner_id, now=now)
    else:
        columns = listing.board(user, owner_id=owner_id, now=now)
    for column in columns:
        card_facts(user, column.orders, table, now)
    context = {
        "columns": columns,
        "owner_param": owner_param,
        "owner_id": owner_id,
        "people": people_filter_choices(),
        "may_create": may_take_orders(user),
        "final_days": listing.BOARD_FINAL_DAYS,
        "board_next": _board_url(owner_param),
        "now": now,
    }
    if column_status:
        return render(request, "orders/partials/_board_column.html",
                      {**context, "column": columns[0]})  # fmt: skip
    return render(request, "orders/order_board.html", context)


def board_move_answer(request: HttpRequest, order: Order) -> HttpResponse:
    """The moved card, and every column header re-counted (out of band)."""
    from voronka.orders.views.orders_common import order_or_404

    user: Any = request.user
    owner_param, owner_id = _owner(request)
    order = order_or_404(user, order.pk)
    card_facts(user, [order], transitions())
    columns = listing.board_counts(user, owner_id=owner_id)
    context = {"order": order, "columns": columns, "board_next": _board_url(owner_param),
               "final_days": listing.BOARD_FINAL_DAYS}  # fmt: skip
    return render(request, "orders/partials/_board_move.html", context)
