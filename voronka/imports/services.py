"""Writes of the import wizard: a file uploaded, its mapping saved, the check (a dry run)
and the import queued, and the run itself in the worker.

A job goes uploaded → (checking → checked) → queued → running → done, or failed. Its
mapping may change until it is queued; a change after a check undoes the check. The
upload, the report and the rejected rows live in the job's own folder under
``VAR_DIR/imports``, never under a static path.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import shutil
import uuid
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, connection, transaction
from django.template.defaultfilters import filesizeformat
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.text import get_valid_filename
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from voronka.core.errors import NotAllowed
from voronka.core.locking import claim_version
from voronka.imports.engine import Importer, Outcome, import_file
from voronka.imports.models import Entity, ImportJob, ImportMapping
from voronka.imports.queries import (
    may_import,
    progress_file,
    read_options,
    sees_all_jobs,
)
from voronka.imports.reading import FileProblem, count_rows, open_table
from voronka.imports.spec import Mapping, SpecError, parse_mapping
from voronka.imports.suggest import suggest_mapping

log = logging.getLogger(__name__)

SUFFIXES = (".csv", ".tsv", ".txt", ".xlsx")
Status = ImportJob.Status
# The mapping may change while nothing runs and nothing was imported.
EDITABLE = (Status.UPLOADED, Status.CHECKED, Status.FAILED)
WORKING = (Status.CHECKING, Status.QUEUED, Status.RUNNING)
# A run that has not moved for this long was left by a worker that died.
STALE_AFTER_SECONDS = 30 * 60
# The reader's reasons a person sees most often, in their language.
FILE_PROBLEMS = {
    "the file is empty (0 bytes)": gettext_lazy("the file is empty (0 bytes)"),
    "the file has no rows": gettext_lazy("the file has no rows"),
    "the sheet has no rows": gettext_lazy("the sheet has no rows"),
    "the first row must name the columns, and it is empty": gettext_lazy(
        "the first row must name the columns, and it is empty"
    ),
}
STALE_MESSAGE = "The worker stopped before the run finished; start it again."
PARTIAL_MESSAGE = "Rows before the error may have been imported."
# Messages kept on a job in English and shown in the reader's language.
KNOWN_MESSAGES = {
    **FILE_PROBLEMS,
    STALE_MESSAGE: gettext_lazy("The worker stopped before the run finished; start it again."),
    PARTIAL_MESSAGE: gettext_lazy("Rows before the error may have been imported."),
    "The file is not UTF-8; it was read as Windows-1251.": gettext_lazy(
        "The file is not UTF-8; it was read as Windows-1251."
    ),
}
RESET = {
    "dry_run": False, "total_rows": None, "processed_rows": 0, "created": 0, "updated": 0,
    "skipped": 0, "rejected": 0, "message": "", "report_path": "", "rejected_path": "",
    "started_at": None, "finished_at": None,
}  # fmt: skip


def import_dir() -> Path:
    """Where uploads live: the private var folder, never a static path."""
    return Path(settings.VAR_DIR) / "imports"


def file_problem_text(problem: Exception) -> str:
    reason = str(problem)
    return str(FILE_PROBLEMS.get(reason, reason))


def _ensure_may_import(actor: Any) -> None:
    if not may_import(actor):
        raise NotAllowed(_("Only an administrator or the head of sales may import data."))


def _ensure_owns(actor: Any, job: ImportJob) -> None:
    _ensure_may_import(actor)
    if not (sees_all_jobs(actor) or job.created_by_id == actor.pk):
        raise NotAllowed()


def _store(upload: UploadedFile) -> Path:
    """The upload copied to a folder of its own; returns the file's path."""
    name = get_valid_filename(Path(upload.name or "import.csv").name) or "import.csv"
    folder = import_dir() / uuid.uuid4().hex
    folder.mkdir(parents=True)
    path = folder / name
    with path.open("wb") as out:
        for chunk in upload.chunks():
            out.write(chunk)
    return path


def _header(path: Path, spec: dict[str, Any]) -> list[str]:
    table = open_table(path, **read_options(spec))
    # The file (or an XLSX workbook) is closed when its rows are done with.
    rows: Any = table.rows()
    next(rows, None)
    rows.close()
    return table.header


def job_upload(
    *, actor: Any, entity: str, upload: UploadedFile, mapping: ImportMapping | None = None
) -> ImportJob:
    """Store an uploaded CSV or XLSX file and start an import of it.

    The mapping starts as the saved one chosen, or as a guess from the column names.
    A file that cannot be read is refused with the reader's reason and not kept.
    """
    _ensure_may_import(actor)
    if entity not in Entity.values:
        raise ValidationError({"entity": _("Choose what the file holds.")})
    if mapping is not None and mapping.entity != entity:
        raise ValidationError(
            {"mapping": _("This mapping is for %(kind)s; choose one for %(chosen)s.")
             % {"kind": mapping.get_entity_display().lower(),
                "chosen": Entity(entity).label.lower()}}
        )  # fmt: skip
    filename = Path(upload.name or "").name
    if not filename.lower().endswith(SUFFIXES):
        raise ValidationError(
            {"file": _("Choose a CSV or XLSX file (an old .xls file: save it as .xlsx first).")}
        )
    limit = settings.IMPORT_MAX_UPLOAD
    if (upload.size or 0) > limit:
        raise ValidationError(
            {"file": _("The file is %(size)s; the largest file accepted is %(limit)s.")
             % {"size": filesizeformat(upload.size or 0), "limit": filesizeformat(limit)}}
        )  # fmt: skip
    path = _store(upload)
    spec: dict[str, Any] = dict(mapping.spec) if mapping is not None else {}
    try:
        header = _header(path, spec)
    except FileProblem as problem:
        shutil.rmtree(path.parent, ignore_errors=True)
        raise ValidationError(
            {"file": _("«%(name)s» cannot be read: %(reason)s")
             % {"name": filename, "reason": file_problem_text(problem)}}
        ) from None  # fmt: skip
    if mapping is None:
        spec = suggest_mapping(entity, header)
    spec["entity"] = entity
    try:
        with transaction.atomic():
            return ImportJob.objects.create(
                entity=entity, filename=filename[:255], path=str(path), size=path.stat().st_size,
                spec=spec, mapping=mapping, created_by=actor,
            )  # fmt: skip
    except Exception:
        shutil.rmtree(path.parent, ignore_errors=True)
        raise


def validated_mapping(job: ImportJob, spec: Any, *, actor: Any) -> Mapping:
    """The mapping ``spec`` says, checked against the kind of records and the file's
    columns; a problem is a ValidationError on ``spec`` naming the place in the JSON."""
    try:
        mapping = parse_mapping(spec, entity=job.entity)
        importer = Importer(mapping, actor=actor)
        importer.check_columns(_header(Path(job.path), mapping.model_dump()))
    except SpecError as problem:
        raise ValidationError({"spec": str(problem)}) from None
    except FileProblem as problem:
        raise ValidationError({"spec": file_problem_text(problem)}) from None
    return mapping


def _stored(mapping: Mapping) -> dict[str, Any]:
    data = mapping.model_dump(mode="json", exclude_defaults=True)
    data["entity"] = mapping.entity
    return data


def _save_mapping_as(actor: Any, job: ImportJob, name: str, spec: dict[str, Any]) -> ImportMapping:
    taken = _("A mapping named «%(name)s» for %(kind)s exists already; choose another name.") % {
        "name": name, "kind": job.get_entity_display().lower(),
    }  # fmt: skip
    # Compared in Python: SQLite ignores the case of Latin letters only.
    names = ImportMapping.objects.filter(entity=job.entity).values_list("name", flat=True)
    if any(n.casefold() == name.casefold() for n in names):
        raise ValidationError({"save_as": taken})
    try:
        with transaction.atomic():
            return ImportMapping.objects.create(
                name=name, entity=job.entity, spec=spec, created_by=actor
            )
    except IntegrityError:
        raise ValidationError({"save_as": taken}) from None


@transaction.atomic
def job_update_mapping(
    *,
    actor: Any,
    job: ImportJob,
    spec: Any,
    all_or_nothing: bool,
    version: int,
    save_as: str = "",
) -> ImportJob:
    """Save the job's mapping (and, with ``save_as``, keep it for later files).

    A changed mapping undoes an earlier check: its numbers were for the old one.
    Refused with ``StaleVersion`` when someone changed the job since ``version``.
    """
    _ensure_owns(actor, job)
    if job.status not in EDITABLE:
        raise ValidationError(_("The import is running or done; its mapping cannot change now."))
    mapping = validated_mapping(job, spec, actor=actor)
    stored = _stored(mapping)
    claim_version(job, version)
    fields = ["spec", "all_or_nothing", "mapping"]
    name = " ".join((save_as or "").split())
    if name:
        if len(name) > 150:
            raise ValidationError({"save_as": _("At most 150 characters.")})
        job.mapping = _save_mapping_as(actor, job, name, stored)
    changed = stored != job.spec or all_or_nothing != job.all_or_nothing
    if changed or job.status != Status.CHECKED:
        for field, value in RESET.items():
            setattr(job, field, value)
        job.status = Status.UPLOADED
        fields += [*RESET, "status"]
    job.spec = stored
    job.all_or_nothing = all_or_nothing
    job.save(update_fields=fields)
    return job


def _queue(job: ImportJob, *, status: str, dry_run: bool) -> None:
    from voronka.imports.tasks import run_import_job

    for field, value in RESET.items():
        setattr(job, field, value)
    job.status = status
    job.dry_run = dry_run
    job.save(update_fields=[*RESET, "status"])
    progress_file(job).unlink(missing_ok=True)
    pk = job.pk
    # The reasons in the report speak the language the person is using now.
    language = translation.get_language()
    transaction.on_commit(lambda: run_import_job(pk, language))


@transaction.atomic
def job_check(*, actor: Any, job: ImportJob, version: int) -> ImportJob:
    """Queue a dry run: everything the import would do, rolled back, with its report."""
    _ensure_owns(actor, job)
    if job.status not in EDITABLE:
        raise ValidationError(_("The import is running or done already."))
    validated_mapping(job, job.spec, actor=actor)
    claim_version(job, version)
    _queue(job, status=Status.CHECKING, dry_run=True)
    return job


@transaction.atomic
def job_start(*, actor: Any, job: ImportJob, version: int) -> ImportJob:
    """Queue the import itself; the worker runs it and tells the person when it is done."""
    _ensure_owns(actor, job)
    if job.status not in (Status.UPLOADED, Status.CHECKED):
        raise ValidationError(
            _("The import is running or done already.")
            if job.status in (*WORKING, Status.DONE)
            else _("Fix the mapping first: the last run failed.")
        )
    validated_mapping(job, job.spec, actor=actor)
    claim_version(job, version)
    _queue(job, status=Status.QUEUED, dry_run=False)
    return job


def _claim(job_id: int) -> bool:
    """Take a queued job for this worker: a conditional UPDATE, so of two workers (or a
    task delivered twice) exactly one runs it."""
    now = timezone.now()
    rows = ImportJob.objects.filter(pk=job_id)
    if rows.filter(status=Status.QUEUED).update(status=Status.RUNNING, started_at=now):
        return True
    return bool(rows.filter(status=Status.CHECKING, started_at__isnull=True).update(started_at=now))


def _progress_writer(job: ImportJob) -> Any:
    path = progress_file(job)
    rows = ImportJob.objects.filter(pk=job.pk)

    def report(done: int) -> None:
        partial = path.with_suffix(".part")
        partial.write_text(str(done))
        os.replace(partial, path)
        if not connection.in_atomic_block:
            rows.update(processed_rows=done)

    return report


def job_run(*, job_id: int, language: str | None = None) -> None:
    """Run a queued check or import (the worker calls this); safe to call twice.

    The report of every row and the rejected rows are written next to the upload, as
    CSV with a byte-order mark so spreadsheets read the Cyrillic right.
    """
    if not _claim(job_id):
        return
    job = ImportJob.objects.select_related("created_by").get(pk=job_id)
    path = Path(job.path)
    stem = "check" if job.dry_run else "import"
    report_path = path.parent / f"{stem}-report.csv"
    rejected_path = path.parent / f"{stem}-rejected.csv"
    rows = ImportJob.objects.filter(pk=job_id)
    total: int | None = None
    try:
        mapping = parse_mapping(job.spec, entity=job.entity)
        total = count_rows(path, **read_options(job.spec))
        rows.update(total_rows=total)
        # The reasons in the report are written in the language of the person importing.
        language = getattr(job.created_by, "language", "") or language
        with (
            translation.override(language) if language else contextlib.nullcontext(),
            report_path.open("w", encoding="utf-8-sig", newline="") as report,
            rejected_path.open("w", encoding="utf-8-sig", newline="") as rejected,
        ):
            outcome = import_file(
                path, mapping, actor=job.created_by, dry_run=job.dry_run,
                all_or_nothing=job.all_or_nothing, report_to=report, rejected_to=rejected,
                progress=_progress_writer(job), total=total,
            )  # fmt: skip
    except (FileProblem, SpecError) as problem:
        outcome = Outcome(failed=file_problem_text(problem))
    except Exception as error:
        log.exception("import job %s failed", job_id)
        outcome = Outcome(failed=f"{type(error).__name__}: {error}")
        if not job.dry_run and not job.all_or_nothing:
            outcome.notices.append(PARTIAL_MESSAGE)
    _finish(job, outcome, total, report_path, rejected_path)


def _finish(
    job: ImportJob, outcome: Outcome, total: int | None, report_path: Path, rejected_path: Path
) -> None:
    failed = bool(outcome.failed)
    status = Status.FAILED if failed else (Status.CHECKED if job.dry_run else Status.DONE)
    nothing_written = failed and not job.dry_run and job.all_or_nothing
    ImportJob.objects.filter(pk=job.pk).update(
        status=status,
        processed_rows=outcome.rows,
        total_rows=max(total or 0, outcome.rows),
        created=0 if nothing_written else outcome.created,
        updated=0 if nothing_written else outcome.updated,
        skipped=outcome.skipped,
        rejected=outcome.rejected,
        message="\n".join([outcome.failed, *outcome.notices]).strip(),
        report_path=str(report_path) if report_path.is_file() else "",
        rejected_path=str(rejected_path) if rejected_path.is_file() else "",
        finished_at=timezone.now(),
    )
    progress_file(job).unlink(missing_ok=True)
    if not job.dry_run:
        job.refresh_from_db()
        _notify_finished(job)


def _notify_finished(job: ImportJob) -> None:
    from voronka.activities.models import NotificationKind
    from voronka.activities.services import notify

    person = job.created_by
    with translation.override(getattr(person, "language", "") or settings.LANGUAGE_CODE):
        if job.status == Status.DONE:
            title = _(
                "Import of «%(file)s» finished: created %(created)s, updated %(updated)s, "
                "rejected %(rejected)s."
            ) % {"file": job.filename, "created": job.created, "updated": job.updated,
                 "rejected": job.rejected}  # fmt: skip
        else:
            title = _("Import of «%(file)s» failed.") % {"file": job.filename}
    notify(
        recipient=person, kind=NotificationKind.IMPORT_FINISHED, task=None, title=title,
        url=reverse("imports:job-detail", args=[job.pk]),
    )  # fmt: skip


def jobs_forget_stale(*, now: datetime | None = None) -> int:
    """Mark runs whose worker died mid-way as failed; returns how many.

    A run is taken for dead when it started long ago and its progress has not moved
    since (the worker rewrites the progress file after every batch).
    """
    now = now or timezone.now()
    limit = now.timestamp() - STALE_AFTER_SECONDS
    dead = []
    started_long_ago = ImportJob.objects.filter(
        status__in=(Status.CHECKING, Status.RUNNING),
        started_at__lt=now - timedelta(seconds=STALE_AFTER_SECONDS),
    )
    for job in started_long_ago:
        try:
            moved = progress_file(job).stat().st_mtime
        except OSError:
            moved = 0
        if moved < limit:
            dead.append(job.pk)
    if not dead:
        return 0
    return ImportJob.objects.filter(pk__in=dead, status__in=WORKING).update(
        status=Status.FAILED,
        finished_at=now,
        message=STALE_MESSAGE,
    )


def mapping_json(mapping: ImportMapping) -> str:
    """A saved mapping as the JSON file ``voronka import --mapping`` reads."""
    spec = {"entity": mapping.entity, **mapping.spec}
    return json.dumps(spec, ensure_ascii=False, indent=2) + "\n"
