"""The survey page in a real browser: the score is chosen with the keyboard, and the link
(which is the secret) never leaves in a Referer header."""

from __future__ import annotations

import pytest

from tests.service.conftest import client_company, make_request  # noqa: F401 - fixtures
from tests.service.test_survey_page import resolved, state, url  # noqa: F401 - fixture
from voronka.service.surveys import token_for

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_client_answers_with_the_keyboard_and_no_referer_names_the_link(
    live_server,
    browser,
    resolved,  # noqa: F811 - the fixture imported above
):
    survey = resolved()
    token = token_for(survey)
    referers: list[str] = []
    context = browser.new_context(locale="en-US")
    try:
        page = context.new_page()
        page.on("request", lambda r: referers.append(r.headers.get("referer", "")))
        page.goto(live_server.url + url(token))
        # The page speaks the e-mail's language, whatever the browser prefers.
        assert page.locator("html").get_attribute("lang") == "ru"
        page.focus("#score-1")
        page.keyboard.press("ArrowRight")  # a radio group: arrows move the choice
        page.keyboard.press("ArrowRight")
        page.keyboard.press("ArrowRight")
        assert page.is_checked("#score-4")
        page.fill("#survey-comment", "Спасибо")
        page.click("button[type=submit]")
        page.locator(".survey-thanks").wait_for()
    finally:
        context.close()
    assert state(survey)[1:3] == (4, "Спасибо")
    assert referers  # the page, its style sheets and the answer were requested
    assert [r for r in referers if token in r] == []
