"""Forms of the orders' settings pages: the organisation's order options, the workflow
grid (from × to, with "only when paid" per allowed move) and a status's norm and
client e-mail."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.utils.translation import gettext, gettext_lazy

from voronka.core.forms import BootstrapFormMixin
from voronka.orders.models import FINAL_STATUSES, FLOW, Status, StatusSetting
from voronka.orders.settings_services import MAX_NORM_HOURS, TEMPLATE_LIMITS


class OrderOptionsForm(BootstrapFormMixin, forms.Form):
    orders_from_won_deals = forms.BooleanField(
        label=gettext_lazy("Make an order of every won deal"), required=False,
        help_text=gettext_lazy(
            "A won deal becomes an order by itself, with the deal's products, client and "
            "manager. Otherwise the manager makes the order from the deal's card."
        ),
    )  # fmt: skip
    order_prices_include_vat = forms.BooleanField(
        label=gettext_lazy("Order prices include VAT"), required=False,
        help_text=gettext_lazy("For new orders; an order taken keeps how it was counted."),
    )  # fmt: skip
    order_vat_rate = forms.DecimalField(
        label=gettext_lazy("Default VAT rate, %"), min_value=Decimal(0), max_value=Decimal(100),
        max_digits=5, decimal_places=2,
        help_text=gettext_lazy("For a line whose product has no VAT rate of its own."),
    )  # fmt: skip


def move_key(source: str, target: str) -> str:
    return f"move-{source}-{target}"


def paid_key(source: str, target: str) -> str:
    return f"paid-{source}-{target}"


class WorkflowForm(forms.Form):
    """A checkbox per (from, to) pair and one "only when paid" beside it."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for source in FLOW:
            for target in FLOW:
                if source == target:
                    continue
                names = {"from": Status(source).label, "to": Status(target).label}
                self.fields[move_key(source, target)] = forms.BooleanField(
                    required=False,
                    label=gettext("%(from)s → %(to)s allowed") % names,
                )
                self.fields[paid_key(source, target)] = forms.BooleanField(
                    required=False,
                    label=gettext("%(from)s → %(to)s only when paid") % names,
                )

    @staticmethod
    def initial_for(table: dict[tuple[str, str], bool]) -> dict[str, bool]:
        initial: dict[str, bool] = {}
        for (source, target), requires_payment in table.items():
            initial[move_key(source, target)] = True
            initial[paid_key(source, target)] = requires_payment
        return initial

    def moves(self) -> dict[tuple[str, str], bool]:
        """The allowed moves ticked, each with "only when paid" (ignored when not allowed)."""
        data = self.cleaned_data
        return {
            (source, target): bool(data.get(paid_key(source, target)))
            for source in FLOW
            for target in FLOW
            if source != target and data.get(move_key(source, target))
        }

    def rows(self) -> list[dict[str, Any]]:
        """The grid for the template: a row per "from" status, a cell per "to" status."""
        out = []
        for source in FLOW:
            cells: list[dict[str, Any] | None] = []
            for target in FLOW:
                if source == target:
                    cells.append(None)
                    continue
                cells.append({"target": target, "move": self[move_key(source, target)],
                              "paid": self[paid_key(source, target)]})  # fmt: skip
            out.append({"status": source, "label": Status(source).label, "cells": cells})
        return out


class StatusSettingForm(BootstrapFormMixin, forms.Form):
    norm_hours = forms.IntegerField(
        label=gettext_lazy("May stay, hours"), required=False, min_value=1,
        max_value=MAX_NORM_HOURS,
        help_text=gettext_lazy("Empty: no norm. An order in this status longer is overdue."),
    )  # fmt: skip
    clock = forms.ChoiceField(
        label=gettext_lazy("Counted in"), choices=StatusSetting.Clock.choices,
        widget=forms.RadioSelect,
        help_text=gettext_lazy("Working hours count only the work calendar's hours."),
    )  # fmt: skip
    notify_client = forms.BooleanField(
        label=gettext_lazy("E-mail the client when the order comes into this status"),
        required=False,
    )  # fmt: skip
    subject_ru = forms.CharField(label=gettext_lazy("Subject (Russian)"), required=False,
                                 max_length=TEMPLATE_LIMITS["subject_ru"])  # fmt: skip
    body_ru = forms.CharField(label=gettext_lazy("Text (Russian)"), required=False,
                              max_length=TEMPLATE_LIMITS["body_ru"],
                              widget=forms.Textarea(attrs={"rows": 7}))  # fmt: skip
    subject_en = forms.CharField(label=gettext_lazy("Subject (English)"), required=False,
                                 max_length=TEMPLATE_LIMITS["subject_en"])  # fmt: skip
    body_en = forms.CharField(label=gettext_lazy("Text (English)"), required=False,
                              max_length=TEMPLATE_LIMITS["body_en"],
                              widget=forms.Textarea(attrs={"rows": 7}))  # fmt: skip

    def __init__(self, *args: Any, status: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.status = status
        for name in ("subject_ru", "body_ru", "subject_en", "body_en"):
            self.fields[name].widget.attrs.update(spellcheck="false")
        if status in FINAL_STATUSES:  # never late: no norm to set
            del self.fields["norm_hours"]
            self.fields["clock"].required = False
            self.fields["clock"].widget = forms.HiddenInput()

    @staticmethod
    def initial_for(setting: StatusSetting | None) -> dict[str, Any]:
        if setting is None:
            return {"clock": StatusSetting.Clock.CALENDAR}
        return {
            "norm_hours": setting.norm_hours, "clock": setting.clock,
            "notify_client": setting.notify_client, "subject_ru": setting.subject_ru,
            "body_ru": setting.body_ru, "subject_en": setting.subject_en,
            "body_en": setting.body_en,
        }  # fmt: skip

    def service_data(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        if self.status in FINAL_STATUSES:
            data["norm_hours"] = None
            data["clock"] = data.get("clock") or StatusSetting.Clock.CALENDAR
        return data
