"""Outgoing webhooks: where to send which events, and every delivery with its attempts."""

from __future__ import annotations

import json
import uuid
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

URL_MAX_LENGTH = 500
_URL_MESSAGE = _("Target URL: enter a full web address starting with http:// or https://.")


def validate_target_url(value: str) -> None:
    """Only http(s) addresses: anything else (file:, ftp:, javascript:) is refused."""
    if not value.lower().startswith(("http://", "https://")):
        raise ValidationError(_URL_MESSAGE, code="scheme")
    URLValidator(schemes=["http", "https"], message=_URL_MESSAGE)(value)


class DisabledReason(models.TextChoices):
    FAILURES = "failures", _("Too many failed deliveries in a row")
    BY_HAND = "by_hand", _("Switched off by an administrator")


class Webhook(models.Model):
    """A receiver of events: a URL, the events it wants, and the secret that signs them."""

    name = models.CharField(_("name"), max_length=120)
    url = models.CharField(
        _("target URL"), max_length=URL_MAX_LENGTH, validators=[validate_target_url]
    )
    events = models.JSONField(_("events"), default=list, blank=True)
    secret = models.CharField(_("secret"), max_length=100)
    is_active = models.BooleanField(_("active"), default=True)
    # Deliveries that failed for good since the last success; a success sets it back to 0.
    consecutive_failures = models.PositiveIntegerField(_("failures in a row"), default=0)
    disabled_at = models.DateTimeField(_("switched off"), null=True, blank=True)
    disabled_reason = models.CharField(
        _("why switched off"), max_length=20, choices=DisabledReason.choices, blank=True
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    version = models.PositiveIntegerField(_("version"), default=1)

    class Meta:
        verbose_name = _("webhook")
        verbose_name_plural = _("webhooks")
        ordering = ["name", "pk"]

    def __str__(self) -> str:
        return self.name

    def wants(self, event: str) -> bool:
        return self.is_active and event in (self.events or [])


class WebhookDelivery(models.Model):
    """One event sent (or to be sent) to one webhook. The body is frozen when the event
    happens; each attempt signs it anew with the webhook's current secret."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting")
        SENDING = "sending", _("Sending")
        DELIVERED = "delivered", _("Delivered")
        FAILED = "failed", _("Failed")

    webhook = models.ForeignKey(
        Webhook, verbose_name=_("webhook"), on_delete=models.CASCADE, related_name="deliveries"
    )
    uuid = models.UUIDField(_("delivery id"), default=uuid.uuid4, unique=True, editable=False)
    event = models.CharField(_("event"), max_length=60)
    body = models.TextField(_("body"))
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PENDING
    )
    # Test pings and resends are one attempt each and do not count towards switching off.
    is_manual = models.BooleanField(_("sent by hand"), default=False)
    resent_from = models.ForeignKey(
        "self",
        verbose_name=_("resend of"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt"), null=True, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    last_attempt_at = models.DateTimeField(_("last attempt"), null=True, blank=True)
    delivered_at = models.DateTimeField(_("delivered"), null=True, blank=True)
    request_headers = models.JSONField(_("request headers"), default=dict, blank=True)
    response_status = models.PositiveSmallIntegerField(_("response code"), null=True, blank=True)
    response_headers = models.JSONField(_("response headers"), default=dict, blank=True)
    response_body = models.TextField(_("response"), blank=True)
    duration_ms = models.PositiveIntegerField(_("duration, ms"), null=True, blank=True)
    error = models.TextField(_("error"), blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("webhook delivery")
        verbose_name_plural = _("webhook deliveries")
        indexes = [
            # The delivery log: a webhook's deliveries newest first, optionally by status.
            models.Index(fields=["webhook", "-created_at", "-id"], name="delivery_log_idx"),
            models.Index(
                fields=["webhook", "status", "-created_at", "-id"], name="delivery_log_status_idx"
            ),
            # The sweeper: waiting deliveries whose time has come, and stuck ones.
            models.Index(
                fields=["status", "next_attempt_at"],
                condition=Q(status__in=["pending", "sending"]),
                name="delivery_due_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.event} → {self.webhook_id} ({self.uuid})"

    @property
    def payload(self) -> Any:
        return json.loads(self.body)

    @property
    def pretty_body(self) -> str:
        return json.dumps(self.payload, ensure_ascii=False, indent=2)

    @property
    def is_finished(self) -> bool:
        return self.status in (self.Status.DELIVERED, self.Status.FAILED)
