"""Forms of the account pages: log in, interface language, API tokens."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext_lazy as _

from voronka.core.forms import BootstrapFormMixin

LANGUAGE_CHOICES = [
    ("", _("As in the browser")),
    ("ru", "Русский"),
    ("en", "English"),
]


class LoginForm(BootstrapFormMixin, AuthenticationForm):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["username"].widget.attrs.update(
            {"autocomplete": "username", "autocapitalize": "none", "spellcheck": "false"}
        )
        self.fields["password"].widget.attrs["autocomplete"] = "current-password"


class LanguageForm(forms.Form):
    language = forms.ChoiceField(
        label=_("Interface language"),
        choices=LANGUAGE_CHOICES,
        required=False,
        widget=forms.RadioSelect,
    )


class ApiTokenForm(BootstrapFormMixin, forms.Form):
    name = forms.CharField(
        label=_("Token name"),
        max_length=100,
        help_text=_("Say where it is used, e.g. «1C export» or «website form»."),
        widget=forms.TextInput(attrs={"placeholder": _("Token name")}),
    )
