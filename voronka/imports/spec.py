"""What a mapping and an import plan say, as JSON files and as saved mappings hold them.

A mapping (one file, one kind of record)::

    {
      "entity": "deals",
      "system": "maven",                 # whose ids "external_id" holds
      "external_id": "opportunity_id",   # the column with the source system's id
      "match": ["external_id"],          # how an existing record is found
      "on_match": "update",              # or "skip"
      "date_format": "%Y-%m-%d",
      "fields": {
        "title": {"template": "{product} — {account}"},
        "owner": {"column": "sales_agent", "lookup": "full_name"},
        "stage": {"column": "deal_stage", "values": {"Prospecting": "Prospecting"}},
        "product": {"column": "product", "aliases": {"GTXPro": "GTX Pro"}},
        "company": {"column": "account", "lookup": "name", "default": "No account"}
      },
      "defaults": {"currency": "USD"}
    }

An event log (several rows per record, e.g. a help desk's ticket events) is folded into
one row per record before anything else reads it; see
:class:`voronka.imports.folding.EventLog`::

    "event_log": {"key": "Case ID", "order": "Complete Timestamp", "event": "Activity",
                  "derive": {"taken_at": {"pick": "first", "event": "Take in charge ticket",
                                          "column": "Complete Timestamp"}}}

A plan (several files in order)::

    {"name": "…", "pipelines": [...], "steps": [{"file": "accounts.csv", "mapping": {…}}, …]}

Every problem is reported with the place it was found, e.g.
``fields.stage.values: expected text``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from voronka.imports.folding import EventLog

Lookup = Literal[
    "name", "external_id", "email", "phone", "tax_id", "full_name", "username", "sku", "id"
]
EntityName = Literal[
    "companies",
    "contacts",
    "leads",
    "deals",
    "products",
    "teams",
    "users",
    "activities",
    "requests",
]


class SpecError(ValueError):
    """A mapping or a plan that cannot be used; the message names the place."""


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class FieldMap(Strict):
    """Where one field's value comes from and how it is read."""

    column: str | None = None
    # "{first} {last}": columns by name in braces; a list of such parts leaves out the
    # parts whose columns are blank and joins the rest with ``join``.
    template: str | list[str] | None = None
    join: str = "; "
    default: Any = None  # used when the cell is blank (or there is no column)
    values: dict[str, Any] = Field(default_factory=dict)  # source value → ours
    blank: list[str] = Field(default_factory=list)  # source values that mean "no value"
    lookup: Lookup | None = None  # how a related record is found
    aliases: dict[str, str] = Field(default_factory=dict)  # other spellings of a name
    create: bool = False  # create a missing related record (name only)
    format: str | None = None  # a date format, e.g. "%d.%m.%Y"
    split: str | None = None  # separator of a multi-value cell ("cat, wolf")
    ignore_case: bool = True

    @field_validator("values", "aliases")
    @classmethod
    def _keys_are_text(cls, value: dict[str, Any]) -> dict[str, Any]:
        return {str(k): v for k, v in value.items()}


class Mapping(Strict):
    entity: EntityName
    system: str = Field(default="", max_length=60)
    external_id: str | None = None
    match: list[str] = Field(default_factory=list)
    on_match: Literal["update", "skip"] = "update"
    date_format: str | None = None
    # The time zone of the file's dates and times; default: the organisation's.
    time_zone: str | None = None
    event_log: EventLog | None = None
    decimal_comma: bool = False
    encoding: str = "auto"
    delimiter: str = "auto"
    sheet: str | None = None
    fields: dict[str, FieldMap | str] = Field(default_factory=dict)
    defaults: dict[str, Any] = Field(default_factory=dict)

    @field_validator("time_zone")
    @classmethod
    def _known_zone(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                ZoneInfo(value)
            except (ZoneInfoNotFoundError, ValueError):
                raise ValueError(f"unknown time zone {value!r} (e.g. Europe/Rome)") from None
        return value

    def file_zone(self) -> ZoneInfo | None:
        return ZoneInfo(self.time_zone) if self.time_zone else None

    def field_maps(self) -> dict[str, FieldMap]:
        """Every field as a :class:`FieldMap`; ``"name": "Column"`` is short for a column."""
        maps = {
            name: FieldMap(column=m) if isinstance(m, str) else m for name, m in self.fields.items()
        }
        for name, value in self.defaults.items():
            maps.setdefault(name, FieldMap(default=value))
        return maps

    def columns(self) -> set[str]:
        """The columns this mapping reads; each must be in the file."""
        used = {m.column for m in self.field_maps().values() if m.column}
        for m in self.field_maps().values():
            if m.template:
                parts = [m.template] if isinstance(m.template, str) else m.template
                for part in parts:
                    used.update(template_columns(part))
        if self.external_id:
            used.add(self.external_id)
        if self.event_log:
            # Derived columns are made by folding, not read from the file.
            used -= set(self.event_log.derive)
            used |= self.event_log.columns()
        return used


class StageSpec(Strict):
    name: str
    kind: Literal["open", "won", "lost"] = "open"
    probability: int = Field(default=0, ge=0, le=100)


class PipelineSpec(Strict):
    name: str
    stages: list[StageSpec]


class Step(Strict):
    file: str
    mapping: Mapping | None = None
    mapping_file: str | None = None
    all_or_nothing: bool = False


class Plan(Strict):
    name: str = ""
    description: str = ""
    base_currency: str | None = Field(default=None, min_length=3, max_length=3)
    pipelines: list[PipelineSpec] = Field(default_factory=list)
    steps: list[Step]


def template_columns(template: str) -> list[str]:
    """The column names a template refers to: ``"{a} — {b}"`` → ``["a", "b"]``."""
    import string

    return [name for _, name, _, _ in string.Formatter().parse(template) if name]


def _explain(error: ValidationError) -> str:
    parts = []
    for item in error.errors():
        where = ".".join(str(p) for p in item["loc"] if not str(p).startswith("function-"))
        parts.append(f"{where}: {item['msg']}" if where else item["msg"])
    return "; ".join(parts)


def parse_mapping(data: Any, *, entity: str | None = None) -> Mapping:
    """A mapping from parsed JSON; ``entity`` fills it in when the JSON leaves it out."""
    if isinstance(data, dict) and entity and "entity" not in data:
        data = {**data, "entity": entity}
    try:
        mapping = Mapping.model_validate(data)
    except ValidationError as error:
        raise SpecError(_explain(error)) from None
    if entity and mapping.entity != entity:
        raise SpecError(f"entity: the mapping is for {mapping.entity}, not {entity}")
    return mapping


def read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise SpecError(f"{path}: no such file") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise SpecError(f"{path}: not valid JSON ({error})") from None


def load_mapping(path: Path, *, entity: str | None = None) -> Mapping:
    try:
        return parse_mapping(read_json(path), entity=entity)
    except SpecError as error:
        raise SpecError(f"{path.name}: {error}") from None


def load_plan(path: Path) -> Plan:
    """A plan file; ``mapping_file`` entries are read relative to the plan."""
    data = read_json(path)
    try:
        plan = Plan.model_validate(data)
    except ValidationError as error:
        raise SpecError(f"{path.name}: {_explain(error)}") from None
    for i, step in enumerate(plan.steps):
        if step.mapping is None:
            if not step.mapping_file:
                raise SpecError(f"{path.name}: steps.{i}: give a mapping or a mapping_file")
            step.mapping = load_mapping(path.parent / step.mapping_file)
    return plan
