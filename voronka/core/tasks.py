"""Housekeeping jobs of the whole installation, and the full export."""

from __future__ import annotations

from django.core.management import call_command
from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task


@db_periodic_task(crontab(hour="3", minute="17"))
def purge_expired_sessions() -> None:
    """Expired login sessions pile up in the database unless removed."""
    call_command("clearsessions")


@db_task()
def run_full_export(export_id: int) -> None:
    """Writes the ZIP of a queued full export (a second run of the same id does nothing)."""
    from voronka.core.full_export import full_export_run

    full_export_run(export_id)
