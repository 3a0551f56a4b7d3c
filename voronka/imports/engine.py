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

import csv
import logging
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from django.db import DatabaseError, IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from voronka.analytics import facts, spells
from voronka.analytics.spells import client_key
from voronka.core import organisation
from voronka.imports import inserts
from voronka.imports import values as read
from voronka.imports.lookups import Lookups, NotFound, fold
from voronka.imports.models import ExternalKey
from voronka.imports.reading import FileProblem, RowProblem, Table, broken_text
from voronka.imports.spec import FieldMap, Mapping, SpecError, template_columns
from voronka.imports.targets import TARGETS, FieldDef, Row, Target
from voronka.sales import rollups

log = logging.getLogger(__name__)

SMALL_REFS = {
    "users",
    "teams",
    "sources",
    "reasons",
    "categories",
    "pipelines",
    "products",
    "stages",
}
BIG_REFS = {"companies", "contacts", "leads", "deals"}
SAMPLE_ROWS = 200


class Rollback(Exception):
    pass


@dataclass
class Outcome:
    rows: int = 0
    created: int = 0
    updated: int = 0
    skipped: int = 0
    rejected: int = 0
    failed: str = ""  # the file as a whole was refused; nothing was written
    notices: list[str] = field(default_factory=list)
    sample: list[tuple[int, str, int | None, str, str]] = field(default_factory=list)

    @property
    def written(self) -> int:
        return self.created + self.updated

    def as_dict(self) -> dict[str, Any]:
        return {
            "rows": self.rows, "created": self.created, "updated": self.updated,
            "skipped": self.skipped, "rejected": self.rejected, "failed": self.failed,
            "notices": self.notices,
        }  # fmt: skip


class Report:
    """Where the per-row results go: a report of every row, and the rejected rows as a
    file a person can fix and import again."""

    def __init__(self, header: list[str], report: IO[str] | None, rejected: IO[str] | None):
        self.report = csv.writer(report) if report else None
        self.rejected = csv.writer(rejected) if rejected else None
        if self.report:
            self.report.writerow(["line", "result", "id", "column", "reason"])
        if self.rejected:
            self.rejected.writerow(["line", "column", "reason", *header])

    def row(self, outcome: Outcome, row: Row, result: str, record_id: int | None = None,
            column: str = "", reason: str = "") -> None:  # fmt: skip
        if len(outcome.sample) < SAMPLE_ROWS:
            outcome.sample.append((row.line, result, record_id, column, reason))
        if self.report:
            self.report.writerow([row.line, result, record_id or "", column, reason])
        if result == "rejected" and self.rejected:
            self.rejected.writerow([row.line, column, reason, *[_cell(c) for c in row.cells]])


def _fill(template: str | list[str], join: str, raw: dict[str, Any]) -> str:
    """A template filled from the row; a part whose columns are all blank is left out."""
    filled = []
    for part in [template] if isinstance(template, str) else template:
        cells = {c: "" if read.is_blank(raw.get(c)) else str(raw[c]).strip()
                 for c in template_columns(part)}  # fmt: skip
        if cells and not any(cells.values()):
            continue
        filled.append(part.format(**cells).strip())
    return join.join(filled)


def _cell(value: Any) -> Any:
    if isinstance(value, RowProblem):
        return ""
    if isinstance(value, str) and broken_text(value):
        return value.encode("utf-8", errors="surrogateescape").decode("utf-8", errors="replace")
    return "" if value is None else value


def _add_facts(into: dict[Any, Any], more: dict[Any, Any]) -> None:
    for key, values in more.items():
        slot = into.setdefault(key, {})
        for name, amount in values.items():
            slot[name] = slot.get(name, 0) + amount


def _template_columns(fm: FieldMap) -> set[str]:
    parts = [fm.template] if isinstance(fm.template, str) else fm.template or []
    return {c for part in parts for c in template_columns(part)}


class Importer:
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

    # The run -------------------------------------------------------------------------------

    def run(self, table: Table, *, report: Report | None = None) -> Outcome:
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

    def _column_of(self, name: str) -> str:
        """The file's column for a field a rule names, when the mapping reads it from one."""
        fm = self.maps.get(name)
        return fm.column if fm is not None and fm.column else name

    def _reject(self, row: Row, column: str, reason: str) -> None:
        self.outcome.rejected += 1
        self.report.row(self.outcome, row, "rejected", None, column, reason)

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

    @property
    def lookups(self) -> Lookups:
        if not hasattr(self, "_lookups"):
            self._lookups = Lookups(self.system)
        return self._lookups

    # Reading one row's fields --------------------------------------------------------------

    def _source(self, name: str, fm: FieldMap, row: Row) -> Any:
        if fm.template:
            value: Any = _fill(fm.template, fm.join, row.raw)
        elif fm.column:
            value = row.raw.get(fm.column)
        else:
            value = None
        if isinstance(value, str):
            value = value.strip()
            if value in fm.blank:
                value = None
        if not read.is_blank(value) and fm.values:
            key = str(value)
            if key in fm.values:
                value = fm.values[key]
            elif fm.ignore_case:
                folded = {fold(k): v for k, v in fm.values.items()}
                value = folded.get(fold(key), value)
        if read.is_blank(value) and fm.default is not None:
            value = fm.default
            if fm.column or fm.template:
                # A default for a blank cell fills in new records only; a value with
                # no column at all is the mapping's constant and is always set.
                row.defaulted.add(name)
        return value

    def _read_fields(self, row: Row, target: Target) -> None:
        if self.mapping.external_id:
            key = row.raw.get(self.mapping.external_id)
            row.key = "" if read.is_blank(key) else str(key).strip()[:200]
        for name, fm in self.maps.items():
            fdef = target.fields[name]
            column = fm.column or (", ".join(sorted(_template_columns(fm))) or name)
            try:
                value = self._source(name, fm, row)
            except (KeyError, ValueError, IndexError) as error:
                row.reject(column, _("the template cannot be filled: %(error)s") % {"error": error})
                continue
            if broken_text(value):
                row.reject(column, _(
                    "the text holds bytes that are not valid in the file's encoding; "
                    "save the file as UTF-8"
                ))  # fmt: skip
                continue
            if read.is_blank(value):
                if fdef.required:
                    row.values.setdefault("_missing", []).append((name, column))
                continue
            try:
                row.values[name] = self._value(fdef, fm, value)
            except read.CellError as error:
                row.reject(column, str(error))
            except NotFound:
                row.reject(column, self._not_found(fdef, value))
        for name, column in row.values.pop("_missing", []):
            if name == "stage" or name not in row.values:
                row.reject(column, _("required; the cell is empty"))

    def _value(self, fdef: FieldDef, fm: FieldMap, value: Any) -> Any:
        kind = fdef.kind
        if kind == "text":
            return read.text(value, fdef.max_length)
        if kind == "email":
            return read.email(value)
        if kind == "phone":
            return read.text(value, fdef.max_length)
        if kind == "decimal":
            return read.decimal(value, comma=self.mapping.decimal_comma)
        if kind == "int":
            return read.integer(value)
        if kind == "bool":
            return read.boolean(value)
        if kind == "date":
            return read.day(value, fm.format or self.mapping.date_format)
        if kind == "datetime":
            return read.moment(value, fm.format or self.mapping.date_format, self.tz)
        if kind == "choice":
            raw = read.text(value)
            if raw in fdef.choices:
                return raw
            by_fold = {fold(c): c for c in fdef.choices}
            if fold(raw) in by_fold:
                return by_fold[fold(raw)]
            raise read.CellError(
                _("unknown value %(value)r; expected one of %(choices)s (or translate it in "
                  "the mapping's values)") % {"value": raw[:60], "choices": ", ".join(fdef.choices)}
            )  # fmt: skip
        if kind == "tags":
            return read.split(value, fm.split or ",")
        if kind == "fk":
            name = read.text(value)
            name = fm.aliases.get(name, name)
            if fdef.ref in SMALL_REFS:
                return self._small(fdef.ref, fm, name)
            return ("?", name)  # found a batch at a time in _link
        raise read.CellError(f"cannot read a {kind}")

    def _small(self, ref: str, fm: FieldMap, name: str) -> Any:
        lk = self.lookups
        created = lk.created
        if ref == "users":
            return lk.people.find(name, create=fm.create, created=created)
        if ref == "products":
            return lk.product(name)
        if ref == "stages":
            return name
        return {
            "teams": lk.teams, "sources": lk.sources, "reasons": lk.reasons,
            "categories": lk.categories, "pipelines": lk.pipelines,
        }[ref].find(name, create=fm.create, created=created)  # fmt: skip

    def _not_found(self, fdef: FieldDef, value: Any) -> str:
        what = {
            "users": _("no user named %(value)r"), "teams": _("no team named %(value)r"),
            "sources": _("no lead source named %(value)r"),
            "reasons": _("no reason named %(value)r"),
            "categories": _("no product category named %(value)r"),
            "pipelines": _("no pipeline named %(value)r"),
            "products": _("no product named %(value)r"),
        }.get(fdef.ref, _("nothing named %(value)r"))  # fmt: skip
        return (what % {"value": str(value)[:60]}) + " " + _("(map the value or allow creating it)")

    def _resolve_stage(self, row: Row) -> None:
        if self.mapping.entity != "deals" or "stage" not in row.values:
            return
        from voronka.sales.queries import default_pipeline

        pipeline_id = row.values.get("pipeline")
        if pipeline_id is None and row.existing is not None:
            pipeline_id = row.existing.pipeline_id
        if pipeline_id is None:
            if not hasattr(self, "_default_pipeline"):
                self._default_pipeline = default_pipeline()
            default = self._default_pipeline
            if default is None:
                row.reject("pipeline", _("there is no pipeline; create one or name it"))
                return
            pipeline_id = default.pk
        try:
            row.values["stage"] = self.lookups.stage(pipeline_id, row.values["stage"])
        except NotFound:
            fm = self.maps["stage"]
            row.reject(fm.column or "stage", _(
                "unknown stage %(value)r in the pipeline (translate it in the mapping's values)"
            ) % {"value": row.values["stage"][:60]})  # fmt: skip

    # Related records and existing records --------------------------------------------------

    def _link(self, rows: list[Row]) -> None:
        fields = self.target_cls.fields
        for name, fm in self.maps.items():
            fdef = fields[name]
            if fdef.kind != "fk" or fdef.ref not in BIG_REFS:
                continue
            lookup = fm.lookup or fdef.lookups[0]
            wanted = [r.values[name][1] for r in rows if name in r.values]
            found = self.lookups.batch(fdef.ref, lookup, wanted)
            for r in rows:
                if name not in r.values:
                    continue
                value = r.values[name][1]
                pk = found.get(value)
                if pk is None and fm.create and fdef.ref == "companies" and lookup == "name":
                    pk = self._create_company(value)
                    found[value] = pk
                if pk is None:
                    del r.values[name]
                    r.reject(
                        fm.column or name,
                        _("no record found by %(lookup)s %(value)r")
                        % {"lookup": lookup, "value": value[:60]},
                    )
                else:
                    r.values[name] = pk

    def _create_company(self, name: str) -> int:
        from voronka.clients.models import Company
        from voronka.imports.targets import Companies

        company = Company(name=name[:250], owner=self.actor, created_by=self.actor)
        Companies(actor=self.actor, lookups=self.lookups, tz=self.tz).finish(company)
        company.save()
        self.lookups.created.append(company)
        return company.pk

    def _find_existing(self, rows: list[Row], target: Target) -> None:
        model = target.model
        manager = model._default_manager
        ids: dict[int, int] = {}  # row index → record id
        keyed = [i for i, r in enumerate(rows) if r.key]
        if keyed:
            found = self.lookups.batch(target.entity, "external_id", [rows[i].key for i in keyed])
            for i in keyed:
                if rows[i].key in found:
                    ids[i] = found[rows[i].key]
        match = [k for k in (self.mapping.match or target.match_keys) if k != "external_id"]
        for key in match:
            waiting = [i for i, r in enumerate(rows) if i not in ids and not r.problems]
            wanted = {}
            for i in waiting:
                value = target.match_transform(key, target.match_value(rows[i], key))
                if value:
                    wanted[i] = value
            if not wanted:
                continue
            if target.entity == "users" and key == "full_name":
                index = self.lookups.people.index
                by = {v: index[fold(v)] for v in wanted.values() if fold(v) in index}
            else:
                column = target.match_field(key)
                by = {}
                values = list(set(wanted.values()))
                for j in range(0, len(values), 500):
                    for pk, value in (
                        manager.filter(**{f"{column}__in": values[j : j + 500]})
                        .order_by("-pk").values_list("pk", column)
                    ):  # fmt: skip
                        by[value] = pk
            for i, value in wanted.items():
                if value in by:
                    ids[i] = by[value]
        existing = manager.in_bulk(set(ids.values()))
        for i, pk in ids.items():
            rows[i].existing = existing.get(pk)

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
        if entity in ("deals", "leads") and touched:
            self._settle(touched, entity, before_facts, before_board, lead_ids)
        if entity == "activities":
            before: dict[Any, Any] = {}
            after: dict[Any, Any] = {}
            for r in touched:
                if r.action == "updated":
                    old_facts, old_client = activity_old[r.obj.pk]
                    _add_facts(before, old_facts)
                    self.clients.add(old_client)
                _add_facts(after, facts.activity_facts(r.obj, self.tz))
                self.clients.add(client_key(r.obj.company_id, r.obj.contact_id))
            facts.apply(before, after, known=self.known_rows)
            self._touch_last_contact([r.obj for r in touched])
        if count:
            self._count(rows)

    def _client_names(self, deals: list[Any]) -> None:
        from voronka.clients.models import Company, Contact

        companies = dict(
            Company.all_objects.filter(pk__in={d.company_id for d in deals if d.company_id})
            .values_list("pk", "name")
        )  # fmt: skip
        contacts = {
            c.pk: c.full_name
            for c in Contact.all_objects.filter(
                pk__in={d.contact_id for d in deals if d.contact_id}
            )
        }
        for d in deals:
            from voronka.core.text import search_text

            d._client_name = search_text(
                companies.get(d.company_id, ""), contacts.get(d.contact_id, "")
            )

    def _settle(self, rows: list[Row], entity: str, before: Any, before_board: dict[int, Any],
                lead_ids: set[int]) -> None:  # fmt: skip
        """The rollups move with the batch, in its transaction; the clients' spells and
        stages wait for :meth:`_finish_clients`, once per client for the whole file."""
        if entity == "deals":
            deal_ids = [r.obj.pk for r in rows]
            lead_ids |= {r.obj.lead_id for r in rows if r.obj.lead_id}
            facts.apply(
                before, facts.current_facts(deal_ids=deal_ids, lead_ids=lead_ids),
                known=self.known_rows,
            )  # fmt: skip
            rollups.board_apply_many(
                [(before_board.get(r.obj.pk), rollups.board_state(r.obj)) for r in rows],
                known=self.known_rows,
            )
            spells.refresh_deals(deal_ids)
        else:
            lead_ids |= {r.obj.pk for r in rows}
            facts.apply(before, facts.current_facts(lead_ids=lead_ids), known=self.known_rows)

    def _finish_clients(self) -> None:
        """Client spells (when a client counts as active) and life-cycle stages of every
        client whose deals the import touched."""
        clients = {c for c in self.clients if c is not None}
        self.clients = set()
        keys = sorted(clients)
        for i in range(0, len(keys), 500):
            spells.refresh_clients(set(keys[i : i + 500]))
        self._lifecycle(clients)

    def _lifecycle(self, clients: Iterable[Any]) -> None:
        """Clients with won deals become customers, as after a deal won by hand; only the
        clients whose stage changes are written (through the clients' service)."""
        from django.db.models import Count

        from voronka.clients.models import Company, Contact
        from voronka.clients.services import client_refresh_lifecycle, lifecycle_after_purchases
        from voronka.sales.models import Deal

        for kind, model in (("company", Company), ("contact", Contact)):
            ids = sorted({pk for key in clients if key and key[0] == kind for pk in key[1:]})
            for i in range(0, len(ids), 500):
                chunk = ids[i : i + 500]
                won = dict(
                    Deal.objects.filter(**{f"{kind}_id__in": chunk}, status=Deal.Status.WON)
                    .values_list(f"{kind}_id")
                    .annotate(n=Count("pk"))
                )
                for pk, stage in model.objects.filter(pk__in=chunk).values_list(
                    "pk", "lifecycle_stage"
                ):
                    if lifecycle_after_purchases(stage, won.get(pk, 0)) != stage:
                        client_refresh_lifecycle(
                            company_id=pk if kind == "company" else None,
                            contact_id=pk if kind == "contact" else None,
                        )

    def _touch_last_contact(self, activities: list[Any]) -> None:
        from django.db.models import Q

        from voronka.clients.models import Company, Contact

        latest: dict[tuple[Any, int], Any] = defaultdict(lambda: None)
        for a in activities:
            for model, pk in ((Company, a.company_id), (Contact, a.contact_id)):
                if pk and (latest[(model, pk)] is None or a.occurred_at > latest[(model, pk)]):
                    latest[(model, pk)] = a.occurred_at
        for (model, pk), when in latest.items():
            model.all_objects.filter(Q(last_contact_at__isnull=True) | Q(last_contact_at__lt=when),
                                     pk=pk).update(last_contact_at=when)  # fmt: skip


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
        return importer.run(table, report=Report(table.header, report_to, rejected_to))
    except (FileProblem, SpecError) as problem:
        return Outcome(failed=str(problem))
