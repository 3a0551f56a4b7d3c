"""Template helpers every page shares: money, history, form fields, badges.

Load with ``{% load voronka %}``.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from django import template
from django.utils import formats, timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from voronka.core.history import entries_for

register = template.Library()

CURRENCY_SYMBOLS = {"RUB": "₽", "USD": "$", "EUR": "€", "GBP": "£", "CNY": "¥", "KZT": "₸"}
NBSP = "\xa0"

# Bootstrap colours for the client life-cycle stages, so a list reads at a glance.
LIFECYCLE_COLOURS = {
    "lead": "secondary",
    "first_contact": "info",
    "negotiation": "warning",
    "customer": "success",
    "repeat_customer": "primary",
    "churned": "dark",
}
DEAL_STATUS_COLOURS = {"open": "primary", "won": "success", "lost": "danger"}


@register.filter
def money(value: Any, currency: str = "RUB") -> str:
    """``1234567.891|money:"RUB"`` → ``1 234 567,89 ₽`` in Russian, ``1,234,567.89 ₽`` in English.

    The digits come from Django's locale formatting (grouping and decimal mark of
    the active language); only the currency sign is placed here.
    """
    if value in (None, ""):
        return ""
    try:
        amount = Decimal(value)
    except (InvalidOperation, TypeError, ValueError):
        return str(value)
    number = formats.number_format(amount, 2, use_l10n=True, force_grouping=True)
    code = (currency or "RUB").upper()
    symbol = CURRENCY_SYMBOLS.get(code)
    if symbol is None:
        return f"{number}{NBSP}{code}"
    if (get_language() or "ru").startswith("en") and code != "RUB":
        return f"{symbol}{number}"
    return f"{number}{NBSP}{symbol}"


@register.filter
def history_value(value: Any) -> str:
    """A field value as a person reads it in the history: dashes for empty, local dates."""
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, datetime):
        if timezone.is_aware(value):
            value = timezone.localtime(value)
        return formats.date_format(value, "SHORT_DATETIME_FORMAT")
    if isinstance(value, date):
        return formats.date_format(value, "SHORT_DATE_FORMAT")
    if isinstance(value, Decimal | float):
        return formats.number_format(value, use_l10n=True, force_grouping=True)
    return str(value)


@register.filter
def lifecycle_colour(stage: str) -> str:
    return LIFECYCLE_COLOURS.get(stage, "secondary")


@register.filter
def deal_status_colour(status: str) -> str:
    return DEAL_STATUS_COLOURS.get(status, "secondary")


@register.inclusion_tag("core/partials/_history.html")
def history_block(instance: Any, limit: int = 100) -> dict[str, Any]:
    """``{% history_block deal %}``: the record's change history, newest first.

    Views that already hold ``entries_for(...)`` include the template directly:
    ``{% include "core/partials/_history.html" with history=history %}``.
    """
    return {"history": entries_for(instance, limit=limit)}


@register.inclusion_tag("core/partials/_field.html")
def form_field(field: Any, **options: Any) -> dict[str, Any]:
    """One form field the Bootstrap way: label, input, help text and its errors."""
    return {"field": field, **options}
