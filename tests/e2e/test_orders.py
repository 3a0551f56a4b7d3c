"""A manager makes an order of a won deal and takes it to delivered; the client's e-mails
arrive at a real SMTP server and their link opens the order's public status page.

The whole path in a real browser against the live server: Huey runs in immediate mode,
so each status e-mail leaves in-process when the move's transaction commits, before
the card comes back. Selectors are form actions, field names and button values.
"""

from __future__ import annotations

import re
from decimal import Decimal
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Page, expect

from tests.conftest import PASSWORD
from tests.orders.conftest import (  # noqa: F401 - fixtures
    catalogue,
    client_company,
    mail_server,
    smtp_settings,
    won_deal,
)
from voronka.orders.models import Order, StatusChange
from voronka.service.models import Survey

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

WAY = ["confirmed", "paid", "assembled", "shipped", "delivered"]
# The default settings e-mail the client on these.
MAILED = ["confirmed", "paid", "shipped", "delivered"]


def log_in(page: Page, base: str, username: str, next_path: str) -> None:
    page.goto(f"{base}/accounts/login/?next={next_path}")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.press("input[name=password]", "Enter")
    page.wait_for_url(f"{base}{next_path}")


def test_a_won_deal_becomes_an_order_that_goes_to_delivered_and_the_client_is_told(
    page: Page, new_context, live_server, personas,
    won_deal, smtp_settings, mail_server,  # noqa: F811 - the fixtures
):  # fmt: skip
    base = live_server.url
    deal_path = f"/sales/deals/{won_deal.pk}/"
    log_in(page, base, "alice", deal_path)

    # The won deal offers to make its order; one click does it.
    page.locator(f"form[action='/orders/from-deal/{won_deal.pk}/'] button[type=submit]").click()
    page.wait_for_url(re.compile(rf"{re.escape(base)}/orders/\d+/$"))
    order = Order.objects.get(deal=won_deal)
    assert order.total == Decimal("16050.00") == won_deal.amount
    expect(page.locator("h1")).to_contain_text(order.number)

    # Along the workflow with the card's buttons.
    for status in WAY:
        page.locator(f"form.order-status-form button[name=status][value={status}]").click()
        page.wait_for_url(f"{base}/orders/{order.pk}/")
        order.refresh_from_db()
        assert order.status == status, status
    # Delivered: the only way on is a return.
    expect(page.locator("form.order-status-form button[name=status]")).to_have_count(1)
    expect(page.locator("form.order-status-form button[name=status]")).to_have_attribute(
        "value", "returned"
    )

    order.refresh_from_db()
    assert order.payment_status == "paid" and order.delivered_at is not None
    changes = list(StatusChange.objects.filter(order=order).order_by("changed_at", "pk"))
    assert [c.to_status for c in changes] == ["new", *WAY]
    assert {c.changed_by_id for c in changes} == {personas.alice.pk}
    mailed = {c.to_status: c for c in changes if c.email_status != "none"}
    assert sorted(mailed) == sorted(MAILED)
    assert {c.email_status for c in mailed.values()} == {"sent"}

    # Every chosen move reached the client, in Russian, each naming the order; the
    # delivery also sent the satisfaction survey, in the same thread.
    received = [r for r in mail_server.received() if r.rcpt_tos == ["petr@romashka.example"]]
    ids = {str(r.message["Message-ID"]): r for r in received}
    survey = Survey.objects.get(order=order)
    assert sorted(ids) == sorted(
        [f"<order-{order.pk}-change-{c.pk}@voronka>" for c in mailed.values()]
        + [f"<survey-{survey.pk}@voronka>"]
    )
    assert str(ids[f"<survey-{survey.pk}@voronka>"].message["In-Reply-To"]) == (
        f"<order-{order.pk}@voronka>"
    )
    last = ids[f"<order-{order.pk}-change-{mailed['delivered'].pk}@voronka>"]
    assert str(last.message["Subject"]).strip() == f"Заказ № {order.number}: Доставлен"
    [link] = re.findall(r"https?://\S+", last.message.get_content())
    path = urlsplit(link).path
    assert path.startswith("/orders/status/")

    # The client opens the link without a login and sees their order, delivered.
    client = new_context().new_page()
    client.goto(f"{base}{path}")
    expect(client.locator("body")).to_contain_text(order.number)
    expect(client.locator("body")).to_contain_text("Стул офисный")
    expect(client.locator("body")).not_to_contain_text("Алиса Иванова")  # only a first name
    # A link altered by one character is refused.
    broken = client.goto(f"{base}{path[:-2]}x/")
    assert broken is not None and broken.status == 400
