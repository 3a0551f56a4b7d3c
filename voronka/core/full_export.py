"""Everything in one file: a ZIP with a CSV file per kind of record and a manifest.

For the administrator who takes the organisation's data elsewhere (or keeps a copy of
it in a form any spreadsheet opens). The same writer serves the "Export everything"
page, which runs it as a background job and shows its progress, and the command line
(``voronka export --out FILE.zip``).

The files hold the stored values: ids (foreign keys as ``<name>_id``), dates as
``YYYY-MM-DD``, times as ISO 8601 with the organisation's UTC offset, decimals with a
dot, ``true``/``false``. Soft-deleted records are included; their ``deleted_at`` is
set. Users come without their password hashes.
"""

from __future__ import annotations

import csv
import io
import json
import logging
import os
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta, tzinfo
from decimal import Decimal
from importlib.metadata import PackageNotFoundError
from importlib.metadata import version as package_version
from pathlib import Path
from typing import IO, Any

from django.apps import apps
from django.conf import settings
from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from voronka.core import organisation
from voronka.core.errors import NotAllowed
from voronka.core.exporting import BOM, CHUNK, chunked
from voronka.core.models import FullExport

log = logging.getLogger(__name__)

# Derived columns (search text, normalised phones) and secrets are left out.
LEFT_OUT = frozenset({"password", "search_text", "phone_normalized", "email_normalized"})
# A running export that has not reported progress for this long was left by a worker that
# died; it no longer blocks a new one.
STALE_AFTER = timedelta(minutes=15)
ACTIVE = (FullExport.Status.PENDING, FullExport.Status.RUNNING)
DELETED_NOTE = (
    "Soft-deleted records are included: their deleted_at column holds the moment they were "
    "deleted (empty for records in use). Files with a deleted_at column: {files}."
)


@dataclass(frozen=True)
class Table:
    """One file of the export: ``key``.csv with the rows of the model ``model_label``."""

    key: str
    label: Any  # what the progress line calls it
    model_label: str
    tags: bool = False  # add the tag names (a many-to-many) as a column

    @property
    def model(self) -> type[models.Model]:
        return apps.get_model(self.model_label)

    @property
    def file_name(self) -> str:
        return f"{self.key}.csv"

    def fields(self) -> list[models.Field]:
        return [f for f in self.model._meta.concrete_fields if f.name not in LEFT_OUT]

    def headers(self) -> list[str]:
        names = [f.attname for f in self.fields()]
        return [*names, "tags"] if self.tags else names

    def queryset(self) -> models.QuerySet[Any]:
        # The base manager sees every row, soft-deleted ones included.
        return self.model._base_manager.order_by("pk")


TABLES: tuple[Table, ...] = (
    Table("companies", _("Companies"), "clients.Company", tags=True),
    Table("contacts", _("Contacts"), "clients.Contact", tags=True),
    Table("leads", _("Leads"), "sales.Lead"),
    Table("deals", _("Deals"), "sales.Deal"),
    Table("deal_lines", _("Deal lines"), "sales.DealLine"),
    Table("stage_history", _("Stage history"), "sales.StageHistory"),
    Table("products", _("Products"), "sales.Product"),
    Table("product_categories", _("Product categories"), "sales.ProductCategory"),
    Table("pipelines", _("Pipelines"), "sales.Pipeline"),
    Table("stages", _("Stages"), "sales.Stage"),
    Table("lead_sources", _("Lead sources"), "sales.LeadSource"),
    Table("lost_reasons", _("Lost reasons"), "sales.LostReason"),
    Table("activities", _("Interactions"), "activities.Activity"),
    Table("tasks", _("Tasks"), "activities.Task"),
    Table("users", _("Users"), "accounts.User"),
    Table("teams", _("Teams"), "accounts.Team"),
    Table("sales_plans", _("Sales plans"), "analytics.SalesPlan"),
)
LABELS = {t.key: t.label for t in TABLES}


@dataclass(frozen=True)
class Progress:
    """Where a running export is: file ``number`` of ``files``, ``done`` of its ``total`` rows."""

    number: int
    files: int
    table: Table
    done: int
    total: int


def voronka_version() -> str:
    try:
        return package_version("voronka")
    except PackageNotFoundError:  # pragma: no cover - run from a tree that is not installed
        return "unknown"


def _text(value: Any, tz: tzinfo) -> Any:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        if timezone.is_aware(value):
            value = timezone.localtime(value, tz)
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False)
    return value


def _tag_names(table: Table, pks: list[Any]) -> dict[Any, str]:
    through = table.model._meta.get_field("tags").remote_field.through  # type: ignore[union-attr]
    owner = f"{table.model._meta.model_name}_id"
    names: dict[Any, list[str]] = {}
    rows = through.objects.filter(**{f"{owner}__in": pks}).order_by("tag__name")
    for pk, name in rows.values_list(owner, "tag__name"):
        names.setdefault(pk, []).append(name)
    return {pk: ", ".join(tags) for pk, tags in names.items()}


def _rows(table: Table, tz: tzinfo) -> Iterator[list[list[Any]]]:
    """The table's rows as CSV values, a chunk at a time."""
    names = [f.attname for f in table.fields()]
    values = table.queryset().values_list(*names).iterator(chunk_size=CHUNK)
    for chunk in chunked(values, CHUNK):
        tags = _tag_names(table, [r[0] for r in chunk]) if table.tags else {}
        lines = [[_text(v, tz) for v in row] for row in chunk]
        if table.tags:
            for line, row in zip(lines, chunk, strict=True):
                line.append(tags.get(row[0], ""))
        yield lines


def write_full_export(
    target: str | Path | IO[bytes],
    *,
    progress: Callable[[Progress], None] | None = None,
    now: datetime | None = None,
) -> dict[str, Any]:
    """Writes the ZIP to ``target``; returns its manifest. ``progress`` hears of every chunk."""
    org = organisation.current()
    tz = org.tz
    files: list[dict[str, Any]] = []
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for number, table in enumerate(TABLES, start=1):
            total = table.queryset().count()
            if progress:
                progress(Progress(number, len(TABLES), table, 0, total))
            headers = table.headers()
            deleted_at = headers.index("deleted_at") if "deleted_at" in headers else None
            done = deleted = 0
            with archive.open(table.file_name, "w", force_zip64=True) as raw:
                text = io.TextIOWrapper(raw, encoding="utf-8", newline="")
                text.write(BOM)
                writer = csv.writer(text)
                writer.writerow(headers)
                for lines in _rows(table, tz):
                    writer.writerows(lines)
                    done += len(lines)
                    if deleted_at is not None:
                        deleted += sum(1 for line in lines if line[deleted_at] != "")
                    if progress:
                        progress(Progress(number, len(TABLES), table, done, max(total, done)))
                text.flush()
                text.detach()
            entry: dict[str, Any] = {"name": table.file_name, "rows": done, "columns": headers}
            if deleted_at is not None:
                entry["deleted_rows"] = deleted
            files.append(entry)
        manifest = _manifest(files, org, now or timezone.now())
        archive.writestr("manifest.json", json.dumps(manifest, ensure_ascii=False, indent=2))
    return manifest


def _manifest(files: list[dict[str, Any]], org: Any, now: datetime) -> dict[str, Any]:
    with_deleted = [f["name"] for f in files if "deleted_rows" in f]
    return {
        "format": "voronka-full-export",
        "voronka_version": voronka_version(),
        "generated_at": timezone.localtime(now, org.tz).isoformat(),
        "organisation": org.name,
        "time_zone": org.time_zone,
        "base_currency": org.base_currency,
        "encoding": "UTF-8 with a byte-order mark, comma-separated, one header row",
        "counts": {f["name"]: f["rows"] for f in files},
        "deleted_records": DELETED_NOTE.format(files=", ".join(with_deleted)),
        "users": "Password hashes are not exported.",
        "files": files,
    }


# --- The background job and its page ----------------------------------------------------------


def may_export_everything(user: Any) -> bool:
    """The full export holds every record and every user: administrators only."""
    return bool(
        user is not None
        and user.is_authenticated
        and user.is_active
        and (user.is_superuser or getattr(user, "role", "") == "admin")
    )


def export_dir() -> Path:
    """The private folder of finished exports: under the var folder, never a static path."""
    configured = getattr(settings, "VORONKA_EXPORT_DIR", None)
    return Path(configured) if configured else Path(settings.VAR_DIR) / "exports"


def file_path(export: FullExport) -> Path | None:
    """The finished file of ``export``, if it is there."""
    name = export.file_name
    if export.status != FullExport.Status.DONE or not name or Path(name).name != name:
        return None
    path = export_dir() / name
    return path if path.is_file() else None


def forget_stale(*, now: datetime | None = None) -> int:
    """Marks exports whose worker died mid-way as failed; returns how many."""
    now = now or timezone.now()
    return FullExport.objects.filter(
        status=FullExport.Status.RUNNING, heartbeat_at__lt=now - STALE_AFTER
    ).update(
        status=FullExport.Status.FAILED,
        finished_at=now,
        error="The worker stopped before the export finished.",
    )


def full_export_start(*, actor: Any) -> tuple[FullExport, bool]:
    """Queues an export of everything; returns it and True, or the export already waiting
    or running and False (one at a time: two would only compete for the same rows)."""
    if not may_export_everything(actor):
        raise NotAllowed(str(_("Only an administrator may export all data.")))
    from voronka.core.tasks import run_full_export

    with transaction.atomic():
        forget_stale()
        current = FullExport.objects.filter(status__in=ACTIVE).order_by("-pk").first()
        if current is not None:
            return current, False
        export = FullExport.objects.create(requested_by=actor)
        transaction.on_commit(lambda: run_full_export(export.pk))
    return export, True


def full_export_run(export_id: int) -> None:
    """Writes the file of a queued export, keeping its progress on the row.

    Safe to run twice: only the run that moves the row from waiting to running works.
    The ZIP is written under a temporary name and renamed when complete, so a listed
    file is never half-written.
    """
    now = timezone.now()
    claimed = FullExport.objects.filter(pk=export_id, status=FullExport.Status.PENDING).update(
        status=FullExport.Status.RUNNING, started_at=now, heartbeat_at=now
    )
    if not claimed:
        return
    folder = export_dir()
    # Every record and every user is in the file: readable by Voronka's own account only.
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    local = timezone.localtime(now, organisation.current().tz)
    name = f"voronka-export-{local:%Y-%m-%d-%H%M%S}-{export_id}.zip"
    partial = folder / f".{name}.part"
    rows = FullExport.objects.filter(pk=export_id)

    def report(step: Progress) -> None:
        rows.update(
            step=step.table.key, step_number=step.number, step_done=step.done,
            step_total=step.total, heartbeat_at=timezone.now(),
        )  # fmt: skip

    try:
        manifest = write_full_export(partial, progress=report)
        partial.chmod(0o600)
        os.replace(partial, folder / name)
    except Exception as exc:
        log.exception("full export %s failed", export_id)
        partial.unlink(missing_ok=True)
        rows.update(status=FullExport.Status.FAILED, finished_at=timezone.now(), error=str(exc))
        return
    rows.update(
        status=FullExport.Status.DONE,
        finished_at=timezone.now(),
        file_name=name,
        size=(folder / name).stat().st_size,
        counts=manifest["counts"],
    )


def recent_exports(limit: int = 20) -> list[FullExport]:
    return list(FullExport.objects.select_related("requested_by").order_by("-pk")[:limit])
