"""The visitor's side of a web form: its fields, built from the form's settings.

One Django form checks every submission, whether it came as JSON, as an HTML form
post or from the hosted page, so all three refuse the same input with the same words
(in the visitor's language, from Accept-Language).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import phonenumbers
from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from voronka.core.forms import BootstrapFormMixin
from voronka.core.text import normalize_phone
from voronka.webforms.models import (
    EXTRA_MAX_LENGTH,
    HONEYPOT_FIELD,
    MAX_LENGTHS,
    REFERRER_FIELD,
    REFERRER_MAX_LENGTH,
    STANDARD_FIELDS,
    STANDARD_LABELS,
    SUBMISSION_ID_FIELD,
    UTM_FIELDS,
    UTM_MAX_LENGTH,
    WebForm,
)

# What the visitor's browser fills in for us: kept (cut to length), never refused.
TRACKING_FIELDS = (*UTM_FIELDS, REFERRER_FIELD, SUBMISSION_ID_FIELD)
TRACKING_MAX_LENGTHS = {
    **dict.fromkeys(UTM_FIELDS, UTM_MAX_LENGTH),
    REFERRER_FIELD: REFERRER_MAX_LENGTH,
    SUBMISSION_ID_FIELD: 64,
}
# Browser-friendly input types and autofill hints per standard field.
_AUTOCOMPLETE = {
    "name": "name",
    "company": "organization",
    "phone": "tel",
    "email": "email",
    "message": "off",
}


def phone_is_possible(raw: str) -> bool:
    """Whether ``raw`` reads as a phone number, in the formats the CRM's search accepts."""
    digits = normalize_phone(raw)
    if not digits:
        return False
    try:
        parsed = phonenumbers.parse("+" + digits, None)
    except phonenumbers.NumberParseException:
        return False
    return phonenumbers.is_possible_number(parsed)


class PublicForm(BootstrapFormMixin, forms.Form):
    """The fields a :class:`WebForm` shows, with its required ones required."""

    def __init__(self, webform: WebForm, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "wf-%s")
        super().__init__(*args, **kwargs)
        self.webform = webform
        required = set(webform.required_fields)
        for name in STANDARD_FIELDS:
            if name not in webform.fields:
                continue
            self.fields[name] = self._standard_field(name, name in required)
        for extra in webform.extra_fields:
            self.fields[extra["key"]] = forms.CharField(
                label=extra["label"],
                required=bool(extra.get("required")),
                max_length=EXTRA_MAX_LENGTH,
            )
        self.style_fields()

    @staticmethod
    def _standard_field(name: str, required: bool) -> forms.Field:
        label = STANDARD_LABELS[name]
        length = MAX_LENGTHS[name]
        field: forms.Field
        if name == "email":
            field = forms.EmailField(label=label, required=required, max_length=length)
        elif name == "message":
            field = forms.CharField(
                label=label,
                required=required,
                max_length=length,
                widget=forms.Textarea(attrs={"rows": 4}),
            )
        else:
            field = forms.CharField(label=label, required=required, max_length=length)
        if name == "phone":
            field.widget.input_type = "tel"  # type: ignore[attr-defined]
        field.widget.attrs["autocomplete"] = _AUTOCOMPLETE[name]
        return field

    def clean_phone(self) -> str:
        value: str = self.cleaned_data.get("phone", "")
        if value and not phone_is_possible(value):
            raise forms.ValidationError(
                _("Enter a phone number, for example +7 912 345-67-89."), code="phone"
            )
        return value

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        contacts = [name for name in ("email", "phone") if name in self.fields]
        if contacts and not any(data.get(n) or n in self.errors for n in contacts):
            self.add_error(
                contacts[0],
                forms.ValidationError(
                    _("Leave an e-mail or a phone number so that we can reach you."),
                    code="contact",
                ),
            )
        return data

    def error_items(self) -> list[dict[str, str]]:
        """The errors as the JSON answer lists them: each naming its field."""
        return [
            {"field": name, "message": str(message)}
            for name, messages in self.errors.items()
            for message in messages
        ]


def tracking(data: Mapping[str, Any]) -> dict[str, str]:
    """UTM tags, the referring page and the submission id, cut to what is kept."""
    return {
        name: text(data.get(name))[: TRACKING_MAX_LENGTHS[name]].strip() for name in TRACKING_FIELDS
    }


def text(value: Any) -> str:
    if value is None:
        return ""
    return str(value).strip()


def honeypot_filled(data: Mapping[str, Any]) -> bool:
    return bool(text(data.get(HONEYPOT_FIELD)))


DEFAULT_SUCCESS = gettext_lazy("Thank you! We will get in touch with you soon.")
