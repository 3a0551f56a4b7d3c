"""API shapes of webhooks and their deliveries."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal
from uuid import UUID

from ninja import Field, Schema

from voronka.automation.models import URL_MAX_LENGTH
from voronka.core.api import ListParams, PageOut, Text, Version, optional

DeliveryStatus = Literal["pending", "sending", "delivered", "failed"]
EventName = Annotated[Text, Field(max_length=60)]
Events = Annotated[list[EventName], Field(max_length=50)]
Name = Annotated[Text, Field(max_length=120)]
Url = Annotated[
    Text, Field(max_length=URL_MAX_LENGTH, description="An http:// or https:// address.")
]


class WebhookOut(Schema):
    id: int
    name: str
    url: str
    events: list[str]
    is_active: bool
    secret: str = Field(
        description="Signs every delivery: X-Voronka-Signature is "
        'sha256=HMAC-SHA256(secret, "{X-Voronka-Timestamp}.{body}") in hex.'
    )
    consecutive_failures: int
    disabled_at: datetime | None
    disabled_reason: str
    created_at: datetime
    updated_at: datetime
    version: int


class WebhookPage(PageOut):
    items: list[WebhookOut]


class WebhookFields(Schema):
    name: Name = optional()
    url: Url = optional()
    events: Events = optional()
    is_active: bool = optional()


class WebhookIn(WebhookFields):
    name: Name
    url: Url
    events: Events
    is_active: bool = True


class WebhookPatch(WebhookFields):
    version: Version


class DeliveryOut(Schema):
    id: int
    uuid: UUID
    event: str
    status: str
    is_manual: bool
    attempts: int
    response_status: int | None
    duration_ms: int | None
    error: str
    created_at: datetime
    last_attempt_at: datetime | None
    next_attempt_at: datetime | None
    delivered_at: datetime | None


class DeliveryPage(PageOut):
    items: list[DeliveryOut]


class DeliveryFilters(ListParams):
    status: DeliveryStatus | None = None
