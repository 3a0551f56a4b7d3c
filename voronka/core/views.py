"""The start page; the trash: deleted records, and bringing them back; the full export."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import OuterRef, QuerySet, Subquery
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from voronka.clients import queries as client_queries
from voronka.clients import services as client_services
from voronka.core import full_export as exports
from voronka.core.errors import NotAllowed
from voronka.core.models import FullExport
from voronka.core.visibility import can_restore, sees_everything
from voronka.sales import queries as sales_queries
from voronka.sales import services as sales_services

TRASH_LIMIT = 100  # per kind; the newest deletions first


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """The start page: the head of sales and the administrator start on the dashboard,
    a manager's day starts with My day, a support agent sees the board."""
    user = request.user
    if getattr(user, "role", "") == "manager":
        return redirect("activities:my-day")
    if sees_everything(user):  # type: ignore[arg-type]
        return redirect("analytics:dashboard")
    return redirect("sales:board")


@dataclass(frozen=True)
class TrashKind:
    key: str
    title: Any
    deleted: Callable[[Any], QuerySet[Any]]
    restore: Callable[[Any, Any], Any]
    related: tuple[str, ...]


TRASH_KINDS = {
    "company": TrashKind(
        "company",
        gettext_lazy("Companies"),
        lambda user: client_queries.companies_visible_to(user, deleted=True),
        lambda actor, obj: client_services.company_restore(actor=actor, company=obj),
        ("owner",),
    ),
    "contact": TrashKind(
        "contact",
        gettext_lazy("Contacts"),
        lambda user: client_queries.contacts_visible_to(user, deleted=True),
        lambda actor, obj: client_services.contact_restore(actor=actor, contact=obj),
        ("owner", "company"),
    ),
    "lead": TrashKind(
        "lead",
        gettext_lazy("Leads"),
        lambda user: sales_queries.leads_visible_to(user, deleted=True),
        lambda actor, obj: sales_services.lead_restore(actor=actor, lead=obj),
        ("owner",),
    ),
    "deal": TrashKind(
        "deal",
        gettext_lazy("Deals"),
        lambda user: sales_queries.deals_visible_to(user, deleted=True),
        lambda actor, obj: sales_services.deal_restore(actor=actor, deal=obj),
        ("owner", "stage", "company", "contact"),
    ),
}


def _ensure_trash_access(user: Any) -> None:
    # Others do not learn the page exists: the same answer as for any unknown page.
    if not can_restore(user):
        raise Http404


def _with_deleted_by(qs: QuerySet[Any]) -> QuerySet[Any]:
    """Who deleted each row, read from its history in the same query."""
    history = qs.model.history.model  # type: ignore[attr-defined]
    deleter = (
        history.objects.filter(id=OuterRef("pk"), history_change_reason="deleted")
        .order_by("-history_date", "-history_id")
        .values("history_user_id")[:1]
    )
    return qs.annotate(deleted_by_id=Subquery(deleter))


@login_required
def trash(request: HttpRequest) -> HttpResponse:
    """Soft-deleted companies, contacts, leads and deals, each with a Restore button."""
    from voronka.accounts.models import User

    user = request.user
    _ensure_trash_access(user)
    sections = []
    for kind in TRASH_KINDS.values():
        rows = list(
            _with_deleted_by(kind.deleted(user))
            .select_related(*kind.related)
            .order_by("-deleted_at", "-pk")[: TRASH_LIMIT + 1]
        )
        sections.append(
            {"kind": kind.key, "title": kind.title, "rows": rows[:TRASH_LIMIT],
             "more": len(rows) > TRASH_LIMIT}
        )  # fmt: skip
    deleter_ids = {r.deleted_by_id for s in sections for r in s["rows"] if r.deleted_by_id}
    deleters = User.objects.in_bulk(deleter_ids) if deleter_ids else {}
    for section in sections:
        for row in section["rows"]:
            row.deleted_by = deleters.get(row.deleted_by_id)
    context = {
        "sections": sections,
        "is_empty": not any(s["rows"] for s in sections),
        "limit": TRASH_LIMIT,
    }
    return render(request, "core/trash.html", context)


@login_required
@require_POST
def trash_restore(request: HttpRequest) -> HttpResponse:
    user = request.user
    _ensure_trash_access(user)
    kind = TRASH_KINDS.get(request.POST.get("kind", ""))
    raw_pk = request.POST.get("pk", "")
    if kind is None or not raw_pk.isdigit():
        raise Http404
    record = kind.deleted(user).filter(pk=int(raw_pk)).first()
    if record is None:
        raise Http404
    try:
        kind.restore(user, record)
    except NotAllowed:
        raise PermissionDenied from None
    messages.success(request, _("«%(name)s» restored.") % {"name": record})
    return redirect("core:trash")


# --- Export everything -----------------------------------------------------------------------


def _ensure_full_export_access(user: Any) -> None:
    if not exports.may_export_everything(user):
        raise PermissionDenied(_("Only an administrator may export all data."))


def _export_or_404(pk: int) -> FullExport:
    export = FullExport.objects.select_related("requested_by").filter(pk=pk).first()
    if export is None:
        raise Http404
    return export


def _progress_context(export: FullExport) -> dict[str, Any]:
    """What the progress line of an export shows: the file being written and how far."""
    files = len(exports.TABLES)
    done_files = max(export.step_number - 1, 0)
    part = export.step_done / export.step_total if export.step_total else 0
    percent = (
        100 if export.status == FullExport.Status.DONE else int(100 * (done_files + part) / files)
    )
    return {
        "export": export,
        "step_label": exports.LABELS.get(export.step, ""),
        "files": files,
        "percent": percent,
    }


@login_required
@require_GET
def full_export(request: HttpRequest) -> HttpResponse:
    """The "Export everything" button, the export running now and the earlier ones."""
    _ensure_full_export_access(request.user)
    exports.forget_stale()
    rows = [_progress_context(e) for e in exports.recent_exports()]
    context = {
        "rows": rows,
        "running": any(r["export"].is_active for r in rows),
        "tables": exports.TABLES,
    }
    return render(request, "core/full_export.html", context)


@login_required
@require_POST
def full_export_start(request: HttpRequest) -> HttpResponse:
    _ensure_full_export_access(request.user)
    try:
        _export, started = exports.full_export_start(actor=request.user)
    except NotAllowed as exc:  # pragma: no cover - the check above refuses first
        raise PermissionDenied(str(exc)) from None
    if started:
        messages.success(
            request, _("The export has started. You may close this page: it goes on without it.")
        )
    else:
        messages.info(request, _("An export is already running; here is its progress."))
    return redirect("core:full-export")


@login_required
@require_GET
def full_export_progress(request: HttpRequest, pk: int) -> HttpResponse:
    """One export's row of the list; the page asks for it every 2 seconds while it runs."""
    _ensure_full_export_access(request.user)
    exports.forget_stale()
    export = _export_or_404(pk)
    response = render(request, "core/partials/_full_export_row.html", _progress_context(export))
    if not export.is_active and getattr(request, "htmx", False):
        # Finished: the whole page again, so the button is enabled and the file listed.
        response["HX-Refresh"] = "true"
    return response


@login_required
@require_GET
def full_export_download(request: HttpRequest, pk: int) -> FileResponse:
    """The finished ZIP, to administrators only; it lives in a private folder."""
    _ensure_full_export_access(request.user)
    path = exports.file_path(_export_or_404(pk))
    if path is None:
        raise Http404
    return FileResponse(
        path.open("rb"), as_attachment=True, filename=path.name, content_type="application/zip"
    )
