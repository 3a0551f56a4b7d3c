"""A manager's morning in a real browser: My day, and one click on "done"."""

from __future__ import annotations

import datetime
import re

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from tests import factories
from tests.conftest import PASSWORD
from voronka.activities import services
from voronka.activities.models import Task

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def log_in(page: Page, base: str, username: str) -> None:
    page.goto(f"{base}/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.press("input[name=password]", "Enter")
    # A manager starts on My day; everyone else on the board.
    page.wait_for_url(re.compile(r"/(activities/my-day|sales/board)/$"))


def test_a_manager_completes_an_overdue_task_on_my_day_with_one_click(
    page: Page, live_server, transactional_db, personas, stages
):
    alice = personas.alice
    deal = factories.deal(alice, title="Поставка станков")
    now = timezone.now()
    late = services.task_create(
        actor=alice,
        data={"title": "Перезвонить директору", "due_at": now - datetime.timedelta(days=1),
              "deal": deal},
    )  # fmt: skip
    services.task_create(
        actor=alice,
        data={"title": "Отправить КП", "due_at": now - datetime.timedelta(hours=3)},
    )
    base = live_server.url
    log_in(page, base, "alice")

    # My day is the first item of the menu.
    page.locator(".voronka-navbar .navbar-nav .nav-link").first.click()
    page.wait_for_url(re.compile(r"/activities/my-day/$"))
    expect(page.locator("h1")).to_have_text("Мой день")
    overdue = page.locator("#my-day-overdue")
    item = overdue.locator(f"#task-{late.pk}")
    expect(item).to_contain_text("Перезвонить директору")
    expect(item).to_contain_text("Поставка станков")
    expect(page.locator("#my-day-count-overdue")).to_have_text("2")
    expect(page.locator("#my-day-deals")).to_contain_text(
        "У каждой открытой сделки есть следующая задача."
    )

    # A marker on the window survives only if the page is not reloaded.
    page.evaluate("window.sameDocument = true")
    with page.expect_response(re.compile(rf"/activities/tasks/{late.pk}/complete/")) as answer:
        item.get_by_role("button", name="Отметить «Перезвонить директору» выполненной").click()
    assert answer.value.status == 200

    done = page.locator(f"#task-{late.pk}")
    expect(done).to_have_class(re.compile(r"\btask-done\b"))
    expect(done.locator(".task-done-at")).to_have_text(re.compile(r"выполнено в \d\d:\d\d"))
    expect(page.locator("#my-day-count-overdue")).to_have_text("1")
    # The deal lost its only open task: it now waits for a next one.
    expect(page.locator("#my-day-deals")).to_contain_text("Поставка станков")
    assert page.evaluate("window.sameDocument") is True
    assert Task.objects.get(pk=late.pk).status == "done"

    # After a reload the done task has left the overdue list.
    page.reload()
    expect(page.locator(f"#task-{late.pk}")).to_have_count(0)
    expect(page.locator("#my-day-count-overdue")).to_have_text("1")
