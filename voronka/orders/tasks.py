"""Background jobs of orders: the norm sweep and the client's e-mails."""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from voronka.orders import mail, overdue
from voronka.orders.models import StatusChange


@db_periodic_task(crontab(minute="*/5"))
def check_order_norms() -> None:
    """Every five minutes: orders stuck in a status beyond its norm, reported once each."""
    overdue.sweep()


@db_task(retries=3, retry_delay=60)
def send_status_email(change_id: int) -> None:
    mail.send_status(change_id)


@db_periodic_task(crontab(minute="*/5"))
def resend_stuck_status_emails() -> None:
    """Status e-mails claimed by a worker that died before it finished go again."""
    for pk in mail.stuck(StatusChange, "changed_at"):
        send_status_email(pk)
