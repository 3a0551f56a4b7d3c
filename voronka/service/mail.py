"""E-mails to clients: staff replies and satisfaction surveys, each sent at most once.

The row being sent (a message of the thread, a survey) carries its own e-mail state.
A worker claims it with a conditional UPDATE (pending → sending) before it talks to the
mail server, so a second worker or a retried job finds nothing to claim; a claim left
by a worker that died is taken over after a while. Every e-mail of a request carries
the same thread headers, so the client's mail program shows one conversation.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.db.models import F, Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation

from voronka.service.models import MailStatus, Message, Survey

STUCK_AFTER = timedelta(minutes=10)
MAX_ATTEMPTS = 5
SEND_TIMEOUT = 60.0


def _claim(model: Any, pk: int) -> bool:
    now = timezone.now()
    claimable = Q(email_status=MailStatus.PENDING) | Q(
        email_status=MailStatus.SENDING, email_claimed_at__lt=now - STUCK_AFTER
    )
    return bool(
        model.objects.filter(claimable, pk=pk, email_attempts__lt=MAX_ATTEMPTS).update(
            email_status=MailStatus.SENDING,
            email_claimed_at=now,
            email_attempts=F("email_attempts") + 1,
        )  # fmt: skip
    )


def _send(model: Any, pk: int, build: Callable[[Any], EmailMessage]) -> bool:
    """Claim the row, send what ``build`` makes of it, record the outcome; True if sent.

    A failed send puts the row back to pending and raises, so the job retries; the last
    allowed attempt marks it failed instead.
    """
    if not _claim(model, pk):
        return False
    row = model.objects.get(pk=pk)
    message = build(row)
    message.connection = get_connection(
        timeout=min(getattr(settings, "EMAIL_TIMEOUT", None) or SEND_TIMEOUT, SEND_TIMEOUT)
    )
    try:
        message.send()
    except Exception:
        given_up = row.email_attempts >= MAX_ATTEMPTS
        model.objects.filter(pk=pk, email_status=MailStatus.SENDING).update(
            email_status=MailStatus.FAILED if given_up else MailStatus.PENDING,
            email_claimed_at=None,
        )
        raise
    model.objects.filter(pk=pk).update(email_status=MailStatus.SENT, email_sent_at=timezone.now())
    return True


def _one_line(text: str) -> str:
    return " ".join(text.split())


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
    return _send(Message, message_id, _reply_email)


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
        context = {"survey": survey, "request": request, "url": survey_url(survey)}
        subject = render_to_string("service/email/survey_subject.txt", context)
        body = render_to_string("service/email/survey.txt", context)
    headers = {"Message-ID": f"<survey-{survey.pk}@voronka>"}
    if request is not None:
        headers = _thread_headers(request.pk, f"survey-{survey.pk}")
    return EmailMessage(
        subject=_one_line(subject), body=body, to=[survey.email_to], headers=headers
    )


def send_survey(survey_id: int) -> bool:
    return _send(Survey, survey_id, _survey_email)


def stuck(model: Any, time_field: str) -> list[int]:
    """Rows whose e-mail a dead worker left half-sent, or nobody ever picked up."""
    cutoff = timezone.now() - STUCK_AFTER
    return list(
        model.objects.filter(
            Q(email_status=MailStatus.SENDING, email_claimed_at__lt=cutoff)
            | Q(email_status=MailStatus.PENDING, **{f"{time_field}__lt": cutoff}),
            email_attempts__lt=MAX_ATTEMPTS,
        ).values_list("pk", flat=True)[:500]
    )
