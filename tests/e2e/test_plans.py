"""The head of sales fills in the plan grid like a spreadsheet, in a real browser."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal
from urllib.parse import quote

import pytest
from playwright.sync_api import Page, expect

from tests.conftest import PASSWORD
from voronka.analytics.models import SalesPlan
from voronka.analytics.services import plan_set

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

GRID = "/analytics/plans/?metric=won_revenue&year=2025&kind=month&q=1"


def open_grid(page: Page, base: str, username: str) -> None:
    """Log in straight to the grid (the login page sends a person on to ``next``)."""
    page.goto(f"{base}/accounts/login/?next={quote(GRID)}")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.press("input[name=password]", "Enter")
    page.wait_for_url(re.compile(r"/analytics/plans/\?"))


def test_the_head_fills_two_cells_with_the_keyboard_and_saves_the_grid(
    page: Page, live_server, transactional_db, personas
):
    alice = personas.alice
    base = live_server.url
    open_grid(page, base, "head")

    january = page.locator(f"#plan-m{alice.pk}-2025-01-01")
    january.click()
    page.keyboard.type("150000")
    page.keyboard.press("Tab")
    february = page.locator(f"#plan-m{alice.pk}-2025-02-01")
    expect(february).to_be_focused()
    page.keyboard.type("90 000,50")

    with page.expect_response(re.compile(r"/analytics/plans/$")) as answer:
        page.locator("#plan-save").click()
    assert answer.value.status == 200
    expect(page.locator("#plan-saved")).to_be_visible()
    expect(page.locator(f"#plan-m{alice.pk}-2025-02-01")).to_have_value("90000.50")
    assert sorted(
        SalesPlan.objects.filter(manager=alice).values_list("period_start", "target")
    ) == [(date(2025, 1, 1), Decimal("150000.00")), (date(2025, 2, 1), Decimal("90000.50"))]


def test_a_target_changed_meanwhile_is_not_overwritten_and_the_input_is_kept(
    page: Page, live_server, transactional_db, personas
):
    alice = personas.alice
    plan_set(actor=personas.head, metric="won_revenue", period_kind="month",
             period_start=date(2025, 3, 1), manager=alice, target="100")  # fmt: skip
    base = live_server.url
    open_grid(page, base, "head")
    # The team lead changes the same target after the grid was opened.
    plan_set(actor=personas.lead, metric="won_revenue", period_kind="month",
             period_start=date(2025, 3, 1), manager=alice, target="200", version=1)  # fmt: skip

    march = page.locator(f"#plan-m{alice.pk}-2025-03-01")
    march.fill("300")
    with page.expect_response(re.compile(r"/analytics/plans/$")) as answer:
        page.locator("#plan-save").click()
    assert answer.value.status == 409
    expect(page.locator("#plan-conflict")).to_be_visible()
    expect(page.locator(f"#plan-m{alice.pk}-2025-03-01")).to_have_value("300")
    assert SalesPlan.objects.get(manager=alice).target == Decimal("200.00")
