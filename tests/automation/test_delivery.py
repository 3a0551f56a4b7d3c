"""Events become signed POSTs to a real receiver on 127.0.0.1: payloads, headers,
retries, failures, switching off, and the sweeper that loses nothing."""

from __future__ import annotations

import json
import re
import uuid
from datetime import UTC, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from tests import factories
from tests.automation.conftest import make_webhook
from voronka.activities.models import Notification
from voronka.automation import services, tasks
from voronka.automation.models import Webhook, WebhookDelivery
from voronka.sales import services as sales_services
from voronka.sales.models import Deal, Lead

Status = WebhookDelivery.Status


def iso(value):
    return value.astimezone(UTC).isoformat()


def won_deal(personas, stages, capture):
    deal = factories.deal(personas.alice, title="Поставка станков", amount=Decimal("120000.00"))
    with capture(execute=True):
        sales_services.deal_move_stage(
            actor=personas.alice,
            deal=deal,
            stage=stages["won"],
            version=deal.version,
            amount=Decimal("150000.00"),
        )
    return Deal.objects.select_related("company").get(pk=deal.pk)


def test_a_won_deal_is_posted_signed_with_the_webhook_s_secret(
    personas, stages, receiver, django_capture_on_commit_callbacks
):
    webhook = make_webhook(personas.admin, receiver.url, ["deal.won"], receiver)
    deal = won_deal(personas, stages, django_capture_on_commit_callbacks)

    [request] = receiver.requests
    delivery = WebhookDelivery.objects.get()
    headers = request.headers
    assert request.path == "/hooks/voronka"
    assert request.signature_ok is True
    assert {k: headers[k] for k in ("Content-Type", "User-Agent", "X-Voronka-Event")} == {
        "Content-Type": "application/json",
        "User-Agent": "Voronka-Webhooks/1",
        "X-Voronka-Event": "deal.won",
    }
    assert headers["X-Voronka-Delivery"] == str(delivery.uuid)
    assert re.fullmatch(r"[0-9]{10}", headers["X-Voronka-Timestamp"])
    body = request.json
    assert body == {
        "id": str(delivery.uuid),
        "event": "deal.won",
        "occurred_at": body["occurred_at"],
        "data": {
            "id": deal.pk,
            "title": "Поставка станков",
            "url": f"https://crm.example.com/sales/deals/{deal.pk}/",
            "pipeline": {"id": stages["won"].pipeline_id, "name": "Продажи"},
            "stage": {"id": stages["won"].pk, "name": "Успешно реализовано", "kind": "won"},
            "status": "won",
            "amount": "150000.00",
            "currency": "RUB",
            "owner": {
                "id": personas.alice.pk,
                "name": "Алиса Иванова",
                "email": "alice@example.com",
            },
            "company": {"id": deal.company_id, "name": deal.company.name},
            "contact": None,
            "source": None,
            "lost_reason": None,
            "expected_close_date": None,
            "created_at": iso(deal.created_at),
            "closed_at": iso(deal.closed_at),
            "deleted": False,
        },
    }
    assert body["occurred_at"].endswith("+00:00")
    assert (delivery.webhook, delivery.event, delivery.status, delivery.attempts) == (
        webhook, "deal.won", Status.DELIVERED, 1,
    )  # fmt: skip
    assert (delivery.response_status, delivery.response_body, delivery.error) == (200, "ok", "")
    assert delivery.request_headers == {
        "Content-Type": "application/json",
        "User-Agent": "Voronka-Webhooks/1",
        "X-Voronka-Event": "deal.won",
        "X-Voronka-Delivery": str(delivery.uuid),
        "X-Voronka-Timestamp": headers["X-Voronka-Timestamp"],
        "X-Voronka-Signature": headers["X-Voronka-Signature"],
    }
    assert delivery.delivered_at is not None and delivery.next_attempt_at is None


def test_a_new_lead_is_posted_with_its_source_utm_and_contact_fields(
    personas, source, receiver, django_capture_on_commit_callbacks
):
    make_webhook(personas.admin, receiver.url, ["lead.created"], receiver)
    with django_capture_on_commit_callbacks(execute=True):
        lead = factories.lead(
            personas.bob,
            title="Заявка с сайта",
            contact_name="Пётр Сидоров",
            company_name="ООО Вектор",
            phone="+7 (912) 345-67-89",
            email="petr@vector.ru",
            source=source,
            utm_source="yandex",
            utm_medium="cpc",
            utm_campaign="spring",
        )
    lead = Lead.objects.get(pk=lead.pk)

    [request] = receiver.requests
    assert request.signature_ok is True
    assert request.headers["X-Voronka-Event"] == "lead.created"
    assert request.json["data"] == {
        "id": lead.pk,
        "title": "Заявка с сайта",
        "url": f"https://crm.example.com/sales/leads/{lead.pk}/",
        "status": "new",
        "source": {"id": source.pk, "name": "Сайт", "kind": "web_form"},
        "owner": {"id": personas.bob.pk, "name": "Борис Петров", "email": "bob@example.com"},
        "contact_name": "Пётр Сидоров",
        "company_name": "ООО Вектор",
        "phone": "+7 (912) 345-67-89",
        "email": "petr@vector.ru",
        "tax_id": "",
        "company": None,
        "contact": None,
        "utm_source": "yandex",
        "utm_medium": "cpc",
        "utm_campaign": "spring",
        "utm_term": "",
        "utm_content": "",
        "rejection_reason": None,
        "created_at": iso(lead.created_at),
        "qualified_at": None,
        "rejected_at": None,
        "deleted": False,
    }


def test_a_receiver_answering_500_then_200_gets_the_event_on_the_second_attempt(
    personas, stages, receiver, django_capture_on_commit_callbacks
):
    receiver.answers = [500, 200]
    make_webhook(personas.admin, receiver.url, ["deal.won"], receiver)
    won_deal(personas, stages, django_capture_on_commit_callbacks)

    delivery = WebhookDelivery.objects.get()
    assert [r.signature_ok for r in receiver.requests] == [True, True]
    first, second = (r.json for r in receiver.requests)
    assert first == second  # the same frozen body, signed anew
    assert receiver.requests[0].headers["X-Voronka-Delivery"] == str(delivery.uuid)
    assert (delivery.status, delivery.attempts, delivery.response_status) == (
        Status.DELIVERED, 2, 200,
    )  # fmt: skip
    assert Webhook.objects.get().consecutive_failures == 0


def test_a_receiver_that_always_fails_gets_the_webhook_switched_off_and_admins_told(
    personas, stages, receiver, settings, django_capture_on_commit_callbacks
):
    from voronka.accounts.services import user_create

    second_admin = user_create(username="admin2", password="x-42-long", role="admin", language="en")
    receiver.answers = [503]
    receiver.answer_body = b"maintenance"
    webhook = make_webhook(personas.admin, receiver.url, ["deal.created"], receiver, name="ERP")

    for _ in range(3):  # the limit is 3 in these tests; each delivery tries twice
        with django_capture_on_commit_callbacks(execute=True):
            factories.deal(personas.alice)

    webhook.refresh_from_db()
    assert len(receiver.requests) == 6
    assert (
        list(WebhookDelivery.objects.values_list("status", "attempts", "response_status"))
        == [("failed", 2, 503)] * 3
    )
    assert (webhook.is_active, webhook.consecutive_failures, webhook.disabled_reason) == (
        False, 3, "failures",
    )  # fmt: skip
    assert webhook.disabled_at is not None
    assert list(
        Notification.objects.order_by("recipient__username").values_list(
            "recipient__username", "kind", "title", "url", "task"
        )
    ) == [
        ("admin", "webhook_disabled",
         "Вебхук «ERP» отключён после 3 неудачных доставок подряд",
         f"/automation/webhooks/{webhook.pk}/", None),
        ("admin2", "webhook_disabled",
         "Webhook «ERP» was switched off after 3 failed deliveries in a row",
         f"/automation/webhooks/{webhook.pk}/", None),
    ]  # fmt: skip
    assert second_admin.is_active

    with django_capture_on_commit_callbacks(execute=True):
        factories.deal(personas.alice)
    assert WebhookDelivery.objects.count() == 3
    assert len(receiver.requests) == 6


def test_one_success_between_failures_starts_the_count_again(
    personas, stages, receiver, django_capture_on_commit_callbacks
):
    receiver.answers = [500, 500, 200, 500]
    webhook = make_webhook(personas.admin, receiver.url, ["deal.created"], receiver)
    for _ in range(3):
        with django_capture_on_commit_callbacks(execute=True):
            factories.deal(personas.alice)
    statuses = list(WebhookDelivery.objects.order_by("pk").values_list("status", flat=True))
    webhook.refresh_from_db()
    assert statuses == ["failed", "delivered", "failed"]
    assert (webhook.is_active, webhook.consecutive_failures) == (True, 1)


def test_a_refused_connection_is_recorded_as_the_delivery_s_error(
    personas, stages, closed_port_url, settings, django_capture_on_commit_callbacks
):
    settings.VORONKA_WEBHOOK_RETRY_DELAYS = []
    webhook = make_webhook(personas.admin, closed_port_url, ["deal.won"])
    won_deal(personas, stages, django_capture_on_commit_callbacks)

    delivery = WebhookDelivery.objects.get()
    assert (delivery.status, delivery.attempts, delivery.response_status, delivery.error) == (
        Status.FAILED, 1, None, "[Errno 111] Connection refused",
    )  # fmt: skip
    assert delivery.request_headers["X-Voronka-Event"] == "deal.won"
    webhook.refresh_from_db()
    assert webhook.consecutive_failures == 1


def test_an_inactive_webhook_or_one_not_subscribed_to_the_event_gets_nothing(
    personas, stages, receiver, django_capture_on_commit_callbacks
):
    make_webhook(personas.admin, receiver.url, ["deal.won"], receiver, is_active=False)
    make_webhook(personas.admin, receiver.url, ["deal.lost", "lead.created"], receiver)
    won_deal(personas, stages, django_capture_on_commit_callbacks)
    assert receiver.requests == []
    assert WebhookDelivery.objects.count() == 0


def test_each_subscribed_webhook_gets_its_own_delivery_of_one_event(
    personas, stages, receiver, django_capture_on_commit_callbacks
):
    first = make_webhook(personas.admin, receiver.url, ["deal.won"], name="Один")
    second = make_webhook(personas.admin, receiver.url + "/2", ["deal.won"], name="Два")
    won_deal(personas, stages, django_capture_on_commit_callbacks)
    rows = WebhookDelivery.objects.order_by("webhook__name").values_list("webhook", "status")
    assert list(rows) == [(second.pk, "delivered"), (first.pk, "delivered")]
    assert sorted(r.path for r in receiver.requests) == ["/hooks/voronka", "/hooks/voronka/2"]
    ids = {r.json["id"] for r in receiver.requests}
    assert len(ids) == 2


def test_a_rolled_back_change_sends_nothing(
    personas, stages, receiver, django_capture_on_commit_callbacks
):
    make_webhook(personas.admin, receiver.url, ["deal.created"], receiver)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        factories.deal(personas.alice)
    # The transaction never committed: the callbacks are dropped, nothing is sent.
    assert len(callbacks) >= 1
    assert WebhookDelivery.objects.count() == 0
    assert receiver.requests == []


# --- Retries on a clock, the sweeper, claims ---------------------------------------------


@pytest.fixture
def waiting_delivery(personas, stages, receiver, settings, django_capture_on_commit_callbacks):
    """A deal.won delivery whose first attempt got a 500; the next is due in an hour."""
    settings.VORONKA_WEBHOOK_RETRY_DELAYS = [3600, 7200]
    receiver.answers = [500, 200]
    make_webhook(personas.admin, receiver.url, ["deal.won"], receiver)
    won_deal(personas, stages, django_capture_on_commit_callbacks)
    return WebhookDelivery.objects.get()


def test_a_failed_attempt_waits_for_the_first_pause_of_the_schedule(waiting_delivery, receiver):
    delivery = waiting_delivery
    assert (delivery.status, delivery.attempts, delivery.response_status) == ("pending", 1, 500)
    assert delivery.response_body == "ok"
    wait = delivery.next_attempt_at - delivery.last_attempt_at
    assert timedelta(seconds=3600) <= wait < timedelta(seconds=3660)
    assert len(receiver.requests) == 1
    # Not due yet: an early job claims nothing.
    assert services.delivery_attempt(delivery_id=delivery.pk) is None
    assert len(receiver.requests) == 1


def test_the_sweeper_sends_a_retry_whose_scheduled_job_was_lost(waiting_delivery, receiver):
    later = waiting_delivery.next_attempt_at + timedelta(minutes=2)
    assert services.deliveries_sweep(now=waiting_delivery.next_attempt_at) == []
    assert services.deliveries_sweep(now=later) == [waiting_delivery.pk]
    assert services.delivery_attempt(delivery_id=waiting_delivery.pk, now=later) == "delivered"
    waiting_delivery.refresh_from_db()
    assert (waiting_delivery.status, waiting_delivery.attempts) == ("delivered", 2)
    assert len(receiver.requests) == 2


def test_the_periodic_job_sends_what_is_due(waiting_delivery, receiver):
    WebhookDelivery.objects.filter(pk=waiting_delivery.pk).update(
        next_attempt_at=timezone.now() - timedelta(minutes=5)
    )
    tasks.sweep_webhook_deliveries.call_local()
    waiting_delivery.refresh_from_db()
    assert (waiting_delivery.status, waiting_delivery.attempts) == ("delivered", 2)


def test_two_workers_given_the_same_attempt_send_it_once(waiting_delivery, receiver):
    later = waiting_delivery.next_attempt_at + timedelta(seconds=1)
    # The first worker's claim: the row is now "sending".
    assert WebhookDelivery.objects.filter(pk=waiting_delivery.pk, status="pending").update(
        status="sending", attempts=2, claimed_at=later
    )
    assert services.delivery_attempt(delivery_id=waiting_delivery.pk, now=later) is None
    assert len(receiver.requests) == 1


def test_an_attempt_left_half_way_by_a_dead_worker_counts_and_is_retried(
    waiting_delivery, receiver
):
    claimed = waiting_delivery.next_attempt_at
    WebhookDelivery.objects.filter(pk=waiting_delivery.pk).update(
        status="sending", attempts=2, claimed_at=claimed
    )
    assert services.deliveries_sweep(now=claimed + timedelta(minutes=4)) == []
    services.deliveries_sweep(now=claimed + timedelta(minutes=6))
    waiting_delivery.refresh_from_db()
    assert (waiting_delivery.status, waiting_delivery.attempts, waiting_delivery.error) == (
        "pending", 2, "The attempt was interrupted: the worker stopped before it finished.",
    )  # fmt: skip
    assert waiting_delivery.next_attempt_at is not None


def test_the_last_attempt_of_the_schedule_fails_the_delivery(waiting_delivery, receiver):
    receiver.answers = [500]
    for _ in range(2):
        WebhookDelivery.objects.filter(pk=waiting_delivery.pk).update(
            next_attempt_at=timezone.now() - timedelta(seconds=1)
        )
        services.delivery_attempt(delivery_id=waiting_delivery.pk)
    waiting_delivery.refresh_from_db()
    assert (waiting_delivery.status, waiting_delivery.attempts) == ("failed", 3)
    assert waiting_delivery.next_attempt_at is None
    assert Webhook.objects.get().consecutive_failures == 1


def test_a_retry_sends_the_frozen_payload_signed_with_the_current_secret(
    waiting_delivery, receiver, personas
):
    webhook = waiting_delivery.webhook
    Deal.objects.update(title="Переименована")
    services.webhook_regenerate_secret(actor=personas.admin, webhook=webhook)
    receiver.secret = Webhook.objects.get().secret
    WebhookDelivery.objects.filter(pk=waiting_delivery.pk).update(
        next_attempt_at=timezone.now() - timedelta(seconds=1)
    )
    services.delivery_attempt(delivery_id=waiting_delivery.pk)
    first, second = receiver.requests
    assert second.signature_ok is True
    assert first.body == second.body
    assert second.json["data"]["title"] == "Поставка станков"


def test_a_waiting_delivery_of_a_webhook_switched_off_meanwhile_is_not_sent(
    waiting_delivery, receiver, personas
):
    webhook = Webhook.objects.get()
    services.webhook_update(
        actor=personas.admin, webhook=webhook, version=webhook.version, data={"is_active": False}
    )
    WebhookDelivery.objects.filter(pk=waiting_delivery.pk).update(
        next_attempt_at=timezone.now() - timedelta(seconds=1)
    )
    assert services.delivery_attempt(delivery_id=waiting_delivery.pk) == "failed"
    waiting_delivery.refresh_from_db()
    assert (waiting_delivery.status, waiting_delivery.attempts, waiting_delivery.error) == (
        "failed", 1, "The webhook was switched off; the delivery was not sent.",
    )  # fmt: skip
    assert len(receiver.requests) == 1
    assert Webhook.objects.get().consecutive_failures == 0


# --- What comes back ----------------------------------------------------------------------


def test_only_the_first_2_kb_of_the_answer_are_kept(
    personas, stages, receiver, django_capture_on_commit_callbacks
):
    receiver.answer_body = "ж".encode() * 3000
    make_webhook(personas.admin, receiver.url, ["deal.won"], receiver)
    won_deal(personas, stages, django_capture_on_commit_callbacks)
    delivery = WebhookDelivery.objects.get()
    assert delivery.response_body == "ж" * 1024
    assert delivery.duration_ms is not None


def test_a_redirect_is_not_followed_and_counts_as_a_failed_attempt(
    personas, stages, receiver, settings, django_capture_on_commit_callbacks
):
    settings.VORONKA_WEBHOOK_RETRY_DELAYS = []
    receiver.answers = [302]
    receiver.answer_headers = {"Location": "http://127.0.0.1:1/elsewhere"}
    make_webhook(personas.admin, receiver.url, ["deal.won"], receiver)
    won_deal(personas, stages, django_capture_on_commit_callbacks)
    delivery = WebhookDelivery.objects.get()
    assert (delivery.status, delivery.response_status, delivery.error) == ("failed", 302, "")
    assert delivery.response_headers["Location"] == "http://127.0.0.1:1/elsewhere"
    assert len(receiver.requests) == 1


# --- Test pings and resends ---------------------------------------------------------------


def test_send_test_posts_a_ping_once_even_to_a_switched_off_webhook(
    personas, receiver, django_capture_on_commit_callbacks
):
    webhook = make_webhook(
        personas.admin, receiver.url, ["deal.won"], receiver, name="ERP", is_active=False
    )
    with django_capture_on_commit_callbacks(execute=True):
        delivery = services.webhook_send_test(actor=personas.admin, webhook=webhook)
    [request] = receiver.requests
    assert request.signature_ok is True
    assert request.headers["X-Voronka-Event"] == "ping"
    assert request.json == {
        "id": str(delivery.uuid),
        "event": "ping",
        "occurred_at": request.json["occurred_at"],
        "data": {
            "webhook": {"id": webhook.pk, "name": "ERP"},
            "events": ["deal.won"],
            "message": "This is a test delivery from Voronka.",
        },
    }
    delivery.refresh_from_db()
    assert (delivery.status, delivery.is_manual, delivery.attempts) == ("delivered", True, 1)


def test_a_failed_test_is_not_retried_and_does_not_count_towards_switching_off(
    personas, receiver, django_capture_on_commit_callbacks
):
    receiver.answers = [500]
    webhook = make_webhook(personas.admin, receiver.url, ["deal.won"], receiver)
    with django_capture_on_commit_callbacks(execute=True):
        delivery = services.webhook_send_test(actor=personas.admin, webhook=webhook)
    delivery.refresh_from_db()
    webhook.refresh_from_db()
    assert (delivery.status, delivery.attempts, webhook.consecutive_failures) == ("failed", 1, 0)
    assert len(receiver.requests) == 1


def test_resend_posts_the_same_event_and_data_under_a_new_delivery_id(
    personas, stages, receiver, settings, django_capture_on_commit_callbacks
):
    settings.VORONKA_WEBHOOK_RETRY_DELAYS = []
    receiver.answers = [500, 200]
    make_webhook(personas.admin, receiver.url, ["deal.won"], receiver)
    won_deal(personas, stages, django_capture_on_commit_callbacks)
    original = WebhookDelivery.objects.get()
    with django_capture_on_commit_callbacks(execute=True):
        resent = services.delivery_resend(actor=personas.admin, delivery=original)
    resent.refresh_from_db()
    first, second = (r.json for r in receiver.requests)
    assert second["id"] == str(resent.uuid) != first["id"]
    assert {k: second[k] for k in ("event", "occurred_at", "data")} == {
        k: first[k] for k in ("event", "occurred_at", "data")
    }
    assert (resent.status, resent.resent_from, resent.is_manual) == ("delivered", original, True)
    assert json.loads(resent.body)["id"] == str(resent.uuid)
    assert uuid.UUID(second["id"]).version == 4
