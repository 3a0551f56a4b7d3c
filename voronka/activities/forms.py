"""Forms of the task and notification pages: they parse input; the services decide."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from voronka.accounts.services import MAX_REMINDER_MINUTES
from voronka.activities.models import Activity, NotificationKind, Task
from voronka.core.forms import BootstrapFormMixin, assignable_owners, owner_filter_choices

# The records a task may be about, in the order a page names them.
LINKS = ("deal", "lead", "company", "contact")
DATETIME_LOCAL = "%Y-%m-%dT%H:%M"


class DateTimeLocalInput(forms.DateTimeInput):
    """The browser's date-and-time picker; values are in the organisation's time zone,
    which the middleware makes the current one."""

    input_type = "datetime-local"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(format=DATETIME_LOCAL, **kwargs)


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(format="%Y-%m-%d", **kwargs)


def linked_records(user: Any, ids: dict[str, int | None]) -> dict[str, Any]:
    """The visible deal, lead, company or contact each id names (missing ones left out)."""
    from voronka.clients.queries import companies_visible_to, contacts_visible_to
    from voronka.sales.queries import deals_visible_to, leads_visible_to

    finders = {
        "deal": lambda: deals_visible_to(user).select_related("company", "contact"),
        "lead": lambda: leads_visible_to(user),
        "company": lambda: companies_visible_to(user),
        "contact": lambda: contacts_visible_to(user),
    }
    found = {}
    for name in LINKS:
        pk = ids.get(name)
        if pk:
            record = finders[name]().filter(pk=pk).first()
            if record is not None:
                found[name] = record
    return found


def default_due() -> datetime:
    """The next full hour, or tomorrow morning when the working day is over."""
    now = timezone.localtime()
    due = now.replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
    if due.hour >= 19 or due.date() != now.date():
        morning = datetime.combine(now.date() + timedelta(days=1), time(10, 0))
        due = timezone.make_aware(morning, timezone.get_current_timezone())
    return due


class TaskForm(BootstrapFormMixin, forms.Form):
    title = forms.CharField(label=_("Task"), max_length=250)
    description = forms.CharField(
        label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    assignee: forms.ModelChoiceField = forms.ModelChoiceField(
        label=_("Assignee"), queryset=None, empty_label=None
    )
    due_at = forms.DateTimeField(
        label=_("Due date"), input_formats=[DATETIME_LOCAL], widget=DateTimeLocalInput()
    )
    priority = forms.ChoiceField(
        label=_("Priority"), choices=Task.Priority.choices, initial=Task.Priority.NORMAL
    )
    remind_minutes_before = forms.IntegerField(
        label=_("Remind, minutes before"),
        required=False,
        min_value=0,
        max_value=MAX_REMINDER_MINUTES,
    )
    deal = forms.IntegerField(required=False, widget=forms.HiddenInput)
    lead = forms.IntegerField(required=False, widget=forms.HiddenInput)
    company = forms.IntegerField(required=False, widget=forms.HiddenInput)
    contact = forms.IntegerField(required=False, widget=forms.HiddenInput)
    version = forms.IntegerField(required=False, widget=forms.HiddenInput)
    next = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args: Any, user: Any, task: Task | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        self.task = task
        fields: Any = self.fields
        fields["assignee"].queryset = assignable_owners(
            user, current_id=task.assignee_id if task else None
        )
        fields["remind_minutes_before"].help_text = _(
            "Empty: the assignee's own setting (yours: %(minutes)s min)."
        ) % {"minutes": user.reminder_minutes}
        if task is None:
            fields.pop("version")
        self.links: dict[str, Any] = {}

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        ids = {name: data.get(name) for name in LINKS}
        self.links = linked_records(self.user, ids)
        for name, pk in ids.items():
            if pk and name not in self.links:
                self.add_error(name, _("No such record, or you may not see it."))
        return data

    def service_data(self) -> dict[str, Any]:
        data = self.cleaned_data
        values = {
            "title": data["title"],
            "description": data["description"],
            "assignee": data["assignee"],
            "due_at": data["due_at"],
            "priority": data["priority"],
            "remind_minutes_before": data["remind_minutes_before"],
        }
        for name in LINKS:
            values[name] = self.links.get(name)
        if self.task is not None:
            # Links are chosen where the task is created; editing keeps them as they are.
            for name in LINKS:
                if values[name] is None and getattr(self.task, f"{name}_id") is None:
                    values.pop(name)
        return values

    def link_errors(self) -> list[str]:
        """Errors about the hidden link fields, shown at the top of the form."""
        return [str(e) for name in LINKS for e in self.errors.get(name, [])]


# A deal's "open" and a task's "open" are different words in Russian.
TASK_STATUS_LABELS: dict[str, Any] = {
    Task.Status.OPEN: pgettext_lazy("task status", "Open"),
    Task.Status.IN_PROGRESS: pgettext_lazy("task status", "In progress"),
    Task.Status.DONE: pgettext_lazy("task status", "Done"),
    Task.Status.CANCELLED: pgettext_lazy("task status", "Cancelled"),
}
STATUS_FILTERS = [
    ("active", _("Open and in progress")),
    *TASK_STATUS_LABELS.items(),
    ("all", _("All statuses")),
]
TASK_SORTS = {"due": ["due_at", "id"], "-due": ["-due_at", "-id"]}


# Filters a report's drill-down sets; the list shows them as removable chips, not fields.
TASK_DRILL_FILTERS = ("team", "completed_from", "completed_to", "overdue_on")


def _day_bounds(first: Any, last: Any) -> tuple[datetime | None, datetime | None]:
    """The moments local day ``first`` starts and the day after ``last`` starts."""
    from voronka.analytics.periods import Period

    start = Period(first, first).bounds()[0] if first else None
    after = Period(last, last).bounds()[1] if last else None
    return start, after


def _check_range(form: forms.Form, first: str, last: str) -> None:
    data = form.cleaned_data
    if data.get(first) and data.get(last) and data[last] < data[first]:
        form.add_error(last, _("The end of the range is before its start."))


def _valid_data(form: forms.Form) -> dict[str, Any]:
    """The cleaned values of the fields without errors: a bad filter is left out, not fatal."""
    form.is_valid()
    return {k: v for k, v in form.cleaned_data.items() if k not in form.errors}


def hidden_errors(form: forms.Form) -> list[str]:
    """Errors of the filters set by links, which have no field to show them beside."""
    if not form.is_bound:
        return []
    form.is_valid()
    return [
        f"{form.fields[name].label}: {error}"
        for name, errors in form.errors.items()
        if name in form.fields and form.fields[name].widget.is_hidden
        for error in errors
    ]


class TaskFilterForm(BootstrapFormMixin, forms.Form):
    """Filters of the task list; unset filters mean "any", an unset status means active."""

    assignee: forms.ModelChoiceField = forms.ModelChoiceField(
        label=_("Assignee"), queryset=None, required=False, empty_label=_("Everyone")
    )
    status = forms.ChoiceField(label=_("Status"), choices=STATUS_FILTERS, required=False)
    priority = forms.ChoiceField(
        label=_("Priority"), choices=[("", _("Any")), *Task.Priority.choices], required=False
    )
    due_from = forms.DateField(label=_("Due from"), required=False, widget=DateInput())
    due_to = forms.DateField(label=_("Due to"), required=False, widget=DateInput())
    overdue = forms.BooleanField(label=_("Overdue only"), required=False)
    sort = forms.ChoiceField(
        choices=[(k, k) for k in TASK_SORTS], required=False, widget=forms.HiddenInput
    )
    deal = forms.IntegerField(required=False, widget=forms.HiddenInput)
    lead = forms.IntegerField(required=False, widget=forms.HiddenInput)
    company = forms.IntegerField(required=False, widget=forms.HiddenInput)
    contact = forms.IntegerField(required=False, widget=forms.HiddenInput)
    team = forms.IntegerField(
        label=_("Team"), required=False, min_value=1, widget=forms.HiddenInput
    )
    completed_from = forms.DateField(
        label=_("Completed from"), required=False, widget=forms.HiddenInput
    )
    completed_to = forms.DateField(
        label=_("Completed to"), required=False, widget=forms.HiddenInput
    )
    overdue_on = forms.DateField(label=_("Overdue on"), required=False, widget=forms.HiddenInput)

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        fields: Any = self.fields
        fields["assignee"].queryset = owner_filter_choices(user)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        _check_range(self, "due_from", "due_to")
        _check_range(self, "completed_from", "completed_to")
        return data

    def filters(self) -> tuple[dict[str, Any], str]:
        """Keyword arguments of ``queries.task_list`` and the sort key."""
        if not self.is_bound:
            return {"active": True}, "due"
        data = _valid_data(self)
        status = data.get("status") or "active"
        due_from, due_to = _day_bounds(data.get("due_from"), data.get("due_to"))
        completed_from, completed_to = _day_bounds(
            data.get("completed_from"), data.get("completed_to")
        )
        overdue_at = None
        end_of_day = _day_bounds(None, data.get("overdue_on"))[1]
        if end_of_day is not None:
            # Overdue as of the end of that day; for today, as of now.
            overdue_at = min(end_of_day, timezone.now())
        filters: dict[str, Any] = {
            "assignee_id": data["assignee"].pk if data.get("assignee") else None,
            "team_id": data.get("team"),
            "status": status if status in Task.Status.values else "",
            "active": status == "active",
            "priority": data.get("priority") or "",
            "due_from": due_from,
            # The "to" day is included: the range ends where the next day begins.
            "due_to": due_to,
            "overdue": bool(data.get("overdue")),
            "overdue_at": overdue_at,
            "completed_from": completed_from,
            "completed_to": completed_to,
        }
        for name in LINKS:
            filters[f"{name}_id"] = data.get(name)
        return filters, data.get("sort") or "due"

    def is_filtered(self) -> bool:
        if not self.is_bound:
            return False
        return any(
            value not in (None, "", False) for name, value in _valid_data(self).items()
            if name != "sort"
        )  # fmt: skip

    def drill_chips(self) -> list[dict[str, Any]]:
        """The report filters in force, each with the query that removes it."""
        if not self.is_bound or not any(self.data.get(name) for name in TASK_DRILL_FILTERS):
            return []
        from voronka.accounts.models import Team
        from voronka.analytics.drill import filter_chips

        def team_name(pk: int) -> str | None:
            return Team.objects.filter(pk=pk).values_list("name", flat=True).first()

        self.is_valid()
        return filter_chips(self, TASK_DRILL_FILTERS, {"team": team_name})

    def hidden_errors(self) -> list[str]:
        return hidden_errors(self)


class ActivityFilterForm(BootstrapFormMixin, forms.Form):
    """Filters of a list of logged interactions: who, which team, which days, what kind."""

    author: forms.ModelChoiceField = forms.ModelChoiceField(
        label=_("Author"), queryset=None, required=False, empty_label=_("Everyone")
    )
    team = forms.IntegerField(
        label=_("Team"), required=False, min_value=1, widget=forms.HiddenInput
    )
    kind = forms.ChoiceField(
        label=_("Kind"), required=False, choices=[("", _("Any")), *Activity.Kind.choices]
    )
    # "from" is a Python keyword: the field is declared under its query parameter's name.
    to = forms.DateField(label=_("To"), required=False, widget=DateInput())

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields = {
            "from": forms.DateField(label=_("From"), required=False, widget=DateInput()),
            **self.fields,
        }
        fields: Any = self.fields
        fields["author"].queryset = owner_filter_choices(user)
        self.style_fields()

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        _check_range(self, "from", "to")
        return data

    def filters(self) -> dict[str, Any]:
        """Keyword arguments of ``queries.activity_list``; a bad filter is left out."""
        if not self.is_bound:
            return {}
        data = _valid_data(self)
        occurred_from, occurred_to = _day_bounds(data.get("from"), data.get("to"))
        return {
            "author_id": data["author"].pk if data.get("author") else None,
            "team_id": data.get("team"),
            "kind": data.get("kind") or "",
            "occurred_from": occurred_from,
            "occurred_to": occurred_to,
        }


class NotificationSettingsForm(BootstrapFormMixin, forms.Form):
    """Per kind of notice, in Voronka and by e-mail; and the default reminder time."""

    reminder_minutes = forms.IntegerField(
        label=_("Remind of a task, minutes before the deadline"),
        min_value=0,
        max_value=MAX_REMINDER_MINUTES,
        help_text=_("Used when a task does not set its own reminder time."),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for kind, label in NotificationKind.choices:
            self.fields[f"{kind}-in_app"] = forms.BooleanField(label=label, required=False)
            self.fields[f"{kind}-email"] = forms.BooleanField(label=label, required=False)
        self.style_fields()

    def kinds(self) -> list[dict[str, Any]]:
        """One row per kind for the template: its label and the two checkboxes."""
        return [
            {"kind": kind, "label": label, "in_app": self[f"{kind}-in_app"],
             "email": self[f"{kind}-email"]}
            for kind, label in NotificationKind.choices
        ]  # fmt: skip

    @staticmethod
    def initial_for(user: Any, preferences: dict[str, tuple[bool, bool]]) -> dict[str, Any]:
        initial: dict[str, Any] = {"reminder_minutes": user.reminder_minutes}
        for kind in NotificationKind.values:
            in_app, email = preferences.get(kind, (True, True))
            initial[f"{kind}-in_app"] = in_app
            initial[f"{kind}-email"] = email
        return initial
