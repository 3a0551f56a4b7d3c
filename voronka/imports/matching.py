"""Finding what a batch of rows refers to: the stage, the large related tables (companies,
contacts, leads, deals), and the records the rows already are."""

from __future__ import annotations

from django.utils.translation import gettext as _

from voronka.imports.lookups import NotFound, fold
from voronka.imports.state import ImportState
from voronka.imports.targets import Row, Target

BIG_REFS = {"companies", "contacts", "leads", "deals"}


class RecordFinder(ImportState):
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
