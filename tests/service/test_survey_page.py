"""The public survey page the client opens from the e-mail: no login, one answer per link.

Refusals, as documented in ``voronka/service/views/public.py``: a forged link 400, an
expired one 410, one answered already 409 — and nothing is recorded in any of them.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import signing
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from voronka.activities.models import Task
from voronka.service import services
from voronka.service.models import Survey
from voronka.service.surveys import MAX_COMMENT, SALT, token_for

QUESTION_EN = "How satisfied are you with how we handled your request «Заказ не доставлен»?"


@pytest.fixture
def resolved(personas, make_request):
    def resolve(**data):
        request = make_request(**data)
        services.request_set_status(actor=personas.support, request=request, status="resolved")
        return Survey.objects.get(request=request)

    return resolve


@pytest.fixture
def survey(resolved):
    return resolved()


def url(token):
    return reverse("service:survey", args=[token])


def csrf_client():
    """A browser: Django's CSRF check is on, the token comes from the page's cookie."""
    return Client(enforce_csrf_checks=True)


def post(browser, token, **data):
    """Post with the CSRF cookie the browser holds (any survey page set it)."""
    csrf = browser.cookies["csrftoken"].value
    return browser.post(url(token), {"csrfmiddlewaretoken": csrf, **data})


def answer(browser, token, **data):
    """Open the page as the client does, then send the answer."""
    browser.get(url(token))
    return post(browser, token, **data)


def state(survey):
    row = Survey.objects.get(pk=survey.pk)
    return row.answered_at, row.score, row.comment, row.follow_up_id


NOTHING = (None, None, "", None)


def test_the_page_asks_in_russian_whatever_the_browser_prefers(client, survey):
    response = client.get(url(token_for(survey)), HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    page = response.content.decode()
    assert '<html lang="ru">' in page
    assert response["Content-Language"] == "ru"
    assert '<span class="fw-semibold" lang="ru" aria-current="true">Русский</span>' in page
    assert "«Заказ не доставлен»" in page
    assert [f'name="score" id="score-{n}" value="{n}"' in page for n in range(1, 6)] == [True] * 5
    assert 'name="comment"' in page


def test_the_language_switch_gives_the_page_in_english(client, survey):
    response = client.get(url(token_for(survey)) + "?lang=en")
    page = response.content.decode()
    assert '<html lang="en">' in page
    assert QUESTION_EN in page
    assert 'href="?lang=ru"' in page
    assert 'name="lang" value="en"' in page  # the answer keeps the choice


def test_the_page_is_kept_out_of_search_engines_and_referrers(client, survey):
    for response in (client.get(url(token_for(survey))), client.get(url("forged"))):
        assert response["X-Robots-Tag"] == "noindex, nofollow"
        assert response["Referrer-Policy"] == "strict-origin"  # see views/public.py: not null
        assert "no-store" in response["Cache-Control"]


def test_a_good_link_records_the_score_and_the_comment_once(survey):
    browser = csrf_client()
    token = token_for(survey)
    response = answer(browser, token, score="4", comment="  Быстро ответили  ", lang="en")
    assert response.status_code == 200
    assert "Thank you! Your answer is recorded." in response.content.decode()
    answered_at, score, comment, follow_up = state(survey)
    assert (answered_at is not None, score, comment, follow_up) == (
        True,
        4,
        "Быстро ответили",
        None,
    )
    again = post(browser, token, score="1", comment="Передумал")
    assert again.status_code == 409
    assert state(survey) == (answered_at, 4, "Быстро ответили", None)
    assert not Task.objects.exists()


def test_a_low_score_from_the_page_makes_a_follow_up_task(personas, survey):
    response = answer(csrf_client(), token_for(survey), score="2", comment="Долго")
    assert response.status_code == 200
    task = Task.objects.get()
    assert (task.assignee, task.description) == (personas.alice, "Долго")
    assert state(survey)[1:] == (2, "Долго", task.pk)


def test_an_answered_link_opened_again_says_so_and_offers_no_form(client, survey):
    answer(csrf_client(), token_for(survey), score="5")
    response = client.get(url(token_for(survey)), {"lang": "en"})
    assert response.status_code == 409
    page = response.content.decode()
    assert "Thank you, we have your answer" in page
    assert 'name="score"' not in page


def tampered(token):
    """The token with one character of its signature changed."""
    last = "A" if token[-1] != "A" else "B"
    return token[:-1] + last


def forged_links(survey, other):
    return [
        tampered(token_for(survey)),
        signing.dumps([survey.pk, other.nonce], salt=SALT),  # genuine signature, other nonce
        signing.dumps([survey.pk, survey.nonce], salt="another.salt"),
        "not-a-token-at-all",
    ]


def test_a_forged_link_is_refused_with_400_and_records_nothing(resolved):
    survey, other = resolved(), resolved(subject="Другое обращение")
    browser = csrf_client()
    browser.get(url(token_for(survey)))  # a page that has a form sets the CSRF cookie
    for token in forged_links(survey, other):
        assert browser.get(url(token), {"lang": "en"}).status_code == 400
        response = post(browser, token, score="5", lang="en")
        assert response.status_code == 400
        assert "This link does not work" in response.content.decode()
    assert (state(survey), state(other)) == (NOTHING, NOTHING)


def test_an_expired_link_is_refused_with_410_and_records_nothing(survey):
    browser = csrf_client()
    token = token_for(survey)
    browser.get(url(token))  # opened in time, answered too late
    Survey.objects.filter(pk=survey.pk).update(expires_at=timezone.now() - timedelta(minutes=1))
    assert browser.get(url(token)).status_code == 410
    response = post(browser, token, score="5", lang="en")
    assert response.status_code == 410
    assert "The survey is closed" in response.content.decode()
    assert state(survey) == NOTHING


def test_a_comment_too_long_is_a_form_error_and_the_link_still_works(survey):
    browser = csrf_client()
    token = token_for(survey)
    long_text = "ж" * (MAX_COMMENT + 1)
    response = answer(browser, token, score="3", comment=long_text, lang="en")
    assert response.status_code == 400
    assert response.context["errors"] == {
        "comment": [f"Keep the comment under {MAX_COMMENT} characters."]
    }
    page = response.content.decode()
    assert 'id="comment-error"' in page
    assert 'id="score-3" value="3" autocomplete="off" checked' in page  # the choice stays
    assert state(survey) == NOTHING
    assert answer(browser, token, score="3", comment="Коротко").status_code == 200
    assert state(survey)[1:3] == (3, "Коротко")


@pytest.mark.parametrize("score", ["", "0", "6", "пять"])
def test_an_answer_without_a_score_from_1_to_5_is_a_form_error(survey, score):
    response = answer(csrf_client(), token_for(survey), score=score, lang="en")
    assert response.status_code == 400
    assert response.context["errors"] == {"score": ["Choose a score from 1 to 5."]}
    assert state(survey) == NOTHING


def test_an_answer_without_the_csrf_token_is_refused_and_records_nothing(survey):
    browser = csrf_client()
    browser.get(url(token_for(survey)))
    response = browser.post(url(token_for(survey)), {"score": "5"})
    assert response.status_code == 403
    assert state(survey) == NOTHING


def test_the_page_reads_the_survey_in_a_few_queries(client, survey, django_assert_max_num_queries):
    client.get(url(token_for(survey)))  # the organisation's settings cached, as in production
    with django_assert_max_num_queries(2):
        assert client.get(url(token_for(survey))).status_code == 200
