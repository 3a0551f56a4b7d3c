"""A manager logs a call from a client card and sees it on the timeline, without a reload."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests import factories
from tests.e2e.test_board import log_in
from voronka.activities.models import Activity, Task

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_a_manager_logs_a_call_and_the_next_step_from_the_company_card(
    page: Page, live_server, transactional_db, personas, stages
):
    company = factories.company(personas.alice, name="ООО Звонкие Технологии")
    base = live_server.url
    log_in(page, base, "alice")
    page.goto(f"{base}/clients/companies/{company.pk}/")
    expect(page.locator("#timeline")).to_contain_text("Взаимодействий пока не было.")
    expect(page.locator("#timeline-summary")).to_contain_text("Контактов ещё не было")
    page.evaluate("window.notReloaded = true")

    form = page.locator("#quick-add")
    expect(form.locator("#qa-kind-call")).to_be_checked()
    expect(form.locator("#qa-starts_at")).to_be_hidden()  # meeting fields wait for their tab
    form.locator("label[for=qa-direction-in]").click()
    form.locator("#qa-outcome").select_option("reached")
    form.locator("#qa-duration").fill("4:05")
    form.locator("#qa-body").fill("Обсудили поставку\nЖдут КП до пятницы")
    form.locator("#qa-next_title").fill("Отправить КП")
    form.locator("#qa-next_due").fill("2030-03-10T11:00")
    with page.expect_response(re.compile(r"/activities/log/")) as answer:
        form.locator("button[type=submit]").click()

    assert answer.value.status == 200
    entry = page.locator("#timeline-list .timeline-entry").first
    expect(entry).to_contain_text("Звонок")
    expect(entry).to_contain_text("Входящий")
    expect(entry).to_contain_text("Дозвонились")
    expect(entry).to_contain_text("04:05")
    expect(entry).to_contain_text("Алиса Иванова")
    assert entry.locator(".timeline-text").inner_text() == "Обсудили поставку\nЖдут КП до пятницы"
    expect(page.locator("#timeline-summary")).to_contain_text("Отправить КП")
    expect(page.locator("#timeline-summary")).to_contain_text("10.03.2030 11:00")
    expect(page.locator("#qa-body")).to_have_value("")  # the form is ready for the next one
    expect(page.locator("#toast-area")).to_contain_text("Звонок записан.")
    assert page.evaluate("window.notReloaded") is True

    call = Activity.objects.get()
    assert (call.kind, call.author_id, call.company_id, call.duration_seconds) == (
        "call", personas.alice.pk, company.pk, 245,
    )  # fmt: skip
    assert Task.objects.get().title == "Отправить КП"


def test_a_field_error_shows_in_place_and_the_chips_filter_the_timeline(
    page: Page, live_server, transactional_db, personas, stages
):
    company = factories.company(personas.alice, name="ООО Заметки")
    base = live_server.url
    log_in(page, base, "alice")
    page.goto(f"{base}/clients/companies/{company.pk}/")

    form = page.locator("#quick-add")
    form.locator("label[for=qa-kind-note]").click()
    expect(form.locator("#qa-outcome")).to_be_hidden()
    with page.expect_response(re.compile(r"/activities/log/")) as answer:
        form.locator("button[type=submit]").click()
    assert answer.value.status == 422
    expect(page.locator("#qa-body_error")).to_have_text("Напишите заметку.")

    page.locator("#qa-body").fill("Клиент просит скидку")
    page.locator("#qa-body").press("Control+Enter")
    expect(page.locator("#timeline-list .timeline-entry").first).to_contain_text(
        "Клиент просит скидку"
    )

    page.locator(".timeline-chips [data-kind=call]").click()
    expect(page.locator("#timeline-body")).to_contain_text("Записей этого вида пока нет.")
    page.locator(".timeline-chips [data-kind=note]").click()
    expect(page.locator("#timeline-list .timeline-entry")).to_have_count(1)
