"""The head of sales' Monday in a real browser: the dashboard, the funnel, a click on a tile."""

from __future__ import annotations

import os
import re
from decimal import Decimal
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests import factories
from tests.conftest import PASSWORD
from voronka.sales import services

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

# Where to save a screenshot for a person to look at (VORONKA_SHOTS=/some/dir), if anywhere.
SHOTS = os.environ.get("VORONKA_SHOTS")


def test_the_head_of_sales_reads_the_dashboard_and_drills_into_won_deals(
    page: Page, live_server, transactional_db, personas, stages, lost_reason
):
    alice, bob = personas.alice, personas.bob
    won = factories.deal(alice, title="Поставка станков", amount=Decimal("120000"))
    services.deal_move_stage(actor=alice, deal=won, stage=stages["won"], version=won.version)
    lost = factories.deal(bob, title="Прессы", amount=Decimal("50000"))
    services.deal_move_stage(
        actor=bob, deal=lost, stage=stages["lost"], version=lost.version, lost_reason=lost_reason
    )
    factories.deal(bob, title="Открытая сделка")
    base = live_server.url

    page.goto(f"{base}/accounts/login/")
    page.fill("input[name=username]", "head")
    page.fill("input[name=password]", PASSWORD)
    page.press("input[name=password]", "Enter")
    # The head of sales starts the day on the dashboard.
    page.wait_for_url(re.compile(r"/analytics/$"))

    expect(page.locator("html")).to_have_attribute("lang", "ru")
    expect(page.locator("#dash-funnel-chart canvas")).to_have_count(1)
    expect(page.locator("#dash-revenue-chart canvas")).to_have_count(1)
    tile = page.locator("#tile-won_revenue")
    expect(tile).to_contain_text("120\u00a0000,00\u00a0₽")
    expect(page.locator("#dash-table-leaderboard")).to_contain_text("Алиса Иванова")
    if SHOTS:
        page.set_viewport_size({"width": 1440, "height": 900})
        page.screenshot(path=str(Path(SHOTS) / "e2e-dashboard.png"), full_page=True)

    tile.locator("a").click()
    page.wait_for_url(re.compile(r"/sales/deals/\?.*status=won"))
    expect(page.locator("body")).to_contain_text("Поставка станков")
    expect(page.locator("body")).not_to_contain_text("Открытая сделка")
