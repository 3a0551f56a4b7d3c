"""How orders read on a page: status and payment badges, the overdue mark, and the
order block of a won deal's card.

Load with ``{% load orders %}``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django import template
from django.utils import timezone
from django.utils.translation import gettext as _

from voronka.orders.models import MailStatus, Order, PaymentStatus, Status
from voronka.service.templatetags.service_requests import duration_text

register = template.Library()

STATUS_COLOURS = {
    Status.NEW: "primary",
    Status.CONFIRMED: "info",
    Status.PAID: "success",
    Status.ASSEMBLED: "warning",
    Status.SHIPPED: "primary",
    Status.DELIVERED: "success",
    Status.CANCELLED: "secondary",
    Status.RETURNED: "dark",
}
STATUS_ICONS = {
    Status.NEW: "inbox",
    Status.CONFIRMED: "check2",
    Status.PAID: "credit-card",
    Status.ASSEMBLED: "box-seam",
    Status.SHIPPED: "truck",
    Status.DELIVERED: "house-check",
    Status.CANCELLED: "x-circle",
    Status.RETURNED: "arrow-return-left",
}
PAYMENT_COLOURS = {
    PaymentStatus.UNPAID: "secondary",
    PaymentStatus.PARTIAL: "warning",
    PaymentStatus.PAID: "success",
    PaymentStatus.REFUNDED: "dark",
}
MAIL_COLOURS = {
    MailStatus.PENDING: "secondary",
    MailStatus.SENDING: "info",
    MailStatus.SENT: "success",
    MailStatus.FAILED: "danger",
}


@register.filter
def order_status_colour(status: str) -> str:
    return STATUS_COLOURS.get(status, "secondary")  # type: ignore[call-overload]


@register.filter
def order_status_icon(status: str) -> str:
    return STATUS_ICONS.get(status, "circle")  # type: ignore[call-overload]


@register.filter
def order_status_label(status: str) -> str:
    return str(Status(status).label) if status in Status.values else status


@register.filter
def payment_colour(status: str) -> str:
    return PAYMENT_COLOURS.get(status, "secondary")  # type: ignore[call-overload]


@register.filter
def mail_colour(status: str) -> str:
    return MAIL_COLOURS.get(status, "secondary")  # type: ignore[call-overload]


def overdue_text(order: Order, now: datetime | None = None) -> str:
    """«overdue by 5 h 20 min» for an open order past its status's norm, else ""."""
    now = now or timezone.now()
    due = order.status_due_at
    if not order.is_open or due is None or due >= now:
        return ""
    return _("overdue by %(time)s") % {"time": duration_text(now - due)}


@register.simple_tag
def order_overdue(order: Order, now: datetime | None = None) -> str:
    """``{% order_overdue order now as late %}``: the overdue text, or ""."""
    return overdue_text(order, now)


@register.inclusion_tag("orders/partials/_deal_order.html", takes_context=True)
def deal_order_block(context: dict[str, Any], deal: Any) -> dict[str, Any]:
    """The deal card's order block: the deal's order (a link), or for a won deal without
    one the «Make an order» button to those who take orders."""
    from voronka.orders.queries import orders_visible_to
    from voronka.orders.services import may_take_orders

    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"show": False}
    order = orders_visible_to(user).filter(deal_id=deal.pk).first()
    may_make = (
        order is None
        and deal.status == "won"
        and may_take_orders(user)
        and not Order.objects.filter(deal_id=deal.pk).exists()
    )
    return {
        "show": order is not None or may_make,
        "order": order,
        "may_make": may_make,
        "deal": deal,
        "csrf_token": context.get("csrf_token"),
    }
