"""Claim once and send: e-mails to clients that must go out exactly once, whoever tries.

The row being sent (a message of a request's thread, a survey, an order's status
change) carries its own e-mail state in four fields: ``email_status`` (pending →
sending → sent, or failed), ``email_claimed_at``, ``email_sent_at`` and
``email_attempts``. A worker claims the row with a conditional UPDATE (pending →
sending) before it talks to the mail server, so a second worker or a retried job finds
nothing to claim; a claim left by a worker that died is taken over after
``STUCK_AFTER``, and a row is tried at most ``MAX_ATTEMPTS`` times.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.db.models import F, Q
from django.utils import timezone

STUCK_AFTER = timedelta(minutes=10)
MAX_ATTEMPTS = 5
# A send that hangs must give up long before STUCK_AFTER: otherwise another worker takes
# the row over while this one may still deliver it, and the client gets two copies.
SEND_TIMEOUT = 60.0

# The values of ``core.models.MailStatus``, the one set of choices every e-mail row uses.
NONE, PENDING, SENDING, SENT, FAILED = "none", "pending", "sending", "sent", "failed"


def claim(model: Any, pk: int) -> bool:
    """Take the row for sending if it waits, or if its claim is stuck; True if taken."""
    now = timezone.now()
    claimable = Q(email_status=PENDING) | Q(
        email_status=SENDING, email_claimed_at__lt=now - STUCK_AFTER
    )
    return bool(
        model.objects.filter(claimable, pk=pk, email_attempts__lt=MAX_ATTEMPTS).update(
            email_status=SENDING,
            email_claimed_at=now,
            email_attempts=F("email_attempts") + 1,
        )  # fmt: skip
    )


def _timeout() -> float:
    configured = getattr(settings, "EMAIL_TIMEOUT", None)
    return min(configured, SEND_TIMEOUT) if configured else SEND_TIMEOUT


def send_once(
    model: Any, pk: int, build: Callable[[Any], EmailMessage | None],
    *, related: tuple[str, ...] = (),
) -> bool:  # fmt: skip
    """Claim the row, send what ``build`` makes of it, record the outcome; True if sent.

    ``build`` returning None means there is nothing to send any more (the record it
    is about is gone): the row is marked as not sent by e-mail. A failure — of the
    build or of the send — puts the row back to pending and raises, so the job
    retries; the last allowed attempt marks it failed instead.
    """
    if not claim(model, pk):
        return False
    manager = getattr(model, "all_objects", model.objects)
    row = manager.select_related(*related).get(pk=pk) if related else manager.get(pk=pk)
    try:
        message = build(row)
        if message is None:
            model.objects.filter(pk=pk, email_status=SENDING).update(
                email_status=NONE, email_claimed_at=None
            )
            return False
        message.connection = get_connection(timeout=_timeout())
        message.send()
    except Exception:
        given_up = row.email_attempts >= MAX_ATTEMPTS
        model.objects.filter(pk=pk, email_status=SENDING).update(
            email_status=FAILED if given_up else PENDING,
            email_claimed_at=None,
        )
        raise
    model.objects.filter(pk=pk).update(email_status=SENT, email_sent_at=timezone.now())
    return True


def stuck(model: Any, time_field: str) -> list[int]:
    """Rows whose e-mail a dead worker left half-sent, or nobody ever picked up."""
    cutoff = timezone.now() - STUCK_AFTER
    return list(
        model.objects.filter(
            Q(email_status=SENDING, email_claimed_at__lt=cutoff)
            | Q(email_status=PENDING, **{f"{time_field}__lt": cutoff}),
            email_attempts__lt=MAX_ATTEMPTS,
        ).values_list("pk", flat=True)[:500]
    )


def one_line(text: str) -> str:
    """A header may not hold a line break, and text typed elsewhere may."""
    return " ".join(text.split())
