"""Forms of the interaction timeline: the kind filter and the card's quick-add form."""

from __future__ import annotations

import re
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from voronka.activities.forms import DATETIME_LOCAL, DateTimeLocalInput, default_due
from voronka.activities.models import Activity
from voronka.activities.queries import TIMELINE_KINDS
from voronka.core.forms import BootstrapFormMixin

# The records a timeline or an activity may be about: one per card.
RECORDS = ("company", "contact", "deal", "lead")

# The chips above a timeline: (kind, label, icon); an empty kind shows everything.
KIND_CHIPS = [
    ("", pgettext_lazy("timeline filter", "All"), "list-ul"),
    ("call", _("Calls"), "telephone"),
    ("meeting", _("Meetings"), "people"),
    ("email", _("E-mails"), "envelope"),
    ("message", _("Messages"), "chat-dots"),
    ("note", _("Notes"), "sticky"),
    ("stage", _("Stage changes"), "signpost-split"),
    ("request", _("Requests"), "headset"),
    ("order", _("Orders"), "box-seam"),
]

# The "no contact for N days" filter of the client and deal lists.
NO_CONTACT_CHOICES = [
    ("", pgettext_lazy("no contact for", "Any time")),
    (7, _("7 days")),
    (14, _("14 days")),
    (30, _("30 days")),
    (90, _("90 days")),
]


def no_contact_field() -> forms.TypedChoiceField:
    return forms.TypedChoiceField(
        label=_("No contact for"),
        required=False,
        coerce=int,
        empty_value=None,
        choices=NO_CONTACT_CHOICES,
    )


# What a quick-add tab logs; e-mails and messages arrive from their channels.
QUICK_KINDS = [
    (Activity.Kind.CALL, _("Call")),
    (Activity.Kind.NOTE, _("Note")),
    (Activity.Kind.MEETING, _("Meeting")),
]

_DURATION = re.compile(r"^\s*(\d{1,4})(?:\s*[:.,]\s*(\d{1,2}))?\s*$")


def parse_duration(raw: str) -> int | None:
    """Minutes as a person types them: «5», «5:30» (minutes and seconds), «2,5» or «2.5»."""
    if not raw or not raw.strip():
        return None
    match = _DURATION.match(raw)
    if not match:
        raise forms.ValidationError(_("Minutes, e.g. 5 or 5:30."), code="invalid")
    minutes, rest = match.groups()
    if rest is None:
        return int(minutes) * 60
    if ":" in raw:
        if int(rest) >= 60:
            raise forms.ValidationError(_("Seconds go up to 59."), code="invalid")
        return int(minutes) * 60 + int(rest)
    try:
        value = Decimal(f"{minutes}.{rest}")
    except InvalidOperation:  # pragma: no cover - the pattern only lets digits through
        raise forms.ValidationError(_("Minutes, e.g. 5 or 5:30."), code="invalid") from None
    return int(value * 60)


class TimelineQueryForm(forms.Form):
    """Which record's timeline, which kind and from when; bad values are ignored."""

    company = forms.IntegerField(required=False, min_value=1)
    contact = forms.IntegerField(required=False, min_value=1)
    deal = forms.IntegerField(required=False, min_value=1)
    lead = forms.IntegerField(required=False, min_value=1)
    kind = forms.ChoiceField(required=False, choices=[("", "")] + [(k, k) for k in TIMELINE_KINDS])
    before = forms.CharField(required=False, max_length=64)

    def record_ref(self) -> tuple[str, int] | None:
        """The one record named, or None when none or several are."""
        named = [(name, self.cleaned_data.get(name)) for name in RECORDS]
        named = [(name, pk) for name, pk in named if pk]
        return named[0] if len(named) == 1 else None  # type: ignore[return-value]

    def kind_value(self) -> str:
        """The chosen kind, or "" for all (an unknown kind shows all)."""
        return "" if "kind" in self.errors else self.cleaned_data.get("kind") or ""

    def before_value(self) -> datetime | None:
        raw = self.cleaned_data.get("before") or ""
        try:
            value = datetime.fromisoformat(raw) if raw else None
        except ValueError:
            return None
        return value if value is None or value.tzinfo is not None else None


class QuickAddForm(BootstrapFormMixin, forms.Form):
    """A call, note or meeting logged from a card, with an optional next step."""

    kind = forms.ChoiceField(
        label=_("What happened"), choices=QUICK_KINDS, initial="call", widget=forms.RadioSelect
    )
    company = forms.IntegerField(required=False, widget=forms.HiddenInput)
    contact = forms.IntegerField(required=False, widget=forms.HiddenInput)
    deal = forms.IntegerField(required=False, widget=forms.HiddenInput)
    lead = forms.IntegerField(required=False, widget=forms.HiddenInput)
    # call
    direction = forms.ChoiceField(
        label=_("Direction"),
        required=False,
        choices=Activity.Direction.choices,
        initial=Activity.Direction.OUTGOING,
        widget=forms.RadioSelect,
    )
    outcome = forms.ChoiceField(
        label=_("Outcome"), required=False, choices=[("", "—"), *Activity.Outcome.choices]
    )
    duration = forms.CharField(
        label=_("Duration, min"),
        required=False,
        max_length=12,
        widget=forms.TextInput(attrs={"inputmode": "decimal"}),
    )
    # meeting
    starts_at = forms.DateTimeField(
        label=_("Start"),
        required=False,
        input_formats=[DATETIME_LOCAL],
        widget=DateTimeLocalInput(),
    )
    ends_at = forms.DateTimeField(
        label=_("End"), required=False, input_formats=[DATETIME_LOCAL], widget=DateTimeLocalInput()
    )
    place = forms.CharField(label=_("Place"), required=False, max_length=250)
    participants = forms.CharField(label=_("Participants"), required=False, max_length=500)
    # every kind
    subject = forms.CharField(label=_("Subject"), required=False, max_length=250)
    body = forms.CharField(
        label=_("Text"), required=False, max_length=20000, widget=forms.Textarea(attrs={"rows": 2})
    )
    # the next step: a task for oneself
    next_title = forms.CharField(label=_("Next step"), required=False, max_length=250)
    next_due = forms.DateTimeField(
        label=_("Due"), required=False, input_formats=[DATETIME_LOCAL], widget=DateTimeLocalInput()
    )

    def __init__(self, *args: Any, record: tuple[str, int] | None = None, **kwargs: Any) -> None:
        initial = kwargs.pop("initial", {}) or {}
        if record is not None:
            initial = {record[0]: record[1], **initial}
        initial.setdefault("next_due", default_due())
        # A meeting is mostly logged right after it: start "now", to the minute.
        initial.setdefault("starts_at", timezone.localtime().replace(second=0, microsecond=0))
        # The card holds other forms: the prefix keeps the ids apart.
        kwargs.setdefault("auto_id", "qa-%s")
        super().__init__(*args, initial=initial, **kwargs)
        for field in self.fields.values():
            css = field.widget.attrs.get("class", "")
            for big, small in (
                ("form-control", "form-control-sm"),
                ("form-select", "form-select-sm"),
            ):
                if big in css.split():
                    field.widget.attrs["class"] = f"{css} {small}"
        self.fields["body"].widget.attrs["placeholder"] = _("What was said, agreed, promised")
        self.fields["next_title"].widget.attrs["placeholder"] = _("e.g. Send the offer")
        self.fields["participants"].widget.attrs["placeholder"] = _("Names, separated by commas")
        self.fields["duration"].widget.attrs["placeholder"] = _("e.g. 5 or 5:30")

    def record_ref(self) -> tuple[str, int] | None:
        """The card's record, from the hidden fields: exactly one must be given."""
        named = [(n, self.cleaned_data.get(n)) for n in RECORDS if self.cleaned_data.get(n)]
        return named[0] if len(named) == 1 else None  # type: ignore[return-value]

    def clean_duration(self) -> int | None:
        return parse_duration(self.cleaned_data.get("duration") or "")

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        kind = data.get("kind")
        if kind == Activity.Kind.NOTE and not (data.get("body") or "").strip():
            self.add_error("body", _("Write the note."))
        if (
            kind == Activity.Kind.MEETING
            and not data.get("starts_at")
            and ("starts_at" not in self.errors)
        ):
            self.add_error("starts_at", _("When did the meeting start?"))
        title, due = (data.get("next_title") or "").strip(), data.get("next_due")
        if title and not due and "next_due" not in self.errors:
            self.add_error("next_due", _("When is the next step due?"))
        return data

    def has_next_step(self) -> bool:
        return bool((self.cleaned_data.get("next_title") or "").strip())

    def activity_data(self, record: Any) -> dict[str, Any]:
        """What ``activity_log`` takes: the kind's own fields, and the card's record."""
        data = self.cleaned_data
        kind = data["kind"]
        out: dict[str, Any] = {
            "kind": kind,
            "subject": data.get("subject") or "",
            "body": data.get("body") or "",
            self.record_ref()[0]: record,  # type: ignore[index]
        }
        if kind == Activity.Kind.CALL:
            out.update(
                direction=data.get("direction") or "",
                outcome=data.get("outcome") or "",
                duration_seconds=data.get("duration"),
            )
        elif kind == Activity.Kind.MEETING:
            out.update(
                occurred_at=data.get("starts_at"),
                ends_at=data.get("ends_at"),
                place=data.get("place") or "",
                participants=data.get("participants") or "",
            )
        return out

    def task_data(self, record: Any) -> dict[str, Any]:
        """What ``task_create`` takes for the next step: a task for oneself on the record."""
        return {
            "title": self.cleaned_data["next_title"].strip(),
            "due_at": self.cleaned_data["next_due"],
            self.record_ref()[0]: record,  # type: ignore[index]
        }
