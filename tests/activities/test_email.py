"""Notification e-mails through Django's SMTP backend to a real SMTP server (aiosmtpd)."""

from __future__ import annotations

import smtplib
import socket
from datetime import UTC, datetime, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from voronka.activities import mail, services, tasks
from voronka.activities.models import Notification

DUE = datetime(2030, 3, 10, 12, 0, tzinfo=UTC)
SUBJECT = "Reminder: «Перезвонить» is due at 10.03.2030 15:00"


@pytest.fixture
def reminder(personas):
    """Alice's reminder, made by the deadline checker, its e-mail not yet sent."""
    from voronka.accounts.models import User

    User.objects.update(language="en")
    task = services.task_create(actor=personas.alice, data={"title": "Перезвонить", "due_at": DUE})
    services.task_deadlines_run(now=DUE - timedelta(minutes=30))
    return Notification.objects.get(task=task, kind="task_reminder")


def _state(note):
    note.refresh_from_db()
    return note.email_status, note.email_attempts


def test_a_reminder_reaches_the_mail_server_once_with_its_link(
    smtp_settings, mail_server, reminder
):
    assert mail.send_notification_email(reminder.pk) is True
    [got] = mail_server.received()
    link = "https://crm.example.com" + reverse("activities:task-detail", args=[reminder.task_id])
    assert (got.mail_from, got.rcpt_tos) == ("voronka@localhost", ["alice@example.com"])
    # Python folds a long encoded subject onto a continuation line: "Subject: \n =?utf-8?...".
    assert (str(got.message["To"]), str(got.message["Subject"]).strip()) == (
        "alice@example.com", SUBJECT,
    )  # fmt: skip
    assert str(got.message["Message-ID"]) == f"<notification-{reminder.pk}@voronka>"
    assert got.message.get_content().splitlines() == [SUBJECT, "", link]
    assert _state(reminder) == ("sent", 1)
    assert reminder.email_sent_at is not None


def test_a_second_send_of_the_same_notice_sends_nothing(smtp_settings, mail_server, reminder):
    assert mail.send_notification_email(reminder.pk) is True
    assert mail.send_notification_email(reminder.pk) is False
    tasks.send_notification_email(reminder.pk)  # the job, run in place under tests
    assert mail_server.message_ids() == [f"<notification-{reminder.pk}@voronka>"]
    assert _state(reminder) == ("sent", 1)


def test_the_checker_s_own_job_sends_the_e_mail_after_the_commit_exactly_once(
    smtp_settings, mail_server, personas, django_capture_on_commit_callbacks
):
    task = services.task_create(actor=personas.alice, data={"title": "Перезвонить", "due_at": DUE})
    with django_capture_on_commit_callbacks(execute=True):
        services.task_deadlines_run(now=DUE - timedelta(minutes=30))
        services.task_deadlines_run(now=DUE - timedelta(minutes=29))
    note = Notification.objects.get(task=task)
    assert mail_server.message_ids() == [f"<notification-{note.pk}@voronka>"]
    assert _state(note) == ("sent", 1)


def test_an_smtp_failure_leaves_the_notice_for_a_retry_that_sends_it(
    smtp_settings, mail_server, reminder
):
    mail_server.stop()
    with pytest.raises((OSError, smtplib.SMTPException)):
        mail.send_notification_email(reminder.pk)
    assert _state(reminder) == ("pending", 1)
    assert reminder.email_claimed_at is None
    mail_server.start()
    assert mail.send_notification_email(reminder.pk) is True
    assert mail_server.message_ids() == [f"<notification-{reminder.pk}@voronka>"]
    assert _state(reminder) == ("sent", 2)


def test_the_job_swallows_nothing_a_failed_send_stays_pending(smtp_settings, mail_server, reminder):
    mail_server.stop()
    tasks.send_notification_email(reminder.pk)  # Huey records the error and schedules a retry
    assert _state(reminder) == ("pending", 1)
    mail_server.start()
    tasks.send_notification_email(reminder.pk)
    assert (len(mail_server.received()), _state(reminder)) == (1, ("sent", 2))


def test_after_the_last_attempt_the_notice_is_marked_failed(smtp_settings, mail_server, reminder):
    mail_server.stop()
    for _ in range(mail.MAX_ATTEMPTS):
        with pytest.raises((OSError, smtplib.SMTPException)):
            mail.send_notification_email(reminder.pk)
    assert _state(reminder) == ("failed", mail.MAX_ATTEMPTS)
    mail_server.start()
    assert mail.send_notification_email(reminder.pk) is False
    assert mail_server.received() == []


def test_a_send_in_progress_elsewhere_is_left_alone_until_it_is_stuck(
    smtp_settings, mail_server, reminder
):
    claimed = timezone.now()
    Notification.objects.filter(pk=reminder.pk).update(
        email_status="sending", email_claimed_at=claimed
    )
    assert mail.send_notification_email(reminder.pk) is False
    assert mail.stuck_notification_ids() == []
    Notification.objects.filter(pk=reminder.pk).update(
        email_claimed_at=claimed - mail.STUCK_AFTER - timedelta(seconds=1)
    )
    assert mail.stuck_notification_ids() == [reminder.pk]
    tasks.resend_stuck_emails()
    assert mail_server.message_ids() == [f"<notification-{reminder.pk}@voronka>"]
    assert _state(reminder) == ("sent", 1)


def test_a_title_with_a_line_break_still_makes_a_valid_subject(
    smtp_settings, mail_server, reminder, personas
):
    task = services.task_create(
        actor=personas.alice, data={"title": "Счёт\r\nпо договору", "due_at": DUE}
    )
    services.task_deadlines_run(now=DUE)
    note = Notification.objects.get(task=task)
    assert mail.send_notification_email(note.pk) is True
    assert (
        str(mail_server.received()[0].message["Subject"]).strip() == "Overdue: «Счёт по договору»"
    )


def test_a_mail_server_that_never_answers_does_not_hold_the_notice_forever(
    smtp_settings, reminder, monkeypatch
):
    """A hung send must end well before another worker may take the notice over."""
    assert mail.STUCK_AFTER.total_seconds() > mail.SEND_TIMEOUT
    monkeypatch.setattr(mail, "SEND_TIMEOUT", 0.5)
    with socket.socket() as silent:  # accepts the connection, never says hello
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        smtp_settings.EMAIL_PORT = silent.getsockname()[1]
        with pytest.raises((OSError, smtplib.SMTPException)):
            mail.send_notification_email(reminder.pk)
    assert _state(reminder) == ("pending", 1)
