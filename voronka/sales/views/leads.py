"""Lead pages: the list, the card, the forms, qualification and rejection."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from voronka.activities.views.timeline import timeline_context
from voronka.core import exporting
from voronka.core.errors import NotAllowed, StaleVersion
from voronka.core.exporting import choice, column, person
from voronka.core.forms import add_service_errors, service_errors
from voronka.core.history import entries_for
from voronka.core.pagination import BadCursor, keyset_page
from voronka.core.visibility import Family, can_write, sees_everything
from voronka.sales import queries, services
from voronka.sales.forms import LeadFilterForm, LeadForm, LeadQualifyForm, LeadRejectForm
from voronka.sales.models import Lead
from voronka.sales.views.common import int_param, is_htmx

LEAD_FORM_FIELDS = [
    "title", "contact_name", "company_name", "phone", "email", "tax_id", "source", "status",
    "owner", "utm_source", "utm_medium", "utm_campaign", "utm_term", "utm_content", "notes",
]  # fmt: skip


def _works_with_leads(user: Any) -> bool:
    """Support agents serve clients, not the sales side: leads are not theirs."""
    return sees_everything(user) or getattr(user, "role", "") == "manager"


def _lead_or_404(user: Any, pk: int) -> Lead:
    try:
        return queries.lead_card(user, pk)
    except Lead.DoesNotExist as exc:
        raise Http404 from exc


def _ensure_writable(user: Any, lead: Lead) -> None:
    if not can_write(user, Family.LEADS, lead.owner_id):
        raise PermissionDenied(_("You are not allowed to change this lead."))


def _listed(request: HttpRequest) -> tuple[LeadFilterForm, dict[str, Any], str]:
    """The list's filter form, its filters and sort key, for the list and its export."""
    if not _works_with_leads(request.user):
        raise PermissionDenied(_("Leads are handled by the sales department."))
    form = LeadFilterForm(request.GET or None)
    filters, sort = form.filters() if form.is_bound else ({}, "-created")
    return form, filters, sort


@login_required
@require_GET
def lead_list(request: HttpRequest) -> HttpResponse:
    user: Any = request.user
    form, filters, sort = _listed(request)
    qs = queries.lead_list(request.user, **filters)
    try:
        page = keyset_page(
            qs, ordering=queries.LEAD_SORTS[sort], cursor=request.GET.get("cursor") or None
        )
    except BadCursor:
        page = keyset_page(qs, ordering=queries.LEAD_SORTS[sort])
    context = {
        "form": form,
        "page": page,
        "sort": sort,
        "filtered": any(v for v in filters.values()),
        "may_create": can_write(user, Family.LEADS, user.pk),
    }
    if is_htmx(request) and not request.htmx.boosted:  # type: ignore[attr-defined]
        return render(request, "sales/lead_list.html#table", context)
    return render(request, "sales/lead_list.html", context)


UTM_FIELDS = ("utm_source", "utm_medium", "utm_campaign", "utm_term", "utm_content")


def lead_columns() -> list[exporting.Column]:
    """What a lead download holds, headers in the current language."""
    return [
        column(_("ID"), "pk", kind="int"),
        column(_("Title"), "title"),
        column(_("Status"), "status", convert=choice(Lead.Status.choices)),
        column(_("Contact name"), "contact_name"),
        column(_("Company name"), "company_name"),
        column(_("Phone"), "phone"),
        column(_("E-mail"), "email"),
        column(_("Source"), "source__name"),
        column(
            _("Responsible manager"),
            "owner__first_name",
            "owner__last_name",
            "owner__username",
            convert=person,
        ),  # fmt: skip
        *(column(name, name) for name in UTM_FIELDS),
        column(_("Created"), "created_at", kind="datetime"),
        column(_("Qualified"), "qualified_at", kind="datetime"),
        column(_("Rejected"), "rejected_at", kind="datetime"),
        column(_("Rejection reason"), "rejection_reason__name"),
        column(_("Rejection comment"), "rejection_comment"),
    ]


@login_required
@require_GET
def lead_export(request: HttpRequest, fmt: str) -> HttpResponseBase:
    """Every lead the list shows with its filters and sort, all pages, as CSV or XLSX."""
    exporting.ensure_format(fmt)
    _form, filters, sort = _listed(request)
    qs = queries.lead_list(request.user, **filters).order_by(*queries.LEAD_SORTS[sort])
    listing = exporting.Listing("leads", _("Leads"), lead_columns(), qs)
    return exporting.export_response(listing, fmt)


@login_required
@require_http_methods(["GET", "POST"])
def lead_create(request: HttpRequest) -> HttpResponse:
    user: Any = request.user
    if not can_write(user, Family.LEADS, user.pk):
        raise PermissionDenied(_("You are not allowed to create leads."))
    if request.method == "GET":
        form = LeadForm(initial={"owner": user.pk}, user=user)
        return render(request, "sales/lead_form.html", {"form": form, "lead": None})
    form = LeadForm(request.POST, user=user)
    if form.is_valid():
        try:
            lead = services.lead_create(actor=user, data=form.service_data())
        except ValidationError as exc:
            add_service_errors(form, exc)
        except NotAllowed as exc:
            raise PermissionDenied(str(exc)) from exc
        else:
            messages.success(request, _("Lead created."))
            return redirect("sales:lead-detail", pk=lead.pk)
    return render(request, "sales/lead_form.html", {"form": form, "lead": None}, status=422)


@login_required
@require_GET
def lead_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user: Any = request.user
    lead = _lead_or_404(user, pk)
    may_edit = can_write(user, Family.LEADS, lead.owner_id)
    context = {
        "lead": lead,
        "deals": list(lead.deals.all()),
        "history": entries_for(lead),
        "may_edit": may_edit,
        "qualify_form": _qualify_form(request, lead) if may_edit and lead.is_open else None,
        "reject_form": LeadRejectForm(initial={"version": lead.version}) if may_edit else None,
        **timeline_context(request, "lead", lead),
    }
    return render(request, "sales/lead_detail.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def lead_edit(request: HttpRequest, pk: int) -> HttpResponse:
    user: Any = request.user
    lead = _lead_or_404(user, pk)
    _ensure_writable(user, lead)
    if request.method == "GET":
        initial: dict[str, Any] = {name: getattr(lead, name) for name in LEAD_FORM_FIELDS}
        initial.update(source=lead.source_id, owner=lead.owner_id, version=lead.version)
        form = LeadForm(initial=initial, user=user, lead=lead)
        return render(request, "sales/lead_form.html", {"form": form, "lead": lead})
    form = LeadForm(request.POST, user=user, lead=lead)
    if form.is_valid():
        with service_errors(form):
            services.lead_update(
                actor=user, lead=lead, version=form.cleaned_data["version"],
                data=form.service_data(),
            )  # fmt: skip
            messages.success(request, _("Lead saved."))
            return redirect("sales:lead-detail", pk=lead.pk)
    return render(request, "sales/lead_form.html", {"form": form, "lead": lead}, status=422)


@login_required
@require_POST
def lead_delete(request: HttpRequest, pk: int) -> HttpResponse:
    lead = _lead_or_404(request.user, pk)
    try:
        services.lead_delete(
            actor=request.user, lead=lead, version=int_param(request.POST.get("version"))
        )
    except NotAllowed as exc:
        raise PermissionDenied(str(exc)) from exc
    except StaleVersion as exc:
        messages.error(request, str(exc.message))
        return redirect("sales:lead-detail", pk=lead.pk)
    messages.success(request, _("Lead «%(title)s» deleted.") % {"title": lead.title})
    return redirect("sales:lead-list")


def _qualify_form(request: HttpRequest, lead: Lead) -> LeadQualifyForm:
    pipeline = queries.default_pipeline()
    initial = {
        "title": lead.title,
        "pipeline": pipeline.pk if pipeline else None,
        "version": lead.version,
    }
    return LeadQualifyForm(initial=initial, user=request.user)


@login_required
@require_http_methods(["GET", "POST"])
def lead_qualify(request: HttpRequest, pk: int) -> HttpResponse:
    """One step: the client is created or linked, the deal opened, the lead closed."""
    user: Any = request.user
    lead = _lead_or_404(user, pk)
    _ensure_writable(user, lead)
    if request.method == "GET":
        form = _qualify_form(request, lead)
        return render(request, "sales/lead_qualify.html", {"form": form, "lead": lead})
    form = LeadQualifyForm(request.POST, user=user)
    if form.is_valid():
        data = form.cleaned_data
        with service_errors(form):
            deal = services.lead_qualify(
                actor=user,
                lead=lead,
                version=data["version"],
                pipeline=data["pipeline"],
                title=data["title"],
                amount=data["amount"],
                expected_close_date=data["expected_close_date"],
            )
            messages.success(request, _("Lead qualified: the deal is open."))
            return redirect("sales:deal-detail", pk=deal.pk)
    return render(request, "sales/lead_qualify.html", {"form": form, "lead": lead}, status=422)


@login_required
@require_http_methods(["GET", "POST"])
def lead_reject(request: HttpRequest, pk: int) -> HttpResponse:
    user: Any = request.user
    lead = _lead_or_404(user, pk)
    _ensure_writable(user, lead)
    if request.method == "GET":
        form = LeadRejectForm(initial={"version": lead.version})
        return render(request, "sales/lead_reject.html", {"form": form, "lead": lead})
    form = LeadRejectForm(request.POST)
    if form.is_valid():
        with service_errors(form):
            services.lead_reject(
                actor=user,
                lead=lead,
                version=form.cleaned_data["version"],
                reason=form.cleaned_data["reason"],
                comment=form.cleaned_data["comment"],
            )
            messages.success(request, _("Lead rejected."))
            return redirect("sales:lead-detail", pk=lead.pk)
    return render(request, "sales/lead_reject.html", {"form": form, "lead": lead}, status=422)
