"""API: orders out to an accounting system, and the catalogue in and out.

* ``GET /orders/export`` — a file of the orders the caller may see: ``format`` csv, xlsx
  or commerceml; ``from``/``to`` (local dates, both included) or ``only_new``; ``mark``
  (default: what ``only_new`` says) sets the orders' "exported" mark in the same
  transaction as the record of the run;
* ``POST /catalogue/import`` — multipart ``files`` (one CSV/XLSX, or CommerceML
  import.xml and/or offers.xml, or their ZIP), ``dry_run``, ``skip_bad_rows``; answers
  the report. A real import with rejected rows and without ``skip_bad_rows`` changes
  nothing and answers 422, each rejected row's fields in ``detail`` and the report
  beside it. Administrator and head of sales only;
* ``GET /catalogue/export`` — the catalogue as csv, xlsx or commerceml (a ZIP).
"""

from __future__ import annotations

import tempfile
from typing import Any

from django.core.exceptions import ValidationError
from django.http import FileResponse, HttpRequest, JsonResponse
from django.http.response import HttpResponseBase
from django.utils.translation import gettext as _
from ninja import Field, File, Form, Query, Router, Schema
from ninja.files import UploadedFile

from voronka.core.api import actor, responses
from voronka.core.errors import NotAllowed
from voronka.orders import catalogue, exchange

router = Router(tags=["orders"])

ADMIN_ONLY = "Administrator and head of sales only."


def _file(target: Any, filename: str, content_type: str) -> FileResponse:
    target.seek(0)
    return FileResponse(target, as_attachment=True, filename=filename, content_type=content_type)


def _flag(value: str | None) -> bool | None:
    if value is None or value == "":
        return None
    lowered = value.strip().lower()
    if lowered in ("1", "true", "yes", "on"):
        return True
    if lowered in ("0", "false", "no", "off"):
        return False
    raise ValueError(lowered)


class ExportQuery(Schema):
    format: str = Field("xlsx", description="csv, xlsx or commerceml")
    date_from: str | None = Field(None, alias="from", description="first day, YYYY-MM-DD")
    date_to: str | None = Field(None, alias="to", description="last day, YYYY-MM-DD, included")
    only_new: str | None = Field(None, description="1: only orders not exported before")
    mark: str | None = Field(None, description="1: mark them exported (default: only_new)")


@router.get(
    "/orders/export", response=responses({200: None}, 403),
    summary="Export orders to a file (CSV, XLSX, CommerceML 2)",
    description="A period (`from`, `to`: YYYY-MM-DD, both days included) or `only_new=1` "
    "(orders no export has marked yet). `mark=1` marks the exported orders (the default "
    "with `only_new`); support may export but not mark.",
)  # fmt: skip
def export_orders(request: HttpRequest, params: Query[ExportQuery]) -> HttpResponseBase:
    user = actor(request)
    if not exchange.may_export(user):
        raise NotAllowed()
    flags: dict[str, bool | None] = {}
    for name in ("only_new", "mark"):
        try:
            flags[name] = _flag(getattr(params, name))
        except ValueError:
            raise ValidationError({name: _("Give 1 or 0.")}) from None
    wanted = exchange.export_request(
        fmt=params.format, date_from=params.date_from, date_to=params.date_to,
        only_new=bool(flags["only_new"]), mark=flags["mark"],
    )  # fmt: skip
    target = tempfile.TemporaryFile()  # noqa: SIM115 - the response closes it
    try:
        exchange.orders_export(actor=user, request=wanted, target=target)
    except BaseException:
        target.close()
        raise
    return _file(target, exchange.export_filename(wanted), exchange.CONTENT_TYPES[wanted.fmt])


class RowErrorOut(Schema):
    field: str
    column: str
    message: str


class RowOut(Schema):
    file: str
    row: int
    result: str
    name: str
    product_id: int | None
    changes: list[str]
    errors: list[RowErrorOut]


class ImportReportOut(Schema):
    dry_run: bool
    skip_bad_rows: bool
    applied: bool
    counts: dict[str, int]
    notices: list[str]
    new_categories: list[str]
    rows: list[RowOut]


@router.post(
    "/catalogue/import", response=responses({200: ImportReportOut}, 403),
    summary="Import products, prices and stock (CSV, XLSX, CommerceML)",
    description=f"{ADMIN_ONLY} Products are matched by external id, then SKU, then exact "
    "name. `dry_run=1` only reports. Rejected rows keep the whole import out unless "
    "`skip_bad_rows=1` (then exactly the good rows go in).",
)  # fmt: skip
def import_catalogue(
    request: HttpRequest, files: list[UploadedFile] = File(...),  # noqa: B008 - ninja's way
    dry_run: bool = Form(False), skip_bad_rows: bool = Form(False),  # noqa: B008
) -> Any:  # fmt: skip
    user = actor(request)
    if not catalogue.may_change_catalogue(user):
        raise NotAllowed(ADMIN_ONLY)
    contents = [(f.name or "file", f.read()) for f in files]
    try:
        report = catalogue.catalogue_import(actor=user, files=contents, dry_run=dry_run,
                                            skip_bad_rows=skip_bad_rows)  # fmt: skip
    except ValidationError as exc:
        raise ValidationError({"files": exc.message_dict.get("file", exc.messages)}) from None
    body = report.as_json()
    if dry_run or report.applied:
        return body
    detail = [
        {"loc": ["body", "files", row.source, row.line, error.field or "row"],
         "msg": error.message, "type": "value_error"}
        for row in report.rejected for error in row.errors
    ]  # fmt: skip
    return JsonResponse({"detail": detail, "report": body}, status=422)


@router.get(
    "/catalogue/export", response=responses({200: None}),
    summary="Export the catalogue (CSV, XLSX, or CommerceML as a ZIP)",
)  # fmt: skip
def export_catalogue(request: HttpRequest, format: str = "xlsx") -> HttpResponseBase:
    if format not in exchange.FORMATS:
        formats = ", ".join(exchange.FORMATS)
        raise ValidationError(
            {"format": _("Choose the format: %(formats)s.") % {"formats": formats}}
        )
    target = tempfile.TemporaryFile()  # noqa: SIM115 - the response closes it
    try:
        catalogue.write_catalogue(format, catalogue.catalogue_products(actor(request)), target)
    except BaseException:
        target.close()
        raise
    content_type = "application/zip" if format == "commerceml" else exchange.CONTENT_TYPES[format]
    return _file(target, catalogue.catalogue_filename(format), content_type)
