"""Background jobs of the service desk: the SLA sweep and the e-mails to clients."""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from voronka.service import mail, sla
from voronka.service.models import Message, Survey


@db_periodic_task(crontab(minute="*"))
def check_sla_deadlines() -> None:
    """Every minute: warnings before SLA deadlines and notices of breaches, once each."""
    sla.sweep()


@db_task(retries=3, retry_delay=60)
def send_reply_email(message_id: int) -> None:
    mail.send_reply(message_id)


@db_task(retries=3, retry_delay=60)
def send_survey_email(survey_id: int) -> None:
    mail.send_survey(survey_id)


@db_periodic_task(crontab(minute="*/5"))
def resend_stuck_client_emails() -> None:
    """Replies and surveys claimed by a worker that died before it finished go again."""
    for pk in mail.stuck(Message, "created_at"):
        send_reply_email(pk)
    for pk in mail.stuck(Survey, "created_at"):
        send_survey_email(pk)
