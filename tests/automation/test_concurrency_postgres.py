"""Workers racing for one delivery, each on its own connection (PostgreSQL only)."""

from __future__ import annotations

import threading

import pytest
from django.db import connection, connections
from django.utils import timezone

from tests.automation.conftest import make_webhook
from voronka.automation import services
from voronka.automation.models import WebhookDelivery

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _needs_postgres():
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: run with DATABASE_URL=postgres://… (CI does)")


def test_of_eight_workers_handed_the_same_delivery_exactly_one_sends_it(personas, receiver):
    webhook = make_webhook(personas.admin, receiver.url, ["deal.won"], receiver)
    delivery = WebhookDelivery.objects.create(
        webhook=webhook, event="deal.won", body='{"id":"x"}', next_attempt_at=timezone.now()
    )
    results: list[str | None] = []
    barrier = threading.Barrier(8)
    lock = threading.Lock()

    def work() -> None:
        try:
            barrier.wait()
            outcome = services.delivery_attempt(delivery_id=delivery.pk)
        finally:
            connections.close_all()
        with lock:
            results.append(outcome)

    threads = [threading.Thread(target=work) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert sorted(results, key=str) == [None] * 7 + ["delivered"]
    assert len(receiver.requests) == 1
    assert receiver.requests[0].signature_ok is True
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == ("delivered", 1)
