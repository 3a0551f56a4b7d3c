"""Background jobs of the web forms."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone
from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from voronka.webforms import conf, services


@db_periodic_task(crontab(hour="3", minute="40"))
def forget_old_submissions() -> int:
    """Nightly: drop old submissions that made no lead, so spam does not fill the table.

    Safe to run twice: the second run finds nothing left to drop.
    """
    return services.submissions_forget(before=timezone.now() - timedelta(days=conf.keep_days()))
