"""Every domain event becomes deliveries to the webhooks subscribed to it."""

from __future__ import annotations

from typing import Any

from voronka.automation.event_types import event_types
from voronka.core import events


def _deliver(event: str) -> events.Handler:
    def handler(**refs: Any) -> None:
        from voronka.automation.services import deliveries_create

        deliveries_create(event=event, refs=refs)

    handler.__name__ = f"webhooks_for_{event.replace('.', '_')}"
    return handler


for _event in event_types():
    events.subscribe(_event)(_deliver(_event))
