"""The dashboards' filter bar: a period (named or custom dates) and who / what to look at.

The form never refuses to show a page: a bad value is reported beside its field and
the dashboard falls back to the default for that value only.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from voronka.analytics.periods import PRESETS, Period, preset
from voronka.analytics.scope import Filters
from voronka.core.forms import BootstrapFormMixin
from voronka.core.visibility import led_team_ids, sees_everything

DEFAULT_PRESET = "this_month"
CUSTOM = "custom"
# As long as the API allows: a longer report is a data export, not a dashboard.
MAX_DAYS = 1830
# A period up to about a quarter is read week by week; longer ones month by month.
WEEKLY_UP_TO_DAYS = 92
BUCKETS = ("week", "month")


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(format="%Y-%m-%d", **kwargs)


@dataclass(frozen=True)
class Choice:
    """What the dashboard shows, once the form has had its say."""

    period: Period
    preset: str  # a PRESETS name, or "custom"
    filters: Filters
    bucket: str  # week or month: the time axis of the charts

    def query(self) -> dict[str, str]:
        """The GET parameters that reproduce this choice (for links and exports)."""
        out: dict[str, str] = {"period": self.preset}
        if self.preset == CUSTOM:
            out["from"] = self.period.start.isoformat()
            out["to"] = self.period.end.isoformat()
        for name, value in self.filters.as_json().items():
            if value is not None:
                out[name] = str(value)
        return out


def default_bucket(period: Period) -> str:
    return "week" if period.days <= WEEKLY_UP_TO_DAYS else "month"


class DashboardFilterForm(BootstrapFormMixin, forms.Form):
    period = forms.ChoiceField(label=_("Period"), required=False)
    team = forms.TypedChoiceField(label=_("Team"), required=False, coerce=int)
    manager = forms.TypedChoiceField(label=_("Manager"), required=False, coerce=int)
    pipeline = forms.TypedChoiceField(label=_("Pipeline"), required=False, coerce=int)
    source = forms.TypedChoiceField(label=_("Source"), required=False, coerce=int)
    # Set by the chart's week / month switch, not shown in the filter bar.
    bucket = forms.ChoiceField(
        required=False, choices=[("", "")] + [(b, b) for b in BUCKETS], widget=forms.HiddenInput
    )

    def __init__(
        self,
        *args: Any,
        user: Any,
        personal: bool = False,
        today: date | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        from voronka.accounts.models import Team, User
        from voronka.sales.models import LeadSource, Pipeline

        self.today = today
        self.personal = personal
        # "from" and "to" are Python keywords, so they cannot be declared on the class.
        self.fields["from"] = forms.DateField(label=_("From"), required=False, widget=DateInput())
        self.fields["to"] = forms.DateField(label=_("To"), required=False, widget=DateInput())
        self.order_fields(["period", "from", "to", "team", "manager", "pipeline", "source"])
        self._choices("period").choices = [(name, label) for name, label in PRESETS.items()] + [
            (CUSTOM, _("Custom dates"))
        ]

        everything = sees_everything(user)
        teams = [] if everything else led_team_ids(user)
        if everything:
            team_rows = list(Team.objects.order_by("name"))
            people = User.objects.filter(is_active=True).exclude(role="support")
        elif teams:
            team_rows = list(Team.objects.filter(pk__in=teams).order_by("name"))
            people = User.objects.filter(is_active=True, team_id__in=teams)
        else:
            # A manager reads only their own numbers.
            team_rows, people = [], User.objects.filter(pk=user.pk)
        self.teams = team_rows
        self._choices("team").choices = [("", _("All teams"))] + [(t.pk, t.name) for t in team_rows]
        self.people = list(people.order_by("first_name", "last_name", "username"))
        if personal:
            nobody = _("Choose a manager") if everything else _("Myself")
        else:
            nobody = _("All managers")
        self._choices("manager").choices = [("", nobody)] + [(u.pk, str(u)) for u in self.people]
        self.pipelines = list(
            Pipeline.objects.filter(is_active=True).order_by("-is_default", "position", "pk")
        )
        self._choices("pipeline").choices = [("", _("Main pipeline"))] + [
            (p.pk, p.name) for p in self.pipelines
        ]
        sources = LeadSource.objects.all().order_by("name")
        self._choices("source").choices = [("", _("All sources"))] + [
            (s.pk, s.name) for s in sources
        ]
        # Someone who sees only their own records has nobody to choose between.
        if personal or not team_rows:
            del self.fields["team"]
        if personal and not (everything or teams):
            del self.fields["manager"]
        if personal:
            del self.fields["source"]
        self.style_fields()
        for bound in self.fields.values():
            css = bound.widget.attrs.get("class", "")
            small = "form-select-sm" if "form-select" in css.split() else "form-control-sm"
            bound.widget.attrs["class"] = f"{css} {small}".strip()

    def _choices(self, name: str) -> Any:
        return self.fields[name]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("from"), data.get("to")
        chosen = data.get("period") or ""
        if not chosen and (start or end):
            chosen = CUSTOM
            data["period"] = CUSTOM
        if chosen == CUSTOM and "from" not in self.errors and "to" not in self.errors:
            if start is None:
                self.add_error("from", _("Choose the first day of the period."))
            if end is None:
                self.add_error("to", _("Choose the last day of the period."))
            if start and end and end < start:
                self.add_error("to", _("The period ends before it starts."))
            elif start and end and (end - start).days + 1 > MAX_DAYS:
                self.add_error("to", _("A period of at most five years, please."))
        return data

    def choice(self) -> Choice:
        """The period, filters and time axis to show; defaults where the input was wrong."""
        data: dict[str, Any] = {}
        if self.is_bound:
            self.is_valid()
            data = self.cleaned_data
        period_ok = not ({"period", "from", "to"} & set(self.errors))
        name = (data.get("period") or DEFAULT_PRESET) if period_ok else DEFAULT_PRESET
        period = Period(data["from"], data["to"]) if name == CUSTOM else preset(name, self.today)
        filters = Filters(
            **{
                field: data[field]
                for field in ("team", "manager", "pipeline", "source")
                if field in self.fields and field not in self.errors and data.get(field)
            }
        )
        bucket = data.get("bucket") or default_bucket(period)
        if period_ok:
            self._show(name, period)
        self.chosen = Choice(period, name, filters, bucket)
        return self.chosen

    def _show(self, name: str, period: Period) -> None:
        """Let the date fields show the days a named period stands for."""
        shown = {"period": name, "from": period.start.isoformat(), "to": period.end.isoformat()}
        if self.is_bound:
            data = self.data.copy()  # type: ignore[attr-defined]
            for key, value in shown.items():
                data[key] = value  # a QueryDict's update() would append, not replace
            self.data = data
        else:
            self.initial.update(shown)

    @property
    def pipeline_shown(self) -> Any:
        """The pipeline of the funnel: the chosen one, or the main (default) one."""
        chosen = self.chosen.filters.pipeline
        for p in self.pipelines:
            if p.pk == chosen:
                return p
        return self.pipelines[0] if self.pipelines else None
