"""Background jobs: the deadline checker and the notification e-mails."""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task, lock_task

from voronka.activities import mail, services


@db_periodic_task(crontab(minute="*"))
@lock_task("task-deadlines")
def check_task_deadlines() -> None:
    """Every minute: reminders, overdue notices and escalations that are due.

    The lock keeps one consumer's pass from overlapping another's; correctness does
    not depend on it — every notice is unique in the database.
    """
    services.task_deadlines_run()


@db_task(retries=3, retry_delay=60)
def send_notification_email(notification_id: int) -> None:
    mail.send_notification_email(notification_id)


@db_periodic_task(crontab(minute="*/5"))
def resend_stuck_emails() -> None:
    """E-mails claimed by a worker that died before it finished are tried again."""
    for pk in mail.stuck_notification_ids():
        send_notification_email(pk)
