"""Sending a notification by e-mail at most once, whoever tries.

A worker claims the notice with a conditional UPDATE (pending → sending) before it
talks to the mail server; a second worker, or a retried job, finds nothing to claim.
Every message carries a Message-ID made from the notice, so a resend after a crash
in mid-send is recognisable as the same message by mail clients.
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.db.models import Q
from django.utils import timezone, translation

from voronka.activities.models import Notification

STUCK_AFTER = timedelta(minutes=10)
MAX_ATTEMPTS = 5
# A send that hangs must give up long before STUCK_AFTER: otherwise another worker takes
# the notice over while this one may still deliver it, and the person gets two copies.
SEND_TIMEOUT = 60.0


def _claim(notification_id: int) -> bool:
    now = timezone.now()
    claimable = Q(email_status=Notification.EmailStatus.PENDING) | Q(
        email_status=Notification.EmailStatus.SENDING, email_claimed_at__lt=now - STUCK_AFTER
    )
    return bool(
        Notification.objects.filter(
            claimable, pk=notification_id, email_attempts__lt=MAX_ATTEMPTS
        ).update(email_status=Notification.EmailStatus.SENDING, email_claimed_at=now)
    )


def _send_timeout() -> float:
    configured = getattr(settings, "EMAIL_TIMEOUT", None)
    return min(configured, SEND_TIMEOUT) if configured else SEND_TIMEOUT


def send_notification_email(notification_id: int) -> bool:
    """Send the notice's e-mail if nobody has; True if this call sent it.

    A failed send puts the notice back to pending and raises, so the job retries;
    the last allowed attempt marks it failed instead.
    """
    if not _claim(notification_id):
        return False
    note = Notification.objects.select_related("recipient", "task").get(pk=notification_id)
    attempts = note.email_attempts + 1
    Notification.objects.filter(pk=note.pk).update(email_attempts=attempts)
    user = note.recipient
    # A header may not hold a line break, and a task title typed elsewhere may.
    subject = " ".join(note.title.split())
    with translation.override(user.language or settings.LANGUAGE_CODE):
        body = note.title
        if note.url:
            body += "\n\n" + settings.VORONKA_BASE_URL.rstrip("/") + note.url
        message = EmailMessage(
            subject=subject,
            body=body,
            to=[user.email],
            headers={"Message-ID": f"<notification-{note.pk}@voronka>"},
            connection=get_connection(timeout=_send_timeout()),
        )
    try:
        message.send()
    except Exception:
        given_up = attempts >= MAX_ATTEMPTS
        Notification.objects.filter(
            pk=note.pk, email_status=Notification.EmailStatus.SENDING
        ).update(
            email_status=(
                Notification.EmailStatus.FAILED if given_up else Notification.EmailStatus.PENDING
            ),
            email_claimed_at=None,
        )
        raise  # the job retries later
    Notification.objects.filter(pk=note.pk).update(
        email_status=Notification.EmailStatus.SENT, email_sent_at=timezone.now()
    )
    return True


def stuck_notification_ids() -> list[int]:
    cutoff = timezone.now() - STUCK_AFTER
    return list(
        Notification.objects.filter(
            Q(email_status=Notification.EmailStatus.SENDING, email_claimed_at__lt=cutoff)
            | Q(email_status=Notification.EmailStatus.PENDING, created_at__lt=cutoff),
            email_attempts__lt=MAX_ATTEMPTS,
        ).values_list("pk", flat=True)[:500]
    )
