"""Forms of the client pages: create/edit of companies and contacts, list filters.

Plain forms, not ModelForms: a ModelForm writes the input into the instance while
validating, and the services must see the record as it was to know what changed.
The model still supplies each field's label, length and choices.
"""

from __future__ import annotations

from typing import Any, ClassVar

from django import forms
from django.db.models import Q
from django.forms.models import fields_for_model, model_to_dict
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from voronka.activities.forms_timeline import no_contact_field
from voronka.clients.models import Company, Contact, LifecycleStage, Tag
from voronka.clients.queries import companies_visible_to
from voronka.core.forms import BootstrapFormMixin, assignable_owners, owner_filter_choices
from voronka.core.visibility import sees_everything
from voronka.sales.models import LeadSource

COMPANY_FORM_FIELDS = [
    "name", "tax_id", "industry", "website", "phone", "email", "address",
    "lifecycle_stage", "source", "owner", "notes",
]  # fmt: skip
CONTACT_FORM_FIELDS = [
    "last_name", "first_name", "middle_name", "company", "position", "phone", "email",
    "address", "lifecycle_stage", "source", "owner", "notes",
]  # fmt: skip


def split_tags(raw: str) -> list[str]:
    """«опт, звонить после 14:00» → two tag names; blanks and repeats dropped."""
    seen: dict[str, None] = {}
    for part in (raw or "").split(","):
        name = " ".join(part.split())
        if name and name.casefold() not in {s.casefold() for s in seen}:
            seen[name] = None
    return list(seen)


class ClientForm(BootstrapFormMixin, forms.Form):
    """What a company and a contact form share: owner, source, tags, version."""

    model: type[Company] | type[Contact]
    field_names: list[str]
    widgets: ClassVar[dict[str, type[forms.Widget] | forms.Widget]] = {}
    autofocus = ""

    tags = forms.CharField(
        label=_("Tags"),
        required=False,
        max_length=800,
        help_text=_("Interests and preferences, separated by commas."),
    )
    version = forms.IntegerField(widget=forms.HiddenInput, required=False, min_value=1)

    def __init__(
        self, data: Any = None, *, actor: Any, instance: Company | Contact | None = None, **kw: Any
    ) -> None:
        self.actor = actor
        self.instance = instance
        initial = kw.pop("initial", {}) or {}
        if instance is not None:
            initial = {
                **model_to_dict(instance, fields=self.field_names),
                "tags": ", ".join(t.name for t in instance.tags.all()),
                "version": instance.version,
                **initial,
            }
        super().__init__(data, initial=initial, **kw)
        declared = dict(self.fields)
        self.fields = {
            **fields_for_model(self.model, fields=self.field_names, widgets=self.widgets),
            **declared,
        }
        current_owner = instance.owner_id if instance else None
        owner = self.fields["owner"]
        owner.queryset = assignable_owners(actor, current_id=current_owner)  # type: ignore[attr-defined]
        # Only those who see every record may leave a client without a manager.
        owner.required = not sees_everything(actor)
        owner.empty_label = None if owner.required else _("— nobody —")  # type: ignore[attr-defined]
        if instance is None and "owner" not in initial:
            self.initial["owner"] = actor.pk
        current_source = instance.source_id if instance else None
        self.fields["source"].queryset = LeadSource.objects.filter(  # type: ignore[attr-defined]
            Q(is_active=True) | Q(pk=current_source)
        )
        self.fields["source"].empty_label = _("— not known —")  # type: ignore[attr-defined]
        self.fields["notes"].widget.attrs["rows"] = 3
        self.fields["phone"].widget.input_type = "tel"  # type: ignore[attr-defined]
        self.fields["phone"].widget.attrs["autocomplete"] = "off"
        if self.autofocus:
            self.fields[self.autofocus].widget.attrs["autofocus"] = True
        self.style_fields()  # the model's fields arrived after the mixin styled the form

    def service_data(self) -> dict[str, Any]:
        """The cleaned values the service takes as ``data``."""
        return {name: self.cleaned_data[name] for name in self.field_names}

    def tag_names(self) -> list[str]:
        return split_tags(self.cleaned_data.get("tags", ""))

    @property
    def version_value(self) -> int | None:
        return self.cleaned_data.get("version") if hasattr(self, "cleaned_data") else None


class CompanyForm(ClientForm):
    model = Company
    field_names = COMPANY_FORM_FIELDS
    autofocus = "name"

    def __init__(self, data: Any = None, **kw: Any) -> None:
        super().__init__(data, **kw)
        # Django's own catalog reads a bare "name" as a person's name («имя»).
        self.fields["name"].label = pgettext_lazy("company", "Name")


# How many companies the contact form's company search offers at once.
COMPANY_OPTIONS_LIMIT = 20


def company_option_label(company: Company) -> str:
    """How a company reads in the company search: the name, and the INN that tells twins apart."""
    if company.tax_id:
        return _("%(name)s · INN %(tax_id)s") % {"name": company.name, "tax_id": company.tax_id}
    return company.name


class CompanySelect(forms.Select):
    """A select that holds only the chosen company; a search box above it finds others.

    Listing every visible company made the page megabytes at scale, so the page
    renders the current choice only (enough to save without JavaScript) and the
    search box asks ``clients:company-options`` for matches as the person types.
    """

    template_name = "clients/widgets/company_select.html"


class ContactForm(ClientForm):
    model = Contact
    field_names = CONTACT_FORM_FIELDS
    widgets: ClassVar[dict[str, type[forms.Widget] | forms.Widget]] = {"company": CompanySelect}
    autofocus = "last_name"

    def __init__(self, data: Any = None, **kw: Any) -> None:
        super().__init__(data, **kw)
        current = getattr(self.instance, "company_id", None)
        company = self.fields["company"]
        visible = companies_visible_to(self.actor).values("pk")
        # The queryset is what the submitted id is checked against; it is never listed whole.
        # The contact's current company stays valid even when the editor cannot see it,
        # so that editing other fields does not unlink it.
        company.queryset = Company.objects.filter(  # type: ignore[attr-defined]
            Q(pk__in=visible) | Q(pk=current)
        )
        company.error_messages["invalid_choice"] = _("Choose a company from the search results.")
        empty = ("", _("— no company —"))
        chosen = self._chosen_company()
        choices: list[tuple[Any, Any]] = [empty]
        if chosen is not None:
            choices.append((chosen.pk, company_option_label(chosen)))
        company.widget.choices = choices  # type: ignore[attr-defined]

    def _chosen_company(self) -> Company | None:
        """The company the field shows as chosen, if the person may pick it; else none.

        An id the person may not see (typed into the URL or the POST) finds nothing
        here, so its name never reaches the page.
        """
        raw = self["company"].value()
        if isinstance(raw, Company):
            raw = raw.pk
        try:
            pk = int(raw)
        except (TypeError, ValueError):
            return None
        queryset = self.fields["company"].queryset  # type: ignore[attr-defined]
        return queryset.only("pk", "name", "tax_id").filter(pk=pk).first()


# --- List filters -------------------------------------------------------------------------

COMPANY_SORTS: dict[str, tuple[Any, list[str]]] = {
    "name": (_("Name A–Z"), ["name", "id"]),
    "-created": (_("Newest first"), ["-created_at", "-id"]),
    "-updated": (_("Recently changed"), ["-updated_at", "-id"]),
}
CONTACT_SORTS: dict[str, tuple[Any, list[str]]] = {
    "name": (_("Last name A–Z"), ["last_name", "first_name", "id"]),
    "-created": (_("Newest first"), ["-created_at", "-id"]),
    "-updated": (_("Recently changed"), ["-updated_at", "-id"]),
}


class ClientFilterForm(BootstrapFormMixin, forms.Form):
    """The search box and filters above a client list; invalid values are ignored."""

    sorts: dict[str, tuple[Any, list[str]]] = COMPANY_SORTS

    q = forms.CharField(
        label=pgettext_lazy("client list", "Search"), required=False, max_length=200
    )
    owner: forms.ModelChoiceField = forms.ModelChoiceField(
        label=_("Responsible manager"), required=False, queryset=None, empty_label=_("Anyone")
    )
    stage = forms.ChoiceField(label=_("Life-cycle stage"), required=False)
    source: forms.ModelChoiceField = forms.ModelChoiceField(
        label=_("Source"), required=False, queryset=None, empty_label=_("Any source")
    )
    tag = forms.ChoiceField(label=_("Tag"), required=False)
    no_contact = no_contact_field()
    sort = forms.ChoiceField(label=_("Sort"), required=False)
    company = forms.IntegerField(required=False, widget=forms.HiddenInput, min_value=1)

    def __init__(self, data: Any, *, user: Any) -> None:
        super().__init__(data)
        self.fields["owner"].queryset = owner_filter_choices(user)  # type: ignore[attr-defined]
        self.fields["source"].queryset = LeadSource.objects.order_by("name")  # type: ignore[attr-defined]
        self.fields["stage"].choices = [("", _("Any stage")), *LifecycleStage.choices]  # type: ignore[attr-defined]
        self.fields["tag"].choices = [  # type: ignore[attr-defined]
            ("", _("Any tag")),
            *((n, n) for n in Tag.objects.order_by("name").values_list("name", flat=True)),
        ]
        self.fields["sort"].choices = [(k, label) for k, (label, _o) in self.sorts.items()]  # type: ignore[attr-defined]
        self.fields["q"].widget.attrs.update(
            {"placeholder": _("Name, phone, e-mail or INN"), "type": "search", "autofocus": True}
        )

    def value(self, name: str) -> Any:
        """A filter's valid value, or empty: a bad value in the URL just doesn't filter."""
        if not self.is_bound:
            return None
        self.is_valid()
        return self.cleaned_data.get(name) if name not in self.errors else None

    @property
    def sort_key(self) -> str:
        key = self.value("sort")
        return key if key in self.sorts else next(iter(self.sorts))

    @property
    def ordering(self) -> list[str]:
        return self.sorts[self.sort_key][1]

    @property
    def is_filtered(self) -> bool:
        names = ("q", "owner", "stage", "source", "tag", "company", "no_contact")
        return any(self.value(n) for n in names)


class ContactFilterForm(ClientFilterForm):
    sorts = CONTACT_SORTS

    def __init__(self, data: Any, *, user: Any) -> None:
        super().__init__(data, user=user)
        self.fields["q"].widget.attrs["placeholder"] = _("Name, phone or e-mail")
