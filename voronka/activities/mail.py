"""Sending a notification by e-mail at most once, whoever tries.

A worker claims the notice with a conditional UPDATE (pending → sending) before it
talks to the mail server; a second worker, or a retried job, finds nothing to claim.
Every message carries a Message-ID made from the notice, so a resend after a crash
in mid-send is recognisable as the same message by mail clients.
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.core.mail import EmailMessage
from django.db.models import Q
from django.utils import timezone, translation

from voronka.activities.models import Notification

STUCK_AFTER = timedelta(minutes=10)
MAX_ATTEMPTS = 5


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


def send_notification_email(notification_id: int) -> bool:
    """Send the notice's e-mail if nobody has; True if this call sent it."""
    if not _claim(notification_id):
        return False
    note = Notification.objects.select_related("recipient", "task").get(pk=notification_id)
    Notification.objects.filter(pk=note.pk).update(email_attempts=note.email_attempts + 1)
    user = note.recipient
    with translation.override(user.language or settings.LANGUAGE_CODE):
        body = note.title
        if note.url:
            body += "\n\n" + settings.VORONKA_BASE_URL.rstrip("/") + note.url
        message = EmailMessage(
            subject=note.title,
            body=body,
            to=[user.email],
            headers={"Message-ID": f"<notification-{note.pk}@voronka>"},
        )
    try:
        message.send()
    except Exception:
        Notification.objects.filter(pk=note.pk).update(
            email_status=Notification.EmailStatus.PENDING, email_claimed_at=None
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
