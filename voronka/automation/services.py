"""Writes of webhooks and the life of a delivery: created on an event, attempted,
retried with growing pauses, delivered or failed; a webhook that keeps failing is
switched off and the administrators are told."""

from __future__ import annotations

import json
import secrets
import time
import uuid
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from voronka.automation import conf, payloads, sending
from voronka.automation.event_types import PING, event_types
from voronka.automation.models import DisabledReason, Webhook, WebhookDelivery
from voronka.automation.queries import ensure_may_manage_webhooks
from voronka.core.locking import claim_version
from voronka.core.services import reject_unknown

WEBHOOK_FIELDS = {"name", "url", "events", "is_active"}
Status = WebhookDelivery.Status
# A waiting delivery this late was not picked up by its scheduled job (a worker restart
# lost it); the sweeper sends it. Younger ones are left to their job.
SWEEP_GRACE = timedelta(seconds=60)
SWEEP_BATCH = 500
INTERRUPTED = "The attempt was interrupted: the worker stopped before it finished."


def new_secret() -> str:
    return secrets.token_urlsafe(32)


# --- Webhooks ------------------------------------------------------------------------------


def _clean_events(value: Any) -> list[str]:
    """Known event names, each once, in the order of the catalogue."""
    known = event_types()
    if not isinstance(value, list | tuple) or not all(isinstance(e, str) for e in value):
        raise ValidationError({"events": _("Choose the events from the list.")})
    unknown = sorted(set(value) - set(known))
    if unknown:
        raise ValidationError(
            {"events": _("Unknown events: %(names)s.") % {"names": ", ".join(unknown)}}
        )
    if not value:
        raise ValidationError({"events": _("Choose at least one event.")})
    return [event for event in known if event in value]


def _validate(webhook: Webhook) -> None:
    """Every field's problems at once, each under its field's name."""
    webhook.name = (webhook.name or "").strip()
    webhook.url = (webhook.url or "").strip()
    errors: dict[str, list[str]] = {}
    try:
        webhook.events = _clean_events(webhook.events)
    except ValidationError as exc:
        errors.update(exc.message_dict)
    try:
        webhook.full_clean(exclude=["created_by", "secret", "events"], validate_unique=False)
    except ValidationError as exc:
        errors.update(exc.message_dict)
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def webhook_create(*, actor: Any, data: Mapping[str, Any]) -> Webhook:
    """A new webhook with a freshly generated secret."""
    ensure_may_manage_webhooks(actor)
    reject_unknown(data, WEBHOOK_FIELDS)
    webhook = Webhook(**data)
    webhook.secret = new_secret()
    webhook.created_by = actor
    _validate(webhook)
    webhook.save()
    return webhook


@transaction.atomic
def webhook_update(
    *, actor: Any, webhook: Webhook, version: int | None, data: Mapping[str, Any]
) -> Webhook:
    """Change name, address, events or the active flag.

    Switching a webhook on again forgets its failures: it gets the full allowance of
    failed deliveries before it is switched off once more.
    """
    ensure_may_manage_webhooks(actor)
    reject_unknown(data, WEBHOOK_FIELDS)
    was_active = webhook.is_active
    changed = []
    for name, value in data.items():
        if name == "events" and isinstance(value, list | tuple):
            known = event_types()  # compared in catalogue order, as they are stored
            value = [e for e in known if e in value] + [e for e in value if e not in known]
        if getattr(webhook, name) != value:
            setattr(webhook, name, value)
            changed.append(name)
    _validate(webhook)
    if webhook.is_active and not was_active:
        webhook.consecutive_failures = 0
        webhook.disabled_at = None
        webhook.disabled_reason = ""
        changed += ["consecutive_failures", "disabled_at", "disabled_reason"]
    elif was_active and not webhook.is_active:
        webhook.disabled_at = timezone.now()
        webhook.disabled_reason = DisabledReason.BY_HAND
        changed += ["disabled_at", "disabled_reason"]
    claim_version(webhook, version)
    webhook.save(update_fields=[*dict.fromkeys(changed), "version", "updated_at"])
    return webhook


@transaction.atomic
def webhook_regenerate_secret(
    *, actor: Any, webhook: Webhook, version: int | None = None
) -> Webhook:
    """A new secret; deliveries from now on, retries included, are signed with it."""
    ensure_may_manage_webhooks(actor)
    webhook.secret = new_secret()
    claim_version(webhook, version)
    webhook.save(update_fields=["secret", "version", "updated_at"])
    return webhook


@transaction.atomic
def webhook_delete(*, actor: Any, webhook: Webhook, version: int | None) -> None:
    """Delete the webhook and its delivery log; waiting deliveries are not sent."""
    ensure_may_manage_webhooks(actor)
    claim_version(webhook, version)
    webhook.delete()


@transaction.atomic
def webhook_send_test(*, actor: Any, webhook: Webhook) -> WebhookDelivery:
    """A ``ping`` delivery, sent once (no retries), also to a switched-off webhook."""
    ensure_may_manage_webhooks(actor)
    return _new_delivery(
        webhook, PING, payloads.ping_data(webhook), occurred_at=timezone.now(), manual=True
    )


@transaction.atomic
def delivery_resend(*, actor: Any, delivery: WebhookDelivery) -> WebhookDelivery:
    """Send a delivery's event again as a new delivery (new id, same event and data)."""
    ensure_may_manage_webhooks(actor)
    original = delivery.payload
    occurred_at = datetime.fromisoformat(original["occurred_at"])
    resent = _new_delivery(
        delivery.webhook,
        delivery.event,
        original.get("data", {}),
        occurred_at=occurred_at,
        manual=True,
        resent_from=delivery,
    )
    return resent


# --- Deliveries ----------------------------------------------------------------------------


def _body(delivery_id: uuid.UUID, event: str, occurred_at: datetime, data: Any) -> str:
    payload = {
        "id": str(delivery_id),
        "event": event,
        "occurred_at": occurred_at.astimezone(UTC).isoformat(),
        "data": data,
    }
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":"), cls=DjangoJSONEncoder)


def _enqueue(delivery_id: int, delay: float | None = None) -> None:
    from voronka.automation.tasks import deliver_webhook

    if delay:
        deliver_webhook.schedule(args=(delivery_id,), delay=delay)
    else:
        deliver_webhook(delivery_id)


def _new_delivery(
    webhook: Webhook,
    event: str,
    data: Any,
    *,
    occurred_at: datetime,
    manual: bool = False,
    resent_from: WebhookDelivery | None = None,
) -> WebhookDelivery:
    delivery = WebhookDelivery(
        webhook=webhook,
        event=event,
        is_manual=manual,
        resent_from=resent_from,
        next_attempt_at=timezone.now(),
    )
    delivery.uuid = uuid.uuid4()
    delivery.body = _body(delivery.uuid, event, occurred_at, data)
    delivery.save()
    pk = delivery.pk
    transaction.on_commit(lambda: _enqueue(pk))
    return delivery


@transaction.atomic
def deliveries_create(
    *, event: str, refs: Mapping[str, Any], occurred_at: datetime | None = None
) -> list[WebhookDelivery]:
    """One waiting delivery per active webhook subscribed to ``event``.

    The payload is built once, now, and frozen in every delivery: a retry hours
    later sends what was true when the event happened.
    """
    hooks = [hook for hook in Webhook.objects.filter(is_active=True) if hook.wants(event)]
    if not hooks:
        return []
    occurred_at = occurred_at or timezone.now()
    data = payloads.build(event, dict(refs))
    return [_new_delivery(hook, event, data, occurred_at=occurred_at) for hook in hooks]


def delivery_attempt(*, delivery_id: int, now: datetime | None = None) -> str | None:
    """Make the next attempt of a delivery whose time has come; the resulting status.

    The claim is one conditional UPDATE (waiting → sending, attempts + 1), so two
    workers handed the same delivery never send the same attempt twice: the second
    finds nothing to claim and returns None. No transaction is held while the
    receiver is being called.
    """
    now = now or timezone.now()
    claimed = (
        WebhookDelivery.objects.filter(pk=delivery_id, status=Status.PENDING)
        .filter(Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now))
        .update(
            status=Status.SENDING, attempts=F("attempts") + 1, claimed_at=now, last_attempt_at=now
        )
    )
    if not claimed:
        return None
    delivery = WebhookDelivery.objects.select_related("webhook").get(pk=delivery_id)
    webhook = delivery.webhook
    if not webhook.is_active and not delivery.is_manual:
        return _cancel(delivery)
    timestamp = int(time.time())
    headers = sending.request_headers(
        event=delivery.event,
        delivery_id=str(delivery.uuid),
        timestamp=timestamp,
        signature=sending.sign(webhook.secret, timestamp, delivery.body),
    )
    outcome = sending.post(webhook.url, delivery.body.encode(), headers, conf.timeout())
    return _settle(delivery, outcome, headers)


def _claimed(delivery: WebhookDelivery) -> Any:
    """The delivery's row as long as it is still this attempt's (not taken over meanwhile)."""
    return WebhookDelivery.objects.filter(
        pk=delivery.pk,
        status=Status.SENDING,
        attempts=delivery.attempts,
        claimed_at=delivery.claimed_at,
    )


@transaction.atomic
def _cancel(delivery: WebhookDelivery) -> str | None:
    """A webhook switched off while its delivery waited: the delivery is not sent."""
    done = _claimed(delivery).update(
        status=Status.FAILED,
        attempts=F("attempts") - 1,
        claimed_at=None,
        next_attempt_at=None,
        error="The webhook was switched off; the delivery was not sent.",
    )
    return Status.FAILED if done else None


@transaction.atomic
def _settle(
    delivery: WebhookDelivery, outcome: sending.Outcome, headers: Mapping[str, str]
) -> str | None:
    """Record an attempt's outcome and decide: delivered, try again later, or failed."""
    now = timezone.now()
    fields: dict[str, Any] = {
        "request_headers": dict(headers),
        "response_status": outcome.status,
        "response_headers": outcome.headers,
        "response_body": outcome.body,
        "duration_ms": outcome.duration_ms,
        "error": outcome.error,
        "claimed_at": None,
    }
    delays = conf.retry_delays()
    delay: int | None = None
    if outcome.ok:
        status = Status.DELIVERED
        fields.update(delivered_at=now, next_attempt_at=None)
    elif not delivery.is_manual and delivery.attempts <= len(delays):
        status = Status.PENDING
        delay = delays[delivery.attempts - 1]
        fields["next_attempt_at"] = now + timedelta(seconds=delay)
    else:
        status = Status.FAILED
        fields["next_attempt_at"] = None
    if not _claimed(delivery).update(status=status, **fields):
        return None  # the sweeper took this attempt over as interrupted
    if status == Status.DELIVERED:
        Webhook.objects.filter(pk=delivery.webhook_id, consecutive_failures__gt=0).update(
            consecutive_failures=0
        )
    elif status == Status.FAILED and not delivery.is_manual:
        _count_failure(delivery.webhook_id)
    elif status == Status.PENDING:
        pk = delivery.pk
        transaction.on_commit(lambda: _enqueue(pk, delay))
    return status


def _count_failure(webhook_id: int) -> None:
    """One more delivery failed for good; at the limit the webhook is switched off."""
    Webhook.objects.filter(pk=webhook_id).update(consecutive_failures=F("consecutive_failures") + 1)
    switched_off = Webhook.objects.filter(
        pk=webhook_id, is_active=True, consecutive_failures__gte=conf.disable_after()
    ).update(
        is_active=False,
        disabled_at=timezone.now(),
        disabled_reason=DisabledReason.FAILURES,
        version=F("version") + 1,
    )
    if switched_off:
        _tell_admins(Webhook.objects.get(pk=webhook_id))


def _tell_admins(webhook: Webhook) -> None:
    from voronka.accounts.models import User
    from voronka.activities.models import NotificationKind
    from voronka.activities.services import notify

    url = reverse("automation:webhook-detail", args=[webhook.pk])
    admins = User.objects.filter(is_active=True).filter(Q(role="admin") | Q(is_superuser=True))
    count = webhook.consecutive_failures
    for admin in admins.order_by("pk"):
        with translation.override(admin.language or settings.LANGUAGE_CODE):
            title = ngettext(
                "Webhook «%(name)s» was switched off after %(count)s failed delivery in a row",
                "Webhook «%(name)s» was switched off after %(count)s failed deliveries in a row",
                count,
            ) % {"name": webhook.name, "count": count}
        notify(
            recipient=admin,
            kind=NotificationKind.WEBHOOK_DISABLED,
            task=None,
            title=title,
            url=url,
        )


def deliveries_sweep(*, now: datetime | None = None) -> list[int]:
    """Deliveries a worker should attempt now, oldest due first.

    Waiting deliveries whose next attempt is overdue (their scheduled job was lost,
    say by a restart), and — settled first as an interrupted attempt — deliveries
    left "sending" by a worker that died in the middle of an attempt.
    """
    now = now or timezone.now()
    stuck = WebhookDelivery.objects.filter(
        status=Status.SENDING, claimed_at__lt=now - timedelta(seconds=conf.stuck_after())
    ).select_related("webhook")
    for delivery in stuck:
        _settle(delivery, sending.Outcome(error=INTERRUPTED), delivery.request_headers)
    due = WebhookDelivery.objects.filter(
        status=Status.PENDING, next_attempt_at__lte=now - SWEEP_GRACE
    ).order_by("next_attempt_at", "pk")
    return list(due.values_list("pk", flat=True)[:SWEEP_BATCH])
