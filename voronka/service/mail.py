"""E-mails to clients: staff replies and satisfaction surveys, each sent at most once.

The row being sent (a message of the thread, a survey) carries its own e-mail state;
:mod:`voronka.core.mailing` claims it before sending, so a second worker or a retried
job sends nothing twice. Every e-mail of a request carries the same thread headers, so
the client's mail program shows one conversation; a survey about an order joins the
order's thread of status e-mails.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.mail import EmailMessage
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation

from voronka.core import mailing
from voronka.service.models import Message, Survey

# Kept here too: the service desk's tests and jobs read them from this module.
STUCK_AFTER = mailing.STUCK_AFTER
MAX_ATTEMPTS = mailing.MAX_ATTEMPTS
SEND_TIMEOUT = mailing.SEND_TIMEOUT
_one_line = mailing.one_line


def _thread_headers(request_id: int, own_id: str) -> dict[str, str]:
    root = f"<request-{request_id}@voronka>"
    return {"Message-ID": f"<{own_id}@voronka>", "In-Reply-To": root, "References": root}


def _reply_email(message: Message) -> EmailMessage:
    request = message.request
    with translation.override(settings.LANGUAGE_CODE):
        body = render_to_string("service/email/reply.txt", {"message": message, "request": request})
    return EmailMessage(
        subject=_one_line(f"[#{request.pk}] {request.subject}"),
        body=body,
        to=[message.email_to],
        headers=_thread_headers(request.pk, f"request-{request.pk}-message-{message.pk}"),
    )


def send_reply(message_id: int) -> bool:
    return mailing.send_once(Message, message_id, _reply_email, related=("request",))


def survey_url(survey: Survey) -> str:
    from voronka.service.surveys import token_for

    path = reverse("service:survey", args=[token_for(survey)])
    return settings.VORONKA_BASE_URL.rstrip("/") + path


def _survey_email(survey: Survey) -> EmailMessage:
    request = survey.request
    from voronka.core import organisation

    # The validity date reads in the organisation's time, whoever's job sends it.
    with (
        translation.override(survey.language or settings.LANGUAGE_CODE),
        timezone.override(organisation.current().tz),
    ):
        context = {"survey": survey, "request": request, "order": survey.order,
                   "url": survey_url(survey)}  # fmt: skip
        subject = render_to_string("service/email/survey_subject.txt", context)
        body = render_to_string("service/email/survey.txt", context)
    headers = {"Message-ID": f"<survey-{survey.pk}@voronka>"}
    if request is not None:
        headers = _thread_headers(request.pk, f"survey-{survey.pk}")
    elif survey.order_id is not None:
        # The thread of the order's status e-mails (voronka.orders.mail).
        root = f"<order-{survey.order_id}@voronka>"
        headers.update({"In-Reply-To": root, "References": root})
    return EmailMessage(
        subject=_one_line(subject), body=body, to=[survey.email_to], headers=headers
    )


def send_survey(survey_id: int) -> bool:
    return mailing.send_once(Survey, survey_id, _survey_email,
                             related=("request", "order", "contact"))  # fmt: skip


def stuck(model: Any, time_field: str) -> list[int]:
    """Rows whose e-mail a dead worker left half-sent, or nobody ever picked up."""
    return mailing.stuck(model, time_field)
