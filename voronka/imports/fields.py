"""Reading one row's fields: the cell (or template, or default), value translations,
then the value parsed by its kind; small related tables found at once."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _

from voronka.imports import values as read
from voronka.imports.lookups import NotFound, fold
from voronka.imports.reading import broken_text
from voronka.imports.spec import FieldMap, template_columns
from voronka.imports.state import ImportState
from voronka.imports.targets import FieldDef, Row, Target

SMALL_REFS = {
    "users", "teams", "sources", "reasons", "categories", "pipelines", "products", "stages",
    "request_categories",
}  # fmt: skip


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


def _template_columns(fm: FieldMap) -> set[str]:
    parts = [fm.template] if isinstance(fm.template, str) else fm.template or []
    return {c for part in parts for c in template_columns(part)}


class FieldReader(ImportState):
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
            return read.moment(value, fm.format or self.mapping.date_format, self.file_tz)
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
            return lk.people.find(name, create=fm.create, created=created,
                                  role=self.target_cls.new_people_role)  # fmt: skip
        if ref == "products":
            return lk.product(name, create=fm.create, created=created)
        if ref == "stages":
            return name
        return {
            "teams": lk.teams, "sources": lk.sources, "reasons": lk.reasons,
            "categories": lk.categories, "pipelines": lk.pipelines,
            "request_categories": lk.request_categories,
        }[ref].find(name, create=fm.create, created=created)  # fmt: skip

    def _not_found(self, fdef: FieldDef, value: Any) -> str:
        what = {
            "users": _("no user named %(value)r"), "teams": _("no team named %(value)r"),
            "sources": _("no lead source named %(value)r"),
            "reasons": _("no reason named %(value)r"),
            "categories": _("no product category named %(value)r"),
            "pipelines": _("no pipeline named %(value)r"),
            "products": _("no product named %(value)r"),
            "request_categories": _("no request category named %(value)r"),
        }.get(fdef.ref, _("nothing named %(value)r"))  # fmt: skip
        return (what % {"value": str(value)[:60]}) + " " + _("(map the value or allow creating it)")
