"""The orders' settings pages: the organisation's order options, the status workflow,
each status's norm and client e-mail, and the log of changes. Only the administrator
and the head of sales get in (403 for everyone else).

Every page posts and redirects back (no script needed); a refused input comes back as
the same page with the errors beside their fields and HTTP 422. A status's e-mail
templates have a preview, rendered for a made-up order: a "Preview" button (the page
again, nothing saved) and, with htmx, a live preview while typing.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from voronka.core import organisation
from voronka.core.errors import NotAllowed
from voronka.core.forms import add_service_errors
from voronka.orders import mail, settings_services
from voronka.orders.models import FINAL_STATUSES, FLOW, Status, StatusSetting
from voronka.orders.queries import status_settings, transitions
from voronka.orders.settings_forms import OrderOptionsForm, StatusSettingForm, WorkflowForm

INVALID = 422


def _ensure_configurator(user: Any) -> None:
    if not settings_services.may_configure(user):
        raise PermissionDenied(_("Only an administrator or the head of sales sets up orders."))


def _page(request: HttpRequest, template: str, section: str, status: int = 200,
          **context: Any) -> HttpResponse:  # fmt: skip
    return render(request, template, {"section": section, **context}, status=status)


# --- The organisation's order options ----------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def options(request: HttpRequest) -> HttpResponse:
    _ensure_configurator(request.user)
    if request.method == "GET":
        org = organisation.current()
        form = OrderOptionsForm(initial={
            "orders_from_won_deals": org.orders_from_won_deals,
            "order_prices_include_vat": org.order_prices_include_vat,
            "order_vat_rate": org.order_vat_rate,
        })  # fmt: skip
        return _page(request, "orders/settings_options.html", "options", form=form)
    form = OrderOptionsForm(request.POST)
    if form.is_valid():
        try:
            settings_services.order_options_save(actor=request.user, **form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        except NotAllowed as exc:
            raise PermissionDenied(str(exc)) from exc
        else:
            messages.success(request, _("The order settings are saved."))
            return redirect("orders:settings")
    return _page(request, "orders/settings_options.html", "options", status=INVALID, form=form)


# --- The workflow ------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def workflow(request: HttpRequest) -> HttpResponse:
    """The allowed moves as a grid: a row per status an order is in, a column per status
    it may go to; "only when paid" per allowed move."""
    _ensure_configurator(request.user)
    if request.method == "GET":
        form = WorkflowForm(initial=WorkflowForm.initial_for(transitions()))
        return _page(request, "orders/settings_workflow.html", "workflow", form=form, flow=FLOW)
    form = WorkflowForm(request.POST)
    if form.is_valid():
        try:
            settings_services.workflow_save(actor=request.user, moves=form.moves())
        except ValidationError as exc:
            for message in exc.messages:
                form.add_error(None, message)
        except NotAllowed as exc:
            raise PermissionDenied(str(exc)) from exc
        else:
            messages.success(request, _("The status workflow is saved."))
            return redirect("orders:settings-workflow")
    return _page(request, "orders/settings_workflow.html", "workflow", status=INVALID, form=form,
                 flow=FLOW)  # fmt: skip


# --- Statuses: norms and e-mails ---------------------------------------------------------


@login_required
@require_GET
def statuses(request: HttpRequest) -> HttpResponse:
    _ensure_configurator(request.user)
    saved = status_settings()
    rows = [{"status": status, "label": Status(status).label, "setting": saved.get(status),
             "final": status in FINAL_STATUSES} for status in FLOW]  # fmt: skip
    return _page(request, "orders/settings_statuses.html", "statuses", rows=rows)


def _status_or_404(status: str) -> str:
    if status not in Status.values:
        raise Http404
    return status


def preview(status: str, data: dict[str, Any]) -> list[dict[str, Any]]:
    """The e-mail as a client would get it, per language, for a made-up order; a
    template that fails shows its error (and the client would get the standard text)."""
    out = []
    setting = StatusSetting(status=status, **{f: data.get(f) or "" for f in mail.TEMPLATE_FIELDS})
    tz = organisation.current().tz
    for language, name in (("ru", "Русский"), ("en", "English")):
        entry: dict[str, Any] = {"language": language, "name": name, "error": ""}
        with translation.override(language), timezone.override(tz):
            context = mail.sample_context(status)
            try:
                entry["subject"], entry["body"] = mail.texts(setting, status, language, context,
                                                             fall_back=False)  # fmt: skip
            except Exception as exc:  # shown to the person writing the template
                entry["error"] = str(exc) or exc.__class__.__name__
                entry["subject"], entry["body"] = mail.texts(None, status, language, context)
        entry["standard"] = {
            "subject": not data.get(f"subject_{language}"),
            "body": not data.get(f"body_{language}"),
        }
        out.append(entry)
    return out


def _status_page(request: HttpRequest, status: str, form: StatusSettingForm, *,
                 code: int = 200) -> HttpResponse:  # fmt: skip
    data = {name: form[name].value() or "" for name in mail.TEMPLATE_FIELDS}
    return _page(
        request, "orders/settings_status.html", "statuses", status=code, form=form,
        order_status=status, label=Status(status).label, preview=preview(status, data),
        placeholders=mail.PLACEHOLDERS, final=status in FINAL_STATUSES,
    )  # fmt: skip


@login_required
@require_http_methods(["GET", "POST"])
def status_edit(request: HttpRequest, status: str) -> HttpResponse:
    """A status's norm and its e-mail to the client; "Preview" shows the e-mail as
    typed without saving it."""
    _ensure_configurator(request.user)
    status = _status_or_404(status)
    if request.method == "GET":
        setting = StatusSetting.objects.filter(status=status).first()
        form = StatusSettingForm(initial=StatusSettingForm.initial_for(setting), status=status)
        return _status_page(request, status, form)
    form = StatusSettingForm(request.POST, status=status)
    if not form.is_valid():
        return _status_page(request, status, form, code=INVALID)
    if "preview" in request.POST:
        return _status_page(request, status, form)
    try:
        settings_services.status_setting_save(actor=request.user, status=status,
                                              data=form.service_data())  # fmt: skip
    except ValidationError as exc:
        add_service_errors(form, exc)
        return _status_page(request, status, form, code=INVALID)
    except NotAllowed as exc:
        raise PermissionDenied(str(exc)) from exc
    messages.success(request, _("«%(status)s» is saved.") % {"status": Status(status).label})
    return redirect("orders:settings-statuses")


@login_required
@require_POST
def status_preview(request: HttpRequest, status: str) -> HttpResponse:
    """The preview alone (htmx, while typing); nothing saved."""
    _ensure_configurator(request.user)
    status = _status_or_404(status)
    data = {name: request.POST.get(name, "") for name in mail.TEMPLATE_FIELDS}
    return render(request, "orders/settings_preview.html", {"preview": preview(status, data)})


# --- The log of changes ------------------------------------------------------------------


@login_required
@require_GET
def changes(request: HttpRequest) -> HttpResponse:
    _ensure_configurator(request.user)
    return _page(request, "orders/settings_changes.html", "changes",
                 entries=settings_services.changes_log())  # fmt: skip


urlpatterns = [
    path("settings/", options, name="settings"),
    path("settings/workflow/", workflow, name="settings-workflow"),
    path("settings/statuses/", statuses, name="settings-statuses"),
    path("settings/statuses/<str:status>/", status_edit, name="settings-status"),
    path("settings/statuses/<str:status>/preview/", status_preview, name="settings-preview"),
    path("settings/changes/", changes, name="settings-changes"),
]
