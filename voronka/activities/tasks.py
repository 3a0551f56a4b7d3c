"""Background jobs: the deadline checker and the notification e-mails."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager

from huey import crontab
from huey.contrib.djhuey import HUEY, db_periodic_task, db_task

from voronka.activities import mail, services

log = logging.getLogger(__name__)

# A pass takes seconds. A lock older than this was left by a worker that died in the
# middle of one (killed, out of memory, power cut); it no longer means "running".
DEADLINE_LOCK_STALE_AFTER = 600  # seconds


@contextmanager
def _deadline_lock() -> Iterator[bool]:
    """Whether this pass may run: no other pass is running, or the one that was is dead.

    Huey's own ``lock_task`` would do, but its lock outlives a killed worker and then
    stops every later pass for good; neither SQLite nor Redis < 7.4 let it expire.
    """
    key = f"{HUEY.name}.lock.task-deadlines"
    started = time.time()
    taken = HUEY.put_if_empty(key, started)
    if not taken:
        held_since = HUEY.get(key, peek=True)
        if (
            not isinstance(held_since, int | float)
            or started - held_since > DEADLINE_LOCK_STALE_AFTER
        ):
            log.warning("taking over the deadline check lock left since %s", held_since)
            HUEY.delete(key)
            taken = HUEY.put_if_empty(key, started)
    try:
        yield taken
    finally:
        if taken and HUEY.get(key, peek=True) == started:
            HUEY.delete(key)


@db_periodic_task(crontab(minute="*"))
def check_task_deadlines() -> None:
    """Every minute: reminders, overdue notices and escalations that are due.

    The lock keeps one consumer's pass from overlapping another's; correctness does
    not depend on it — every notice is unique in the database.
    """
    with _deadline_lock() as taken:
        if not taken:
            log.info("another deadline check is running; this one steps aside")
            return
        services.task_deadlines_run()


@db_task(retries=3, retry_delay=60)
def send_notification_email(notification_id: int) -> None:
    mail.send_notification_email(notification_id)


@db_periodic_task(crontab(minute="*/5"))
def resend_stuck_emails() -> None:
    """E-mails claimed by a worker that died before it finished are tried again."""
    for pk in mail.stuck_notification_ids():
        send_notification_email(pk)
