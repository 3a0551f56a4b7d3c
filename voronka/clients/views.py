"""Pages of companies and contacts: lists, cards, create/edit forms, delete.

Companies and contacts behave alike, so each page is one function taking the
``ClientKind`` that says which queries, services, forms and templates to use.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, cast

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext
from django.views.decorators.http import require_GET, require_http_methods

from voronka.accounts.models import User
from voronka.activities.queries import next_task_due, next_task_title
from voronka.activities.views.timeline import timeline_context
from voronka.clients import queries, services
from voronka.clients.forms import (
    COMPANY_OPTIONS_LIMIT,
    ClientFilterForm,
    ClientForm,
    CompanyForm,
    ContactFilterForm,
    ContactForm,
    company_option_label,
)
from voronka.clients.models import Company, Contact, LifecycleStage
from voronka.core import exporting
from voronka.core.errors import NotAllowed, StaleVersion
from voronka.core.exporting import choice, column, person
from voronka.core.forms import add_service_errors
from voronka.core.history import entries_for
from voronka.core.pagination import BadCursor, keyset_page
from voronka.core.visibility import Family, can_write, may_own
from voronka.sales.queries import deals_of_client

CARD_LIST_LIMIT = 50  # deals and contacts shown on a card before "show all"
CARD_ORDERS = 5  # the client's latest orders a card lists


@dataclass(frozen=True)
class ClientKind:
    key: str  # "company" or "contact": URL names and templates follow it
    model: type[Company] | type[Contact]
    list_query: Callable[..., Any]
    card_query: Callable[[Any, int], Any]
    form: type[ClientForm]
    filter_form: type[ClientFilterForm]
    create: Callable[..., Any]
    update: Callable[..., Any]
    delete: Callable[..., Any]
    title_plural: Any
    created_message: Any
    saved_message: Any
    deleted_message: Any

    def url(self, action: str, *args: Any) -> str:
        return reverse(f"clients:{self.key}-{action}", args=args)

    def template(self, name: str) -> str:
        return f"clients/{self.key}_{name}.html"


COMPANY = ClientKind(
    key="company",
    model=Company,
    list_query=queries.company_list,
    card_query=queries.company_card,
    form=CompanyForm,
    filter_form=ClientFilterForm,
    create=services.company_create,
    update=lambda *, obj, **kw: services.company_update(company=obj, **kw),
    delete=lambda *, obj, **kw: services.company_delete(company=obj, **kw),
    title_plural=gettext_lazy("Companies"),
    created_message=gettext_lazy("Company «%(name)s» created."),
    saved_message=gettext_lazy("Company «%(name)s» saved."),
    deleted_message=gettext_lazy("Company «%(name)s» moved to Deleted."),
)
CONTACT = ClientKind(
    key="contact",
    model=Contact,
    list_query=queries.contact_list,
    card_query=queries.contact_card,
    form=ContactForm,
    filter_form=ContactFilterForm,
    create=services.contact_create,
    update=lambda *, obj, **kw: services.contact_update(contact=obj, **kw),
    delete=lambda *, obj, **kw: services.contact_delete(contact=obj, **kw),
    title_plural=gettext_lazy("Contacts"),
    created_message=gettext_lazy("Contact «%(name)s» created."),
    saved_message=gettext_lazy("Contact «%(name)s» saved."),
    deleted_message=gettext_lazy("Contact «%(name)s» moved to Deleted."),
)


def _card_or_404(kind: ClientKind, user: Any, pk: int) -> Any:
    try:
        return kind.card_query(user, pk)
    except kind.model.DoesNotExist:
        raise Http404 from None


def _ensure_can_write(user: Any, record: Any) -> None:
    if not can_write(user, Family.CLIENTS, record.owner_id):
        raise PermissionDenied


def _may_create(user: Any) -> bool:
    # Whoever may make themselves responsible for a client may add one.
    return may_own(user, user)


def _wants_fragment(request: HttpRequest) -> bool:
    htmx = getattr(request, "htmx", None)
    return htmx is not None and bool(htmx) and not htmx.history_restore_request and not htmx.boosted


# --- Lists ----------------------------------------------------------------------------------


def _listed(request: HttpRequest, kind: ClientKind) -> tuple[ClientFilterForm, Any]:
    """The list's filter form and its visible, filtered records (unsorted): the list and
    its export read the request alike."""
    user = request.user
    filters = kind.filter_form(request.GET, user=user)
    owner, source = filters.value("owner"), filters.value("source")
    params: dict[str, Any] = {
        "q": filters.value("q") or "",
        "owner_id": owner.pk if owner else None,
        "lifecycle_stage": filters.value("stage") or "",
        "source_id": source.pk if source else None,
    }
    tag = filters.value("tag") or ""
    params["no_contact_days"] = filters.value("no_contact")
    if kind is COMPANY:
        return filters, kind.list_query(user, tag=tag, **params)
    company_id = filters.value("company")
    return filters, kind.list_query(user, company_id=company_id, tag=tag, **params)


def _client_list(request: HttpRequest, kind: ClientKind) -> HttpResponse:
    user = request.user
    filters, qs = _listed(request, kind)
    company_id = filters.value("company")
    # The next planned step rides along as subqueries: no query per row.
    qs = qs.prefetch_related("tags").annotate(
        next_due=next_task_due(kind.key), next_title=next_task_title(kind.key)
    )
    try:
        page = keyset_page(qs, ordering=filters.ordering, cursor=request.GET.get("cursor"))
    except BadCursor:
        page = keyset_page(qs, ordering=filters.ordering)
    filter_company = None
    if company_id:
        filter_company = queries.companies_visible_to(user).filter(pk=company_id).first()
    context = {
        "kind": kind.key,
        "title": kind.title_plural,
        "filters": filters,
        "page": page,
        "filter_company": filter_company,
        "now": timezone.now(),
        "may_create": _may_create(user),
        "list_url": kind.url("list"),
        "table_template": f"clients/partials/_{kind.key}_table.html",
    }
    template = context["table_template"] if _wants_fragment(request) else "clients/client_list.html"
    response = render(request, template, context)
    patch_vary_headers(response, ["HX-Request"])
    return response


@login_required
def company_list(request: HttpRequest) -> HttpResponse:
    return _client_list(request, COMPANY)


@login_required
def contact_list(request: HttpRequest) -> HttpResponse:
    return _client_list(request, CONTACT)


# --- Exports ----------------------------------------------------------------------------------


def _tags_of(model: type[Company] | type[Contact]) -> Any:
    """Loads the tag names of a chunk of clients in one query: ``{pk: "a, b"}``."""

    def load(pks: list[int]) -> dict[int, str]:
        through = model.tags.through
        owner = f"{model._meta.model_name}_id"
        names: dict[int, list[str]] = {}
        rows = through.objects.filter(**{f"{owner}__in": pks}).order_by("tag__name")
        for pk, name in rows.values_list(owner, "tag__name"):
            names.setdefault(pk, []).append(name)
        return {pk: ", ".join(tags) for pk, tags in names.items()}

    return load


def _client_tail() -> list[exporting.Column]:
    """The columns companies and contacts share, after their own."""
    return [
        column(_("Phone"), "phone"),
        column(_("E-mail"), "email"),
        column(_("Address"), "address"),
        column(_("Life-cycle stage"), "lifecycle_stage", convert=choice(LifecycleStage.choices)),
        column(_("Source"), "source__name"),
        column(
            _("Responsible manager"),
            "owner__first_name",
            "owner__last_name",
            "owner__username",
            convert=person,
        ),  # fmt: skip
    ]


def company_columns() -> list[exporting.Column]:
    """What a company download holds, headers in the current language."""
    return [
        column(_("ID"), "pk", kind="int"),
        column(pgettext("company", "Name"), "name"),
        column(_("INN"), "tax_id"),
        column(_("Industry"), "industry"),
        column(_("Website"), "website"),
        *_client_tail(),
        column(_("Tags"), batch=_tags_of(Company)),
        column(_("Last contact"), "last_contact_at", kind="datetime"),
        column(_("Next task due"), "next_due", kind="datetime"),
        column(_("Created"), "created_at", kind="datetime"),
        column(_("Notes"), "notes"),
    ]


def contact_columns() -> list[exporting.Column]:
    """What a contact download holds, headers in the current language."""
    return [
        column(_("ID"), "pk", kind="int"),
        column(_("Last name"), "last_name"),
        column(_("First name"), "first_name"),
        column(_("Middle name"), "middle_name"),
        column(_("Company"), "company__name"),
        column(_("Position"), "position"),
        *_client_tail(),
        column(_("Tags"), batch=_tags_of(Contact)),
        column(_("Last contact"), "last_contact_at", kind="datetime"),
        column(_("Next task due"), "next_due", kind="datetime"),
        column(_("Created"), "created_at", kind="datetime"),
        column(_("Notes"), "notes"),
    ]


def _client_export(request: HttpRequest, kind: ClientKind, fmt: str) -> HttpResponseBase:
    exporting.ensure_format(fmt)
    filters, qs = _listed(request, kind)
    qs = qs.annotate(next_due=next_task_due(kind.key)).order_by(*filters.ordering)
    if kind is COMPANY:
        listing = exporting.Listing("companies", _("Companies"), company_columns(), qs)
    else:
        listing = exporting.Listing("contacts", _("Contacts"), contact_columns(), qs)
    return exporting.export_response(listing, fmt)


@login_required
@require_GET
def company_export(request: HttpRequest, fmt: str) -> HttpResponseBase:
    """Every company the list shows with its filters and sort, all pages, as CSV or XLSX."""
    return _client_export(request, COMPANY, fmt)


@login_required
@require_GET
def contact_export(request: HttpRequest, fmt: str) -> HttpResponseBase:
    """Every contact the list shows with its filters and sort, all pages, as CSV or XLSX."""
    return _client_export(request, CONTACT, fmt)


# --- Cards -----------------------------------------------------------------------------------


@login_required
def company_detail(request: HttpRequest, pk: int) -> HttpResponse:
    company = _card_or_404(COMPANY, request.user, pk)
    contacts = list(
        queries.contact_list(request.user, company_id=company.pk)
        .prefetch_related("tags")
        .order_by("last_name", "first_name", "pk")[: CARD_LIST_LIMIT + 1]
    )
    return _client_detail(request, COMPANY, company, {"contacts": contacts}, company=company)


@login_required
def contact_detail(request: HttpRequest, pk: int) -> HttpResponse:
    contact = _card_or_404(CONTACT, request.user, pk)
    company_visible = bool(
        contact.company_id
        and queries.companies_visible_to(request.user).filter(pk=contact.company_id).exists()
    )
    return _client_detail(
        request, CONTACT, contact, {"company_visible": company_visible}, contact=contact
    )


def _client_detail(
    request: HttpRequest, kind: ClientKind, record: Any, extra: dict[str, Any], **client: Any
) -> HttpResponse:
    deals = list(
        deals_of_client(request.user, **client)
        .select_related("pipeline")
        .order_by("-created_at", "-pk")[: CARD_LIST_LIMIT + 1]
    )
    context = {
        "kind": kind.key,
        "record": record,
        kind.key: record,
        "can_write": can_write(cast(User, request.user), Family.CLIENTS, record.owner_id),
        "deals": deals[:CARD_LIST_LIMIT],
        "more_deals": len(deals) > CARD_LIST_LIMIT,
        "history": entries_for(record),
        "card_list_limit": CARD_LIST_LIMIT,
        **timeline_context(request, kind.key, record),
        "orders_block": _client_orders(request.user, kind.key, record),
        **extra,
    }
    if "contacts" in context:
        context["more_contacts"] = len(context["contacts"]) > CARD_LIST_LIMIT
        context["contacts"] = context["contacts"][:CARD_LIST_LIMIT]
    return render(request, kind.template("detail"), context)


def _client_orders(user: Any, key: str, record: Any) -> dict[str, Any]:
    """The card's "Orders" block: the client's latest orders the user may see, how many
    there are, and the links to all of them and to a new one."""
    from voronka.orders.queries import orders_visible_to
    from voronka.orders.services import may_take_orders

    mine = orders_visible_to(user).filter(**{key: record})
    rows = list(
        mine.only(
            "pk", "number", "created_at", "status", "status_due_at", "total", "currency"
        ).order_by("-created_at", "-pk")[:CARD_ORDERS]
    )
    return {
        "orders": rows,
        "count": len(rows) if len(rows) < CARD_ORDERS else mine.count(),
        "param": key,
        "record": record,
        "may_create": may_take_orders(user),
    }


# --- Company search of the contact form ---------------------------------------------------


@login_required
@require_GET
def company_options(request: HttpRequest) -> HttpResponse:
    """Options of the contact form's company select: visible companies matching the search.

    Name fragment, INN or phone, as in the company list; at most
    ``COMPANY_OPTIONS_LIMIT`` of them, so the answer stays small at any scale.
    """
    q = request.GET.get("company_q", "").strip()[:200]
    found: list[Company] = []
    if q:
        found = list(
            queries.company_list(request.user, q=q)
            .select_related(None)
            .only("pk", "name", "tax_id")
            .order_by("name", "pk")[: COMPANY_OPTIONS_LIMIT + 1]
        )
    context = {
        "q": q,
        "options": [(c.pk, company_option_label(c)) for c in found[:COMPANY_OPTIONS_LIMIT]],
        "more": len(found) > COMPANY_OPTIONS_LIMIT,
        "selected": request.GET.get("company", ""),
        "limit": COMPANY_OPTIONS_LIMIT,
    }
    return render(request, "clients/partials/_company_options.html", context)


# --- Create and edit ---------------------------------------------------------------------------


def _client_create(request: HttpRequest, kind: ClientKind) -> HttpResponse:
    user = request.user
    if not _may_create(user):
        raise PermissionDenied
    status = 200
    if request.method == "POST":
        form = kind.form(request.POST, actor=user)
        if form.is_valid():
            try:
                record = kind.create(actor=user, data=form.service_data(), tags=form.tag_names())
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, kind.created_message % {"name": record})
                return redirect(kind.url("detail", record.pk))
        status = 422
    else:
        initial = {}
        company = request.GET.get("company", "")
        if kind is CONTACT and company.isdigit():
            initial["company"] = int(company)
        form = kind.form(actor=user, initial=initial)
    context = {"kind": kind.key, "form": form, "record": None, "cancel_url": kind.url("list")}
    return render(request, kind.template("form"), context, status=status)


def _client_edit(request: HttpRequest, kind: ClientKind, pk: int) -> HttpResponse:
    user = request.user
    record = _card_or_404(kind, user, pk)
    _ensure_can_write(user, record)
    title = str(record)  # the service may change the instance before it refuses
    stale_message = None
    status = 200
    if request.method == "POST":
        form = kind.form(request.POST, actor=user, instance=record)
        form.fields["version"].required = True
        if form.is_valid():
            try:
                kind.update(
                    actor=user,
                    obj=record,
                    version=form.cleaned_data["version"],
                    data=form.service_data(),
                    tags=form.tag_names(),
                )
            except ValidationError as exc:
                add_service_errors(form, exc)
            except StaleVersion as exc:
                stale_message = exc.message
                status = 409
            except NotAllowed:
                raise PermissionDenied from None
            else:
                messages.success(request, kind.saved_message % {"name": record})
                return redirect(kind.url("detail", record.pk))
        status = status if status != 200 else 422
    else:
        form = kind.form(actor=user, instance=record)
    context = {
        "kind": kind.key,
        "form": form,
        "record": record,
        "title": title,
        "stale_message": stale_message,
        "cancel_url": kind.url("detail", pk),
    }
    return render(request, kind.template("form"), context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def company_create(request: HttpRequest) -> HttpResponse:
    return _client_create(request, COMPANY)


@login_required
@require_http_methods(["GET", "POST"])
def contact_create(request: HttpRequest) -> HttpResponse:
    return _client_create(request, CONTACT)


@login_required
@require_http_methods(["GET", "POST"])
def company_edit(request: HttpRequest, pk: int) -> HttpResponse:
    return _client_edit(request, COMPANY, pk)


@login_required
@require_http_methods(["GET", "POST"])
def contact_edit(request: HttpRequest, pk: int) -> HttpResponse:
    return _client_edit(request, CONTACT, pk)


# --- Delete ---------------------------------------------------------------------------------------


def _client_delete(request: HttpRequest, kind: ClientKind, pk: int) -> HttpResponse:
    user = request.user
    record = _card_or_404(kind, user, pk)
    _ensure_can_write(user, record)
    if request.method != "POST":
        # Without JavaScript the card's delete button lands here to confirm.
        return render(
            request, "clients/client_confirm_delete.html", {"kind": kind.key, "record": record}
        )
    raw_version = request.POST.get("version", "")
    if not raw_version.isdigit():
        return HttpResponseBadRequest(_("The form is missing the record's version."))
    name = str(record)
    try:
        kind.delete(actor=user, obj=record, version=int(raw_version))
    except StaleVersion as exc:
        messages.error(request, exc.message)
        return redirect(kind.url("detail", pk))
    except NotAllowed:
        raise PermissionDenied from None
    messages.success(request, kind.deleted_message % {"name": name})
    return redirect(kind.url("list"))


@login_required
@require_http_methods(["GET", "POST"])
def company_delete(request: HttpRequest, pk: int) -> HttpResponse:
    return _client_delete(request, COMPANY, pk)


@login_required
@require_http_methods(["GET", "POST"])
def contact_delete(request: HttpRequest, pk: int) -> HttpResponse:
    return _client_delete(request, CONTACT, pk)
