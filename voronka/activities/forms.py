"""Forms of the task and notification pages: they parse input; the services decide."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from voronka.accounts.services import MAX_REMINDER_MINUTES
from voronka.activities.models import NotificationKind, Task
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

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        fields: Any = self.fields
        fields["assignee"].queryset = owner_filter_choices(user)

    def filters(self) -> tuple[dict[str, Any], str]:
        """Keyword arguments of ``queries.task_list`` and the sort key."""
        if not self.is_bound or not self.is_valid():
            return {"active": True}, "due"
        data = self.cleaned_data
        status = data["status"] or "active"
        tz = timezone.get_current_timezone()

        def day_start(day: Any) -> datetime | None:
            return timezone.make_aware(datetime.combine(day, time.min), tz) if day else None

        filters: dict[str, Any] = {
            "assignee_id": data["assignee"].pk if data["assignee"] else None,
            "status": status if status in Task.Status.values else "",
            "active": status == "active",
            "priority": data["priority"],
            "due_from": day_start(data["due_from"]),
            # The "to" day is included: the range ends where the next day begins.
            "due_to": day_start(data["due_to"] + timedelta(days=1)) if data["due_to"] else None,
            "overdue": data["overdue"],
        }
        for name in LINKS:
            filters[f"{name}_id"] = data[name]
        return filters, data["sort"] or "due"

    def is_filtered(self) -> bool:
        if not self.is_bound or not self.is_valid():
            return False
        return any(
            value not in (None, "", False) for name, value in self.cleaned_data.items()
            if name != "sort"
        )  # fmt: skip


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
