"""Setting webhooks up: validation, secrets, switching on and off, who may."""

from __future__ import annotations

import re

import pytest
from django.core.exceptions import ValidationError

from tests.automation.conftest import make_webhook
from voronka.automation import services
from voronka.automation.models import Webhook
from voronka.core.errors import NotAllowed, StaleVersion

URL_MESSAGE = "Target URL: enter a full web address starting with http:// or https://."


def test_a_new_webhook_gets_a_generated_secret_and_its_events_in_catalogue_order(personas):
    webhook = services.webhook_create(
        actor=personas.admin,
        data={
            "name": "  ERP  ",
            "url": " https://erp.example.com/hooks ",
            "events": ["task.overdue", "deal.won", "lead.created", "deal.won"],
        },
    )
    webhook.refresh_from_db()
    assert (webhook.name, webhook.url, webhook.events, webhook.is_active) == (
        "ERP", "https://erp.example.com/hooks", ["deal.won", "lead.created", "task.overdue"], True,
    )  # fmt: skip
    assert re.fullmatch(r"[A-Za-z0-9_-]{43}", webhook.secret)
    assert webhook.created_by == personas.admin
    other = make_webhook(personas.admin, "https://erp.example.com/2", ["deal.won"])
    assert other.secret != webhook.secret


@pytest.mark.parametrize(
    "url",
    ["ftp://erp.example.com/hooks", "erp.example.com/hooks", "javascript:alert(1)",
     "file:///etc/passwd", "http://", "https://exa mple.com/"],
)  # fmt: skip
def test_only_http_and_https_addresses_are_accepted_and_the_message_names_the_field(personas, url):
    with pytest.raises(ValidationError) as caught:
        make_webhook(personas.admin, url, ["deal.won"])
    assert caught.value.message_dict == {"url": [URL_MESSAGE]}
    assert Webhook.objects.count() == 0


def test_a_webhook_needs_a_name_and_at_least_one_known_event(personas):
    with pytest.raises(ValidationError) as caught:
        make_webhook(personas.admin, "https://erp.example.com", [], name=" ")
    assert caught.value.message_dict == {
        "events": ["Choose at least one event."],
        "name": ["This field cannot be blank."],
    }
    with pytest.raises(ValidationError) as caught:
        make_webhook(personas.admin, "https://erp.example.com", ["deal.won", "deal.exploded"])
    assert caught.value.message_dict == {"events": ["Unknown events: deal.exploded."]}
    with pytest.raises(ValidationError) as caught:
        services.webhook_create(
            actor=personas.admin,
            data={"name": "x", "url": "https://e.com", "events": ["deal.won"], "secret": "mine"},
        )
    assert caught.value.message_dict == {"secret": ["This field cannot be set here."]}
    assert Webhook.objects.count() == 0


@pytest.mark.parametrize("who", ["head", "lead", "alice", "support", "outsider"])
def test_only_an_administrator_sets_webhooks_up(personas, who):
    person = getattr(personas, who)
    with pytest.raises(NotAllowed):
        make_webhook(person, "https://erp.example.com", ["deal.won"])
    webhook = make_webhook(personas.admin, "https://erp.example.com", ["deal.won"])
    before = Webhook.objects.values().get()
    with pytest.raises(NotAllowed):
        services.webhook_update(actor=person, webhook=webhook, version=1, data={"name": "x"})
    with pytest.raises(NotAllowed):
        services.webhook_regenerate_secret(actor=person, webhook=webhook)
    with pytest.raises(NotAllowed):
        services.webhook_send_test(actor=person, webhook=webhook)
    with pytest.raises(NotAllowed):
        services.webhook_delete(actor=person, webhook=webhook, version=1)
    assert Webhook.objects.values().get() == before


def test_a_switched_off_administrator_is_refused_too(personas):
    personas.admin.is_active = False
    with pytest.raises(NotAllowed):
        make_webhook(personas.admin, "https://erp.example.com", ["deal.won"])


def test_regenerating_the_secret_replaces_it(personas):
    webhook = make_webhook(personas.admin, "https://erp.example.com", ["deal.won"])
    old = webhook.secret
    services.webhook_regenerate_secret(actor=personas.admin, webhook=webhook, version=1)
    webhook.refresh_from_db()
    assert webhook.secret != old
    assert webhook.version == 2


def test_an_edit_based_on_a_stale_copy_is_refused(personas):
    webhook = make_webhook(personas.admin, "https://erp.example.com", ["deal.won"])
    services.webhook_update(actor=personas.admin, webhook=webhook, version=1, data={"name": "A"})
    stale = Webhook.objects.get()
    stale.version = 1
    with pytest.raises(StaleVersion):
        services.webhook_update(actor=personas.admin, webhook=stale, version=1, data={"name": "B"})
    assert Webhook.objects.get().name == "A"


def test_switching_off_by_hand_is_recorded_and_switching_on_forgets_the_failures(personas):
    webhook = make_webhook(personas.admin, "https://erp.example.com", ["deal.won"])
    services.webhook_update(
        actor=personas.admin, webhook=webhook, version=1, data={"is_active": False}
    )
    webhook.refresh_from_db()
    assert (webhook.is_active, webhook.disabled_reason) == (False, "by_hand")
    assert webhook.disabled_at is not None
    Webhook.objects.update(consecutive_failures=10, disabled_reason="failures")
    webhook.refresh_from_db()
    services.webhook_update(
        actor=personas.admin, webhook=webhook, version=webhook.version, data={"is_active": True}
    )
    webhook.refresh_from_db()
    assert (webhook.is_active, webhook.consecutive_failures, webhook.disabled_at) == (
        True, 0, None,
    )  # fmt: skip
    assert webhook.disabled_reason == ""


def test_deleting_a_webhook_deletes_its_deliveries(personas, django_capture_on_commit_callbacks):
    from voronka.automation.models import WebhookDelivery

    webhook = make_webhook(personas.admin, "http://127.0.0.1:9/", ["deal.won"])
    services.webhook_send_test(actor=personas.admin, webhook=webhook)  # not sent: no commit
    services.webhook_delete(actor=personas.admin, webhook=webhook, version=1)
    assert (Webhook.objects.count(), WebhookDelivery.objects.count()) == (0, 0)


def test_the_retry_schedule_and_limit_come_from_the_environment_when_not_set(settings, monkeypatch):
    from voronka.automation import conf

    del settings.VORONKA_WEBHOOK_RETRY_DELAYS
    del settings.VORONKA_WEBHOOK_DISABLE_AFTER
    assert (conf.retry_delays(), conf.disable_after()) == ([60, 300, 1800, 7200, 21600], 10)
    monkeypatch.setenv("VORONKA_WEBHOOK_RETRY_DELAYS", "5, 10,20")
    monkeypatch.setenv("VORONKA_WEBHOOK_DISABLE_AFTER", "4")
    assert (conf.retry_delays(), conf.disable_after()) == ([5, 10, 20], 4)
    settings.VORONKA_WEBHOOK_RETRY_DELAYS = [1]
    assert conf.retry_delays() == [1]
