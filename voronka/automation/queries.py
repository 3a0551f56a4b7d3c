"""Reads of webhooks and their deliveries: administrators only."""

from __future__ import annotations

from typing import Any

from django.db.models import OuterRef, QuerySet, Subquery

from voronka.automation.models import Webhook, WebhookDelivery
from voronka.core.errors import NotAllowed

DELIVERY_ORDERING = ["-created_at", "-id"]
WEBHOOK_ORDERING = ["name", "id"]


def may_manage_webhooks(user: Any) -> bool:
    """Webhooks send the organisation's data out: only an active administrator sets them up."""
    return bool(
        user is not None
        and user.is_authenticated
        and user.is_active
        and (user.is_superuser or user.role == "admin")
    )


def ensure_may_manage_webhooks(user: Any) -> None:
    if not may_manage_webhooks(user):
        from django.utils.translation import gettext as _

        raise NotAllowed(_("Only an administrator manages webhooks."))


def webhooks_visible_to(user: Any) -> QuerySet[Webhook]:
    if not may_manage_webhooks(user):
        return Webhook.objects.none()
    return Webhook.objects.all()


def webhook_list(user: Any) -> QuerySet[Webhook]:
    """Webhooks with the time and status of their newest delivery, in one query."""
    newest = WebhookDelivery.objects.filter(webhook=OuterRef("pk")).order_by("-created_at", "-id")
    return webhooks_visible_to(user).annotate(
        last_delivery_at=Subquery(newest.values("created_at")[:1]),
        last_delivery_status=Subquery(newest.values("status")[:1]),
    )


def deliveries_visible_to(user: Any) -> QuerySet[WebhookDelivery]:
    if not may_manage_webhooks(user):
        return WebhookDelivery.objects.none()
    return WebhookDelivery.objects.all()


def deliveries_of(user: Any, webhook: Webhook, *, status: str = "") -> QuerySet[WebhookDelivery]:
    """A webhook's delivery log, optionally only deliveries in one status."""
    qs = deliveries_visible_to(user).filter(webhook=webhook)
    if status:
        qs = qs.filter(status=status)
    return qs.defer("body", "response_body", "response_headers", "request_headers")


def delivery_card(user: Any, pk: int) -> WebhookDelivery:
    """One delivery with its webhook; raises DoesNotExist if missing or not visible."""
    return deliveries_visible_to(user).select_related("webhook").get(pk=pk)
