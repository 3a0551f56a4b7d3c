"""What the order pages share: finding the order the person may see, and turning the
services' refusals into answers."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.http import url_has_allowed_host_and_scheme

from voronka.orders.models import Order
from voronka.orders.queries import orders_visible_to

CARD_RELATED = ("owner", "owner__team", "company", "contact", "deal", "created_by")


def order_or_404(user: Any, pk: int) -> Order:
    """An order the user may see, with what its card shows; anything else is "not found"."""
    try:
        return orders_visible_to(user).select_related(*CARD_RELATED).get(pk=pk)
    except Order.DoesNotExist as exc:
        raise Http404 from exc


def is_htmx(request: HttpRequest) -> bool:
    return bool(getattr(request, "htmx", False))


def error_text(exc: ValidationError) -> str:
    if hasattr(exc, "error_dict"):
        return " ".join(str(m) for errors in exc.message_dict.values() for m in errors)
    return " ".join(str(m) for m in exc.messages)


def refusal(message: str, status: int) -> HttpResponse:
    """An htmx refusal: the page's script shows the text in a toast."""
    return HttpResponse(message, status=status, content_type="text/plain; charset=utf-8")


def int_param(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def safe_next(request: HttpRequest) -> str:
    """The ``next`` page a form came from, when it is one of ours."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return ""
