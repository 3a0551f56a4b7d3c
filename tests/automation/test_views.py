"""The webhook pages: administrators only, forms that name their fields, the delivery log."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from tests.automation.conftest import make_webhook
from voronka.automation import services
from voronka.automation.models import Webhook, WebhookDelivery

NOT_ADMINS = ["head", "lead", "alice", "bob", "support", "outsider"]
URL_MESSAGE = "Target URL: enter a full web address starting with http:// or https://."


def as_(client, person):
    """Signed in as ``person``, reading English (messages compare exactly)."""
    client.force_login(person)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


def state():
    """Everything a refused request must leave as it was."""
    return (
        list(Webhook.objects.order_by("pk").values()),
        list(WebhookDelivery.objects.order_by("pk").values("pk", "status", "attempts")),
    )


@pytest.fixture
def webhook(personas):
    return make_webhook(personas.admin, "http://127.0.0.1:9/hooks", ["deal.won"], name="ERP")


@pytest.fixture
def delivery(personas, webhook):
    return services.webhook_send_test(actor=personas.admin, webhook=webhook)  # not committed


def page_urls(webhook, delivery):
    return [
        reverse("automation:webhook-list"),
        reverse("automation:webhook-create"),
        reverse("automation:webhook-detail", args=[webhook.pk]),
        reverse("automation:webhook-edit", args=[webhook.pk]),
        reverse("automation:webhook-delete", args=[webhook.pk]),
        reverse("automation:delivery-list", args=[webhook.pk]),
        reverse("automation:delivery-detail", args=[delivery.pk]),
    ]


def action_posts(webhook, delivery):
    data = {"name": "Взлом", "url": "https://evil.example.com", "events": ["deal.won"],
            "is_active": "on", "version": webhook.version}  # fmt: skip
    return [
        (reverse("automation:webhook-create"), data),
        (reverse("automation:webhook-edit", args=[webhook.pk]), data),
        (reverse("automation:webhook-delete", args=[webhook.pk]), {"version": webhook.version}),
        (reverse("automation:webhook-secret", args=[webhook.pk]), {"version": webhook.version}),
        (reverse("automation:webhook-activate", args=[webhook.pk]), {"version": webhook.version}),
        (reverse("automation:webhook-test", args=[webhook.pk]), {}),
        (reverse("automation:delivery-resend", args=[delivery.pk]), {}),
    ]


# --- Who may -----------------------------------------------------------------------------


@pytest.mark.parametrize("who", NOT_ADMINS)
def test_nobody_but_an_administrator_opens_a_webhook_page(client, personas, webhook, delivery, who):
    as_(client, getattr(personas, who))
    for url in page_urls(webhook, delivery):
        assert client.get(url).status_code == 403, url


@pytest.mark.parametrize("who", NOT_ADMINS)
def test_nobody_but_an_administrator_changes_a_webhook_and_nothing_changes(
    client, personas, webhook, delivery, who
):
    before = state()
    as_(client, getattr(personas, who))
    for url, data in action_posts(webhook, delivery):
        assert client.post(url, data).status_code == 403, url
    assert state() == before


def test_a_visitor_who_is_not_signed_in_is_sent_to_the_login_page(client, webhook, delivery):
    before = state()
    for url in page_urls(webhook, delivery):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("accounts:login"))
    for url, data in action_posts(webhook, delivery):
        assert client.post(url, data).status_code == 302
    assert state() == before


def test_an_administrator_opens_every_page(client, personas, webhook, delivery):
    as_(client, personas.admin)
    for url in page_urls(webhook, delivery):
        assert client.get(url).status_code == 200, url


def test_a_missing_webhook_or_delivery_is_not_found(client, personas):
    as_(client, personas.admin)
    assert client.get(reverse("automation:webhook-detail", args=[999])).status_code == 404
    assert client.get(reverse("automation:delivery-detail", args=[999])).status_code == 404
    assert client.post(reverse("automation:webhook-test", args=[999])).status_code == 404


# --- The list ----------------------------------------------------------------------------


def test_the_list_says_what_to_do_when_there_are_no_webhooks(client, personas):
    response = as_(client, personas.admin).get(reverse("automation:webhook-list"))
    assert response.status_code == 200
    assert "No webhooks yet." in response.content.decode()


def test_the_list_shows_each_webhook_in_a_fixed_number_of_queries(
    client, personas, django_assert_max_num_queries
):
    as_(client, personas.admin)
    for n in range(3):
        hook = make_webhook(
            personas.admin, f"https://erp.example.com/{n}", ["deal.won"], name=f"W{n}"
        )
        services.webhook_send_test(actor=personas.admin, webhook=hook)
    with django_assert_max_num_queries(8):
        response = client.get(reverse("automation:webhook-list"))
    assert [w.name for w in response.context["webhooks"]] == ["W0", "W1", "W2"]
    assert [w.last_delivery_status for w in response.context["webhooks"]] == ["pending"] * 3
    for n in range(3, 20):
        make_webhook(personas.admin, f"https://erp.example.com/{n}", ["deal.won"], name=f"W{n:02}")
    with django_assert_max_num_queries(8):
        response = client.get(reverse("automation:webhook-list"))
    assert len(response.context["webhooks"]) == 20


def test_the_list_is_in_russian_for_a_russian_reader(client, personas, webhook):
    client.force_login(personas.admin)
    response = client.get(reverse("automation:webhook-list"), headers={"accept-language": "ru"})
    text = response.content.decode()
    assert "Вебхуки" in text
    assert "Новый вебхук" in text


# --- The form ----------------------------------------------------------------------------


def test_an_administrator_creates_a_webhook_and_sees_its_secret(client, personas):
    as_(client, personas.admin)
    response = client.post(
        reverse("automation:webhook-create"),
        {"name": "ERP", "url": "https://erp.example.com/in", "events": ["deal.won", "lead.created"],
         "is_active": "on"},
    )  # fmt: skip
    webhook = Webhook.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("automation:webhook-detail", args=[webhook.pk])
    assert (webhook.name, webhook.url, webhook.events, webhook.is_active) == (
        "ERP", "https://erp.example.com/in", ["deal.won", "lead.created"], True,
    )  # fmt: skip
    page = client.get(response["Location"]).content.decode()
    assert webhook.secret in page


def test_a_bad_address_is_refused_with_a_message_next_to_the_url_field(client, personas):
    as_(client, personas.admin)
    response = client.post(
        reverse("automation:webhook-create"),
        {"name": "ERP", "url": "ftp://erp.example.com/in", "events": []},
    )
    assert response.status_code == 422
    assert response.context["form"].errors == {
        "url": [URL_MESSAGE],
        "events": ["Choose at least one event."],
    }
    html = response.content.decode()
    assert 'id="id_url_error">Target URL: enter a full web address' in html
    assert 'aria-describedby="id_events_help id_events_error"' in html
    assert Webhook.objects.count() == 0


def test_the_form_refuses_a_post_without_the_csrf_token(personas):
    client = as_(Client(enforce_csrf_checks=True), personas.admin)
    data = {"name": "ERP", "url": "https://erp.example.com/in", "events": ["deal.won"]}
    response = client.post(reverse("automation:webhook-create"), data)
    assert response.status_code == 403
    assert Webhook.objects.count() == 0
    client.get(reverse("automation:webhook-create"))
    token = client.cookies["csrftoken"].value
    response = client.post(
        reverse("automation:webhook-create"), {**data, "csrfmiddlewaretoken": token}
    )
    assert response.status_code == 302
    assert Webhook.objects.count() == 1


def test_editing_changes_the_events_and_a_stale_form_is_told_so(client, personas, webhook):
    as_(client, personas.admin)
    url = reverse("automation:webhook-edit", args=[webhook.pk])
    assert client.get(url).context["form"].initial["events"] == ["deal.won"]
    data = {"name": "ERP 2", "url": webhook.url, "events": ["deal.lost"], "is_active": "on",
            "version": 1}  # fmt: skip
    assert client.post(url, data).status_code == 302
    response = client.post(url, {**data, "name": "ERP 3"})
    assert response.status_code == 422
    assert response.context["form"].non_field_errors() == [
        "This record was changed by someone else while you were editing it. "
        "Reload it to see their changes; your changes were not saved."
    ]
    webhook.refresh_from_db()
    assert (webhook.name, webhook.events, webhook.version) == ("ERP 2", ["deal.lost"], 2)


def test_unticking_active_switches_the_webhook_off(client, personas, webhook):
    as_(client, personas.admin)
    data = {"name": "ERP", "url": webhook.url, "events": ["deal.won"], "version": 1}
    client.post(reverse("automation:webhook-edit", args=[webhook.pk]), data)
    webhook.refresh_from_db()
    assert (webhook.is_active, webhook.disabled_reason) == (False, "by_hand")


# --- The card's actions ------------------------------------------------------------------


def test_regenerate_makes_a_new_secret(client, personas, webhook):
    old = webhook.secret
    as_(client, personas.admin)
    response = client.post(
        reverse("automation:webhook-secret", args=[webhook.pk]), {"version": webhook.version}
    )
    assert response.status_code == 302
    webhook.refresh_from_db()
    assert webhook.secret != old
    assert webhook.secret in client.get(response["Location"]).content.decode()


def test_a_webhook_switched_off_after_failures_says_why_and_switches_on_again(
    client, personas, webhook
):
    Webhook.objects.update(
        is_active=False, consecutive_failures=10, disabled_reason="failures",
        disabled_at="2030-03-10T12:00:00+00:00", version=5,
    )  # fmt: skip
    as_(client, personas.admin)
    url = reverse("automation:webhook-detail", args=[webhook.pk])
    html = client.get(url, headers={"accept-language": "en"}).content.decode()
    assert "after 10 failed deliveries in a row" in html
    response = client.post(
        reverse("automation:webhook-activate", args=[webhook.pk]), {"version": 5}
    )
    assert response.status_code == 302
    webhook.refresh_from_db()
    assert (webhook.is_active, webhook.consecutive_failures, webhook.disabled_reason) == (
        True, 0, "",
    )  # fmt: skip


def test_send_test_posts_a_ping_and_shows_the_delivery(
    client, personas, receiver, django_capture_on_commit_callbacks
):
    hook = make_webhook(personas.admin, receiver.url, ["deal.won"], receiver)
    as_(client, personas.admin)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("automation:webhook-test", args=[hook.pk]))
    delivery = WebhookDelivery.objects.get()
    assert response["Location"] == reverse("automation:delivery-detail", args=[delivery.pk])
    assert [r.headers["X-Voronka-Event"] for r in receiver.requests] == ["ping"]
    html = client.get(response["Location"]).content.decode()
    assert f"X-Voronka-Delivery: {delivery.uuid}" in html
    assert "HTTP 200" in html
    assert "This is a test delivery from Voronka." in html


def test_resend_makes_a_new_delivery_of_the_same_event(client, personas, webhook, delivery):
    as_(client, personas.admin)
    response = client.post(reverse("automation:delivery-resend", args=[delivery.pk]))
    resent = WebhookDelivery.objects.exclude(pk=delivery.pk).get()
    assert response["Location"] == reverse("automation:delivery-detail", args=[resent.pk])
    assert (resent.event, resent.resent_from_id, resent.status) == ("ping", delivery.pk, "pending")


def test_deleting_asks_first_then_deletes(client, personas, webhook, delivery):
    as_(client, personas.admin)
    url = reverse("automation:webhook-delete", args=[webhook.pk])
    assert "Delete the webhook «ERP»?" in client.get(url).content.decode()
    assert Webhook.objects.count() == 1
    response = client.post(url, {"version": webhook.version})
    assert response["Location"] == reverse("automation:webhook-list")
    assert (Webhook.objects.count(), WebhookDelivery.objects.count()) == (0, 0)


# --- The delivery log --------------------------------------------------------------------


def _deliveries(personas, webhook, n):
    made = [services.webhook_send_test(actor=personas.admin, webhook=webhook) for _ in range(n)]
    WebhookDelivery.objects.filter(pk__in=[d.pk for d in made[::2]]).update(
        status="failed", attempts=1, response_status=500
    )
    return made


def test_the_log_lists_deliveries_newest_first_in_a_fixed_number_of_queries(
    client, personas, webhook, settings, django_assert_max_num_queries
):
    settings.VORONKA_PAGE_SIZE = 4
    made = _deliveries(personas, webhook, 6)
    as_(client, personas.admin)
    url = reverse("automation:delivery-list", args=[webhook.pk])
    with django_assert_max_num_queries(9):
        response = client.get(url)
    page = response.context["page"]
    assert [d.pk for d in page.items] == [d.pk for d in made[::-1][:4]]
    assert page.total == 6
    following = client.get(url, {"cursor": page.next_cursor}).context["page"]
    assert [d.pk for d in following.items] == [made[1].pk, made[0].pk]
    _deliveries(personas, webhook, 20)
    with django_assert_max_num_queries(9):
        client.get(url)


def test_the_log_filters_by_status(client, personas, webhook):
    made = _deliveries(personas, webhook, 5)
    as_(client, personas.admin)
    url = reverse("automation:delivery-list", args=[webhook.pk])
    failed = client.get(url, {"status": "failed"}).context["page"].items
    assert [d.pk for d in failed] == [made[4].pk, made[2].pk, made[0].pk]
    delivered = client.get(url, {"status": "delivered"})
    assert delivered.context["page"].items == []
    assert "No deliveries in this status." in delivered.content.decode()
    # A status that does not exist shows everything rather than failing.
    assert len(client.get(url, {"status": "nonsense"}).context["page"].items) == 5


def test_the_log_of_another_webhook_shows_none_of_these(client, personas, webhook, delivery):
    other = make_webhook(personas.admin, "https://erp.example.com/2", ["deal.won"], name="B")
    as_(client, personas.admin)
    page = client.get(reverse("automation:delivery-list", args=[other.pk])).context["page"]
    assert page.items == []
