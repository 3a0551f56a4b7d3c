"""The list of logged interactions: calls, meetings, e-mails, messages and notes."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from voronka.activities import queries
from voronka.activities.forms import ActivityFilterForm
from voronka.activities.models import Activity
from voronka.core import exporting
from voronka.core.exporting import choice, column, full_name, person
from voronka.core.pagination import BadCursor, keyset_page

NEWEST_FIRST = ["-occurred_at", "-id"]


@login_required
@require_GET
def activity_list(request: HttpRequest) -> HttpResponse:
    user: Any = request.user
    form = ActivityFilterForm(request.GET or None, user=user)
    qs = queries.activity_list(user, **form.filters())
    try:
        page = keyset_page(qs, ordering=NEWEST_FIRST, cursor=request.GET.get("cursor") or None)
    except BadCursor:
        page = keyset_page(qs, ordering=NEWEST_FIRST)
    filtered = any(request.GET.get(name) for name in ("author", "team", "kind", "from", "to"))
    context = {"form": form, "page": page, "filtered": filtered}
    return render(request, "activities/activity_list.html", context)


RELATED_FIELDS = (
    "deal__title", "lead__title", "company__name",
    "contact__last_name", "contact__first_name", "contact__middle_name",
)  # fmt: skip


def related_column() -> exporting.Column:
    """What an interaction or a task is about, in words: «Deal: …; Company: …»."""
    labels = {"deal": _("Deal"), "lead": _("Lead"), "company": _("Company"),
              "contact": _("Contact")}  # fmt: skip

    def describe(deal: str | None, lead: str | None, company: str | None, *contact: Any) -> str:
        names = {"deal": deal, "lead": lead, "company": company, "contact": full_name(*contact)}
        return "; ".join(f"{labels[key]}: {name}" for key, name in names.items() if name)

    return column(_("Related record"), *RELATED_FIELDS, convert=describe)


def activity_columns() -> list[exporting.Column]:
    """What an interaction download holds, headers in the current language."""
    return [
        column(_("ID"), "pk", kind="int"),
        column(_("Kind"), "kind", convert=choice(Activity.Kind.choices)),
        column(_("Subject"), "subject"),
        column(_("When"), "occurred_at", kind="datetime"),
        column(
            _("Author"),
            "author__first_name",
            "author__last_name",
            "author__username",
            convert=person,
        ),  # fmt: skip
        column(_("Direction"), "direction", convert=choice(Activity.Direction.choices)),
        column(_("Outcome"), "outcome", convert=choice(Activity.Outcome.choices)),
        column(_("Duration, min"), "duration_seconds", kind="decimal", convert=_minutes),
        related_column(),
        column(_("Text"), "body"),
    ]


def _minutes(seconds: int | None) -> Decimal | None:
    """Minutes, as the call form takes them: 90 seconds are 1.5."""
    if seconds is None:
        return None
    return (Decimal(seconds) / 60).quantize(Decimal("0.01")).normalize()


@login_required
@require_GET
def activity_export(request: HttpRequest, fmt: str) -> HttpResponseBase:
    """Every interaction the list shows with its filters, all pages, as CSV or XLSX."""
    exporting.ensure_format(fmt)
    user: Any = request.user
    form = ActivityFilterForm(request.GET or None, user=user)
    qs = queries.activity_list(user, **form.filters()).order_by(*NEWEST_FIRST)
    listing = exporting.Listing("interactions", _("Interactions"), activity_columns(), qs)
    return exporting.export_response(listing, fmt)
