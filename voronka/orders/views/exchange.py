"""The exchange with accounting systems: export orders (a period, or only those not
exported yet), see the last exports, download the catalogue, and import it.

Everyone who sees orders exports the orders they may see; marking orders exported is
for those who run orders (not support). The catalogue import is the administrator's
and the head of sales': a file is checked first and the report shown (nothing is
written); the person then applies it, with or without the rows that have errors. The
checked file waits for that in the installation's folder, under a signed token that
only its uploader can use, for a day at most.
"""

from __future__ import annotations

import secrets
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core import signing
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.template.defaultfilters import filesizeformat
from django.urls import path
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from voronka.core.errors import NotAllowed
from voronka.core.forms import BootstrapFormMixin
from voronka.orders import catalogue, exchange
from voronka.orders.models import ExportRun
from voronka.orders.services import may_take_orders

INVALID = 422
STAGE_SALT = "voronka.orders.catalogue-upload"
STAGE_MAX_AGE = 24 * 3600


class ExportForm(BootstrapFormMixin, forms.Form):
    format = forms.ChoiceField(label=gettext_lazy("Format"), choices=ExportRun.Format.choices,
                               initial=ExportRun.Format.XLSX)  # fmt: skip
    scope = forms.ChoiceField(
        label=gettext_lazy("Which orders"), widget=forms.RadioSelect, initial="period",
        choices=[("period", gettext_lazy("Received in a period")),
                 ("new", gettext_lazy("Only new: not exported before (they are marked "
                                      "exported)"))],
    )  # fmt: skip
    date_from = forms.DateField(label=gettext_lazy("From"), required=False,
                                widget=forms.DateInput(attrs={"type": "date"}))  # fmt: skip
    date_to = forms.DateField(label=gettext_lazy("To (included)"), required=False,
                              widget=forms.DateInput(attrs={"type": "date"}))  # fmt: skip
    mark = forms.BooleanField(
        label=gettext_lazy("Mark the period's orders as exported"), required=False,
        help_text=gettext_lazy("A marked order is not exported again as new."),
    )  # fmt: skip

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not may_take_orders(user):  # support reads orders but marks none
            scope: Any = self.fields["scope"]
            scope.choices = [("period", _("Received in a period"))]
            del self.fields["mark"]


class MultipleFileInput(forms.FileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """One or more files (import.xml with offers.xml, as 1C sends them)."""

    def clean(self, data: Any, initial: Any = None) -> Any:
        single = super().clean
        if isinstance(data, list | tuple):
            return [single(item, initial) for item in data]
        return [single(data, initial)]


class ImportForm(BootstrapFormMixin, forms.Form):
    upload = MultipleFileField(
        label=gettext_lazy("Catalogue file"), allow_empty_file=True,
        widget=MultipleFileInput(attrs={"accept": ".csv,.txt,.xlsx,.xml,.zip"}),
    )  # fmt: skip

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["upload"].help_text = _(
            "CSV or XLSX with a row per product (external id, SKU, name, category, price, "
            "currency, stock, unit, VAT rate), or 1C's CommerceML: import.xml, offers.xml "
            "or both, or the ZIP holding them. At most %(size)s."
        ) % {"size": filesizeformat(settings.IMPORT_MAX_UPLOAD)}


def _ensure_may_export(user: Any) -> None:
    if not exchange.may_export(user):
        raise PermissionDenied


def _ensure_may_import(user: Any) -> None:
    if not catalogue.may_change_catalogue(user):
        raise PermissionDenied(_("Only an administrator or the head of sales changes the "
                                 "catalogue."))  # fmt: skip


def _page(request: HttpRequest, status: int = 200, **context: Any) -> HttpResponse:
    user = request.user
    context.setdefault("export_form", ExportForm(user=user))
    may_import = catalogue.may_change_catalogue(user)
    if may_import:
        context.setdefault("import_form", ImportForm())
    context.update(
        runs=list(exchange.recent_runs(user)[: exchange.RECENT_RUNS]),
        may_import=may_import,
        catalogue_formats=[
            ("csv", "CSV"),
            ("xlsx", "XLSX"),
            ("commerceml", "CommerceML (ZIP)"),
        ],  # fmt: skip
    )
    return render(request, "orders/exchange.html", context, status=status)


@login_required
@require_GET
def exchange_page(request: HttpRequest) -> HttpResponse:
    _ensure_may_export(request.user)
    return _page(request)


@login_required
@require_POST
def export_orders(request: HttpRequest) -> HttpResponseBase:
    """The orders' file, made and sent; a refused input comes back as the page with the
    errors next to their fields."""
    user = request.user
    _ensure_may_export(user)
    form = ExportForm(request.POST, user=user)
    if form.is_valid():
        data = form.cleaned_data
        only_new = data["scope"] == "new"
        target = tempfile.TemporaryFile()  # noqa: SIM115 - the response closes it
        try:
            wanted = exchange.export_request(
                fmt=data["format"], date_from=data["date_from"], date_to=data["date_to"],
                only_new=only_new, mark=True if only_new else data.get("mark", False),
            )  # fmt: skip
            exchange.orders_export(actor=user, request=wanted, target=target)
        except ValidationError as exc:
            target.close()
            _field_errors(form, exc)
        except NotAllowed as exc:
            target.close()
            raise PermissionDenied(str(exc)) from None
        else:
            target.seek(0)
            return FileResponse(target, as_attachment=True,
                                filename=exchange.export_filename(wanted),
                                content_type=exchange.CONTENT_TYPES[wanted.fmt])  # fmt: skip
    return _page(request, INVALID, export_form=form)


def _field_errors(form: forms.Form, exc: ValidationError) -> None:
    names = {"format": "format", "from": "date_from", "to": "date_to", "file": "upload"}
    for name, problems in exc.message_dict.items():
        target = names.get(name, name)
        for problem in problems:
            form.add_error(target if target in form.fields else None, problem)


@login_required
@require_GET
def export_catalogue(request: HttpRequest) -> HttpResponseBase:
    fmt = request.GET.get("format", "")
    if fmt not in exchange.FORMATS:
        raise Http404
    target = tempfile.TemporaryFile()  # noqa: SIM115 - the response closes it
    try:
        catalogue.write_catalogue(fmt, catalogue.catalogue_products(request.user), target)
    except BaseException:
        target.close()
        raise
    target.seek(0)
    content_type = "application/zip" if fmt == "commerceml" else exchange.CONTENT_TYPES[fmt]
    return FileResponse(target, as_attachment=True, filename=catalogue.catalogue_filename(fmt),
                        content_type=content_type)  # fmt: skip


# --- Catalogue import ------------------------------------------------------------------------


def _stage_root() -> Path:
    return Path(settings.VAR_DIR) / "catalogue-uploads"


def _forget_old_stages() -> None:
    root = _stage_root()
    if not root.is_dir():
        return
    limit = time.time() - STAGE_MAX_AGE
    for folder in root.iterdir():
        if folder.is_dir() and folder.stat().st_mtime < limit:
            shutil.rmtree(folder, ignore_errors=True)


def _stage(files: list[tuple[str, bytes]], user: Any) -> str:
    _forget_old_stages()
    key = secrets.token_hex(16)
    folder = _stage_root() / key
    folder.mkdir(parents=True)
    for n, (name, data) in enumerate(files):
        # The name goes in the report; the disk gets a name of ours.
        (folder / f"{n:02d}.bin").write_bytes(data)
        (folder / f"{n:02d}.name").write_text(name, encoding="utf-8")
    return signing.dumps({"key": key, "user": user.pk}, salt=STAGE_SALT)


def _staged(token: str, user: Any) -> tuple[Path, list[tuple[str, bytes]]]:
    try:
        found = signing.loads(token, salt=STAGE_SALT, max_age=STAGE_MAX_AGE)
    except signing.BadSignature:
        raise Http404 from None
    folder = _stage_root() / str(found.get("key", ""))
    if found.get("user") != user.pk or not folder.is_dir() or not found.get("key"):
        raise Http404
    files = []
    for data_file in sorted(folder.glob("*.bin")):
        name = data_file.with_suffix(".name").read_text(encoding="utf-8")
        files.append((name, data_file.read_bytes()))
    return folder, files


def _uploads(form: ImportForm) -> list[tuple[str, bytes]] | None:
    uploads = form.cleaned_data["upload"]
    total = sum(f.size or 0 for f in uploads)
    if total > settings.IMPORT_MAX_UPLOAD:
        limit = filesizeformat(settings.IMPORT_MAX_UPLOAD)
        form.add_error("upload", _("The files are %(size)s; at most %(limit)s is accepted.")
                       % {"size": filesizeformat(total), "limit": limit})  # fmt: skip
        return None
    return [(Path(f.name or "file").name, f.read()) for f in uploads]


@login_required
@require_POST
def import_preview(request: HttpRequest) -> HttpResponse:
    """Check the uploaded files and show what applying them would do; nothing is written."""
    user = request.user
    _ensure_may_import(user)
    form = ImportForm(request.POST, request.FILES)
    files = _uploads(form) if form.is_valid() else None
    if files is not None:
        try:
            report = catalogue.catalogue_import(actor=user, files=files, dry_run=True)
        except ValidationError as exc:
            _field_errors(form, exc)
        except NotAllowed as exc:  # pragma: no cover - refused above
            raise PermissionDenied(str(exc)) from None
        else:
            return _page(request, report=report, token=_stage(files, user),
                         problems=catalogue.describe(report.rejected))  # fmt: skip
    return _page(request, INVALID, import_form=form)


@login_required
@require_POST
def import_apply(request: HttpRequest) -> HttpResponse:
    """Apply the checked files: all of them, or with "skip bad rows" only the good rows."""
    user = request.user
    _ensure_may_import(user)
    folder, files = _staged(request.POST.get("token", ""), user)
    skip = request.POST.get("skip_bad_rows") in ("1", "on", "true")
    try:
        report = catalogue.catalogue_import(actor=user, files=files, skip_bad_rows=skip)
    except ValidationError as exc:
        shutil.rmtree(folder, ignore_errors=True)
        form = ImportForm()
        _field_errors(form, exc)
        return _page(request, INVALID, import_form=form)
    except NotAllowed as exc:  # pragma: no cover - refused above
        raise PermissionDenied(str(exc)) from None
    problems = catalogue.describe(report.rejected)
    if not report.applied:
        # Someone changed the catalogue since the check and a row went bad: nothing was
        # written; the file stays for another try.
        return _page(request, INVALID, report=report, token=request.POST.get("token", ""),
                     problems=problems)  # fmt: skip
    shutil.rmtree(folder, ignore_errors=True)
    counts = report.counts
    messages.success(request, _("The catalogue is updated: %(created)s created, %(updated)s "
                                "updated, %(unchanged)s unchanged, %(rejected)s rows left out.")
                     % counts)  # fmt: skip
    return _page(request, report=report, problems=problems)


urlpatterns = [
    path("exchange/", exchange_page, name="exchange"),
    path("exchange/export/", export_orders, name="exchange-export"),
    path("exchange/catalogue/", export_catalogue, name="exchange-catalogue"),
    path("exchange/import/", import_preview, name="exchange-import"),
    path("exchange/import/apply/", import_apply, name="exchange-import-apply"),
]
