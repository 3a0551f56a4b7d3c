"""A manager's path through the sales pages in a real browser: company, deal, board, card."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.conftest import PASSWORD

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def log_in(page: Page, base: str, username: str) -> None:
    page.goto(f"{base}/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.press("input[name=password]", "Enter")
    # A manager starts on My day; everyone else on the board.
    page.wait_for_url(re.compile(r"/(activities/my-day|sales/board)/$"))


def drag(page: Page, source, target) -> None:
    """SortableJS follows real pointer moves: press, travel in steps, release."""
    start = source.bounding_box()
    end = target.bounding_box()
    page.mouse.move(start["x"] + start["width"] / 2, start["y"] + start["height"] / 2)
    page.mouse.down()
    page.mouse.move(start["x"] + start["width"] / 2 + 10, start["y"] + start["height"] / 2, steps=5)
    page.mouse.move(end["x"] + end["width"] / 2, end["y"] + 40, steps=25)
    page.mouse.up()


def test_a_manager_creates_a_deal_and_drags_it_to_the_next_stage(
    page: Page, live_server, transactional_db, personas, stages
):
    base = live_server.url
    log_in(page, base, "alice")

    # A company through the company form.
    page.goto(f"{base}/clients/companies/new/")
    page.fill("input[name=name]", "ООО Браузерные Технологии")
    page.locator("form:has(input[name=name]) button[type=submit]").first.click()
    page.wait_for_url(re.compile(r"/clients/companies/\d+/$"))

    # A deal for it through the deal form, finding the client by typing.
    page.goto(f"{base}/sales/deals/new/")
    page.fill("input[name=title]", "Поставка ноутбуков")
    with page.expect_response(re.compile(r"/sales/deals/clients/")):
        page.fill("input[name=client_q]", "браузерн")
    expect(page.locator("select[name=client]")).to_have_value(re.compile(r"^company:\d+$"))
    page.fill("input[name=amount]", "125000")
    page.locator("form.deal-form button[type=submit]").click()
    page.wait_for_url(re.compile(r"/sales/deals/\d+/$"))
    deal_url = page.url
    deal_id = re.search(r"/deals/(\d+)/$", deal_url).group(1)
    expect(page.locator("h1")).to_have_text("Поставка ноутбуков")

    # The board: drag the card from «Новая» to «Квалификация».
    page.goto(f"{base}/sales/board/")
    card = page.locator(f"#deal-card-{deal_id}")
    new_column = page.locator(f".board-cards[data-stage-id='{stages['new'].pk}']")
    next_column = page.locator(f".board-cards[data-stage-id='{stages['qualification'].pk}']")
    expect(new_column.locator(f"#deal-card-{deal_id}")).to_be_visible()
    with page.expect_response(re.compile(rf"/sales/deals/{deal_id}/move/")) as answer:
        drag(page, card, next_column)
    assert answer.value.status == 200
    expect(next_column.locator(f"#deal-card-{deal_id}")).to_have_attribute("data-version", "2")
    head = page.locator(f"#board-head-{stages['qualification'].pk}")
    expect(head.locator(".board-count")).to_have_text("1")
    expect(head.locator(".board-total")).to_have_text("125\u00a0000,00\u00a0₽")
    expect(page.locator(f"#board-head-{stages['new'].pk} .board-count")).to_have_text("0")

    # The deal card remembers the move.
    page.goto(deal_url)
    expect(page.locator(".stage-history li").first).to_contain_text("Новая")
    expect(page.locator(".stage-history li").first).to_contain_text("Квалификация")
    expect(page.locator(".stagebar-step.current")).to_have_text("Квалификация")
    expect(page.locator("section.history")).to_contain_text("Квалификация")


def test_a_refused_move_puts_the_card_back_and_says_why(
    page: Page, live_server, transactional_db, personas, stages
):
    from tests import factories

    deal = factories.deal(personas.alice, title="Спорная сделка")
    base = live_server.url
    log_in(page, base, "alice")
    page.goto(f"{base}/sales/board/")
    # Someone else changes the deal after the board was opened: the move is stale.
    from voronka.sales import services

    services.deal_update(actor=personas.lead, deal=deal, version=1, data={"title": "Правка"})
    new_column = page.locator(f".board-cards[data-stage-id='{stages['new'].pk}']")
    target = page.locator(f".board-cards[data-stage-id='{stages['proposal'].pk}']")
    with page.expect_response(re.compile(rf"/sales/deals/{deal.pk}/move/")) as answer:
        drag(page, page.locator(f"#deal-card-{deal.pk}"), target)
    assert answer.value.status == 409
    expect(new_column.locator(f"#deal-card-{deal.pk}")).to_be_visible()
    expect(page.locator("#toast-area")).to_contain_text("изменил кто-то другой")


def test_dropping_on_won_asks_for_the_final_amount_and_lost_can_be_cancelled(
    page: Page, live_server, transactional_db, personas, stages
):
    from tests import factories
    from voronka.sales.models import Deal

    won_deal = factories.deal(personas.alice, title="Почти наша")
    kept = factories.deal(personas.alice, title="Ещё думают")
    base = live_server.url
    log_in(page, base, "alice")
    page.goto(f"{base}/sales/board/")
    won_column = page.locator(f".board-cards[data-stage-id='{stages['won'].pk}']")
    lost_column = page.locator(f".board-cards[data-stage-id='{stages['lost'].pk}']")
    new_column = page.locator(f".board-cards[data-stage-id='{stages['new'].pk}']")

    drag(page, page.locator(f"#deal-card-{won_deal.pk}"), won_column)
    modal = page.locator("#board-won-modal")
    expect(modal).to_be_visible()
    expect(modal.locator("input[name=amount]")).to_have_value("10000.00")
    modal.locator("input[name=amount]").fill("12500")
    with page.expect_response(re.compile(rf"/sales/deals/{won_deal.pk}/move/")) as answer:
        modal.locator("button[type=submit]").click()
    assert answer.value.status == 200
    expect(modal).to_be_hidden()
    expect(page.locator(".modal-backdrop")).to_have_count(0)  # it fades out after the modal
    expect(won_column.locator(f"#deal-card-{won_deal.pk}")).to_be_visible()
    won_deal = Deal.objects.get(pk=won_deal.pk)
    assert (won_deal.status, str(won_deal.amount)) == ("won", "12500.00")

    drag(page, page.locator(f"#deal-card-{kept.pk}"), lost_column)
    lost = page.locator("#board-lost-modal")
    expect(lost).to_be_visible()
    lost.locator("button.btn-outline-secondary").click()
    expect(lost).to_be_hidden()
    expect(new_column.locator(f"#deal-card-{kept.pk}")).to_be_visible()
    assert Deal.objects.get(pk=kept.pk).version == 1
