"""Request pages: the queue, the list of all requests, the card with its thread and reply
box, and the form. Reads go through ``service.queries``, writes through
``service.services``; a request the person may read but not work shows no controls, and
a write to it is refused with 403."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from voronka.core.errors import NotAllowed, StaleVersion
from voronka.core.forms import add_service_errors
from voronka.core.history import entries_for
from voronka.core.pagination import BadCursor, keyset_page
from voronka.core.visibility import sees_everything
from voronka.sales.queries import deals_of_client
from voronka.service import queries, services
from voronka.service.forms import (
    REQUEST_SORTS,
    MessageForm,
    RequestFilterForm,
    RequestForm,
    RequestPropertiesForm,
    initial_client,
    prefill_client,
)
from voronka.service.models import Message, Request, Status
from voronka.service.templatetags.service_requests import sla_targets

# The status buttons of the card, in the order they read: (status, label, icon, style).
STATUS_BUTTONS = [
    (Status.IN_PROGRESS, gettext_lazy("Take in work"), "play-fill", "outline-primary"),
    (Status.WAITING, gettext_lazy("Wait for client"), "hourglass-split", "outline-secondary"),
    (Status.RESOLVED, gettext_lazy("Resolve"), "check2-circle", "success"),
    (Status.CLOSED, gettext_lazy("Close"), "archive", "outline-dark"),
    (Status.REOPENED, gettext_lazy("Reopen"), "arrow-counterclockwise", "outline-secondary"),
]
# How many of the client's deals and other requests the card's side shows.
SIDE_LIMIT = 5
HISTORY_LIMIT = 30
CARD_RELATED = (
    "assignee", "company", "contact", "category", "product", "sla_policy", "deal",
    "first_response_by", "resolved_by", "created_by",
)  # fmt: skip


def _may_delete(user: Any) -> bool:
    return sees_everything(user) or getattr(user, "role", "") == "support"


def _error_text(exc: ValidationError) -> str:
    if hasattr(exc, "error_dict"):
        return " ".join(str(m) for errors in exc.message_dict.values() for m in errors)
    return " ".join(str(m) for m in exc.messages)


def _request_or_404(user: Any, pk: int) -> Request:
    """A request the user may see, with what its card shows; anything else is "not found"."""
    try:
        return queries.requests_visible_to(user).select_related(*CARD_RELATED).get(pk=pk)
    except Request.DoesNotExist as exc:
        raise Http404 from exc


# --- The queue and the list --------------------------------------------------------------------


def _listing(request: HttpRequest, *, queue: bool) -> tuple[RequestFilterForm, dict[str, Any]]:
    form = RequestFilterForm(request.GET or None, user=request.user, queue=queue)
    filters, sort = form.filters()
    return form, {"filters": filters, "sort": sort}


def _scope_counts(user: Any, filters: dict[str, Any]) -> dict[str, int]:
    """How many open requests each tab of the queue holds, under the other filters."""
    others = {k: v for k, v in filters.items() if k not in ("assignee_id", "unassigned")}
    return queries.queue(user, **others).aggregate(
        all=Count("pk"),
        mine=Count("pk", filter=Q(assignee_id=user.pk)),
        unassigned=Count("pk", filter=Q(assignee__isnull=True)),
        breached=Count("pk", filter=queries.breached_q(timezone.now())),
    )


def _render_list(
    request: HttpRequest, form: RequestFilterForm, context: dict[str, Any]
) -> HttpResponse:
    user: Any = request.user
    context.update(
        form=form,
        filtered=form.is_filtered(),
        now=timezone.now(),
        may_create=services.may_take_requests(user),
        scope=form.scope,
    )
    if getattr(request, "htmx", False) and not request.htmx.boosted:  # type: ignore[attr-defined]
        return render(request, "service/request_list.html#table", context)
    return render(request, "service/request_list.html", context)


@login_required
@require_GET
def queue(request: HttpRequest) -> HttpResponse:
    """Open requests, the most urgent first (the nearest SLA deadline, then the oldest)."""
    form, listing = _listing(request, queue=True)
    qs = queries.queue(request.user, **listing["filters"])
    page = Paginator(qs, settings.VORONKA_PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "mode": "queue",
        "rows": list(page.object_list),
        "page_obj": page,
        "total": page.paginator.count,
        "counts": _scope_counts(request.user, listing["filters"]),
    }
    return _render_list(request, form, context)


@login_required
@require_GET
def request_list(request: HttpRequest) -> HttpResponse:
    """Every request in any status, newest first: the archive and the reports' drill-down."""
    form, listing = _listing(request, queue=False)
    qs = queries.request_list(request.user, **listing["filters"])
    ordering = REQUEST_SORTS[listing["sort"]]
    try:
        page = keyset_page(qs, ordering=ordering, cursor=request.GET.get("cursor") or None)
    except BadCursor:
        page = keyset_page(qs, ordering=ordering)
    context = {
        "mode": "list",
        "rows": page.items,
        "page": page,
        "sort": listing["sort"],
        "total": page.total,
    }
    return _render_list(request, form, context)


# --- The card ----------------------------------------------------------------------------------


def _client_email(req: Request) -> str:
    return req.client_email or (req.contact.email if req.contact is not None else "")


def _side(user: Any, req: Request) -> dict[str, Any]:
    """The client's open deals and other requests, beside the thread."""
    if not (req.company_id or req.contact_id):
        return {"deals": [], "other_requests": []}
    name, pk = ("company", req.company_id) if req.company_id else ("contact", req.contact_id)
    client: dict[str, Any] = {f"{name}_id": pk}
    deals = deals_of_client(user, **{name: getattr(req, name)}).filter(status="open")
    others = (
        queries.requests_visible_to(user)
        .filter(**client)
        .exclude(pk=req.pk)
        .select_related("assignee")
        .order_by("-created_at", "-pk")
    )
    return {
        "deals": list(deals.order_by("-created_at", "-pk")[:SIDE_LIMIT]),
        "other_requests": list(others[:SIDE_LIMIT]),
        "client_query": f"{name}={pk}",
    }


def _card_context(
    request: HttpRequest,
    req: Request,
    *,
    message_form: MessageForm | None = None,
    properties_form: RequestPropertiesForm | None = None,
) -> dict[str, Any]:
    user: Any = request.user
    may_work = queries.may_work(user, req)
    allowed = services.TRANSITIONS.get(req.status, frozenset())
    context: dict[str, Any] = {
        "req": req,
        "may_work": may_work,
        "may_delete": may_work and _may_delete(user),
        "thread": list(queries.thread(req)),
        "client_email": _client_email(req),
        "sla": sla_targets(req),
        "survey": req.surveys.order_by("-created_at", "-pk").first(),
        "history": entries_for(req, limit=HISTORY_LIMIT),
        "now": timezone.now(),
        **_side(user, req),
    }
    if may_work:
        context.update(
            status_buttons=[b for b in STATUS_BUTTONS if b[0] in allowed],
            may_wait=Status.WAITING in allowed,
            may_resolve=Status.RESOLVED in allowed,
            message_form=message_form or MessageForm(initial={"kind": Message.Kind.REPLY}),
            properties_form=properties_form or _properties_form(user, req),
            reply_kind=(message_form["kind"].value() if message_form else Message.Kind.REPLY),
        )
    return context


def _properties_form(user: Any, req: Request) -> RequestPropertiesForm:
    initial = {
        "kind": req.kind,
        "category": req.category_id,
        "priority": req.priority,
        "assignee": req.assignee_id,
        "version": req.version,
    }
    return RequestPropertiesForm(initial=initial, user=user, request=req)


def _card(request: HttpRequest, req: Request, status: int = 200, **forms: Any) -> HttpResponse:
    context = _card_context(request, req, **forms)
    return render(request, "service/request_detail.html", context, status=status)


@login_required
@require_GET
def request_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _card(request, _request_or_404(request.user, pk))


def _back(pk: int, anchor: str = "") -> HttpResponse:
    return redirect(reverse("service:request-detail", args=[pk]) + anchor)


@login_required
@require_POST
def request_message(request: HttpRequest, pk: int) -> HttpResponse:
    """The reply box: a reply (e-mailed; "Send", "… and wait", "… and resolve"), an
    internal note, or what the client said on the phone."""
    user: Any = request.user
    req = _request_or_404(user, pk)
    form = MessageForm(request.POST)
    if form.is_valid():
        kind, body = form.cleaned_data["kind"], form.cleaned_data["body"]
        try:
            if kind == Message.Kind.REPLY:
                message = services.request_reply(
                    actor=user, request=req, body=body, status=form.reply_status()
                )
            elif kind == Message.Kind.NOTE:
                message = services.request_note(actor=user, request=req, body=body)
            else:
                message = services.request_client_message(
                    actor=user, request=req, body=body, at=form.cleaned_data["at"]
                )
        except NotAllowed as exc:
            raise PermissionDenied(str(exc)) from exc
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _message_done(message))
            return _back(pk, f"#message-{message.pk}")
    elif not queries.may_work(user, req):
        raise PermissionDenied(_("You are not allowed to work this request."))
    return _card(request, _request_or_404(user, pk), status=422, message_form=form)


def _message_done(message: Message) -> str:
    if message.kind == Message.Kind.NOTE:
        return _("Note added.")
    if message.kind == Message.Kind.CLIENT:
        return _("The client's message is in the thread.")
    if message.email_to:
        text = _("Reply saved; the e-mail to %(email)s is on its way.") % {
            "email": message.email_to
        }
    else:
        text = _("Reply saved. The client has no e-mail address: tell them another way.")
    status = message.request.status
    if status in (Status.RESOLVED, Status.WAITING):
        text += " " + _("The request is now “%(status)s”.") % {"status": Status(status).label}
    return text


@login_required
@require_POST
def request_status(request: HttpRequest, pk: int) -> HttpResponse:
    """A status button: take in work, wait for the client, resolve, close, reopen."""
    user: Any = request.user
    req = _request_or_404(user, pk)
    status = request.POST.get("status", "")
    try:
        services.request_set_status(actor=user, request=req, status=status)
    except NotAllowed as exc:
        raise PermissionDenied(str(exc)) from exc
    except ValidationError as exc:
        messages.error(request, _error_text(exc))
        return _back(pk)
    messages.success(request, _("Status: %(status)s.") % {"status": Status(status).label})
    return _back(pk)


@login_required
@require_POST
def request_properties(request: HttpRequest, pk: int) -> HttpResponse:
    """The side panel: kind, category, priority and assignee; or "assign to me"."""
    user: Any = request.user
    req = _request_or_404(user, pk)
    data: Any = request.POST
    if data.get("assign_me"):
        data = {
            "kind": req.kind, "category": req.category_id or "", "priority": req.priority,
            "assignee": user.pk, "version": data.get("version", ""),
        }  # fmt: skip
    form = RequestPropertiesForm(data, user=user, request=req)
    status = 422
    if form.is_valid():
        try:
            services.request_update(
                actor=user, request=req, version=form.cleaned_data["version"],
                data=form.service_data(),
            )  # fmt: skip
        except NotAllowed as exc:
            raise PermissionDenied(str(exc)) from exc
        except StaleVersion as exc:
            form.add_error(None, str(exc.message))
            status = 409
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Request saved."))
            return _back(pk)
    elif not queries.may_work(user, req):
        raise PermissionDenied(_("You are not allowed to work this request."))
    return _card(request, _request_or_404(user, pk), status=status, properties_form=form)


@login_required
@require_POST
def request_delete(request: HttpRequest, pk: int) -> HttpResponse:
    user: Any = request.user
    req = _request_or_404(user, pk)
    try:
        version = int(request.POST.get("version", ""))
    except ValueError:
        version = None
    try:
        services.request_delete(actor=user, request=req, version=version)
    except NotAllowed as exc:
        raise PermissionDenied(str(exc)) from exc
    except StaleVersion as exc:
        messages.error(request, str(exc.message))
        return _back(pk)
    messages.success(request, _("Request #%(n)s deleted.") % {"n": req.pk})
    return redirect("service:queue")


# --- Create and edit ---------------------------------------------------------------------------


def _form_page(
    request: HttpRequest, form: RequestForm, req: Request | None, status: int = 200
) -> HttpResponse:
    return render(request, "service/request_form.html", {"form": form, "req": req}, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def request_create(request: HttpRequest) -> HttpResponse:
    """Take down a request; ``?company=`` / ``?contact=`` / ``?deal=`` fill in the client."""
    user: Any = request.user
    if not services.may_take_requests(user):
        raise PermissionDenied(_("You are not allowed to register requests."))
    if request.method == "GET":
        initial: dict[str, Any] = {
            "client": prefill_client(user, request.GET.get("company"), request.GET.get("contact")),
            "assignee": user.pk if user.role == "manager" else None,
        }
        if (request.GET.get("deal") or "").isdigit():
            initial["deal"] = int(request.GET["deal"])
        return _form_page(request, RequestForm(initial=initial, user=user), None)
    form = RequestForm(request.POST, user=user)
    if form.is_valid():
        try:
            req = services.request_create(
                actor=user, data=form.service_data(), message=form.cleaned_data["message"],
                received_at=form.cleaned_data["received_at"],
            )  # fmt: skip
        except NotAllowed as exc:
            raise PermissionDenied(str(exc)) from exc
        except ValidationError as exc:
            add_service_errors(form, exc, {"company": "client", "contact": "client"})
        else:
            messages.success(request, _("Request #%(n)s registered.") % {"n": req.pk})
            return redirect("service:request-detail", pk=req.pk)
    return _form_page(request, form, None, status=422)


@login_required
@require_http_methods(["GET", "POST"])
def request_edit(request: HttpRequest, pk: int) -> HttpResponse:
    user: Any = request.user
    req = _request_or_404(user, pk)
    if not queries.may_work(user, req):
        raise PermissionDenied(_("You are not allowed to work this request."))
    if request.method == "GET":
        initial = {
            "subject": req.subject,
            "client": initial_client(req),
            "client_name": req.client_name,
            "client_email": req.client_email,
            "client_phone": req.client_phone,
            "kind": req.kind,
            "priority": req.priority,
            "channel": req.channel,
            "category": req.category_id,
            "product": req.product_id,
            "assignee": req.assignee_id,
            "version": req.version,
        }
        return _form_page(request, RequestForm(initial=initial, user=user, request=req), req)
    form = RequestForm(request.POST, user=user, request=req)
    status = 422
    if form.is_valid():
        try:
            services.request_update(
                actor=user, request=req, version=form.cleaned_data["version"],
                data=form.service_data(),
            )  # fmt: skip
        except NotAllowed as exc:
            raise PermissionDenied(str(exc)) from exc
        except StaleVersion as exc:
            form.add_error(None, str(exc.message))
            status = 409
        except ValidationError as exc:
            add_service_errors(form, exc, {"company": "client", "contact": "client"})
        else:
            messages.success(request, _("Request saved."))
            return redirect("service:request-detail", pk=req.pk)
    return _form_page(request, form, req, status=status)


urlpatterns = [
    path("", queue, name="queue"),
    path("requests/", request_list, name="request-list"),
    path("requests/new/", request_create, name="request-create"),
    path("requests/<int:pk>/", request_detail, name="request-detail"),
    path("requests/<int:pk>/edit/", request_edit, name="request-edit"),
    path("requests/<int:pk>/messages/", request_message, name="request-message"),
    path("requests/<int:pk>/status/", request_status, name="request-status"),
    path("requests/<int:pk>/properties/", request_properties, name="request-properties"),
    path("requests/<int:pk>/delete/", request_delete, name="request-delete"),
]
