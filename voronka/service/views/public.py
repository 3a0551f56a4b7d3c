"""The client's side of a satisfaction survey: the page the survey e-mail links to.

There is no login: the signed token in the address is the only key, so the page is
kept out of search engines (``X-Robots-Tag: noindex``), out of shared caches
(``never_cache``) and out of every ``Referer`` header (``Referrer-Policy: strict-origin``:
a request from the page names at most the site, never the address with its token).

Not ``no-referrer``: under it browsers send ``Origin: null`` with the form's POST, and
Django's CSRF check refuses the answer (seen in Chromium: "Origin checking failed - null
does not match any trusted origins"). ``strict-origin`` leaks no more of the address
and keeps the CSRF check whole.

A link that cannot take an answer gets a page saying why, and nothing is recorded:

* forged — a bad signature, no such survey, another survey's nonce: **400**;
* expired — past the validity the organisation set: **410 Gone**;
* answered already — **409 Conflict**, on a revisit (GET) as on a second post: the
  answer given first is kept, and the page thanks the client for it.

The page speaks the language the e-mail was written in (Russian by default), whatever
the browser prefers — the client just read that e-mail; the switch at the top
(``?lang=en``) picks another, and the form carries the choice to the answer.
CSRF protection stays on: the GET sets the cookie that the POST must match.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import path
from django.utils import translation
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from voronka.core import organisation
from voronka.service.models import Survey
from voronka.service.surveys import MAX_COMMENT, SurveyRefused, survey_answer, survey_from_token

REFUSED_STATUS = {"forged": 400, "expired": 410, "answered": 409}
REFERRER_POLICY = "strict-origin"
# Each score with its words and a Bootstrap Icons face (fonts without emoji show boxes).
SCORES = (
    (1, _("Very dissatisfied"), "emoji-angry"),
    (2, _("Dissatisfied"), "emoji-frown"),
    (3, _("Neutral"), "emoji-neutral"),
    (4, _("Satisfied"), "emoji-smile"),
    (5, _("Very satisfied"), "emoji-laughing"),
)


def _language(request: HttpRequest, survey: Survey | None) -> str:
    """The visitor's pick from the switch, else the e-mail's language, else Russian."""
    codes = {code for code, _name in settings.LANGUAGES}
    asked = request.POST.get("lang") or request.GET.get("lang") or ""
    if asked in codes:
        return asked
    if survey is not None and survey.language in codes:
        return survey.language
    return settings.LANGUAGE_CODE


def _protect(response: HttpResponse, language: str) -> HttpResponse:
    response["X-Robots-Tag"] = "noindex, nofollow"
    response["Referrer-Policy"] = REFERRER_POLICY
    response["Content-Language"] = language
    return response


def _render(
    request: HttpRequest, template: str, language: str, context: dict[str, Any], status: int
) -> HttpResponse:
    with translation.override(language):
        context = {"language": language, "org_name": organisation.current().name, **context}
        response = render(request, template, context, status=status)
    return _protect(response, language)


def _refused(request: HttpRequest, refusal: SurveyRefused) -> HttpResponse:
    survey = refusal.survey
    language = _language(request, survey)
    context = {"reason": refusal.code, "survey": survey}
    return _render(request, "service/survey_refused.html", language, context,
                   REFUSED_STATUS.get(refusal.code, 400))  # fmt: skip


def _question(
    request: HttpRequest, survey: Survey, language: str, *, status: int = 200,
    errors: dict[str, list[str]] | None = None,
) -> HttpResponse:  # fmt: skip
    context = {
        "survey": survey, "subject": survey.request.subject if survey.request else "",
        "scores": SCORES, "errors": errors or {}, "max_comment": MAX_COMMENT,
        "chosen": request.POST.get("score", ""), "comment": request.POST.get("comment", ""),
    }  # fmt: skip
    return _render(request, "service/survey.html", language, context, status)


@never_cache
@require_http_methods(["GET", "POST"])
def survey(request: HttpRequest, token: str) -> HttpResponse:
    try:
        found = survey_from_token(token)
    except SurveyRefused as refusal:
        return _refused(request, refusal)
    language = _language(request, found)
    if request.method == "GET":
        return _question(request, found, language)
    with translation.override(language):  # the refusals' words in the page's language
        try:
            answered = survey_answer(
                token=token, score=request.POST.get("score"),
                comment=request.POST.get("comment", ""),
            )  # fmt: skip
        except ValidationError as exc:
            errors = exc.message_dict if hasattr(exc, "error_dict") else {"score": exc.messages}
            return _question(request, found, language, status=400, errors=errors)
        except SurveyRefused as refusal:
            return _refused(request, refusal)
    low = answered.score is not None and (
        answered.score <= organisation.current().survey_follow_up_max_score
    )
    return _render(request, "service/survey_thanks.html", language,
                   {"survey": answered, "low": low}, 200)  # fmt: skip


urlpatterns = [path("survey/<str:token>/", survey, name="survey")]
