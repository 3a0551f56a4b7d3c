"""Housekeeping jobs of the whole installation."""

from __future__ import annotations

from django.core.management import call_command
from huey import crontab
from huey.contrib.djhuey import db_periodic_task


@db_periodic_task(crontab(hour="3", minute="17"))
def purge_expired_sessions() -> None:
    """Expired login sessions pile up in the database unless removed."""
    call_command("clearsessions")
