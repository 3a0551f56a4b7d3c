"""Background jobs: one attempt of a delivery, and the sweeper that loses nothing."""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from voronka.automation import services


@db_task()
def deliver_webhook(delivery_id: int) -> None:
    """The next attempt of a delivery, if it is due and nobody else is making it.

    Safe to run twice or in two workers at once (see ``services.delivery_attempt``).
    A failed attempt schedules the next one itself; Huey's own retries are not used.
    """
    services.delivery_attempt(delivery_id=delivery_id)


@db_periodic_task(crontab(minute="*"))
def sweep_webhook_deliveries() -> None:
    """Every minute: deliveries whose scheduled attempt was lost, or left half-way."""
    for delivery_id in services.deliveries_sweep():
        deliver_webhook(delivery_id)
