"""/api/v1/webhooks: administrators list, create, change and delete webhooks and read
their deliveries; everyone else is answered 403 and nothing changes."""

from __future__ import annotations

import pytest

from tests.api_client import ApiClient, errors
from tests.automation.conftest import make_webhook
from voronka.automation import services
from voronka.automation.models import Webhook, WebhookDelivery

NOT_ADMINS = ["head", "lead", "alice", "bob", "support", "outsider"]
URL_MESSAGE = "Target URL: enter a full web address starting with http:// or https://."


@pytest.fixture
def webhook(personas):
    return make_webhook(personas.admin, "https://erp.example.com/in", ["deal.won"], name="ERP")


def state():
    return list(Webhook.objects.order_by("pk").values()), WebhookDelivery.objects.count()


def test_an_administrator_creates_a_webhook_and_gets_its_secret(personas):
    api = ApiClient(personas.admin)
    response = api.post(
        "/webhooks",
        {
            "name": "ERP",
            "url": "https://erp.example.com/in",
            "events": ["lead.created", "deal.won"],
        },
    )
    assert response.status_code == 201
    webhook = Webhook.objects.get()
    body = response.json()
    assert body == {
        "id": webhook.pk,
        "name": "ERP",
        "url": "https://erp.example.com/in",
        "events": ["deal.won", "lead.created"],
        "is_active": True,
        "secret": webhook.secret,
        "consecutive_failures": 0,
        "disabled_at": None,
        "disabled_reason": "",
        "created_at": body["created_at"],
        "updated_at": body["updated_at"],
        "version": 1,
    }


def test_bad_input_is_answered_422_naming_each_field(personas):
    api = ApiClient(personas.admin)
    response = api.post("/webhooks", {"name": "ERP", "url": "ftp://x.example.com", "events": []})
    assert response.status_code == 422
    assert errors(response) == {"url": [URL_MESSAGE], "events": ["Choose at least one event."]}
    response = api.post("/webhooks", {"name": "ERP", "url": "https://x.example.com",
                                      "events": ["deal.won", "nope"]})  # fmt: skip
    assert errors(response) == {"events": ["Unknown events: nope."]}
    response = api.post("/webhooks", {"name": "ERP", "events": ["deal.won"]})
    assert response.status_code == 422
    assert list(errors(response)) == ["url"]
    assert Webhook.objects.count() == 0


def test_the_list_and_one_webhook(personas, webhook, django_assert_max_num_queries):
    make_webhook(personas.admin, "https://crm2.example.com", ["deal.lost"], name="Архив")
    api = ApiClient(personas.admin)
    with django_assert_max_num_queries(6):
        response = api.get("/webhooks")
    body = response.json()
    assert [w["name"] for w in body["items"]] == ["ERP", "Архив"]
    assert (body["count"], body["next_cursor"]) == (2, None)
    one = api.get(f"/webhooks/{webhook.pk}").json()
    assert (one["id"], one["secret"]) == (webhook.pk, webhook.secret)
    assert api.get("/webhooks/999").status_code == 404


def test_patch_changes_fields_and_switching_on_forgets_failures(personas, webhook):
    Webhook.objects.update(is_active=False, consecutive_failures=10, disabled_reason="failures")
    api = ApiClient(personas.admin)
    response = api.patch(
        f"/webhooks/{webhook.pk}", {"version": 1, "is_active": True, "events": ["deal.lost"]}
    )
    assert response.status_code == 200
    body = response.json()
    assert {k: body[k] for k in ("events", "is_active", "consecutive_failures", "version")} == {
        "events": ["deal.lost"], "is_active": True, "consecutive_failures": 0, "version": 2,
    }  # fmt: skip
    stale = api.patch(f"/webhooks/{webhook.pk}", {"version": 1, "name": "Другое"})
    assert stale.status_code == 409
    assert stale.json()["current_version"] == 2
    bad = api.patch(f"/webhooks/{webhook.pk}", {"version": 2, "url": "mailto:a@b.c"})
    assert errors(bad) == {"url": [URL_MESSAGE]}
    assert Webhook.objects.get().name == "ERP"


def test_delete_needs_the_current_version(personas, webhook):
    api = ApiClient(personas.admin)
    assert api.delete(f"/webhooks/{webhook.pk}", version=7).status_code == 409
    assert api.delete(f"/webhooks/{webhook.pk}", version=1).status_code == 204
    assert Webhook.objects.count() == 0


def test_the_deliveries_of_a_webhook_newest_first_by_status(
    personas, webhook, django_assert_max_num_queries
):
    made = [services.webhook_send_test(actor=personas.admin, webhook=webhook) for _ in range(3)]
    WebhookDelivery.objects.filter(pk=made[1].pk).update(
        status="failed", attempts=1, response_status=500, error=""
    )
    api = ApiClient(personas.admin)
    with django_assert_max_num_queries(7):
        body = api.get(f"/webhooks/{webhook.pk}/deliveries").json()
    assert [d["id"] for d in body["items"]] == [made[2].pk, made[1].pk, made[0].pk]
    failed = api.get(f"/webhooks/{webhook.pk}/deliveries", status="failed").json()["items"]
    assert failed == [
        {
            "id": made[1].pk,
            "uuid": str(made[1].uuid),
            "event": "ping",
            "status": "failed",
            "is_manual": True,
            "attempts": 1,
            "response_status": 500,
            "duration_ms": None,
            "error": "",
            "created_at": failed[0]["created_at"],
            "last_attempt_at": None,
            "next_attempt_at": failed[0]["next_attempt_at"],
            "delivered_at": None,
        }
    ]
    assert api.get(f"/webhooks/{webhook.pk}/deliveries", status="odd").status_code == 422
    assert api.get("/webhooks/999/deliveries").status_code == 404


@pytest.mark.parametrize("who", NOT_ADMINS)
def test_anyone_but_an_administrator_is_answered_403_and_nothing_changes(personas, webhook, who):
    services.webhook_send_test(actor=personas.admin, webhook=webhook)
    before = state()
    api = ApiClient(getattr(personas, who))
    answers = [
        api.get("/webhooks"),
        api.get(f"/webhooks/{webhook.pk}"),
        api.get("/webhooks/999"),
        api.post(
            "/webhooks", {"name": "X", "url": "https://x.example.com", "events": ["deal.won"]}
        ),
        api.patch(f"/webhooks/{webhook.pk}", {"version": 1, "url": "https://evil.example.com"}),
        api.delete(f"/webhooks/{webhook.pk}", version=1),
        api.get(f"/webhooks/{webhook.pk}/deliveries"),
    ]
    assert [a.status_code for a in answers] == [403] * 7
    assert answers[0].json() == {"detail": "Only an administrator manages webhooks."}
    assert state() == before


def test_without_credentials_the_answer_is_401(webhook):
    assert ApiClient().get("/webhooks").status_code == 401
