"""Forms of the order pages: they parse input; the services decide and save."""

from __future__ import annotations

from decimal import Decimal
from typing import Any, cast

from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from voronka.accounts.models import Team
from voronka.analytics.drill import filter_chips
from voronka.clients.queries import companies_visible_to, contacts_visible_to
from voronka.core.forms import BootstrapFormMixin, assignable_owners, owner_filter_choices
from voronka.orders.listing import DEFAULT_SORT, ORDER_SORTS
from voronka.orders.models import DeliveryMethod, Order, PaymentStatus, Status
from voronka.orders.services import MAX_LINES
from voronka.sales.forms import (
    ClientSelect,
    DateInput,
    client_label,
    client_value,
    resolve_client,
)
from voronka.sales.queries import deals_visible_to, products_visible_to

# Filters a report's drill-down (or a client or deal card) sets: removable chips, not fields.
DRILL_FILTERS = (
    "company", "contact", "deal", "product", "delivered_from", "delivered_to", "status_at",
)  # fmt: skip


def _fields(form: forms.BaseForm) -> Any:
    """The form's fields, untyped: their querysets and choices are set per request."""
    return form.fields


def _hidden_id(label: Any) -> forms.IntegerField:
    return forms.IntegerField(label=label, required=False, min_value=1, widget=forms.HiddenInput)


def _hidden_date(label: Any) -> forms.DateField:
    return forms.DateField(label=label, required=False, widget=forms.HiddenInput)


def _name_of(qs: Any, pk: int) -> str | None:
    obj = qs.filter(pk=pk).first()
    return str(obj) if obj is not None else None


def client_choices(user: Any, value: str) -> list[tuple[str, str]]:
    """The client select's options before the person types: only the chosen client.

    The options come as the person types (``sales:client-options``), so an untouched
    form costs no query of the clients at all.
    """
    obj = resolve_client(user, value) if value else None
    chosen = [(client_value(obj), client_label(obj))] if obj is not None else []
    return [("", "—"), *chosen]


def client_of(order: Order) -> str:
    """The client select's value for an order: the contact when known, else the company."""
    if order.contact_id:
        return f"contact:{order.contact_id}"
    return f"company:{order.company_id}" if order.company_id else ""


def prefill_client(user: Any, company: Any, contact: Any) -> str:
    """``?company=`` / ``?contact=`` of a "New order" link, when the person sees that client."""
    try:
        if contact and contacts_visible_to(user).filter(pk=int(contact)).exists():
            return f"contact:{int(contact)}"
        if company and companies_visible_to(user).filter(pk=int(company)).exists():
            return f"company:{int(company)}"
    except (TypeError, ValueError):
        return ""
    return ""


# --- The list's filters ----------------------------------------------------------------


class OrderFilterForm(BootstrapFormMixin, forms.Form):
    q = forms.CharField(label=_("Search"), required=False, max_length=200)
    status = forms.MultipleChoiceField(
        label=_("Status"), required=False, choices=Status.choices,
        widget=forms.CheckboxSelectMultiple,
    )  # fmt: skip
    open = forms.BooleanField(label=_("Open only"), required=False)
    overdue = forms.BooleanField(label=_("Overdue only"), required=False)
    payment = forms.ChoiceField(
        label=_("Payment"), required=False, choices=[("", _("Any payment")),
                                                      *PaymentStatus.choices],
    )  # fmt: skip
    # Any id is taken (a drill-down may name anyone); the choices only offer the usual ones.
    owner = forms.IntegerField(label=_("Manager"), required=False, min_value=1,
                               widget=forms.Select)  # fmt: skip
    team = forms.IntegerField(label=_("Team"), required=False, min_value=1, widget=forms.Select)
    client = forms.RegexField(
        label=_("Client"), required=False, regex=r"^(company|contact):[0-9]+$",
        widget=ClientSelect,
    )  # fmt: skip
    created_from = forms.DateField(label=_("Received from"), required=False, widget=DateInput())
    created_to = forms.DateField(label=_("Received to"), required=False, widget=DateInput())
    company = _hidden_id(_("Company"))
    contact = _hidden_id(_("Contact"))
    deal = _hidden_id(_("Deal"))
    product = _hidden_id(_("Product"))
    delivered_from = _hidden_date(_("Delivered from"))
    delivered_to = _hidden_date(_("Delivered to"))
    status_at = _hidden_date(_("Status as of"))
    sort = forms.ChoiceField(
        label=_("Sort"), required=False,
        choices=[
            ("-created", _("Newest first")), ("created", _("Oldest first")),
            ("-total", _("Largest total")), ("total", _("Smallest total")),
            ("-number", _("Number, descending")), ("number", _("Number, ascending")),
            ("-updated", _("Recently changed")),
        ],
    )  # fmt: skip

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        fields = _fields(self)
        fields["owner"].widget.choices = [("", _("All managers"))] + [
            (u.pk, str(u)) for u in owner_filter_choices(user)
        ]
        fields["team"].widget.choices = [("", _("All teams"))] + [
            (t.pk, t.name) for t in Team.objects.order_by("name")
        ]
        current = self.data.get("client", "") if self.is_bound else ""
        fields["client"].widget.choices = client_choices(user, current)
        fields["status"].widget.attrs["class"] = "btn-check"

    def _checked(self) -> dict[str, Any]:
        self.is_valid()
        return {k: v for k, v in self.cleaned_data.items() if k not in self.errors}

    def filters(self) -> tuple[dict[str, Any], str]:
        """Keyword arguments of ``listing.order_list`` and the sort key; bad input is
        ignored (a drill-down link's bad value is shown above the list)."""
        data = self._checked()
        company_id, contact_id = data.get("company"), data.get("contact")
        client = data.get("client") or ""
        kind, _sep, pk = client.partition(":")
        if kind == "company":
            company_id = int(pk)
        elif kind == "contact":
            contact_id = int(pk)
        kwargs = {
            "q": (data.get("q") or "").strip(),
            "statuses": list(data.get("status") or []),
            "open_only": bool(data.get("open")),
            "overdue": bool(data.get("overdue")),
            "payment": data.get("payment") or "",
            "owner_id": data.get("owner") or None,
            "team_id": data.get("team") or None,
            "company_id": company_id,
            "contact_id": contact_id,
            "deal_id": data.get("deal"),
            "product_id": data.get("product"),
            "created_from": data.get("created_from"),
            "created_to": data.get("created_to"),
            "delivered_from": data.get("delivered_from"),
            "delivered_to": data.get("delivered_to"),
            "status_at": data.get("status_at"),
        }
        sort = data.get("sort") or DEFAULT_SORT
        return kwargs, sort if sort in ORDER_SORTS else DEFAULT_SORT

    def is_filtered(self) -> bool:
        if not self.is_bound:
            return False
        return any(v for k, v in self.data.items() if k not in ("sort", "cursor"))

    def drill_chips(self) -> list[dict[str, Any]]:
        """The report filters in force, each with the query that removes it."""
        if not self.is_bound or not any(self.data.get(name) for name in DRILL_FILTERS):
            return []
        self.is_valid()
        user = self.user
        describe = {
            "company": lambda pk: _name_of(companies_visible_to(user), pk),
            "contact": lambda pk: _name_of(contacts_visible_to(user), pk),
            "deal": lambda pk: _name_of(deals_visible_to(user), pk),
            "product": lambda pk: _name_of(products_visible_to(user), pk),
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


# --- The order's fields ----------------------------------------------------------------


class OrderForm(BootstrapFormMixin, forms.Form):
    """The client, the manager, delivery and notes: the quick entry's top and the edit
    page. Status, payment and lines have their own controls."""

    client = forms.CharField(label=_("Client"), widget=ClientSelect)
    owner: forms.ModelChoiceField = forms.ModelChoiceField(
        label=_("Responsible manager"), queryset=None
    )
    delivery_method = forms.ChoiceField(
        label=_("Delivery"), choices=DeliveryMethod.choices, initial=DeliveryMethod.COURIER
    )
    delivery_date = forms.DateField(label=_("Delivery date"), required=False, widget=DateInput())
    delivery_address = forms.CharField(
        label=_("Delivery address"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    client_email = forms.EmailField(
        label=_("Client's e-mail"), required=False,
        help_text=_("Where the client's notices about the order go; empty: the contact's."),
    )  # fmt: skip
    client_phone = forms.CharField(label=_("Client's phone"), required=False, max_length=40)
    number = forms.CharField(
        label=_("Number"), required=False, max_length=40,
        help_text=_("Empty: numbered automatically."),
    )  # fmt: skip
    notes = forms.CharField(
        label=_("Notes"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args: Any, user: Any, order: Order | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        self.order = order
        fields = _fields(self)
        fields["owner"].queryset = assignable_owners(
            user, current_id=order.owner_id if order else None
        ).exclude(role="support")
        current = self.data.get("client", "") if self.is_bound else self.initial.get("client", "")
        fields["client"].widget.choices = client_choices(user, current or "")
        if order is not None:
            fields["number"].help_text = ""

    def clean_client(self) -> Any:
        obj = resolve_client(self.user, self.cleaned_data["client"])
        if obj is None:
            raise forms.ValidationError(_("Choose a company or a contact."))
        return obj

    def clean_number(self) -> str:
        number = self.cleaned_data["number"].strip()
        if self.order is not None and not number:
            raise forms.ValidationError(_("The order needs a number."))
        return number

    def service_data(self) -> dict[str, Any]:
        """The cleaned fields as ``order_create`` / ``order_update`` take them.

        Choosing a contact brings their company along (the service fills it in); choosing
        a company keeps the order's contact when the contact works there.
        """
        data = dict(self.cleaned_data)
        data.pop("version", None)
        client = data.pop("client")
        if client.__class__.__name__ == "Company":
            contact = self.order.contact if self.order is not None else None
            keep = contact is not None and contact.company_id in (None, client.pk)
            data["company"], data["contact"] = client, contact if keep else None
        else:
            data["contact"] = client
            data["company"] = client.company
        if self.order is None and not data["number"]:
            data.pop("number")
        return data


# --- Lines ------------------------------------------------------------------------------


def _decimal(label: Any, *, digits: int, places: int, **kwargs: Any) -> forms.DecimalField:
    return forms.DecimalField(
        label=label, required=False, max_digits=digits, decimal_places=places,
        widget=forms.NumberInput(attrs={"step": "any", "inputmode": "decimal"}), **kwargs,
    )  # fmt: skip


class LineForm(BootstrapFormMixin, forms.Form):
    """One line of the order: a product (picked in the search, or by its SKU when the
    page runs without JavaScript) or a name of its own, and the numbers."""

    product = forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput)
    name = forms.CharField(label=_("Name"), required=False, max_length=200)
    sku = forms.CharField(label=_("SKU"), required=False, max_length=60)
    unit = forms.CharField(label=_("Unit"), required=False, max_length=20)
    quantity = _decimal(_("Quantity"), digits=12, places=3, initial=Decimal("1"),
                        min_value=Decimal("0.001"))  # fmt: skip
    unit_price = _decimal(_("Unit price"), digits=15, places=2, min_value=Decimal("0"))
    discount_percent = _decimal(_("Discount, %"), digits=5, places=2, min_value=Decimal("0"),
                                max_value=Decimal("100"))  # fmt: skip
    vat_rate = _decimal(_("VAT, %"), digits=5, places=2, min_value=Decimal("0"),
                        max_value=Decimal("100"))  # fmt: skip

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if self.cleaned_data.get("DELETE"):
            return data
        if not (data.get("product") or data.get("name") or data.get("sku")):
            self.add_error("name", _("Choose a product or write a name."))
        if data.get("quantity") is None and "quantity" not in self.errors:
            self.add_error("quantity", _("Give the quantity."))
        return data


class BaseLineFormSet(forms.BaseFormSet):
    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        self.products: dict[int, Any] = {}

    def clean(self) -> None:
        """Resolve every line's product in one query: by the id the search picked, or by
        the SKU typed; a product not in the active catalogue is named on its line."""
        live = [form for form in self.live_forms() if not form.errors]
        ids: set[int] = set()
        skus: set[str] = set()
        for form in live:
            data = form.cleaned_data
            if data.get("product"):
                ids.add(data["product"])
            elif data.get("sku") and not data.get("name"):
                skus.add(data["sku"].strip())
        active = products_visible_to(self.user).filter(is_active=True)
        found = list(active.filter(Q(pk__in=ids) | Q(sku__in=skus))) if ids or skus else []
        by_id = {p.pk: p for p in found}
        by_sku = {p.sku: p for p in found if p.sku}
        for form in live:
            data = form.cleaned_data
            if data.get("product"):
                product = by_id.get(data["product"])
                if product is None:
                    form.add_error("name", _("This product is not in the catalogue any more."))
            elif data.get("sku") and not data.get("name"):
                product = by_sku.get(data["sku"].strip())
                if product is None:
                    form.add_error("sku", _("No active product has this SKU."))
            else:
                product = None
            data["product_obj"] = product

    def live_forms(self) -> list[LineForm]:
        """The lines that count: filled in and not marked for removal."""
        initial = self.initial_form_count()
        return [
            form
            for n, form in enumerate(self.forms)
            if (n < initial or form.has_changed())
            and not getattr(form, "cleaned_data", {}).get("DELETE")
        ]

    def line_of(self, form: LineForm) -> dict[str, Any]:
        """One line's data as ``services.build_lines`` takes it."""
        data = form.cleaned_data
        line: dict[str, Any] = {"quantity": data["quantity"]}
        product = data.get("product_obj")
        if product is not None:
            line["product"] = product
        for name in ("name", "sku", "unit"):
            if data.get(name):
                line[name] = data[name].strip()
        for name in ("unit_price", "discount_percent", "vat_rate"):
            if data.get(name) is not None:
                line[name] = data[name]
        return line

    def lines(self) -> list[dict[str, Any]]:
        """Every live line's data, in the order of the page."""
        return [self.line_of(form) for form in self.live_forms()]


# An order's lines: one empty row to add a line by hand; a new order starts with three.
LineFormSet = cast(type[BaseLineFormSet], forms.formset_factory(
    LineForm, formset=BaseLineFormSet, extra=1, can_delete=True, max_num=MAX_LINES,
    validate_max=True, absolute_max=MAX_LINES,
))  # fmt: skip
NewLineFormSet = cast(type[BaseLineFormSet], forms.formset_factory(
    LineForm, formset=BaseLineFormSet, extra=3, can_delete=True, max_num=MAX_LINES,
    validate_max=True, absolute_max=MAX_LINES,
))  # fmt: skip


def line_initial(order: Order) -> list[dict[str, Any]]:
    """The order's lines as the formset's initial data."""
    return [
        {
            "product": line.product_id,
            "name": line.name,
            "sku": line.sku,
            "unit": line.unit,
            "quantity": line.quantity,
            "unit_price": line.unit_price,
            "discount_percent": line.discount_percent,
            "vat_rate": line.vat_rate,
        }  # fmt: skip
        for line in order.lines.all()
    ]
