"""The settings page of a web form: what it shows, where its leads or requests go."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from voronka.accounts.models import Team
from voronka.core.forms import BootstrapFormMixin
from voronka.sales.models import LeadSource, Pipeline, Product
from voronka.service.models import Category, Kind
from voronka.webforms.models import STANDARD_FIELDS, STANDARD_LABELS, Purpose, WebForm
from voronka.webforms.services import EXTRA_LABEL_MAX_LENGTH, MAX_EXTRA_FIELDS

STANDARD_CHOICES = [(name, STANDARD_LABELS[name]) for name in STANDARD_FIELDS]
# Empty rows offered below the custom fields already there.
EMPTY_EXTRA_ROWS = 3


class WebFormForm(BootstrapFormMixin, forms.Form):
    name = forms.CharField(label=_("Name"), max_length=120)
    purpose = forms.ChoiceField(
        label=_("Each submission becomes"),
        choices=[(Purpose.LEAD, _("a lead")), (Purpose.REQUEST, _("a client request"))],
        required=False,
        widget=forms.RadioSelect,
        help_text=_("A request form must show the message; the client's text starts the thread."),
    )
    shown = forms.MultipleChoiceField(
        label=_("Fields shown"),
        choices=STANDARD_CHOICES,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    required_fields = forms.MultipleChoiceField(
        label=_("Required fields"),
        choices=STANDARD_CHOICES,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    source = forms.ModelChoiceField(
        label=_("Lead source"),
        queryset=LeadSource.objects.none(),
        required=False,
        empty_label=_("— no source —"),
    )
    pipeline = forms.ModelChoiceField(
        label=_("Pipeline"),
        queryset=Pipeline.objects.none(),
        required=False,
        empty_label=_("— the default pipeline —"),
        help_text=_("Written on the lead, for whoever qualifies it into a deal."),
    )
    team = forms.ModelChoiceField(
        label=_("Responsible team"),
        queryset=Team.objects.none(),
        required=False,
        empty_label=_("— nobody: the head of sales or the request queue —"),
        help_text=_(
            "Leads go to the team's active managers in turn; requests to its members who "
            "take client requests. Without a team, the head of sales distributes leads and "
            "requests wait in the queue."
        ),
    )
    request_kind = forms.ChoiceField(
        label=_("Kind of request"), choices=Kind.choices, required=False
    )
    request_category = forms.ModelChoiceField(
        label=_("Request category"),
        queryset=Category.objects.none(),
        required=False,
        empty_label=_("— no category —"),
    )
    request_product = forms.ModelChoiceField(
        label=_("Product or service"),
        queryset=Product.objects.none(),
        required=False,
        empty_label=_("— none —"),
    )
    success_message = forms.CharField(
        label=_("Success message"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Shown to the visitor after sending. Empty: a standard thank-you."),
    )
    redirect_url = forms.CharField(
        label=_("Redirect after sending"),
        required=False,
        max_length=500,
        widget=forms.URLInput(attrs={"placeholder": "https://example.com/thanks"}),
        help_text=_("Optional: the page of your site to open instead of the message."),
    )
    allowed_origins = forms.CharField(
        label=_("Allowed sites"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2, "placeholder": "https://example.com"}),
        help_text=_("One address a line. Empty: the form may be posted from any site."),
    )
    is_active = forms.BooleanField(label=_("Active: accepts submissions"), required=False)
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["source"].queryset = LeadSource.objects.filter(is_active=True)  # type: ignore[attr-defined]
        self.fields["pipeline"].queryset = Pipeline.objects.filter(is_active=True)  # type: ignore[attr-defined]
        self.fields["team"].queryset = Team.objects.order_by("name")  # type: ignore[attr-defined]
        categories = Category.objects.filter(is_active=True)
        self.fields["request_category"].queryset = categories  # type: ignore[attr-defined]
        products = Product.objects.filter(is_active=True).order_by("name")
        self.fields["request_product"].queryset = products  # type: ignore[attr-defined]
        self.fields["name"].widget.attrs["autofocus"] = True

    @classmethod
    def initial_for(cls, form: WebForm | None) -> dict[str, Any]:
        if form is None:
            web_source = (
                LeadSource.objects.filter(is_active=True, kind=LeadSource.Kind.WEB_FORM)
                .order_by("pk")
                .first()
            )
            return {
                "purpose": Purpose.LEAD,
                "shown": ["name", "phone", "email", "message"],
                "required_fields": ["name"],
                "source": web_source,
                "request_kind": Kind.QUESTION,
                "is_active": True,
            }
        return {
            "name": form.name,
            "purpose": form.purpose,
            "request_kind": form.request_kind,
            "request_category": form.request_category_id,
            "request_product": form.request_product_id,
            "shown": form.fields,
            "required_fields": form.required_fields,
            "source": form.source_id,
            "pipeline": form.pipeline_id,
            "team": form.team_id,
            "success_message": form.success_message,
            "redirect_url": form.redirect_url,
            "allowed_origins": "\n".join(form.allowed_origins),
            "is_active": form.is_active,
            "version": form.version,
        }

    def service_data(self, extra_fields: list[dict[str, Any]]) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        data.pop("version", None)
        # Pages posted before forms had a purpose, and scripts, mean today's behaviour.
        data["purpose"] = data.get("purpose") or Purpose.LEAD
        data["request_kind"] = data.get("request_kind") or Kind.QUESTION
        data["fields"] = data.pop("shown")
        data["allowed_origins"] = [
            line.strip() for line in data["allowed_origins"].splitlines() if line.strip()
        ]
        data["extra_fields"] = extra_fields
        return data


class ExtraFieldForm(forms.Form):
    key = forms.CharField(widget=forms.HiddenInput, required=False, max_length=8)
    label = forms.CharField(label=_("Label"), required=False, max_length=EXTRA_LABEL_MAX_LENGTH)
    required = forms.BooleanField(label=_("Required"), required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["label"].widget.attrs["class"] = "form-control form-control-sm"
        self.fields["required"].widget.attrs["class"] = "form-check-input"


ExtraFieldFormSet = forms.formset_factory(
    ExtraFieldForm, extra=EMPTY_EXTRA_ROWS, max_num=MAX_EXTRA_FIELDS, validate_max=True
)


def extra_rows(formset: Any) -> list[dict[str, Any]]:
    """The custom fields a valid formset describes, empty rows left out."""
    return [
        {"key": row["key"], "label": row["label"], "required": row["required"]}
        for row in formset.cleaned_data
        if row and row.get("label", "").strip()
    ]
