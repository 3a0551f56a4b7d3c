"""Background jobs of the import wizard: the check (a dry run) and the import itself."""

from __future__ import annotations

from huey.contrib.djhuey import db_task

from voronka.imports import services


@db_task()
def run_import_job(job_id: int, language: str | None = None) -> None:
    """Run the job's check or import. A second delivery of the same job does nothing:
    the run first claims the job with a conditional UPDATE on its status.

    Not retried on failure: a failed run is reported on the job's page, and the person
    decides whether to run it again.
    """
    services.job_run(job_id=job_id, language=language)
