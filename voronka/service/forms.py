"""Forms of the request pages: they parse input; the services decide and save."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django import forms
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from voronka.accounts.models import Team, User
from voronka.activities.forms import DATETIME_LOCAL, DateTimeLocalInput
from voronka.analytics.drill import filter_chips
from voronka.clients.queries import companies_visible_to
from voronka.core.forms import BootstrapFormMixin, owner_filter_choices
from voronka.core.visibility import led_team_ids, sees_everything
from voronka.sales.forms import ClientSelect, client_label, client_options, resolve_client
from voronka.sales.queries import products_visible_to
from voronka.service.models import (
    OPEN_STATUSES,
    Category,
    Channel,
    Kind,
    Message,
    Priority,
    Request,
    Status,
)

# The lists' sort keys → the keyset ordering of the "All requests" list.
REQUEST_SORTS: dict[str, list[str]] = {
    "-created": ["-created_at", "-id"],
    "created": ["created_at", "id"],
    "-updated": ["-updated_at", "-id"],
}
# Filters a report's drill-down (or a client card) sets; shown as removable chips.
DRILL_FILTERS = (
    "open", "product", "channel", "team", "company", "contact", "responded", "created_from",
    "created_to", "resolved_from", "resolved_to", "surveyed_from", "surveyed_to",
)  # fmt: skip
# The reply box's buttons: the status the reply leaves the request in ("" — as it goes).
REPLY_ACTIONS = {"send": "", "wait": Status.WAITING, "resolve": Status.RESOLVED}


def _fields(form: forms.BaseForm) -> Any:
    """The form's fields, untyped: their querysets and choices are set per request."""
    return form.fields


def request_assignees(actor: Any, *, current_id: int | None = None) -> QuerySet[User]:
    """Whom ``actor`` may give a request to (the services' rule), plus the current assignee.

    Support, the head and the admin give requests to anyone who takes them (every
    active user does); a manager keeps it or gives it within the team they lead.
    """
    people = User.objects.filter(is_active=True)
    if sees_everything(actor) or getattr(actor, "role", "") == "support":
        allowed = Q()
    else:
        allowed = Q(pk=actor.pk)
        teams = led_team_ids(actor)
        if teams:
            allowed |= Q(team_id__in=teams)
    if current_id:
        allowed |= Q(pk=current_id)
    return people.filter(allowed).order_by("last_name", "first_name", "username")


def _categories(current_id: int | None = None) -> QuerySet[Category]:
    return Category.objects.filter(Q(is_active=True) | Q(pk=current_id or 0))


def _day_bounds(first: Any, last: Any) -> tuple[datetime | None, datetime | None]:
    """The moment local day ``first`` starts and the day after ``last`` starts: a
    report's ``*_to`` day counts whole, as in the deal list."""
    from voronka.analytics.periods import Period

    start = Period(first, first).bounds()[0] if first else None
    after = Period(last, last).bounds()[1] if last else None
    return start, after


def _hidden_date(label: Any) -> forms.DateField:
    return forms.DateField(label=label, required=False, widget=forms.HiddenInput)


def _hidden_id(label: Any) -> forms.IntegerField:
    return forms.IntegerField(label=label, required=False, min_value=1, widget=forms.HiddenInput)


def _hidden_flag(label: Any) -> forms.BooleanField:
    return forms.BooleanField(label=label, required=False, widget=forms.HiddenInput)


class RequestFilterForm(BootstrapFormMixin, forms.Form):
    """Filters of the queue and of the list of all requests; bad values are left out.

    The GET names are the ones a KPI's drill-down links use (see ``DRILL_FILTERS``).
    """

    q = forms.CharField(label=_("Search"), required=False, max_length=200)
    status = forms.ChoiceField(label=_("Status"), required=False)
    kind = forms.ChoiceField(
        label=_("Kind"), required=False, choices=[("", _("Any kind")), *Kind.choices]
    )
    category = forms.TypedChoiceField(label=_("Category"), required=False, coerce=int)
    priority = forms.ChoiceField(
        label=_("Priority"), required=False,
        choices=[("", pgettext_lazy("request priority", "Any")), *Priority.choices],
    )  # fmt: skip
    assignee = forms.TypedChoiceField(label=_("Assignee"), required=False, coerce=int)
    breached = forms.BooleanField(label=_("SLA breached only"), required=False)
    mine = _hidden_flag(_("Assigned to me"))
    unassigned = _hidden_flag(_("Unassigned"))
    open = _hidden_flag(pgettext_lazy("requests", "Open"))
    product = _hidden_id(_("Product or service"))
    channel = forms.ChoiceField(
        label=_("Channel"), required=False, choices=[("", ""), *Channel.choices],
        widget=forms.HiddenInput,
    )  # fmt: skip
    team = _hidden_id(_("Team"))
    company = _hidden_id(_("Company"))
    contact = _hidden_id(_("Contact"))
    responded = _hidden_flag(_("Answered"))
    created_from = _hidden_date(pgettext_lazy("request", "Received from"))
    created_to = _hidden_date(pgettext_lazy("request", "Received to"))
    resolved_from = _hidden_date(_("Resolved from"))
    resolved_to = _hidden_date(_("Resolved to"))
    surveyed_from = _hidden_date(_("Survey answered from"))
    surveyed_to = _hidden_date(_("Survey answered to"))
    sort = forms.ChoiceField(
        label=_("Sort"),
        required=False,
        choices=[
            ("-created", _("Newest first")),
            ("created", _("Oldest first")),
            ("-updated", _("Recently changed")),
        ],
    )

    def __init__(self, *args: Any, user: Any, queue: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        self.queue = queue
        fields = _fields(self)
        statuses = Status.choices
        if queue:  # the queue holds open requests only
            statuses = [(s, label) for s, label in statuses if s in OPEN_STATUSES]
            del fields["sort"]
        fields["status"].choices = [
            ("", _("Any status")),
            *([] if queue else [("open", _("All open"))]),
            *statuses,
        ]
        fields["category"].choices = [("", _("Any category"))] + [
            (c.pk, c.name) for c in Category.objects.all()
        ]
        fields["assignee"].choices = [("", _("Anyone"))] + [
            (u.pk, str(u)) for u in owner_filter_choices(user)
        ]
        fields["breached"].widget.attrs["class"] = "form-check-input"

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        for first, last in (
            ("created_from", "created_to"), ("resolved_from", "resolved_to"),
            ("surveyed_from", "surveyed_to"),
        ):  # fmt: skip
            if data.get(first) and data.get(last) and data[last] < data[first]:
                self.add_error(last, _("The end of the range is before its start."))
        return data

    def _valid(self) -> dict[str, Any]:
        self.is_valid()
        return {k: v for k, v in self.cleaned_data.items() if k not in self.errors}

    def filters(self) -> tuple[dict[str, Any], str]:
        """Keyword arguments of ``queries.request_list`` and the sort key."""
        data = self._valid() if self.is_bound else {}
        status = data.get("status") or ""
        created = _day_bounds(data.get("created_from"), data.get("created_to"))
        resolved = _day_bounds(data.get("resolved_from"), data.get("resolved_to"))
        surveyed = _day_bounds(data.get("surveyed_from"), data.get("surveyed_to"))
        assignee = data.get("assignee") or None
        if data.get("mine"):
            assignee = self.user.pk
        kwargs = {
            "q": (data.get("q") or "").strip(),
            "status": status if status in Status.values else "",
            "open_only": status == "open" or bool(data.get("open")),
            "kind": data.get("kind") or "",
            "category_id": data.get("category") or None,
            "product_id": data.get("product"),
            "priority": data.get("priority") or "",
            "channel": data.get("channel") or "",
            "assignee_id": assignee,
            "team_id": data.get("team"),
            "unassigned": bool(data.get("unassigned")),
            "company_id": data.get("company"),
            "contact_id": data.get("contact"),
            "breached": bool(data.get("breached")),
            "responded": bool(data.get("responded")),
            "created_from": created[0],
            "created_to": created[1],
            "resolved_from": resolved[0],
            "resolved_to": resolved[1],
            "surveyed_from": surveyed[0],
            "surveyed_to": surveyed[1],
        }
        if self.queue:
            del kwargs["open_only"]  # the queue is open requests already
        sort = data.get("sort") or "-created"
        return kwargs, sort if sort in REQUEST_SORTS else "-created"

    def is_filtered(self) -> bool:
        return self.is_bound and any(
            v for k, v in self.data.items() if k not in ("sort", "cursor", "page")
        )

    @property
    def scope(self) -> str:
        """Which tab of mine / unassigned / all is on."""
        data = self._valid() if self.is_bound else {}
        if data.get("mine"):
            return "mine"
        return "unassigned" if data.get("unassigned") else "all"

    def drill_chips(self) -> list[dict[str, Any]]:
        """The filters set by a link (a report, a client card), each with its removal."""
        if not self.is_bound or not any(self.data.get(name) for name in DRILL_FILTERS):
            return []
        self.is_valid()
        user = self.user

        def client(kind: str) -> Any:
            def describe(pk: int) -> Any:
                obj = resolve_client(user, f"{kind}:{pk}")
                return client_label(obj) if obj is not None else None

            return describe

        describe = {
            "product": lambda pk: _name(products_visible_to(user), pk),
            "team": lambda pk: _name(Team.objects.all(), pk),
            "company": client("company"),
            "contact": client("contact"),
            "channel": lambda value: Channel(value).label,
        }
        return filter_chips(self, DRILL_FILTERS, describe)

    def hidden_errors(self) -> list[str]:
        """Errors of the filters set by links, which have no field to show them beside."""
        if not self.is_bound:
            return []
        self.is_valid()
        return [
            f"{self.fields[name].label}: {error}"
            for name, errors in self.errors.items()
            if name in self.fields and self.fields[name].widget.is_hidden
            for error in errors
        ]


def _name(qs: QuerySet[Any], pk: int) -> str | None:
    obj = qs.filter(pk=pk).first()
    return str(obj) if obj is not None else None


# --- Create and edit -------------------------------------------------------------------------


class RequestForm(BootstrapFormMixin, forms.Form):
    """A request taken down by hand (a call, a letter) or its fields changed later."""

    subject = forms.CharField(label=_("Subject"), max_length=250)
    client = forms.CharField(
        label=_("Client"), required=False, widget=ClientSelect,
        help_text=_("A company or a contact; a contact brings their company along."),
    )  # fmt: skip
    client_name = forms.CharField(label=_("Client's name"), max_length=200, required=False)
    client_email = forms.EmailField(label=_("Client's e-mail"), required=False)
    client_phone = forms.CharField(label=_("Client's phone"), max_length=40, required=False)
    kind = forms.ChoiceField(label=_("Kind"), choices=Kind.choices, initial=Kind.QUESTION)
    priority = forms.ChoiceField(
        label=_("Priority"), choices=Priority.choices, initial=Priority.NORMAL
    )
    channel = forms.ChoiceField(label=_("Channel"), choices=Channel.choices, initial=Channel.PHONE)
    category: forms.ModelChoiceField = forms.ModelChoiceField(
        label=_("Category"), queryset=None, required=False, empty_label="—"
    )
    product: forms.ModelChoiceField = forms.ModelChoiceField(
        label=_("Product or service"), queryset=None, required=False, empty_label="—"
    )
    assignee: forms.ModelChoiceField = forms.ModelChoiceField(
        label=_("Assignee"), queryset=None, required=False,
        empty_label=_("Nobody: leave it in the queue"),
    )  # fmt: skip
    message = forms.CharField(
        label=_("What the client wrote or said"), required=False,
        widget=forms.Textarea(attrs={"rows": 6}),
    )  # fmt: skip
    received_at = forms.DateTimeField(
        label=pgettext_lazy("request", "Received"), required=False, input_formats=[DATETIME_LOCAL],
        widget=DateTimeLocalInput(), help_text=_("Empty: now."),
    )  # fmt: skip
    deal = forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput)
    version = forms.IntegerField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args: Any, user: Any, request: Request | None = None, **kw: Any) -> None:
        super().__init__(*args, **kw)
        self.user = user
        self.instance = request
        fields = _fields(self)
        fields["category"].queryset = _categories(request.category_id if request else None)
        products = products_visible_to(user).filter(
            Q(is_active=True) | Q(pk=request.product_id if request else 0)
        )
        fields["product"].queryset = products.order_by("name")
        fields["assignee"].queryset = request_assignees(
            user, current_id=request.assignee_id if request else None
        )
        if request is None:
            del fields["version"]
        else:
            for name in ("message", "received_at", "deal"):
                del fields[name]
        self._client_choices()

    def _client_choices(self) -> None:
        options = client_options(self.user)
        current = self.data.get("client") if self.is_bound else self.initial.get("client")
        if current and current not in dict(options):
            obj = resolve_client(self.user, current)
            if obj is not None:
                options.insert(0, (f"{current}", client_label(obj)))
        _fields(self)["client"].widget.choices = [("", "—"), *options]

    def clean_client(self) -> Any:
        value = self.cleaned_data.get("client") or ""
        if not value:
            return None
        obj = resolve_client(self.user, value)
        if obj is None:
            raise forms.ValidationError(_("Choose a company or a contact from the list."))
        return obj

    def clean_received_at(self) -> datetime | None:
        value = self.cleaned_data.get("received_at")
        if value is not None and value > timezone.now():
            raise forms.ValidationError(_("A request cannot arrive in the future."))
        return value

    def service_data(self) -> dict[str, Any]:
        """The request's fields as ``request_create`` / ``request_update`` take them."""
        data = self.cleaned_data
        values: dict[str, Any] = {
            name: data[name]
            for name in (
                "subject", "client_name", "client_email", "client_phone", "kind", "priority",
                "channel", "category", "product", "assignee",
            )
        }  # fmt: skip
        values.update(self._client_fields(data.get("client")))
        if self.instance is None and data.get("deal"):
            from voronka.sales.queries import deals_visible_to

            values["deal"] = deals_visible_to(self.user).filter(pk=data["deal"]).first()
            if values["deal"] is None:
                values.pop("deal")
        return values

    def _client_fields(self, client: Any) -> dict[str, Any]:
        """The chosen client as company and contact; editing keeps the other half when it
        still fits (a company chosen keeps its contact, a contact keeps their company)."""
        if client is None:
            return {"company": None, "contact": None}
        current = self.instance
        if client.__class__.__name__ == "Company":
            contact = current.contact if current is not None else None
            keep = contact is not None and contact.company_id in (None, client.pk)
            return {"company": client, "contact": contact if keep else None}
        company = current.company if current is not None else None
        keep = company is not None and client.company_id in (None, company.pk)
        return {"contact": client, "company": company if keep else None}


def initial_client(request: Request) -> str:
    """The client select's value for a request: the contact when known, else the company."""
    if request.contact_id:
        return f"contact:{request.contact_id}"
    return f"company:{request.company_id}" if request.company_id else ""


def prefill_client(user: Any, company: Any, contact: Any) -> str:
    """``?company=`` / ``?contact=`` of a "New request" link as the client select's value,
    when the person may see that client."""
    from voronka.clients.queries import contacts_visible_to

    try:
        if contact and contacts_visible_to(user).filter(pk=int(contact)).exists():
            return f"contact:{int(contact)}"
        if company and companies_visible_to(user).filter(pk=int(company)).exists():
            return f"company:{int(company)}"
    except (TypeError, ValueError):
        return ""
    return ""


class RequestPropertiesForm(BootstrapFormMixin, forms.Form):
    """The card's side panel: what an agent sets while working the request."""

    kind = forms.ChoiceField(label=_("Kind"), choices=Kind.choices)
    category: forms.ModelChoiceField = forms.ModelChoiceField(
        label=_("Category"), queryset=None, required=False, empty_label="—"
    )
    priority = forms.ChoiceField(label=_("Priority"), choices=Priority.choices)
    assignee: forms.ModelChoiceField = forms.ModelChoiceField(
        label=_("Assignee"), queryset=None, required=False, empty_label=_("Nobody")
    )
    version = forms.IntegerField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args: Any, user: Any, request: Request, **kw: Any) -> None:
        super().__init__(*args, **kw)
        fields = _fields(self)
        fields["category"].queryset = _categories(request.category_id)
        fields["assignee"].queryset = request_assignees(user, current_id=request.assignee_id)
        for name in ("kind", "category", "priority", "assignee"):
            fields[name].widget.attrs["class"] += " form-select-sm"
            fields[name].widget.attrs["id"] = f"prop-{name}"

    def service_data(self) -> dict[str, Any]:
        return {k: v for k, v in self.cleaned_data.items() if k != "version"}


class MessageForm(BootstrapFormMixin, forms.Form):
    """The reply box: a reply to the client, an internal note, or what the client said."""

    kind = forms.ChoiceField(choices=Message.Kind.choices, widget=forms.HiddenInput)
    body = forms.CharField(
        label=_("Text"), widget=forms.Textarea(attrs={"rows": 5}), max_length=20_000,
        error_messages={"required": _("Write the message.")},
    )  # fmt: skip
    action = forms.ChoiceField(
        choices=[(k, k) for k in REPLY_ACTIONS], required=False, widget=forms.HiddenInput
    )
    at = forms.DateTimeField(
        label=_("When the client said it"), required=False, input_formats=[DATETIME_LOCAL],
        widget=DateTimeLocalInput(), help_text=_("Empty: now."),
    )  # fmt: skip

    def clean_at(self) -> datetime | None:
        value = self.cleaned_data.get("at")
        if value is not None and value > timezone.now():
            raise forms.ValidationError(_("That moment has not come yet."))
        return value

    def reply_status(self) -> str:
        return REPLY_ACTIONS.get(self.cleaned_data.get("action") or "send", "")
