"""Importing one file with one mapping: every row read, checked, matched and written.

Rows go in batches. For each batch the related records are looked up at once, the
existing records are found (by the source system's id, then by the mapping's match
keys), new records are inserted in bulk, changed ones updated in bulk, and the KPI
rollups move with them in the same transaction. A bad row is rejected with its line,
column and reason and the others go on — unless the import is "all or nothing", in
which case one bad row keeps the whole file out. A dry run does everything and rolls
it all back, so its report says exactly what the import would do.

Imports write through this bulk path rather than one service call per row: a million
rows must go in within minutes. What the services would do per record — normalised
phones and e-mails, search text, stage history, history rows, rollups — is done here
per batch with the same functions.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

from django.db import DatabaseError, IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from voronka.analytics import facts
from voronka.analytics.spells import client_key
from voronka.core import organisation
from voronka.imports import inserts
from voronka.imports import values as read
from voronka.imports.fields import FieldReader
from voronka.imports.folding import CaseProblem, fold_table
from voronka.imports.lookups import fold
from voronka.imports.matching import RecordFinder
from voronka.imports.models import ExternalKey
from voronka.imports.reading import FileProblem, RowProblem, Table
from voronka.imports.report import Outcome, Report, Rollback
from voronka.imports.settling import Settler, add_facts
from voronka.imports.spec import Mapping, SpecError
from voronka.imports.targets import TARGETS, Row, Target
from voronka.sales import rollups

log = logging.getLogger(__name__)


class Importer(FieldReader, RecordFinder, Settler):
    def __init__(
        self,
        mapping: Mapping,
        *,
        actor: Any,
        dry_run: bool = False,
        all_or_nothing: bool = False,
        progress: Callable[[int], None] | None = None,
        batch_size: int = 5000,
        total: int | None = None,
    ) -> None:
        self.mapping = mapping
        self.maps = mapping.field_maps()
        self.actor = actor
        self.dry_run = dry_run
        self.all_or_nothing = all_or_nothing
        self.progress = progress or (lambda n: None)
        self.batch_size = batch_size
        self.total = total
        self.tz = organisation.current().tz
        # The file's dates are read in its own time zone when the mapping names one.
        self.file_tz = mapping.file_zone() or self.tz
        self.system = mapping.system or "import"
        self.target_cls = TARGETS[mapping.entity]
        self.check_mapping()

    # Before any row ------------------------------------------------------------------------

    def check_mapping(self) -> None:
        """Refuse a mapping that names fields the records don't have or misses required ones."""
        fields = self.target_cls.fields
        for name, fm in self.maps.items():
            if name not in fields:
                known = ", ".join(sorted(fields))
                raise SpecError(
                    f"fields.{name}: {self.mapping.entity} have no such field ({known})"
                )
            fdef = fields[name]
            if fm.lookup and fdef.kind == "fk" and fm.lookup not in fdef.lookups:
                raise SpecError(
                    f"fields.{name}.lookup: {fdef.ref} are found by {', '.join(fdef.lookups)}"
                )
            if fdef.kind == "choice":
                for source, ours in fm.values.items():
                    if ours not in (None, "") and ours not in fdef.choices:
                        raise SpecError(
                            f"fields.{name}.values.{source}: {ours!r} is not one of "
                            f"{', '.join(fdef.choices)}"
                        )
        for name, fdef in fields.items():
            if fdef.required and name not in self.maps:
                raise SpecError(f"fields.{name}: required; map a column to it or give a default")

    def check_columns(self, header: list[str]) -> None:
        missing = sorted(c for c in self.mapping.columns() if c not in header)
        if missing:
            raise FileProblem(
                "the file has no column "
                + ", ".join(repr(c) for c in missing)
                + " (its columns: "
                + ", ".join(header)
                + ")"
            )

    def fold_events(self, table: Table) -> Table:
        """An event log's table as one row per record (see :mod:`.folding`); other
        tables as they are."""
        log = self.mapping.event_log
        if log is None:
            return table
        return fold_table(table, log, tz=self.file_tz, date_format=self.mapping.date_format)

    # The run -------------------------------------------------------------------------------

    def run(self, table: Table, *, report: Report | None = None) -> Outcome:
        table = self.fold_events(table)
        outcome = Outcome(notices=list(table.notices))
        self.check_columns(table.header)
        report = report or Report(table.header, None, None)
        self.report = report
        self.outcome = outcome
        self.clients: set[Any] = set()
        # Rollup rows found or made by this import: {(model, key): id}; rows are never
        # deleted but by a rebuild, so an id once known stays right.
        self.known_rows: dict[Any, int] = {}
        one_transaction = self.dry_run or self.all_or_nothing
        try:
            if one_transaction:
                with transaction.atomic():
                    self._rows(table)
                    self._finish_clients()
                    if self.dry_run or outcome.rejected:
                        raise Rollback
            else:
                try:
                    self._rows(table)
                finally:
                    with transaction.atomic():
                        self._finish_clients()
        except Rollback:
            if self.all_or_nothing and outcome.rejected and not self.dry_run:
                outcome.failed = _(
                    "%(n)s rows were rejected; with “all or nothing” nothing was imported"
                ) % {"n": outcome.rejected}
        return outcome

    def _rows(self, table: Table) -> None:
        batch: list[Row] = []
        identities: set[tuple[str, str]] = set()
        header = table.header
        for line, cells in table.rows():
            self.outcome.rows += 1
            if cells and isinstance(cells[0], CaseProblem):
                row = Row(line, cells[0].cells, {})
                self._reject(row, cells[0].column, str(cells[0]))
                continue
            if cells and isinstance(cells[0], RowProblem):
                row = Row(line, [], {})
                self._reject(row, "", _("the row cannot be read: %(error)s") % {"error": cells[0]})
                continue
            raw = {name: cells[i] if i < len(cells) else None for i, name in enumerate(header)}
            row = Row(line, cells, raw)
            ident = self._identity(row)
            if ident & identities:
                # The same record twice: the second row updates what the first wrote.
                self._batch(batch)
                batch, identities = [], set()
            identities |= ident
            batch.append(row)
            if len(batch) >= self.batch_size:
                self._batch(batch)
                batch, identities = [], set()
        self._batch(batch)

    def _identity(self, row: Row) -> set[tuple[str, str]]:
        keys = set()
        if self.mapping.external_id:
            value = row.raw.get(self.mapping.external_id)
            if not read.is_blank(value):
                keys.add(("external_id", str(value).strip()))
        for key in self.mapping.match:
            fm = self.maps.get(key)
            if fm and fm.column and not read.is_blank(row.raw.get(fm.column)):
                keys.add((key, fold(row.raw[fm.column])))
        return keys

    def _batch(self, rows: list[Row]) -> None:
        if not rows:
            return
        target = self.target_cls(actor=self.actor, lookups=self.lookups, tz=self.tz)
        for row in rows:
            self._read_fields(row, target)
        self._link(rows)
        self._find_existing(rows, target)
        target.prepare(rows)
        for row in rows:
            if not row.problems:
                self._resolve_stage(row)
            if not row.problems:
                target.shape(row)
        good = []
        for row in rows:
            if row.problems:
                column, reason = row.problems[0]
                self._reject(row, self._column_of(column), reason)
            elif row.existing is not None and self.mapping.on_match == "skip":
                self.outcome.skipped += 1
                self.report.row(self.outcome, row, "skipped", row.existing.pk, "",
                                _("already there; the mapping says to skip it"))  # fmt: skip
            else:
                good.append(row)
        if good:
            self._write(good, target)
        self.progress(self.outcome.rows)

    # Writing -------------------------------------------------------------------------------

    def _write(self, rows: list[Row], target: Target) -> None:
        if self.dry_run or self.all_or_nothing:
            self._write_batch(rows, target)
            return
        try:
            with transaction.atomic():
                self._write_batch(rows, target)
        except (IntegrityError, DatabaseError) as error:
            # Find the row the database refused; write the others one by one.
            log.info("import batch refused by the database (%s); retrying row by row", error)
            # What the refused batch made is gone: forget the ids it left in the caches.
            self.known_rows.clear()
            del self._lookups
            for row in rows:
                try:
                    with transaction.atomic():
                        self._write_batch([row], target, count=False)
                except (IntegrityError, DatabaseError) as row_error:
                    reason = _("refused by the database: %(error)s") % {"error": row_error}
                    row.problems.append(("", reason))
                    self._reject(row, "", reason)
                else:
                    self._count([row])

    def _count(self, rows: list[Row]) -> None:
        for row in rows:
            if row.action == "created":
                self.outcome.created += 1
            elif row.action == "updated":
                self.outcome.updated += 1
            else:
                self.outcome.skipped += 1
            reason = "" if row.action != "unchanged" else _("nothing to change")
            result = "skipped" if row.action == "unchanged" else row.action
            self.report.row(self.outcome, row, result, row.obj.pk, "", reason)

    def _write_batch(self, rows: list[Row], target: Target, *, count: bool = True) -> None:
        model = target.model
        now = timezone.now()
        entity = target.entity
        # What the records count for before the change, read before anything is written.
        before_board: dict[int, Any] = {}
        old_links: dict[int, tuple[int | None, Any]] = {}  # deal → (lead, client)
        if entity == "deals":
            for r in rows:
                if r.existing is not None:
                    before_board[r.existing.pk] = rollups.board_state(r.existing)
                    old_links[r.existing.pk] = (
                        r.existing.lead_id,
                        client_key(r.existing.company_id, r.existing.contact_id),
                    )
        # Records that are interactions with their client (requests): the clients before.
        old_clients = {
            r.existing.pk: client_key(r.existing.company_id, r.existing.contact_id)
            for r in rows if target.is_interaction and r.existing is not None
        }  # fmt: skip
        activity_old: dict[int, tuple[Any, Any]] = {}  # id → (its facts, its client)
        if entity == "activities":
            for r in rows:
                if r.existing is not None:
                    activity_old[r.existing.pk] = (
                        facts.activity_facts(r.existing, self.tz),
                        client_key(r.existing.company_id, r.existing.contact_id),
                    )
        new: list[Row] = []
        changed: list[Row] = []
        fields_changed: set[str] = set()
        for row in rows:
            is_new = row.existing is None
            obj: Any = model() if is_new else row.existing
            row.obj = obj
            row.changed = target.apply(row, obj, new=is_new)
            if entity == "deals" and obj.company_id is None and obj.contact_id is None:
                row.problems.append(("company", _("a deal needs a client: a company or a contact")))
            if row.problems:
                continue  # rejected below; nothing of it is written
            if is_new or row.changed:
                row.changed += target.finish(obj)
            if is_new:
                if hasattr(obj, "created_by_id"):
                    obj.created_by = self.actor
                if (
                    hasattr(obj, "owner_id")
                    and entity in ("companies", "contacts")
                    and not obj.owner_id
                ):
                    obj.owner = self.actor
                row.action = "created"
                new.append(row)
            elif row.changed:
                if hasattr(obj, "version"):
                    obj.version += 1
                    row.changed.append("version")
                if hasattr(obj, "updated_at"):
                    obj.updated_at = now
                    row.changed.append("updated_at")
                fields_changed.update(row.changed)
                row.action = "updated"
                changed.append(row)
            else:
                row.action = "unchanged"
        for row in [r for r in rows if r.problems and not r.action]:
            column, reason = row.problems[0]
            self._reject(row, self._column_of(column), reason)
        rows = [r for r in rows if r.action]
        touched = [r for r in rows if r.action in ("created", "updated")]
        lead_ids: set[int] = set()
        before_facts: dict[Any, Any] = {}
        if entity == "deals":
            lead_ids = {lid for r in changed if (lid := old_links[r.obj.pk][0]) is not None}
            lead_ids |= {r.values["lead"] for r in touched if r.values.get("lead")}
            before_facts = facts.current_facts(
                deal_ids=[r.obj.pk for r in changed], lead_ids=lead_ids
            )
            self.clients |= {old_links[r.obj.pk][1] for r in changed}
        elif entity == "leads":
            lead_ids = {r.obj.pk for r in changed}
            before_facts = facts.current_facts(lead_ids=lead_ids)
        if entity == "deals":
            self._client_names([r.obj for r in new + changed])
            for row in new + changed:
                row.obj.search_text = (
                    f"{row.obj.search_text} {getattr(row.obj, '_client_name', '')}"
                ).strip()
        objs = [r.obj for r in new]
        if target.fast_insert:
            for r in new:
                if r.values.get("created_at") is not None:
                    r.obj.created_at = r.values["created_at"]
            inserts.insert(model, objs, now=now)
        else:
            model._default_manager.bulk_create(objs, batch_size=500)
        if changed:
            model._default_manager.bulk_update(
                [r.obj for r in changed], sorted(fields_changed - {"id"}), batch_size=500
            )
        keys = [
            ExternalKey(entity=entity, system=self.system, key=r.key, object_id=r.obj.pk)
            for r in new if r.key
        ]  # fmt: skip
        inserts.insert(ExternalKey, keys, now=now)
        target.after(new + changed)
        if target.has_history:
            actor = self.actor if getattr(self.actor, "pk", None) else None
            inserts.insert_history(model, [r.obj for r in new], kind="+", user=actor, now=now)
            inserts.insert_history(model, [r.obj for r in changed], kind="~", user=actor, now=now)
        if entity == "deals":
            self.clients |= {client_key(r.obj.company_id, r.obj.contact_id) for r in touched}
        if target.is_interaction:
            self.clients |= {old_clients[r.obj.pk] for r in changed}
            self.clients |= {client_key(r.obj.company_id, r.obj.contact_id) for r in touched}
        if entity in ("deals", "leads") and touched:
            self._settle(touched, entity, before_facts, before_board, lead_ids)
        if entity == "activities":
            before: dict[Any, Any] = {}
            after: dict[Any, Any] = {}
            for r in touched:
                if r.action == "updated":
                    old_facts, old_client = activity_old[r.obj.pk]
                    add_facts(before, old_facts)
                    self.clients.add(old_client)
                add_facts(after, facts.activity_facts(r.obj, self.tz))
                self.clients.add(client_key(r.obj.company_id, r.obj.contact_id))
            facts.apply(before, after, known=self.known_rows)
            self._touch_last_contact([r.obj for r in touched])
        if count:
            self._count(rows)


def import_file(
    path: Path,
    mapping: Mapping,
    *,
    actor: Any,
    dry_run: bool = False,
    all_or_nothing: bool = False,
    report_to: IO[str] | None = None,
    rejected_to: IO[str] | None = None,
    progress: Callable[[int], None] | None = None,
    total: int | None = None,
) -> Outcome:
    """Import one file; a file that cannot be read at all comes back as ``failed``."""
    from voronka.imports.reading import count_rows, open_table

    options: dict[str, Any] = {
        "encoding": mapping.encoding,
        "delimiter": mapping.delimiter,
        "sheet": mapping.sheet,
    }
    try:
        if total is None:
            total = count_rows(path, **options)
        importer = Importer(
            mapping, actor=actor, dry_run=dry_run, all_or_nothing=all_or_nothing,
            progress=progress, total=total,
        )  # fmt: skip
        table = open_table(path, **options)
        importer.check_columns(table.header)
        # Folded first, so that the reports have the folded rows' columns.
        table = importer.fold_events(table)
        return importer.run(table, report=Report(table.header, report_to, rejected_to))
    except (FileProblem, SpecError) as problem:
        return Outcome(failed=str(problem))
