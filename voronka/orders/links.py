"""The client's link to their order's public status page.

The link names the order and its ``public_nonce``, signed with the installation's
secret: a changed or made-up link fails the signature, and a link of one order never
opens another (the nonce is checked against the order it names). Replacing the
order's nonce makes every link sent before stop working.
"""

from __future__ import annotations

from django.conf import settings
from django.core import signing
from django.urls import reverse

from voronka.orders.models import Order

SALT = "voronka.orders.public-status"


class LinkRefused(Exception):
    """The link is not one Voronka made for an order that still exists."""


def token_for(order: Order) -> str:
    return signing.dumps([order.pk, order.public_nonce], salt=SALT)


def public_path(order: Order) -> str:
    return reverse("orders:public-status", args=[token_for(order)])


def public_url(order: Order) -> str:
    return settings.VORONKA_BASE_URL.rstrip("/") + public_path(order)


def order_from_token(token: str) -> Order:
    """The order the link was made for; LinkRefused if it was forged or revoked."""
    try:
        pk, nonce = signing.loads(token, salt=SALT)
    except (signing.BadSignature, ValueError, TypeError) as exc:
        raise LinkRefused from exc
    order = Order.objects.filter(pk=pk).first()
    if order is None or not isinstance(nonce, str) or nonce != order.public_nonce:
        raise LinkRefused
    return order
