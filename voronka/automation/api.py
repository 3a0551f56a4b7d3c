"""API: outgoing webhooks and their delivery logs — administrators only."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Query, Router, Status

from voronka.automation import queries, services
from voronka.automation.schemas import (
    DeliveryFilters,
    DeliveryPage,
    WebhookIn,
    WebhookOut,
    WebhookPage,
    WebhookPatch,
)
from voronka.core.api import Id, ListParams, Version, actor, page, responses

router = Router(tags=["webhooks"])

ADMIN_ONLY = "Administrators only; anyone else is answered 403."
VERSION_DOC = "The version you read; a stale one answers 409 and changes nothing."


def _admin(request: HttpRequest) -> Any:
    user = actor(request)
    queries.ensure_may_manage_webhooks(user)
    return user


@router.get("/webhooks", response=responses({200: WebhookPage}, 400, 403), description=ADMIN_ONLY)
def webhook_list(request: HttpRequest, params: Query[ListParams]) -> Any:
    user = _admin(request)
    return page(queries.webhooks_visible_to(user), ordering=queries.WEBHOOK_ORDERING, params=params)


@router.post(
    "/webhooks",
    response=responses({201: WebhookOut}, 403),
    description="Creates a webhook with a generated secret. " + ADMIN_ONLY,
)
def webhook_create(request: HttpRequest, payload: WebhookIn) -> Any:
    user = _admin(request)
    webhook = services.webhook_create(actor=user, data=payload.model_dump())
    return Status(201, webhook)


@router.get("/webhooks/{webhook_id}", response=responses({200: WebhookOut}, 403, 404))
def webhook_read(request: HttpRequest, webhook_id: Id) -> Any:
    user = _admin(request)
    return queries.webhooks_visible_to(user).get(pk=webhook_id)


@router.patch(
    "/webhooks/{webhook_id}",
    response=responses({200: WebhookOut}, 403, 404, 409),
    description="Switching a webhook on again forgets its failures. " + VERSION_DOC,
)
def webhook_update(request: HttpRequest, webhook_id: Id, payload: WebhookPatch) -> Any:
    user = _admin(request)
    webhook = queries.webhooks_visible_to(user).get(pk=webhook_id)
    data = payload.model_dump(exclude_unset=True, exclude={"version"})
    return services.webhook_update(actor=user, webhook=webhook, version=payload.version, data=data)


@router.delete(
    "/webhooks/{webhook_id}",
    response=responses({204: None}, 403, 404, 409),
    description="Deletes the webhook and its delivery log. " + VERSION_DOC,
)
def webhook_delete(request: HttpRequest, webhook_id: Id, version: Version) -> Any:
    user = _admin(request)
    webhook = queries.webhooks_visible_to(user).get(pk=webhook_id)
    services.webhook_delete(actor=user, webhook=webhook, version=version)
    return Status(204, None)


@router.get(
    "/webhooks/{webhook_id}/deliveries",
    response=responses({200: DeliveryPage}, 400, 403, 404),
    description="The webhook's deliveries, newest first. " + ADMIN_ONLY,
)
def delivery_list(request: HttpRequest, webhook_id: Id, filters: Query[DeliveryFilters]) -> Any:
    user = _admin(request)
    webhook = queries.webhooks_visible_to(user).get(pk=webhook_id)
    qs = queries.deliveries_of(user, webhook, status=filters.status or "")
    return page(qs, ordering=queries.DELIVERY_ORDERING, params=filters)
