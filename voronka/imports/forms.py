"""The forms of the import wizard: the upload, and the mapping page that turns a table of
choices (column → field, date format, stage names …) into a mapping JSON.

The mapping page also shows that JSON for an expert to edit. When the JSON was edited,
it is taken as it stands and the choices above it are ignored; otherwise the choices
are applied to the job's mapping, keeping what the table cannot show (templates,
defaults, value translations of the fields that stay where they were).
"""

from __future__ import annotations

import copy
import json
from typing import Any

from django import forms
from django.conf import settings
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from voronka.core.forms import BootstrapFormMixin
from voronka.imports import queries
from voronka.imports.lookups import fold
from voronka.imports.models import Entity, ImportJob, ImportMapping
from voronka.imports.suggest import field_choices, field_label
from voronka.imports.targets import TARGETS
from voronka.sales.models import Pipeline, Stage

DATE_FORMATS = [
    ("", _("Automatic")),
    ("%d.%m.%Y", _("DD.MM.YYYY")),
    ("%Y-%m-%d", _("YYYY-MM-DD")),
    ("%m/%d/%Y", _("MM/DD/YYYY")),
]
SAMPLES = 5


def column_of(entry: Any) -> str | None:
    """The column a field's entry reads as a plain column (not a template), if any."""
    if isinstance(entry, str):
        return entry
    if isinstance(entry, dict) and not entry.get("template"):
        column = entry.get("column")
        return column if isinstance(column, str) else None
    return None


def spec_fields(spec: dict[str, Any]) -> dict[str, Any]:
    fields = spec.get("fields")
    return dict(fields) if isinstance(fields, dict) else {}


def shown_columns(spec: dict[str, Any], header: list[str]) -> dict[str, str]:
    """Column → field as the table shows it: the first field reading each column."""
    shown: dict[str, str] = {}
    for name, entry in spec_fields(spec).items():
        column = column_of(entry)
        if column in header and column not in shown:
            shown[column] = name
    return shown


def missing_columns(spec: dict[str, Any], header: list[str]) -> list[tuple[str, str]]:
    """(field, column) of the fields that read a column the file does not have."""
    return [
        (name, column)
        for name, entry in spec_fields(spec).items()
        if (column := column_of(entry)) is not None and column not in header
    ]


def stage_column(job: ImportJob, header: list[str], data: Any = None) -> str | None:
    """The column the deals' stage comes from: as posted, or as the job's mapping says."""
    if job.entity != Entity.DEALS:
        return None
    if data is not None and any(f"col_{i}" in data for i in range(len(header))):
        for i, column in enumerate(header):
            if data.get(f"col_{i}") == "stage":
                return column
        return None
    stage = column_of(spec_fields(job.spec).get("stage"))
    return stage if stage in header else None


def pipeline_named(name: Any) -> Pipeline | None:
    if not isinstance(name, str) or not name.strip():
        return None
    for pipeline in Pipeline.objects.all():
        if fold(pipeline.name) == fold(name):
            return pipeline
    return None


def stage_names(pipeline: Pipeline | None) -> list[str]:
    """The stages a value may be translated to: the pipeline's, or every active one's."""
    stages = Stage.objects.filter(pipeline__is_active=True)
    if pipeline is not None:
        stages = Stage.objects.filter(pipeline=pipeline)
    return list(dict.fromkeys(stages.order_by("pipeline__position", "position", "pk")
                              .values_list("name", flat=True)))  # fmt: skip


class UploadForm(BootstrapFormMixin, forms.Form):
    file = forms.FileField(
        label=_("File"),
        allow_empty_file=True,  # the reader says why an empty file cannot be imported
        widget=forms.FileInput(attrs={"accept": ".csv,.tsv,.txt,.xlsx"}),
    )
    entity = forms.ChoiceField(label=_("What the file holds"), choices=Entity.choices)
    mapping = forms.ModelChoiceField(
        queryset=ImportMapping.objects.none(),
        required=False,
        label=_("Saved mapping"),
        empty_label=_("— none: guess from the column names —"),
        help_text=_("A mapping saved with an earlier import of a file like this one."),
    )

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field: Any = self.fields["mapping"]
        field.queryset = queries.mappings_visible_to(user)
        field.label_from_instance = lambda m: f"{m.name} · {m.get_entity_display()}"
        self.fields["file"].help_text = _(
            "CSV (UTF-8 or Windows-1251, any delimiter) or XLSX, at most %(size)s. "
            "The first row names the columns."
        ) % {"size": filesizeformat(settings.IMPORT_MAX_UPLOAD)}


class MappingForm(BootstrapFormMixin, forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput)
    date_format = forms.ChoiceField(label=_("Dates in the file"), required=False)
    external_id = forms.ChoiceField(
        label=_("Column with the record's id in the old system"),
        required=False,
        help_text=_(
            "Optional. With it, importing the same file again updates the records "
            "instead of creating them twice."
        ),
    )
    on_match = forms.ChoiceField(
        label=_("When the record is there already"),
        choices=[("update", _("update it")), ("skip", _("leave it and skip the row"))],
        widget=forms.RadioSelect,
    )
    all_or_nothing = forms.BooleanField(
        label=_("All or nothing: one rejected row keeps the whole file out"), required=False
    )
    save_as = forms.CharField(
        label=_("Save this mapping as"),
        required=False,
        max_length=150,
        help_text=_("Optional. A saved mapping can be chosen when uploading the next file."),
    )
    spec = forms.CharField(
        label=_("Mapping as JSON"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 16, "spellcheck": "false", "autocomplete": "off"}),
        help_text=_(
            "For experts: translations of values, templates, defaults. When you edit "
            "it, it replaces the choices above."
        ),
    )
    spec_shown = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(
        self,
        data: Any = None,
        *,
        job: ImportJob,
        header: list[str],
        samples: list[list[Any]],
        stage_sources: list[str] = (),  # type: ignore[assignment]
    ) -> None:
        self.job = job
        self.header = header
        self.samples = samples
        self.stage_sources = list(stage_sources)
        spec = job.spec if isinstance(job.spec, dict) else {}
        self.shown = shown_columns(spec, header)
        shown_json = json.dumps(spec, ensure_ascii=False, indent=2)
        initial: dict[str, Any] = {
            "version": job.version,
            "date_format": spec.get("date_format") or "",
            "external_id": spec.get("external_id") or "",
            "on_match": spec.get("on_match") or "update",
            "all_or_nothing": job.all_or_nothing,
            "spec": shown_json,
            "spec_shown": shown_json,
        }
        super().__init__(data, initial=initial)
        self.fields["spec"].widget.attrs["class"] = "font-monospace"
        date_formats = list(DATE_FORMATS)
        if initial["date_format"] and initial["date_format"] not in dict(date_formats):
            date_formats.append((initial["date_format"], initial["date_format"]))
        self._choices("date_format", date_formats)
        self._choices("external_id", [("", _("— none —")), *((c, c) for c in header)])
        choices = field_choices(job.entity)
        targets = [
            ("", _("— skip —")),
            (
                pgettext_lazy("import fields", "Required"),
                [(name, label) for name, label, required in choices if required],
            ),
            (
                _("Other fields"),
                [(name, label) for name, label, required in choices if not required],
            ),
        ]
        self.columns: list[dict[str, Any]] = []
        self.stage_rows: list[dict[str, Any]] = []
        for i, column in enumerate(header):
            name = f"col_{i}"
            self.fields[name] = forms.ChoiceField(
                label=column,
                required=False,
                choices=targets,
                initial=self.shown.get(column, ""),
                widget=forms.Select(attrs={"class": "column-target"}),
            )
            values = [row[i] for row in samples[:SAMPLES] if i < len(row)]
            self.columns.append({"name": column, "bound": self[name], "samples": values})
        if job.entity == Entity.DEALS:
            self._deal_fields(spec)
        self.style_fields()
        self.fields["spec"].widget.attrs["class"] += " font-monospace small"

    def _choices(self, name: str, choices: list[Any]) -> None:
        field: Any = self.fields[name]
        field.choices = choices

    def _deal_fields(self, spec: dict[str, Any]) -> None:
        from voronka.sales.queries import default_pipeline

        entry = spec_fields(spec).get("pipeline")
        chosen = pipeline_named(entry.get("default") if isinstance(entry, dict) else None)
        if chosen is None:
            chosen = default_pipeline()
        self.fields["pipeline"] = forms.ModelChoiceField(
            label=_("Pipeline"),
            queryset=Pipeline.objects.filter(is_active=True).order_by("position", "pk"),
            required=False,
            initial=chosen.pk if chosen else None,
            empty_label=_("— the default pipeline —"),
            help_text=_("Where the deals go, unless a column names the pipeline."),
        )
        if self.is_bound:
            try:
                posted = int(self.data.get("pipeline") or 0)
            except (TypeError, ValueError):
                posted = 0
            chosen = Pipeline.objects.filter(pk=posted).first() if posted else default_pipeline()
            by_column = any(
                self.data.get(f"col_{i}") == "pipeline" for i in range(len(self.header))
            )
        else:
            by_column = "pipeline" in self.shown.values()
        # A column naming the pipeline: a value may be a stage of any of them.
        names = stage_names(None if by_column else chosen)
        stage_entry = spec_fields(spec).get("stage")
        translations = stage_entry.get("values", {}) if isinstance(stage_entry, dict) else {}
        by_fold = {fold(n): n for n in names}
        for j, source in enumerate(self.stage_sources):
            initial = translations.get(source) or by_fold.get(fold(source), "")
            name = f"stage_{j}"
            self.fields[name] = forms.ChoiceField(
                label=source,
                required=False,
                choices=[("", _("— not translated —")), *((n, n) for n in names)],
                initial=initial if initial in names else "",
                widget=forms.Select(attrs={"class": "form-select-sm"}),
            )
            self.stage_rows.append({"source": source, "field": name, "bound": self[name]})

    # Reading the answers ------------------------------------------------------------------

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        self.from_json = False
        raw = (data.get("spec") or "").strip()
        shown = data.get("spec_shown") or ""
        if raw:
            try:
                parsed = json.loads(raw)
            except json.JSONDecodeError as error:
                self.add_error(
                    "spec",
                    _("Not valid JSON: line %(line)s, column %(column)s: %(reason)s")
                    % {"line": error.lineno, "column": error.colno, "reason": error.msg},
                )
                return data
            try:
                before = json.loads(shown) if shown else None
            except json.JSONDecodeError:
                before = None
            if parsed != before:
                self.from_json = True
                self.result = parsed
                return data
        self.result = self._from_table(data)
        return data

    def _from_table(self, data: dict[str, Any]) -> dict[str, Any]:
        spec = copy.deepcopy(self.job.spec) if isinstance(self.job.spec, dict) else {}
        old = spec_fields(spec)
        chosen: dict[str, str] = {}
        for i, column in enumerate(self.header):
            field = data.get(f"col_{i}")
            if not field:
                continue
            if field in chosen:
                self.add_error(
                    f"col_{i}",
                    _("«%(field)s» is taken by the column «%(column)s» already.")
                    % {"field": field_label(self.job.entity, field), "column": chosen[field]},
                )
                continue
            chosen[field] = column
        fields: dict[str, Any] = {}
        for name, entry in old.items():
            if name in chosen:
                continue
            read = column_of(entry)
            if read is not None and (read not in self.header or self.shown.get(read) == name):
                continue  # a column the file lacks, or a choice the table has just undone
            fields[name] = entry
        for name, column in chosen.items():
            entry = old.get(name)
            fields[name] = entry if column_of(entry) == column else column
        if self.job.entity == Entity.DEALS:
            self._deal_answers(data, fields, chosen)
        spec["fields"] = fields
        spec["entity"] = self.job.entity
        for key in ("date_format", "external_id"):
            if data.get(key):
                spec[key] = data[key]
            else:
                spec.pop(key, None)
        spec["on_match"] = data.get("on_match") or "update"
        defaults = spec.get("defaults") if isinstance(spec.get("defaults"), dict) else {}
        for name, fdef in TARGETS[self.job.entity].fields.items():
            if fdef.required and name not in fields and name not in (defaults or {}):
                self.add_error(
                    None,
                    _("Choose the column for «%(field)s»: every record needs it.")
                    % {"field": field_label(self.job.entity, name)},
                )
        return spec

    def _deal_answers(self, data: dict[str, Any], fields: dict[str, Any], chosen: dict[str, str]):
        if "pipeline" not in chosen:
            pipeline = data.get("pipeline")
            if pipeline is not None:
                fields["pipeline"] = {"default": pipeline.name}
            else:
                fields.pop("pipeline", None)
        if "stage" not in chosen or not self.stage_sources:
            return
        column = chosen["stage"]
        entry = fields["stage"]
        stage: dict[str, Any] = {"column": column} if isinstance(entry, str) else dict(entry)
        values: dict[str, Any] = dict(stage.get("values") or {})
        for row in self.stage_rows:
            source, target = str(row["source"]), data.get(str(row["field"]))
            if target and fold(target) != fold(source):
                values[source] = target
            else:
                values.pop(source, None)
        if values:
            stage["values"] = values
        else:
            stage.pop("values", None)
        fields["stage"] = stage if set(stage) != {"column"} else column
