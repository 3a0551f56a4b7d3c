"""The import job in the worker (Huey in immediate mode): claimed once, run once, reported."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone

from tests.imports.test_views import COMPANIES_CSV, csv_file
from voronka.activities.models import Notification
from voronka.clients.models import Company
from voronka.imports import services
from voronka.imports.models import ImportJob
from voronka.imports.tasks import run_import_job


@pytest.fixture(autouse=True)
def upload_dir(settings, tmp_path):
    settings.VAR_DIR = tmp_path
    return tmp_path / "imports"


@pytest.fixture
def job(personas):
    return services.job_upload(actor=personas.head, entity="companies", upload=csv_file())


def queue_import(job, actor, django_capture_on_commit_callbacks):
    """Queue the import without letting the commit hook run it."""
    with django_capture_on_commit_callbacks(execute=False) as hooks:
        services.job_start(actor=actor, job=job, version=job.version)
    assert len(hooks) == 1
    return hooks


def test_running_the_job_twice_imports_the_file_once(
    personas, job, django_capture_on_commit_callbacks
):
    queue_import(job, personas.head, django_capture_on_commit_callbacks)
    assert ImportJob.objects.get(pk=job.pk).status == "queued"

    run_import_job(job.pk)
    first = ImportJob.objects.get(pk=job.pk)
    run_import_job(job.pk)
    second = ImportJob.objects.get(pk=job.pk)

    assert (first.status, first.created, first.rejected, first.processed_rows) == (
        "done", 2, 1, 3,
    )  # fmt: skip
    assert (second.status, second.finished_at, second.version) == (
        "done", first.finished_at, first.version,
    )  # fmt: skip
    assert sorted(Company.objects.values_list("name", flat=True)) == ["ООО Альфа", "ООО Бета"]
    assert Notification.objects.filter(kind="import_finished").count() == 1


def test_the_commit_hook_runs_the_job_in_the_worker(
    personas, job, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        services.job_start(actor=personas.head, job=job, version=job.version)

    job.refresh_from_db()
    assert (job.status, job.created, job.total_rows) == ("done", 2, 3)
    folder = Path(job.path).parent
    assert Path(job.report_path) == folder / "import-report.csv"
    assert Path(job.rejected_path) == folder / "import-rejected.csv"
    assert not (folder / "progress").exists()


def test_a_dry_run_writes_nothing_and_can_be_followed_by_the_import(
    personas, job, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        services.job_check(actor=personas.head, job=job, version=job.version)

    job.refresh_from_db()
    assert (job.status, job.dry_run, job.created, job.rejected) == ("checked", True, 2, 1)
    assert Company.objects.count() == 0
    assert Notification.objects.count() == 0
    assert Path(job.report_path).name == "check-report.csv"

    run_import_job(job.pk)  # a late second delivery of the check does nothing
    job.refresh_from_db()
    assert (job.status, Company.objects.count()) == ("checked", 0)

    with django_capture_on_commit_callbacks(execute=True):
        services.job_start(actor=personas.head, job=job, version=job.version)
    assert Company.objects.count() == 2


def test_a_job_that_was_not_queued_is_left_alone(personas, job):
    run_import_job(job.pk)

    job.refresh_from_db()
    assert (job.status, job.started_at) == ("uploaded", None)
    assert Company.objects.count() == 0


def test_a_file_gone_bad_fails_the_job_with_the_readers_reason_and_tells_its_owner(
    personas, job, django_capture_on_commit_callbacks
):
    queue_import(job, personas.head, django_capture_on_commit_callbacks)
    Path(job.path).write_bytes(b"")

    run_import_job(job.pk)

    job.refresh_from_db()
    assert (job.status, job.message, job.created) == ("failed", "the file is empty (0 bytes)", 0)
    note = Notification.objects.get(kind="import_finished")
    assert (note.recipient, note.title) == (
        personas.head,
        "Импорт «компании.csv» завершился ошибкой.",
    )


def test_all_or_nothing_with_a_rejected_row_imports_nothing(
    personas, job, django_capture_on_commit_callbacks
):
    job = services.job_update_mapping(
        actor=personas.head, job=job, spec=job.spec, all_or_nothing=True, version=job.version
    )
    queue_import(job, personas.head, django_capture_on_commit_callbacks)

    run_import_job(job.pk)

    job.refresh_from_db()
    assert (job.status, job.created, job.rejected) == ("failed", 0, 1)
    assert Company.objects.count() == 0


def test_progress_is_kept_next_to_the_upload_while_one_transaction_hides_it(personas, job):
    ImportJob.objects.filter(pk=job.pk).update(status="running", total_rows=10)
    job.refresh_from_db()

    services._progress_writer(job)(4)

    assert Path(job.path).with_name("progress").read_text() == "4"
    from voronka.imports import queries

    assert (queries.processed_rows(job), queries.percent_done(job)) == (4, 40)


def test_a_run_whose_worker_died_is_marked_failed(personas, job):
    long_ago = timezone.now() - timedelta(hours=2)
    ImportJob.objects.filter(pk=job.pk).update(status="running", started_at=long_ago)
    fresh = services.job_upload(
        actor=personas.head, entity="companies", upload=csv_file(COMPANIES_CSV, "свежий.csv")
    )
    ImportJob.objects.filter(pk=fresh.pk).update(status="running", started_at=timezone.now())

    assert services.jobs_forget_stale() == 1

    job.refresh_from_db()
    assert (job.status, job.message) == ("failed", services.STALE_MESSAGE)
    assert ImportJob.objects.get(pk=fresh.pk).status == "running"
