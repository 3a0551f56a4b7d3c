"""A support agent answers a complaint from the queue and resolves it; the survey link
records a score.

The whole path in a real browser against the live server, with the e-mails going
through Django's SMTP backend to a real SMTP server: Huey runs in immediate mode, so
the reply and the survey leave in-process when the reply's transaction commits, before
the page reloads. Selectors are field names, button values, data attributes and
addresses, not words: the Russian translations of the service desk are still being
written.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Page, expect

from tests.conftest import PASSWORD
from tests.service.conftest import (  # noqa: F401 - fixtures
    client_company,
    mail_server,
    smtp_settings,
)
from voronka.activities.models import Notification, NotificationKind, Task
from voronka.service import services
from voronka.service.models import Request, Status, Survey

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

SUBJECT = "Курьер нагрубил и не привёз заказ"
CLIENT_SAYS = "Курьер опоздал на три часа и нагрубил. Заказ так и не привезли!"
REPLY = "Пётр, приносим извинения. Заказ привезём завтра до 12:00, доставка за наш счёт."
COMMENT = "Извинились, но заказ всё равно опоздал"
# Screenshots for the lead to look at; only when asked, so CI writes no files.
SHOTS = Path("/tmp/service-shots")  # noqa: S108
PHONE = {"width": 390, "height": 844}


def shot(page: Page, name: str) -> None:
    if os.environ.get("VORONKA_SHOTS"):
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


@pytest.fixture
def complaint(personas, client_company) -> Request:  # noqa: F811 - the fixture
    """A complaint of Alice's client, taken down by support, under a one-hour SLA.

    Calendar time, so that the deadline is an hour ahead whatever day and hour the
    test runs; working hours would put it after the weekend on a Saturday night.
    """
    company, contact = client_company
    services.policy_create(
        actor=personas.admin,
        data={
            "name": "Жалобы", "kind": "complaint", "first_response_minutes": 60,
            "resolution_minutes": 8 * 60, "clock": "calendar", "warn_minutes_before": 15,
        },
    )  # fmt: skip
    return services.request_create(
        actor=personas.support,
        data={"subject": SUBJECT, "kind": "complaint", "priority": "high", "channel": "email",
              "company": company, "contact": contact},
        message=CLIENT_SAYS,
    )  # fmt: skip


def log_in(page: Page, base: str, username: str, next_path: str) -> None:
    page.goto(f"{base}/accounts/login/?next={next_path}")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.press("input[name=password]", "Enter")
    page.wait_for_url(f"{base}{next_path}")


def by_message_id(server, message_id: str):
    found = [r for r in server.received() if str(r.message["Message-ID"]) == message_id]
    assert len(found) == 1, [str(r.message["Message-ID"]) for r in server.received()]
    return found[0]


def test_support_answers_a_complaint_from_the_queue_and_the_survey_link_records_a_score(
    page: Page, new_context, live_server, transactional_db, personas, complaint,
    smtp_settings, mail_server,  # noqa: F811 - the fixtures
):  # fmt: skip
    base = live_server.url
    pk = complaint.pk
    card_path = f"/service/requests/{pk}/"

    # The queue: the complaint, unassigned, with the time left to its first response.
    log_in(page, base, "support", "/service/")
    row = page.locator(f"#request-row-{pk}")
    expect(row).to_be_visible()
    expect(row.locator(".request-subject")).to_contain_text(SUBJECT)
    expect(row.locator(".request-kind")).to_have_class(re.compile(r"\btext-danger\b"))
    expect(row.locator(".request-status")).to_have_attribute("data-status", "new")
    expect(row.locator(".request-unassigned")).to_be_visible()
    timer = row.locator(".sla-timer")
    expect(timer).to_have_attribute("data-sla", "ok")
    expect(timer).to_have_text(re.compile(r"\d"))  # «59 мин …»: some time is left
    expect(timer).to_have_attribute("title", re.compile(r"\d{2}:\d{2}"))  # the deadline
    shot(page, "01-queue")

    # The card: the client's message, the SLA still running.
    row.locator(f"a[href='{card_path}']").click()
    page.wait_for_url(f"{base}{card_path}")
    expect(page.locator("h1 .request-title")).to_have_text(SUBJECT)
    expect(page.locator("h1 ~ div .request-status")).to_have_attribute("data-status", "new")
    first_response = page.locator(".request-sla [data-sla-target='1']")
    expect(first_response.locator(".sla-target-timer")).to_be_visible()
    expect(first_response.locator(".bi-check-circle-fill")).to_have_count(0)
    expect(page.locator("#thread .thread-client .thread-body")).to_have_text(CLIENT_SAYS)
    shot(page, "02-request-before-reply")

    # The reply, sent with "Send and resolve".
    reply_form = page.locator("form.reply-form")
    expect(reply_form.locator("input[name=kind]")).to_have_value("reply")
    reply_form.locator("textarea[name=body]").fill(REPLY)
    reply_form.locator("button[name=action][value=resolve]").click()
    page.wait_for_url(re.compile(rf"{re.escape(card_path)}#message-\d+$"))

    expect(page.locator("h1 ~ div .request-status")).to_have_attribute("data-status", "resolved")
    reply = page.locator("#thread .thread-reply")
    expect(reply).to_have_count(1)
    expect(reply.locator(".thread-body")).to_have_text(REPLY)
    # The e-mail left before the page came back: its badge says "sent".
    expect(reply.locator(".mail-status")).to_have_class(re.compile(r"\btext-bg-success\b"))
    expect(reply.locator(".mail-status")).to_contain_text("petr@romashka.example")
    expect(first_response.locator(".bi-check-circle-fill")).to_be_visible()
    expect(first_response.locator(".sla-target-timer")).to_have_count(0)
    expect(first_response).not_to_have_class(re.compile(r"\bsla-late\b"))
    resolution = page.locator(".request-sla [data-sla-target='2']")
    expect(resolution.locator(".bi-check-circle-fill")).to_be_visible()
    # Resolved: the card offers closing and reopening, no more resolving.
    expect(page.locator("[data-status-button=resolved]")).to_have_count(0)
    expect(page.locator("[data-status-button=reopened]")).to_be_visible()
    shot(page, "03-request-after-reply")

    complaint.refresh_from_db()
    assert complaint.status == Status.RESOLVED
    assert complaint.first_response_at is not None
    assert complaint.resolved_at is not None
    assert complaint.first_response_by == personas.support
    assert complaint.resolved_by == personas.support
    assert complaint.assignee == personas.support  # whoever answers unassigned work takes it
    assert not complaint.first_response_breached
    assert not complaint.resolution_breached
    survey = Survey.objects.get()
    assert survey.request_id == pk
    assert survey.email_to == "petr@romashka.example"
    assert survey.email_status == "sent"

    # The queue no longer shows it.
    page.goto(f"{base}/service/")
    expect(page.locator(".request-empty")).to_be_visible()
    expect(page.locator(f"#request-row-{pk}")).to_have_count(0)

    # Both e-mails reached the client: the reply, then the survey with its link.
    assert len(mail_server.received()) == 2
    [message] = complaint.messages.filter(kind="reply")
    sent_reply = by_message_id(mail_server, f"<request-{pk}-message-{message.pk}@voronka>")
    assert sent_reply.rcpt_tos == ["petr@romashka.example"]
    assert str(sent_reply.message["Subject"]).strip() == f"[#{pk}] {SUBJECT}"
    assert sent_reply.message.get_content().splitlines()[0] == REPLY
    sent_survey = by_message_id(mail_server, f"<survey-{survey.pk}@voronka>")
    assert sent_survey.rcpt_tos == ["petr@romashka.example"]
    assert str(sent_survey.message["In-Reply-To"]) == f"<request-{pk}@voronka>"
    [link] = re.findall(r"https?://\S+", sent_survey.message.get_content())
    parts = urlsplit(link)
    assert (parts.scheme, parts.netloc) == ("https", "crm.example.com")  # VORONKA_BASE_URL
    assert parts.path.startswith("/service/survey/")
    survey_url = f"{base}{parts.path}"

    # The client opens the link: no login, a browser of their own; then on a phone's screen.
    client = new_context().new_page()
    client.goto(survey_url)
    expect(client.locator("legend")).to_contain_text(SUBJECT)
    expect(client.locator("input[name=score]")).to_have_count(5)
    shot(client, "04-survey")
    client.set_viewport_size(PHONE)
    expect(client.locator("label[for=score-5]")).to_be_in_viewport()  # five in a row still
    shot(client, "04-survey-phone")

    # Sent without a score: refused in place, nothing recorded.
    with client.expect_response(survey_url) as answer:
        client.locator("form button[type=submit]").click()
    assert answer.value.status == 400
    expect(client.locator("#score-error")).to_be_visible()
    expect(client.locator("#survey-errors a[href='#score-1']")).to_be_visible()
    shot(client, "05-survey-no-score-phone")
    survey.refresh_from_db()
    assert survey.answered_at is None

    # A score chosen with the keyboard: into the group, one step right to 2.
    client.locator("#score-1").focus()
    client.keyboard.press("Space")
    expect(client.locator("#score-1")).to_be_checked()
    client.keyboard.press("ArrowRight")
    expect(client.locator("#score-2")).to_be_checked()
    expect(client.locator("#score-1")).not_to_be_checked()
    client.locator("textarea[name=comment]").fill(COMMENT)
    shot(client, "06-survey-chosen-phone")
    with client.expect_response(survey_url) as answer:
        client.locator("form button[type=submit]").click()
    assert answer.value.status == 200
    expect(client.locator(".survey-thanks")).to_be_visible()
    expect(client.locator(".survey-thanks .bi-chat-heart")).to_be_attached()  # a low score
    shot(client, "07-survey-thanks-phone")

    survey.refresh_from_db()
    assert (survey.score, survey.comment) == (2, COMMENT)
    answered_at = survey.answered_at
    assert answered_at is not None
    # 2 is a low score: a follow-up task for the client's manager.
    task = Task.objects.get()
    assert survey.follow_up_id == task.pk
    assert task.assignee == personas.alice
    assert task.company == complaint.company
    assert task.description == COMMENT
    # …and her notice of the low score, by e-mail too; nothing more to the client.
    notice = Notification.objects.get(kind=NotificationKind.LOW_SATISFACTION)
    assert notice.recipient == personas.alice
    assert [r.rcpt_tos for r in mail_server.received()[2:]] == [["alice@example.com"]]

    # The same link again: "answered already", and the first answer stands.
    response = client.goto(survey_url)
    assert response is not None and response.status == 409
    expect(client.locator(".survey-refused-answered")).to_be_visible()
    expect(client.locator("form")).to_have_count(0)
    shot(client, "08-survey-answered-phone")
    survey.refresh_from_db()
    assert (survey.score, survey.comment, survey.answered_at) == (2, COMMENT, answered_at)
    assert Task.objects.count() == 1
    assert Survey.objects.count() == 1
    assert Notification.objects.filter(kind=NotificationKind.LOW_SATISFACTION).count() == 1
    assert len(mail_server.received()) == 3
