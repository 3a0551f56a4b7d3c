"""Reading the change history that django-simple-history records on every save."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import Model
from django.utils.translation import gettext_lazy as _

# Bookkeeping fields nobody needs to read about on a card.
_HIDDEN = {"version", "updated_at", "created_at", "name_search", "search_text"}
_HIDDEN_SUFFIXES = ("_normalized", "_search")

KIND_LABELS = {"+": _("created"), "~": _("changed"), "-": _("deleted")}


@dataclass
class FieldChange:
    field: str
    label: str
    old: Any
    new: Any


@dataclass
class HistoryEntry:
    at: datetime
    user: Any
    kind: str
    label: str
    reason: str
    changes: list[FieldChange]


def _visible(name: str) -> bool:
    return name not in _HIDDEN and not name.endswith(_HIDDEN_SUFFIXES)


def _display(model: type[Model], name: str, value: Any) -> Any:
    field: Any = model._meta.get_field(name)
    if getattr(field, "choices", None):
        return dict(field.flatchoices).get(value, value)
    if field.is_relation and value is not None:
        # simple-history stands a "deleted object" with no pk in for an empty link.
        return None if getattr(value, "pk", "") is None else str(value)
    return value


def entries_for(instance: Model, limit: int = 100) -> list[HistoryEntry]:
    """The record's history, newest first, each entry with its field changes."""
    history: Any = instance.history  # type: ignore[attr-defined]
    records = list(
        history.select_related("history_user").order_by("-history_date", "-history_id")[: limit + 1]  # type: ignore[attr-defined]
    )
    model = type(instance)
    entries = []
    for i, record in enumerate(records[:limit]):
        previous = records[i + 1] if i + 1 < len(records) else None
        changes: list[FieldChange] = []
        reason = record.history_change_reason or ""
        if previous is not None and record.history_type == "~":
            delta = record.diff_against(previous, foreign_keys_are_objs=True)
            for change in delta.changes:
                if not _visible(change.field):
                    continue
                field: Any = model._meta.get_field(change.field)
                changes.append(
                    FieldChange(
                        change.field,
                        str(field.verbose_name),
                        _display(model, change.field, change.old),
                        _display(model, change.field, change.new),
                    )
                )
        kind = record.history_type
        label = KIND_LABELS.get(kind, kind)
        if reason == "deleted":
            label, changes = _("deleted"), []
        elif reason == "restored":
            label, changes = _("restored"), []
        entries.append(
            HistoryEntry(
                record.history_date, record.history_user, kind, str(label), reason, changes
            )
        )
    return entries


def record_author(instance: Model, actor: Any, reason: str | None = None) -> None:
    """Tell django-simple-history who made the change about to be saved, and why."""
    instance._history_user = actor  # type: ignore[attr-defined]
    if reason:
        instance._change_reason = reason  # type: ignore[attr-defined]
