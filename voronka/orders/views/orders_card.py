"""The order's card and what its buttons do: status, payment, edit, delete; and the
won deal's «Make an order» button."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from voronka.core.errors import NotAllowed, StaleVersion
from voronka.core.forms import service_errors
from voronka.core.history import entries_for
from voronka.orders import links, services
from voronka.orders.forms import OrderForm, client_of
from voronka.orders.models import Order, PaymentStatus, Status
from voronka.orders.queries import may_change, order_timeline, orders_visible_to, transitions
from voronka.orders.templatetags.orders import overdue_text
from voronka.orders.views.orders_common import (
    error_text,
    int_param,
    is_htmx,
    order_or_404,
    refusal,
    safe_next,
)

CLIENT_ALIASES = {"company": "client", "contact": "client"}
HISTORY_LIMIT = 30


def status_buttons(order: Order, table: dict[tuple[str, str], bool]) -> list[dict[str, Any]]:
    """A button per status the order may go to next; one that needs the order paid,
    while it is not, is there but disabled, with the reason."""
    buttons = []
    for status in Status.values:
        if (order.status, status) not in table:
            continue
        needs_payment = table[(order.status, status)]
        blocked = needs_payment and order.payment_status != PaymentStatus.PAID
        buttons.append(
            {
                "status": status,
                "label": Status(status).label,
                "reason": _("Only when the order is paid.") if blocked else "",
                "final": status in (Status.CANCELLED, Status.RETURNED),
            }  # fmt: skip
        )
    return buttons


def _public_url(order: Order) -> str:
    """The client's status link; empty while the public page is not installed."""
    try:
        return links.public_url(order)
    except NoReverseMatch:
        return ""


def card_context(
    request: HttpRequest, order: Order, *, comment: str = "", problem: str = ""
) -> dict[str, Any]:
    user: Any = request.user
    writable = may_change(user, order)
    return {
        "order": order,
        "may_change": writable,
        "lines": list(order.lines.all()),
        "timeline": list(order_timeline(order)),
        "buttons": status_buttons(order, transitions()) if writable else [],
        "payment_choices": PaymentStatus.choices,
        "lines_editable": writable and order.status in services.LINES_EDITABLE,
        "late": overdue_text(order),
        "public_url": _public_url(order),
        "history": entries_for(order, limit=HISTORY_LIMIT),
        "comment": comment,
        "problem": problem,
        "now": timezone.now(),
    }


@login_required
@require_GET
def order_detail(request: HttpRequest, pk: int) -> HttpResponse:
    order = order_or_404(request.user, pk)
    return render(request, "orders/order_detail.html", card_context(request, order))


@login_required
@require_POST
def order_status(request: HttpRequest, pk: int) -> HttpResponse:
    """Move the order to ``status``: from the board (htmx answers the card; a refusal is
    text the board shows while the card goes back) or the card's buttons."""
    from voronka.orders.views.orders_list import board_move_answer

    user: Any = request.user
    order = order_or_404(user, pk)
    to_status = request.POST.get("status", "")
    version = int_param(request.POST.get("version"))
    comment = request.POST.get("comment", "")
    message, code = "", 200
    try:
        if version is None:
            raise StaleVersion()
        order = services.order_set_status(
            actor=user, order=order, to_status=to_status, version=version, comment=comment
        )
    except NotAllowed as exc:
        message, code = str(exc), 403
    except StaleVersion as exc:
        message, code = str(exc.message), 409
    except ValidationError as exc:
        message, code = error_text(exc), 422
    if is_htmx(request):
        return board_move_answer(request, order) if code == 200 else refusal(message, code)
    if code == 403:
        raise PermissionDenied(message)
    target = safe_next(request)
    if code == 200:
        messages.success(request, _("Order %(number)s: «%(status)s».")
                         % {"number": order.number, "status": Status(to_status).label})  # fmt: skip
        return redirect(target) if target else redirect("orders:order-detail", pk=order.pk)
    if target:
        messages.error(request, message)
        return redirect(target)
    fresh = order_or_404(user, pk)
    context = card_context(request, fresh, comment=comment, problem=message)
    return render(request, "orders/order_detail.html", context, status=code)


@login_required
@require_POST
def order_payment(request: HttpRequest, pk: int) -> HttpResponse:
    user: Any = request.user
    order = order_or_404(user, pk)
    value = request.POST.get("payment_status", "")
    version = int_param(request.POST.get("version"))
    try:
        if version is None:
            raise StaleVersion()
        order = services.order_set_payment(
            actor=user, order=order, version=version, payment_status=value
        )
    except NotAllowed as exc:
        raise PermissionDenied(str(exc)) from exc
    except StaleVersion as exc:
        messages.error(request, str(exc.message))
    except ValidationError as exc:
        messages.error(request, error_text(exc))
    else:
        messages.success(request, _("Payment: %(status)s.")
                         % {"status": PaymentStatus(value).label})  # fmt: skip
    return redirect("orders:order-detail", pk=pk)


@login_required
@require_POST
def order_delete(request: HttpRequest, pk: int) -> HttpResponse:
    user: Any = request.user
    order = order_or_404(user, pk)
    version = int_param(request.POST.get("version"))
    try:
        if version is None:
            raise StaleVersion()
        services.order_delete(actor=user, order=order, version=version)
    except NotAllowed as exc:
        raise PermissionDenied(str(exc)) from exc
    except StaleVersion as exc:
        messages.error(request, str(exc.message))
        return redirect("orders:order-detail", pk=pk)
    messages.success(request, _("Order %(number)s deleted.") % {"number": order.number})
    return redirect("orders:order-list")


def _edit_page(request: HttpRequest, form: OrderForm, order: Order, status: int = 200):  # type: ignore[no-untyped-def]
    return render(request, "orders/order_edit.html", {"form": form, "order": order},
                  status=status)  # fmt: skip


@login_required
@require_http_methods(["GET", "POST"])
def order_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """The order's fields: client, manager, delivery, contacts, notes, number."""
    user: Any = request.user
    order = order_or_404(user, pk)
    if not may_change(user, order):
        raise PermissionDenied(_("You are not allowed to change this order."))
    if request.method == "GET":
        initial = {
            "client": client_of(order), "owner": order.owner_id,
            "delivery_method": order.delivery_method, "delivery_date": order.delivery_date,
            "delivery_address": order.delivery_address, "client_email": order.client_email,
            "client_phone": order.client_phone, "number": order.number, "notes": order.notes,
            "version": order.version,
        }  # fmt: skip
        return _edit_page(request, OrderForm(initial=initial, user=user, order=order), order)
    form = OrderForm(request.POST, user=user, order=order)
    if form.is_valid():
        with service_errors(form, CLIENT_ALIASES):
            services.order_update(actor=user, order=order, version=form.cleaned_data["version"],
                                  data=form.service_data())  # fmt: skip
            messages.success(request, _("Order saved."))
            return redirect("orders:order-detail", pk=order.pk)
    stale = any(str(StaleVersion.message) == str(e) for e in form.non_field_errors())
    return _edit_page(request, form, order, status=409 if stale else 422)


@login_required
@require_POST
def order_from_deal(request: HttpRequest, deal_pk: int) -> HttpResponse:
    """The won deal's «Make an order»: the order of the deal, made once; a second click
    (or a deal that already has one) leads to that order."""
    from voronka.sales.queries import deals_visible_to

    user: Any = request.user
    deal = deals_visible_to(user).select_related("owner", "company", "contact") \
        .filter(pk=deal_pk).first()  # fmt: skip
    if deal is None:
        raise Http404
    existing = orders_visible_to(user).filter(deal_id=deal.pk).first()
    if existing is not None:
        messages.info(request, _("This deal already has order %(number)s.")
                      % {"number": existing.number})  # fmt: skip
        return redirect("orders:order-detail", pk=existing.pk)
    if not services.may_take_orders(user):
        raise PermissionDenied(_("You are not allowed to take orders."))
    try:
        order = services.order_from_deal(actor=user, deal=deal)
    except NotAllowed as exc:
        raise PermissionDenied(str(exc)) from exc
    except ValidationError as exc:
        messages.error(request, error_text(exc))
        return redirect("sales:deal-detail", pk=deal.pk)
    messages.success(request, _("Order %(number)s made of the deal.") % {"number": order.number})
    return redirect("orders:order-detail", pk=order.pk)
