"""The order pages in a real browser: quick entry with the product search and the live
totals, then the board's drag and drop, allowed and refused.

``VORONKA_SCREENSHOTS=/some/dir`` keeps a screenshot of each page there.
"""

from __future__ import annotations

import os
import re
from decimal import Decimal

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import (  # noqa: F401 - the browser set up as for every e2e test
    CHROMIUM,
    browser_context_args,
    browser_type_launch_args,
)
from tests.e2e.test_board import drag, log_in
from voronka.orders.models import Order

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def shot(page: Page, name: str) -> None:
    folder = os.environ.get("VORONKA_SCREENSHOTS")
    if folder:
        page.screenshot(path=os.path.join(folder, f"{name}.png"), full_page=True)


def test_a_manager_takes_an_order_and_moves_it_on_the_board(
    page: Page, live_server, transactional_db, personas, catalogue
):
    from tests import factories

    if not CHROMIUM:
        pytest.skip("no Chromium")
    factories.company(personas.alice, name="ООО Браузерная мебель")
    base = live_server.url
    log_in(page, base, "alice")

    # Quick entry: the client by typing, two products by the search and the keyboard.
    page.goto(f"{base}/orders/new/")
    with page.expect_response(re.compile(r"/sales/deals/clients/")):
        page.fill("input[name=client_q]", "браузерн")
    expect(page.locator("select[name=client]")).to_have_value(re.compile(r"^company:\d+$"))
    search = page.locator("#product-search")
    search.fill("стул")
    expect(page.locator("#product-results .product-option")).to_have_count(1)
    search.press("Enter")
    expect(page.locator("input[name=lines-0-name]")).to_have_value("Стул офисный")
    page.fill("input[name=lines-0-quantity]", "2")
    search.fill("TB-2")
    expect(page.locator("#product-results .product-option")).to_have_count(1)
    search.press("ArrowDown")
    search.press("Enter")
    expect(page.locator("input[name=lines-1-sku]")).to_have_value("TB-2")
    # 2 × 1 500 + 12 000, counted by the server while typing.
    expect(page.locator("[data-total=total]")).to_contain_text("15")
    expect(page.locator("#line-amount-0")).to_contain_text("3")
    shot(page, "order-entry")
    page.locator("form#order-entry button[type=submit]:not([name])").click()
    page.wait_for_url(re.compile(r"/orders/\d+/$"))
    order = Order.objects.get()
    assert order.total == Decimal("15000.00")
    shot(page, "order-card")

    # The board: a refused drag puts the card back with the reason; an allowed one moves.
    page.goto(f"{base}/orders/board/")
    card = page.locator(f"#order-card-{order.pk}")
    drag(page, card, page.locator("#order-column-shipped .board-cards"))
    expect(page.locator("#toast-area .toast")).to_have_count(1)
    expect(page.locator(f"#order-column-new #order-card-{order.pk}")).to_have_count(1)
    assert Order.objects.get().status == "new"
    # The card came back: wait until it stands still (hover waits for a stable box)
    # before pressing on it again.
    expect(page.locator(".board-card.is-saving")).to_have_count(0)
    page.locator(f"#order-card-{order.pk}").hover()
    drag(page, page.locator(f"#order-card-{order.pk}"),
         page.locator("#order-column-confirmed .board-cards"))  # fmt: skip
    expect(page.locator(f"#order-column-confirmed #order-card-{order.pk}")).to_have_count(1)
    expect(page.locator("#order-head-confirmed .board-count")).to_have_text("1")
    assert Order.objects.get().status == "confirmed"
    shot(page, "order-board")

    page.goto(f"{base}/orders/")
    expect(page.locator(".order-table tbody tr")).to_have_count(1)
    shot(page, "order-list")
