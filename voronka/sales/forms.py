"""Forms of the sales pages: they parse input; the services decide and save."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from voronka.accounts.models import Team, User
from voronka.activities.forms_timeline import no_contact_field
from voronka.analytics.drill import filter_chips
from voronka.clients.queries import companies_visible_to, contacts_visible_to
from voronka.core.visibility import led_team_ids, sees_everything
from voronka.sales.models import Deal, Lead, LeadSource, LostReason, Product, Stage, StageKind
from voronka.sales.queries import (
    DEAL_SORTS,
    LEAD_SORTS,
    pipelines_visible_to,
    products_visible_to,
    stages_visible_to,
)

CURRENCIES = [("RUB", "RUB ₽"), ("USD", "USD $"), ("EUR", "EUR €"), ("CNY", "CNY ¥")]
# How many clients the client select offers before the person types a name.
CLIENT_OPTIONS = 30


def style(form: forms.BaseForm) -> None:
    """Bootstrap classes on every widget, so templates render fields plainly."""
    for field in form.fields.values():
        widget = field.widget
        if isinstance(widget, forms.HiddenInput):
            continue
        if isinstance(widget, forms.CheckboxInput):
            css = "form-check-input"
        elif isinstance(widget, forms.Select):
            css = "form-select"
        else:
            css = "form-control"
        widget.attrs["class"] = f"{widget.attrs.get('class', '')} {css}".strip()


def _fields(form: forms.BaseForm) -> Any:
    """The form's fields, untyped: their querysets and choices are set per request."""
    return form.fields


def owners_for(actor: Any) -> QuerySet[User]:
    """People the actor may make responsible (the same rule as ``may_own``)."""
    people = User.objects.filter(is_active=True).exclude(role="support")
    if sees_everything(actor):
        return people
    return people.filter(Q(pk=actor.pk) | Q(team_id__in=led_team_ids(actor)))


def people_filter_choices() -> QuerySet[User]:
    return User.objects.filter(is_active=True).exclude(role="support")


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(format="%Y-%m-%d", **kwargs)


# --- Clients: one select for "company or contact" -----------------------------------


def client_value(obj: Any) -> str:
    kind = "company" if obj.__class__.__name__ == "Company" else "contact"
    return f"{kind}:{obj.pk}"


def client_label(obj: Any) -> str:
    if obj.__class__.__name__ == "Company":
        return f"{obj.name} · {_('company')}"
    return f"{obj.full_name} · {_('contact')}"


def client_options(user: Any, q: str = "", limit: int = CLIENT_OPTIONS) -> list[tuple[str, str]]:
    """Visible companies and contacts matching ``q``, for the client select."""
    from voronka.clients.queries import company_list, contact_list

    companies = company_list(user, q=q).order_by("name", "pk")[:limit]
    contacts = contact_list(user, q=q).order_by("last_name", "first_name", "pk")[:limit]
    return [(client_value(c), client_label(c)) for c in [*companies, *contacts]]


def resolve_client(user: Any, value: str) -> Any:
    """The visible company or contact a ``kind:pk`` value names, else None."""
    kind, _sep, pk = (value or "").partition(":")
    if not pk.isdigit():
        return None
    if kind == "company":
        return companies_visible_to(user).filter(pk=int(pk)).first()
    if kind == "contact":
        return contacts_visible_to(user).select_related("company").filter(pk=int(pk)).first()
    return None


class ClientSelect(forms.Select):
    template_name = "sales/widgets/client_select.html"


# --- Deals ----------------------------------------------------------------------------


class DealForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=250)
    client = forms.CharField(label=_("Client"), widget=ClientSelect)
    pipeline: forms.ModelChoiceField = forms.ModelChoiceField(
        label=_("Pipeline"), queryset=None, required=False
    )
    stage: forms.ModelChoiceField = forms.ModelChoiceField(
        label=_("Stage"),
        queryset=None,
        required=False,
        empty_label=_("The first stage of the pipeline"),
    )
    owner: forms.ModelChoiceField = forms.ModelChoiceField(
        label=_("Responsible manager"), queryset=None
    )
    amount = forms.DecimalField(
        label=_("Amount"),
        min_value=Decimal("0"),
        max_digits=16,
        decimal_places=2,
        initial=Decimal("0"),
        widget=forms.NumberInput(attrs={"step": "0.01"}),
    )
    currency = forms.ChoiceField(label=_("Currency"), choices=CURRENCIES, initial="RUB")
    exchange_rate = forms.DecimalField(
        label=_("Exchange rate"),
        help_text=_("To the base currency; 1 for the base currency itself."),
        min_value=Decimal("0.000001"),
        max_digits=14,
        decimal_places=6,
        initial=Decimal("1"),
        widget=forms.NumberInput(attrs={"step": "0.000001"}),
    )
    expected_close_date = forms.DateField(
        label=_("Expected close date"), required=False, widget=DateInput()
    )
    source: forms.ModelChoiceField = forms.ModelChoiceField(
        label=_("Source"), queryset=None, required=False, empty_label="—"
    )
    notes = forms.CharField(
        label=_("Notes"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args: Any, user: Any, deal: Deal | None = None, **kwargs: Any) -> None:
        self.user = user
        self.deal = deal
        super().__init__(*args, **kwargs)
        pipelines = pipelines_visible_to(user)
        _fields(self)["pipeline"].queryset = pipelines
        _fields(self)["stage"].queryset = Stage.objects.filter(pipeline__in=pipelines).exclude(
            kind=StageKind.LOST
        )
        _fields(self)["stage"].label_from_instance = lambda s: f"{s.pipeline.name} → {s.name}"
        _fields(self)["stage"].queryset = _fields(self)["stage"].queryset.select_related("pipeline")
        _fields(self)["owner"].queryset = owners_for(user)
        _fields(self)["source"].queryset = LeadSource.objects.filter(is_active=True)
        if deal is not None:
            # Pipeline and stage change on the board or the stage bar, not here.
            del _fields(self)["pipeline"], _fields(self)["stage"]
            if deal.lines.exists():
                _fields(self)["amount"].disabled = True
                _fields(self)["amount"].help_text = _("The sum of the product lines.")
        self._client_choices(user)
        style(self)

    def _client_choices(self, user: Any) -> None:
        options = client_options(user)
        current = self.data.get("client") if self.is_bound else self.initial.get("client")
        if current and current not in dict(options):
            obj = resolve_client(user, current)
            if obj is not None:
                options.insert(0, (client_value(obj), client_label(obj)))
        _fields(self)["client"].widget.choices = [("", "—"), *options]

    def clean_client(self) -> Any:
        obj = resolve_client(self.user, self.cleaned_data["client"])
        if obj is None:
            raise ValidationError(_("Choose a company or a contact."))
        return obj

    def service_data(self) -> dict[str, Any]:
        """The cleaned fields as the deal services take them."""
        data = dict(self.cleaned_data)
        data.pop("version", None)
        client = data.pop("client")
        if self.deal is None:
            if data.get("stage") is not None and data.get("pipeline") is None:
                data["pipeline"] = data["stage"].pipeline
            data = {k: v for k, v in data.items() if v is not None}
            if client.__class__.__name__ == "Company":
                data["company"] = client
            else:
                data["contact"] = client
            return data
        deal = self.deal
        if client.__class__.__name__ == "Company":
            data["company"] = client
            contact = deal.contact
            keep = contact is not None and contact.company_id in (None, client.pk)
            data["contact"] = contact if keep else None
        else:
            data["contact"] = client
            company = deal.company
            keep = company is not None and client.company_id in (None, company.pk)
            data["company"] = company if keep else None
        if _fields(self)["amount"].disabled:
            data.pop("amount", None)
        return data


class DealLineForm(forms.Form):
    product: forms.ModelChoiceField = forms.ModelChoiceField(
        label=_("Product"), queryset=None, empty_label=_("Choose a product")
    )
    quantity = forms.DecimalField(
        label=_("Quantity"),
        min_value=Decimal("0.001"),
        max_digits=12,
        decimal_places=3,
        initial=Decimal("1"),
        widget=forms.NumberInput(attrs={"step": "any"}),
    )
    price = forms.DecimalField(
        label=_("Price"),
        required=False,
        min_value=Decimal("0"),
        max_digits=16,
        decimal_places=2,
        help_text=_("Empty: the product's price."),
        widget=forms.NumberInput(attrs={"step": "0.01"}),
    )
    discount_percent = forms.DecimalField(
        label=_("Discount, %"),
        required=False,
        min_value=Decimal("0"),
        max_value=Decimal("100"),
        max_digits=5,
        decimal_places=2,
        widget=forms.NumberInput(attrs={"step": "0.01"}),
    )
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _fields(self)["product"].queryset = products_visible_to(user).filter(is_active=True)
        style(self)

    def line(self) -> dict[str, Any]:
        data = {k: v for k, v in self.cleaned_data.items() if k != "version"}
        return {k: v for k, v in data.items() if v is not None}


class DealMoveForm(forms.Form):
    stage = forms.IntegerField()
    version = forms.IntegerField(required=False)
    amount = forms.DecimalField(
        required=False, min_value=Decimal("0"), max_digits=16, decimal_places=2
    )
    lost_reason: forms.ModelChoiceField = forms.ModelChoiceField(
        label=_("Lost reason"), queryset=LostReason.objects.filter(is_active=True), required=False
    )
    lost_comment = forms.CharField(label=_("Comment"), required=False, max_length=2000)


def _int_or_none(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _hidden_date(label: Any) -> forms.DateField:
    return forms.DateField(label=label, required=False, widget=forms.HiddenInput)


def _hidden_id(label: Any) -> forms.IntegerField:
    return forms.IntegerField(label=label, required=False, min_value=1, widget=forms.HiddenInput)


def _hidden_flag(label: Any) -> forms.BooleanField:
    return forms.BooleanField(label=label, required=False, widget=forms.HiddenInput)


def _check_range(form: forms.Form, first: str, last: str) -> None:
    data = form.cleaned_data
    if data.get(first) and data.get(last) and data[last] < data[first]:
        form.add_error(last, _("The end of the range is before its start."))


# Filters a report's drill-down sets; the list shows them as removable chips, not fields.
DEAL_DRILL_FILTERS = (
    "closed_from", "closed_to", "created_from", "created_to", "open_on", "overdue_on",
    "product", "no_source", "reached_stage", "client", "company", "contact", "has_lead",
    "closed_late",
)  # fmt: skip


class DealFilterForm(forms.Form):
    q = forms.CharField(label=_("Search"), required=False)
    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[("", _("Any status")), *Deal.Status.choices, ("closed", _("Won or lost"))],
    )
    pipeline = forms.TypedChoiceField(label=_("Pipeline"), required=False, coerce=int)
    stage = forms.TypedChoiceField(label=_("Stage"), required=False, coerce=int)
    owner = forms.TypedChoiceField(label=_("Manager"), required=False, coerce=int)
    team = forms.TypedChoiceField(label=_("Team"), required=False, coerce=int)
    source = forms.TypedChoiceField(label=_("Source"), required=False, coerce=int)
    no_contact = no_contact_field()
    overdue = forms.BooleanField(label=_("Overdue only"), required=False)
    amount_min = forms.DecimalField(label=_("Amount from"), required=False, min_value=0)
    amount_max = forms.DecimalField(label=_("Amount to"), required=False, min_value=0)
    # Set by the board's "and N more" link of a won/lost column; not shown as a field.
    closed_since = forms.DateField(required=False, widget=forms.HiddenInput)
    closed_from = _hidden_date(_("Closed from"))
    closed_to = _hidden_date(_("Closed to"))
    created_from = _hidden_date(_("Created from"))
    created_to = _hidden_date(_("Created to"))
    open_on = _hidden_date(_("Open on"))
    overdue_on = _hidden_date(_("Overdue on"))
    product = _hidden_id(_("Product"))
    no_source = _hidden_flag(_("No source"))
    reached_stage = _hidden_id(_("Reached the stage"))
    client = forms.RegexField(
        label=_("Client"), required=False, regex=r"^(company|contact):[0-9]+$",
        widget=forms.HiddenInput,
    )  # fmt: skip
    company = _hidden_id(_("Company"))
    contact = _hidden_id(_("Contact"))
    has_lead = _hidden_flag(_("Came from a lead"))
    closed_late = _hidden_flag(_("Closed after the expected date"))
    sort = forms.ChoiceField(
        label=_("Sort"),
        required=False,
        choices=[
            ("-created", _("Newest first")),
            ("created", _("Oldest first")),
            ("-amount", _("Largest amount")),
            ("amount", _("Smallest amount")),
            ("-updated", _("Recently changed")),
            ("title", _("Title A–Z")),
        ],
    )

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        pipelines = list(pipelines_visible_to(user).prefetch_related("stages"))
        _fields(self)["pipeline"].choices = [("", _("All pipelines"))] + [
            (p.pk, p.name) for p in pipelines
        ]
        stage_groups: list[Any] = [("", pgettext_lazy("pipeline stage", "Any stage"))]
        for p in pipelines:
            stage_groups.append((p.name, [(s.pk, s.name) for s in p.stages.all()]))
        _fields(self)["stage"].choices = stage_groups
        _fields(self)["owner"].choices = [("", _("All managers"))] + [
            (u.pk, str(u)) for u in people_filter_choices()
        ]
        _fields(self)["team"].choices = [("", _("All teams"))] + [
            (t.pk, t.name) for t in Team.objects.all()
        ]
        _fields(self)["source"].choices = [("", _("Any source"))] + [
            (s.pk, s.name) for s in LeadSource.objects.all()
        ]
        style(self)
        _fields(self)["overdue"].widget.attrs["class"] = "form-check-input"

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        _check_range(self, "closed_from", "closed_to")
        _check_range(self, "created_from", "created_to")
        return data

    def filters(self) -> tuple[dict[str, Any], str]:
        """Keyword arguments of ``deal_list`` and the sort key; bad input is ignored."""
        self.is_valid()
        data = {k: v for k, v in self.cleaned_data.items() if k not in self.errors}
        sort = data.get("sort") or "-created"
        kwargs = {
            "q": (data.get("q") or "").strip(),
            "status": data.get("status") or "",
            "pipeline_id": _int_or_none(data.get("pipeline")),
            "stage_id": _int_or_none(data.get("stage")),
            "owner_id": _int_or_none(data.get("owner")),
            "team_id": _int_or_none(data.get("team")),
            "source_id": _int_or_none(data.get("source")),
            "overdue": bool(data.get("overdue")),
            "amount_min": data.get("amount_min"),
            "amount_max": data.get("amount_max"),
            "closed_since": data.get("closed_since"),
            "no_contact_days": data.get("no_contact"),
            "closed_from": data.get("closed_from"),
            "closed_to": data.get("closed_to"),
            "created_from": data.get("created_from"),
            "created_to": data.get("created_to"),
            "open_on": data.get("open_on"),
            "overdue_on": data.get("overdue_on"),
            "product_id": data.get("product"),
            "no_source": bool(data.get("no_source")),
            "reached_stage_id": data.get("reached_stage"),
            "client": data.get("client") or "",
            "company_id": data.get("company"),
            "contact_id": data.get("contact"),
            "has_lead": bool(data.get("has_lead")),
            "closed_late": bool(data.get("closed_late")),
        }
        return kwargs, sort if sort in DEAL_SORTS else "-created"

    def drill_chips(self) -> list[dict[str, Any]]:
        """The report filters in force, each with the query that removes it."""
        if not self.is_bound or not any(self.data.get(name) for name in DEAL_DRILL_FILTERS):
            return []
        self.is_valid()
        user = self.user

        def client_name(value: str) -> Any:
            obj = resolve_client(user, value)
            return client_label(obj) if obj is not None else None

        describe = {
            "product": lambda pk: _name_of(products_visible_to(user), pk),
            "reached_stage": lambda pk: _name_of(stages_visible_to(user), pk),
            "client": client_name,
            "company": lambda pk: _name_of(companies_visible_to(user), pk),
            "contact": lambda pk: client_name(f"contact:{pk}"),
        }
        return filter_chips(self, DEAL_DRILL_FILTERS, describe)

    def hidden_errors(self) -> list[str]:
        """Errors of the filters set by links, which have no field to show them beside."""
        return _hidden_errors(self)


def _name_of(qs: QuerySet[Any], pk: int) -> str | None:
    obj = qs.filter(pk=pk).first()
    return str(obj) if obj is not None else None


def _hidden_errors(form: forms.Form) -> list[str]:
    if not form.is_bound:
        return []
    form.is_valid()
    return [
        f"{form.fields[name].label}: {error}"
        for name, errors in form.errors.items()
        if name in form.fields and form.fields[name].widget.is_hidden
        for error in errors
    ]


# --- Leads ------------------------------------------------------------------------------


class LeadForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=250)
    contact_name = forms.CharField(label=_("Contact name"), max_length=200, required=False)
    company_name = forms.CharField(label=_("Company name"), max_length=250, required=False)
    phone = forms.CharField(label=_("Phone"), max_length=40, required=False)
    email = forms.EmailField(label=_("E-mail"), required=False)
    tax_id = forms.CharField(label=_("Tax id (INN)"), max_length=12, required=False)
    source: forms.ModelChoiceField = forms.ModelChoiceField(
        label=_("Source"), queryset=None, required=False, empty_label="—"
    )
    status = forms.ChoiceField(
        label=_("Status"),
        choices=[
            (Lead.Status.NEW, Lead.Status.NEW.label),
            (Lead.Status.IN_PROGRESS, Lead.Status.IN_PROGRESS.label),
        ],
        initial=Lead.Status.NEW,
    )
    owner: forms.ModelChoiceField = forms.ModelChoiceField(
        label=_("Responsible manager"), queryset=None, required=False, empty_label="—"
    )
    utm_source = forms.CharField(label="utm_source", max_length=200, required=False)
    utm_medium = forms.CharField(label="utm_medium", max_length=200, required=False)
    utm_campaign = forms.CharField(label="utm_campaign", max_length=200, required=False)
    utm_term = forms.CharField(label="utm_term", max_length=200, required=False)
    utm_content = forms.CharField(label="utm_content", max_length=200, required=False)
    notes = forms.CharField(
        label=_("Notes"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args: Any, user: Any, lead: Lead | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _fields(self)["source"].queryset = LeadSource.objects.filter(is_active=True)
        _fields(self)["owner"].queryset = owners_for(user)
        if not sees_everything(user):
            _fields(self)["owner"].required = True
        if lead is not None and not lead.is_open:
            del _fields(self)["status"]
        style(self)

    def service_data(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        data.pop("version", None)
        return data


class LeadQualifyForm(forms.Form):
    pipeline: forms.ModelChoiceField = forms.ModelChoiceField(label=_("Pipeline"), queryset=None)
    title = forms.CharField(label=_("Deal title"), max_length=250)
    amount = forms.DecimalField(
        label=_("Amount"),
        required=False,
        min_value=Decimal("0"),
        max_digits=16,
        decimal_places=2,
        widget=forms.NumberInput(attrs={"step": "0.01"}),
    )
    expected_close_date = forms.DateField(
        label=_("Expected close date"), required=False, widget=DateInput()
    )
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _fields(self)["pipeline"].queryset = pipelines_visible_to(user)
        style(self)


class LeadRejectForm(forms.Form):
    reason: forms.ModelChoiceField = forms.ModelChoiceField(
        label=_("Rejection reason"),
        queryset=LostReason.objects.filter(is_active=True),
        empty_label=_("Choose a reason"),
    )
    comment = forms.CharField(
        label=_("Comment"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        style(self)


LEAD_DRILL_FILTERS = (
    "created_from", "created_to", "no_source", "product", "with_deal", "with_won_deal",
)  # fmt: skip


class LeadFilterForm(forms.Form):
    q = forms.CharField(label=_("Search"), required=False)
    status = forms.ChoiceField(
        label=_("Status"), required=False, choices=[("", _("Any status")), *Lead.Status.choices]
    )
    owner = forms.TypedChoiceField(label=_("Manager"), required=False, coerce=int)
    team = forms.TypedChoiceField(label=_("Team"), required=False, coerce=int)
    source = forms.TypedChoiceField(label=_("Source"), required=False, coerce=int)
    created_from = _hidden_date(_("Received from"))
    created_to = _hidden_date(_("Received to"))
    no_source = _hidden_flag(_("No source"))
    product = _hidden_id(_("Product"))
    with_deal = _hidden_flag(_("Became a deal"))
    with_won_deal = _hidden_flag(_("Has a deal won"))
    sort = forms.ChoiceField(
        label=_("Sort"),
        required=False,
        choices=[
            ("-created", _("Newest first")),
            ("created", _("Oldest first")),
            ("-updated", _("Recently changed")),
            ("title", _("Title A–Z")),
        ],
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _fields(self)["owner"].choices = [("", _("All managers"))] + [
            (u.pk, str(u)) for u in people_filter_choices()
        ]
        _fields(self)["team"].choices = [("", _("All teams"))] + [
            (t.pk, t.name) for t in Team.objects.all()
        ]
        _fields(self)["source"].choices = [("", _("Any source"))] + [
            (s.pk, s.name) for s in LeadSource.objects.all()
        ]
        style(self)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        _check_range(self, "created_from", "created_to")
        return data

    def filters(self) -> tuple[dict[str, Any], str]:
        self.is_valid()
        data = {k: v for k, v in self.cleaned_data.items() if k not in self.errors}
        sort = data.get("sort") or "-created"
        kwargs = {
            "q": (data.get("q") or "").strip(),
            "status": data.get("status") or "",
            "owner_id": _int_or_none(data.get("owner")),
            "team_id": _int_or_none(data.get("team")),
            "source_id": _int_or_none(data.get("source")),
            "created_from": data.get("created_from"),
            "created_to": data.get("created_to"),
            "no_source": bool(data.get("no_source")),
            "product_id": data.get("product"),
            "with_deal": bool(data.get("with_deal")),
            "with_won_deal": bool(data.get("with_won_deal")),
        }
        return kwargs, sort if sort in LEAD_SORTS else "-created"

    def drill_chips(self) -> list[dict[str, Any]]:
        """The report filters in force, each with the query that removes it."""
        if not self.is_bound or not any(self.data.get(name) for name in LEAD_DRILL_FILTERS):
            return []
        self.is_valid()
        # Products are the catalogue: everyone reads their names.
        describe = {"product": lambda pk: _name_of(Product.objects.all(), pk)}
        return filter_chips(self, LEAD_DRILL_FILTERS, describe)

    def hidden_errors(self) -> list[str]:
        return _hidden_errors(self)
