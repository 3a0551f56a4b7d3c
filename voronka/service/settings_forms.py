"""Forms of the service desk's settings pages: SLA policies, categories, the work
calendar and the surveys' options.

SLA targets are stored in minutes but nobody thinks of "480 minutes": a target is typed
as minutes (``90``), hours and minutes (``1:30``) or with units (``2 h 30 min``,
``8 ч``), and shown back the same way, in the reader's language.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from django import forms
from django.utils.dates import WEEKDAYS
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy

from voronka.core.forms import BootstrapFormMixin
from voronka.core.models import CalendarDay
from voronka.service.models import Category, Kind, Priority, SlaPolicy
from voronka.service.settings_services import MAX_SURVEY_VALID_DAYS

# A year of minutes: beyond it a target is a typing mistake, not a promise.
MAX_TARGET_MINUTES = 366 * 24 * 60
MAX_TYPED = 40
_HOURS = {"h", "hr", "hrs", "hour", "hours", "ч", "час", "часа", "часов"}
_MINUTES = {"m", "min", "mins", "minute", "minutes", "м", "мин", "минута", "минуты", "минут"}
_PART = re.compile(r"\s*(\d+(?:[.,]\d+)?)\s*([a-zа-яё]+)\.?\s*")


def parse_minutes(text: str | None) -> int | None:
    """``90``, ``1:30``, ``1.5 h``, ``2 h 30 min``, ``2ч 30м`` → minutes; None when empty.

    Raises ValueError for anything else."""
    text = (text or "").strip().lower()
    if not text:
        return None
    if text.isdigit():
        return int(text)
    clock = re.fullmatch(r"(\d+):([0-5]\d)", text)
    if clock:
        return int(clock[1]) * 60 + int(clock[2])
    total = Decimal(0)
    position = 0
    while position < len(text):
        part = _PART.match(text, position)
        if part is None or part[2] not in _HOURS | _MINUTES:
            raise ValueError(text)
        total += Decimal(part[1].replace(",", ".")) * (60 if part[2] in _HOURS else 1)
        position = part.end()
    return int(total.to_integral_value())


def format_minutes(minutes: int | None) -> str:
    """Minutes as a person reads them: ``45 min``, ``2 h``, ``1 h 30 min``."""
    if minutes is None:
        return ""
    hours, rest = divmod(int(minutes), 60)
    if hours and rest:
        return _("%(h)s h %(m)s min") % {"h": hours, "m": rest}
    if hours:
        return _("%(h)s h") % {"h": hours}
    return _("%(m)s min") % {"m": rest}


class MinutesField(forms.CharField):
    """A duration typed in a friendly way; its cleaned value is whole minutes."""

    default_error_messages = {
        "invalid": gettext_lazy(
            "Type minutes (90), hours and minutes (1:30) or with units (2 h 30 min)."
        ),
        "min_value": gettext_lazy("At least %(limit)s min."),
        "max_value": gettext_lazy("That is more than a year."),
    }

    def __init__(self, *, min_minutes: int = 1, **kwargs: Any) -> None:
        self.min_minutes = min_minutes
        super().__init__(**kwargs)
        self.widget.attrs.update(maxlength=str(MAX_TYPED), autocomplete="off")

    def prepare_value(self, value: Any) -> Any:
        return format_minutes(value) if isinstance(value, int) else value

    def to_python(self, value: Any) -> int | None:  # type: ignore[override]
        text = super().to_python(value)
        try:
            if len(text or "") > MAX_TYPED:
                raise ValueError(text)
            minutes = parse_minutes(text)
        except ValueError as exc:
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid") from exc
        if minutes is None:
            return None
        if minutes < self.min_minutes:
            raise forms.ValidationError(
                self.error_messages["min_value"], code="min_value",
                params={"limit": self.min_minutes},
            )  # fmt: skip
        if minutes > MAX_TARGET_MINUTES:
            raise forms.ValidationError(self.error_messages["max_value"], code="max_value")
        return minutes

    def validate(self, value: Any) -> None:
        if value is None and self.required:
            raise forms.ValidationError(self.error_messages["required"], code="required")


DURATION_HELP = gettext_lazy("For example 30, 1:30 or 2 h 30 min.")


class PolicyForm(BootstrapFormMixin, forms.Form):
    name = forms.CharField(label=gettext_lazy("Name"), max_length=120)
    kind = forms.ChoiceField(
        label=gettext_lazy("Kind of request"), required=False,
        choices=[("", gettext_lazy("Any kind")), *Kind.choices],
    )  # fmt: skip
    priority = forms.ChoiceField(
        label=gettext_lazy("Priority"), required=False,
        choices=[("", gettext_lazy("Any priority")), *Priority.choices],
    )  # fmt: skip
    first_response_minutes = MinutesField(
        label=gettext_lazy("First response within"), required=False, help_text=DURATION_HELP
    )
    resolution_minutes = MinutesField(
        label=gettext_lazy("Resolution within"), required=False, help_text=DURATION_HELP
    )
    clock = forms.ChoiceField(
        label=gettext_lazy("Clock"), choices=SlaPolicy.Clock.choices, widget=forms.RadioSelect,
        help_text=gettext_lazy(
            "Working hours count only the work calendar's hours: two hours from Friday "
            "17:00 end on Monday at 10:00."
        ),
    )  # fmt: skip
    warn_minutes_before = MinutesField(
        label=gettext_lazy("Warn before the deadline"), min_minutes=0,
        help_text=gettext_lazy("The assignee and their team lead are told this long before."),
    )  # fmt: skip
    is_active = forms.BooleanField(
        label=pgettext_lazy("policy", "Active"), required=False,
        help_text=gettext_lazy("Only one active policy per kind and priority."),
    )  # fmt: skip
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if (
            not self.errors
            and data.get("first_response_minutes") is None
            and data.get("resolution_minutes") is None
        ):
            self.add_error(
                "first_response_minutes", _("Set a first-response or a resolution target.")
            )
        return data

    @staticmethod
    def initial_for(policy: SlaPolicy | None) -> dict[str, Any]:
        if policy is None:
            return {"clock": SlaPolicy.Clock.WORKING, "warn_minutes_before": 30, "is_active": True}
        return {
            "name": policy.name, "kind": policy.kind, "priority": policy.priority,
            "first_response_minutes": policy.first_response_minutes,
            "resolution_minutes": policy.resolution_minutes, "clock": policy.clock,
            "warn_minutes_before": policy.warn_minutes_before, "is_active": policy.is_active,
            "version": policy.version,
        }  # fmt: skip

    def service_data(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        data.pop("version", None)
        return data


class CategoryForm(BootstrapFormMixin, forms.Form):
    name = forms.CharField(label=gettext_lazy("Name"), max_length=120)
    position = forms.IntegerField(
        label=pgettext_lazy("category", "Position"), required=False, min_value=0, max_value=32767
    )
    is_active = forms.BooleanField(label=pgettext_lazy("category", "Active"), required=False)

    def service_data(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        if data.get("position") is None:
            data.pop("position", None)
        return data

    @staticmethod
    def initial_for(category: Category) -> dict[str, Any]:
        return {"name": category.name, "position": category.position,
                "is_active": category.is_active}  # fmt: skip


class TimeInput(forms.TimeInput):
    input_type = "time"

    def __init__(self) -> None:
        super().__init__(format="%H:%M")


class CalendarForm(BootstrapFormMixin, forms.Form):
    work_days = forms.TypedMultipleChoiceField(
        label=gettext_lazy("Working days"), coerce=int, widget=forms.CheckboxSelectMultiple,
        choices=list(WEEKDAYS.items()),
        error_messages={"required": gettext_lazy("Choose at least one working day.")},
    )  # fmt: skip
    work_starts = forms.TimeField(label=gettext_lazy("Working day starts"), widget=TimeInput())
    work_ends = forms.TimeField(label=gettext_lazy("Working day ends"), widget=TimeInput())


class CalendarDayForm(BootstrapFormMixin, forms.Form):
    HOLIDAY, WORKING = "holiday", "working"

    day = forms.DateField(
        label=gettext_lazy("Date"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    name = forms.CharField(
        label=gettext_lazy("Name"), required=False,
        max_length=CalendarDay._meta.get_field("name").max_length,
        widget=forms.TextInput(attrs={"placeholder": gettext_lazy("New Year holidays")}),
    )  # fmt: skip
    kind = forms.ChoiceField(
        label=gettext_lazy("The day is"), widget=forms.RadioSelect, initial=HOLIDAY,
        choices=[
            (HOLIDAY, gettext_lazy("a holiday: nobody works")),
            (WORKING, gettext_lazy("a working day, though a weekend")),
        ],
    )  # fmt: skip

    def service_data(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "day": data["day"],
            "name": data["name"],
            "is_working": data["kind"] == self.WORKING,
        }


class SurveySettingsForm(BootstrapFormMixin, forms.Form):
    surveys_enabled = forms.BooleanField(
        label=gettext_lazy(
            "Send a satisfaction survey when a request is resolved or an order is delivered"
        ),
        required=False,
    )
    survey_valid_days = forms.IntegerField(
        label=gettext_lazy("The survey link works for, days"), min_value=1,
        max_value=MAX_SURVEY_VALID_DAYS,
    )  # fmt: skip
    survey_follow_up_max_score = forms.TypedChoiceField(
        label=gettext_lazy("Follow up scores up to"), coerce=int,
        choices=[(n, str(n)) for n in range(1, 6)],
        help_text=gettext_lazy(
            "A score this low or lower makes a call-back task for the client's manager."
        ),
    )  # fmt: skip
