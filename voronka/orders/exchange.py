"""Orders to an accounting system: which orders go, their rows, and the CSV and XLSX files.

An export takes either the orders received in a period (local dates, both days
included) or "only new": those no export has marked yet (``exported_at`` empty),
optionally within a period too. Marking — setting ``exported_at`` — happens with the
``ExportRun`` record in the transaction that writes the file, so an order marked is an
order in a file that was made, and two exports of "only new" at once never both take
the same order (the mark is claimed with a conditional UPDATE before the rows are read).
A period export marks only when asked. Each person exports only the orders they may see.

The files:

* CSV — one row per order line, the order's columns repeated on each of its lines;
  UTF-8 with a byte-order mark and ``;`` between the columns, as Excel in a Russian
  locale opens it with a double click; values written as the project's other exports
  write them (``voronka.core.exporting.csv_text``: dates ``YYYY-MM-DD``, times
  ``YYYY-MM-DD HH:MM`` in the organisation's time zone, decimals with a dot);
* XLSX — sheet «Заказы» with one row per order and sheet «Строки» with one row per
  line (the sheets' names are fixed, so that a program reading the file finds them);
* CommerceML 2 — see :mod:`voronka.orders.commerceml`.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import IO, Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Prefetch, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from voronka.core import organisation
from voronka.core.errors import NotAllowed
from voronka.core.exporting import BOM, XLSX, XLSX_FORMATS, chunked, csv_text
from voronka.core.visibility import sees_everything
from voronka.orders.models import (
    DeliveryMethod,
    ExportRun,
    Order,
    OrderLine,
    PaymentStatus,
    Status,
)
from voronka.orders.queries import orders_visible_to
from voronka.orders.services import may_take_orders

FORMATS = ("csv", "xlsx", "commerceml")
CONTENT_TYPES = {"csv": "text/csv; charset=utf-8", "xlsx": XLSX,
                 "commerceml": "application/xml; charset=utf-8"}  # fmt: skip
SUFFIXES = {"csv": "csv", "xlsx": "xlsx", "commerceml": "xml"}
CSV_DELIMITER = ";"
CHUNK = 500  # orders read at a time, with their lines
ORDERS_SHEET, LINES_SHEET = "Заказы", "Строки"
RECENT_RUNS = 20


# --- What to export ------------------------------------------------------------------------


@dataclass(frozen=True)
class ExportRequest:
    """A checked request: the format, the period (None: open), only new, mark."""

    fmt: str
    date_from: date | None
    date_to: date | None
    only_new: bool
    mark: bool


def parse_date(value: Any, field: str) -> date | None:
    """A ``YYYY-MM-DD`` date or nothing; a ValidationError naming ``field`` otherwise."""
    if value in (None, ""):
        return None
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value).strip())
    except ValueError:
        raise ValidationError(
            {field: _("Not a date: %(value)s. Write it as YYYY-MM-DD.") % {"value": value}}
        ) from None


def export_request(
    *, fmt: str, date_from: Any = None, date_to: Any = None, only_new: bool = False,
    mark: bool | None = None,
) -> ExportRequest:  # fmt: skip
    """Check what was asked. A period export needs both dates; "only new" marks what it
    exports unless told not to (``mark=False`` shows what is new without taking it)."""
    errors: dict[str, str] = {}
    if fmt not in FORMATS:
        errors["format"] = _("Choose the format: %(formats)s.") % {"formats": ", ".join(FORMATS)}
    start = end = None
    try:
        start = parse_date(date_from, "from")
    except ValidationError as exc:
        errors.update({k: v[0] for k, v in exc.message_dict.items()})
    try:
        end = parse_date(date_to, "to")
    except ValidationError as exc:
        errors.update({k: v[0] for k, v in exc.message_dict.items()})
    if not only_new:
        if start is None and "from" not in errors:
            errors["from"] = _("Give the first day of the period, or export only new orders.")
        if end is None and "to" not in errors:
            errors["to"] = _("Give the last day of the period, or export only new orders.")
    if start and end and start > end:
        errors["to"] = _("The last day comes before the first.")
    if errors:
        raise ValidationError(errors)
    return ExportRequest(fmt, start, end, only_new, only_new if mark is None else mark)


def _local_midnight(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=organisation.current().tz)


def export_scope(user: Any, request: ExportRequest) -> QuerySet[Order]:
    """The orders the request takes, of those ``user`` may see, oldest first."""
    qs = orders_visible_to(user)
    if request.date_from:
        qs = qs.filter(created_at__gte=_local_midnight(request.date_from))
    if request.date_to:
        qs = qs.filter(created_at__lt=_local_midnight(request.date_to + timedelta(days=1)))
    if request.only_new:
        qs = qs.filter(exported_at__isnull=True)
    return qs.order_by("created_at", "pk")


def orders_with_lines(ids: list[int]) -> Iterator[Order]:
    """The orders, in the order of ``ids``, with their client, manager and lines loaded a
    chunk at a time: the number of queries grows with the chunks, not the orders."""
    lines = Prefetch("lines", queryset=OrderLine.objects.select_related("product"))
    for chunk in chunked(ids, CHUNK):
        found = Order.all_objects.select_related("company", "contact", "owner").prefetch_related(
            lines
        ).in_bulk(chunk)  # fmt: skip
        for pk in chunk:
            if pk in found:
                yield found[pk]


# --- The export ---------------------------------------------------------------------------


def may_export(user: Any) -> bool:
    """Whoever sees orders may export them: managers, the head, the admin, support."""
    return bool(user is not None and user.is_authenticated and user.is_active) and (
        sees_everything(user) or user.role in ("manager", "support")
    )


def orders_export(*, actor: Any, request: ExportRequest, target: IO[bytes]) -> ExportRun:
    """Write the orders ``request`` takes into ``target`` and record the run.

    With ``mark`` the orders are marked exported in the same transaction; support, who
    changes no order, may export but not mark.
    """
    if not may_export(actor):
        raise NotAllowed()
    if request.mark and not may_take_orders(actor):
        raise NotAllowed(_("Only those who run orders mark them as exported."))
    now = timezone.now()
    with transaction.atomic():
        ids = list(export_scope(actor, request).values_list("pk", flat=True))
        if request.mark and ids:
            # Claimed before anything is written: of two exports at once, each order goes
            # to the one whose UPDATE reached it first.
            # A chunk at a time: SQLite takes at most 32 766 values in one statement.
            taken: set[int] = set()
            for chunk in chunked(ids, CHUNK):
                Order.all_objects.filter(pk__in=chunk, exported_at__isnull=True).update(
                    exported_at=now
                )
                if request.only_new:
                    taken.update(Order.all_objects.filter(pk__in=chunk, exported_at=now)
                                 .values_list("pk", flat=True))  # fmt: skip
            if request.only_new:
                ids = [pk for pk in ids if pk in taken]
        write_orders(request.fmt, orders_with_lines(ids), target, generated_at=now)
        run = ExportRun.objects.create(
            created_by=actor if getattr(actor, "pk", None) else None, format=request.fmt,
            only_new=request.only_new, period_from=request.date_from,
            period_to=request.date_to, count=len(ids),
        )  # fmt: skip
    return run


def export_filename(request: ExportRequest, generated_at: datetime | None = None) -> str:
    tz = organisation.current().tz
    day = timezone.localdate(generated_at or timezone.now(), timezone=tz).isoformat()
    what = "new"
    if not request.only_new and request.date_from and request.date_to:
        what = f"{request.date_from:%Y%m%d}-{request.date_to:%Y%m%d}"
    return f"voronka-orders-{what}-{day}.{SUFFIXES[request.fmt]}"


def recent_runs(user: Any) -> QuerySet[ExportRun]:
    """The latest exports: everyone's for the head and the admin, one's own for others."""
    qs = ExportRun.objects.select_related("created_by").order_by("-created_at", "-pk")
    if not sees_everything(user):
        qs = qs.filter(created_by=user)
    return qs


# --- Rows ---------------------------------------------------------------------------------


def plain(value: Decimal | None) -> Decimal | None:
    """A quantity or a rate without trailing zeros: 2.000 → 2, 22.00 → 22, 1.50 → 1.5."""
    if value is None:
        return None
    return value.quantize(Decimal(1)) if value == value.to_integral() else value.normalize()


def client_name(order: Order) -> str:
    if order.company_id:
        return order.company.name  # type: ignore[union-attr]
    if order.contact_id:
        return contact_name(order.contact)
    return ""


def contact_name(contact: Any) -> str:
    if contact is None:
        return ""
    return " ".join(p for p in (contact.last_name, contact.first_name, contact.middle_name) if p)


def _person(user: Any) -> str:
    return (user.get_full_name() or user.username) if user is not None else ""


def _local(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    tz = organisation.current().tz
    return timezone.localtime(value, tz).replace(tzinfo=None, microsecond=0)


@dataclass(frozen=True)
class Col:
    header: str
    value: Callable[[Any], Any]
    kind: str = "text"  # or money, decimal, date, datetime


def order_columns() -> list[Col]:
    """The order's columns, headers in the current language."""
    statuses = {value: str(label) for value, label in Status.choices}
    payments = {value: str(label) for value, label in PaymentStatus.choices}
    deliveries = {value: str(label) for value, label in DeliveryMethod.choices}
    return [
        Col(_("Number"), lambda o: o.number),
        Col(_("Received"), lambda o: _local(o.created_at), "datetime"),
        Col(_("Client"), client_name),
        Col(_("Tax ID (INN)"), lambda o: o.company.tax_id if o.company_id else ""),
        Col(_("Contact"), lambda o: contact_name(o.contact) if o.contact_id else ""),
        Col(_("Client's e-mail"), lambda o: o.client_email),
        Col(_("Client's phone"), lambda o: o.client_phone),
        Col(_("Responsible manager"), lambda o: _person(o.owner)),
        Col(_("Order status"), lambda o: statuses.get(o.status, o.status)),
        Col(_("Payment"), lambda o: payments.get(o.payment_status, o.payment_status)),
        Col(_("Paid on"), lambda o: _local(o.paid_at), "datetime"),
        Col(_("Currency"), lambda o: o.currency),
        Col(_("Exchange rate"), lambda o: plain(o.exchange_rate), "decimal"),
        Col(_("Prices include VAT"), lambda o: o.prices_include_vat),
        Col(_("Order amount before discount"), lambda o: o.subtotal, "money"),
        Col(_("Order discount"), lambda o: o.discount_total, "money"),
        Col(_("Order VAT"), lambda o: o.vat_total, "money"),
        Col(_("Order total"), lambda o: o.total, "money"),
        Col(_("Delivery"), lambda o: deliveries.get(o.delivery_method, o.delivery_method)),
        Col(_("Delivery address"), lambda o: o.delivery_address),
        Col(_("Delivery date"), lambda o: o.delivery_date, "date"),
        Col(_("Delivered on"), lambda o: _local(o.delivered_at), "datetime"),
        Col(_("Notes"), lambda o: o.notes),
        Col(_("External id"), lambda o: o.external_id),
    ]


def line_columns() -> list[Col]:
    """A line's columns (``line.order`` is the order it belongs to)."""
    return [
        Col(pgettext("order line", "Position"), lambda ln: ln.position),
        Col(_("Product external id"), lambda ln: ln.product.external_id if ln.product else ""),
        Col(_("SKU"), lambda ln: ln.sku),
        Col(_("Name"), lambda ln: ln.name),
        Col(_("Unit"), lambda ln: ln.unit),
        Col(_("Quantity"), lambda ln: plain(ln.quantity), "decimal"),
        Col(_("Unit price"), lambda ln: ln.unit_price, "money"),
        Col(_("Discount, %"), lambda ln: plain(ln.discount_percent), "decimal"),
        Col(_("VAT rate, %"), lambda ln: plain(ln.vat_rate), "decimal"),
        Col(_("Line amount before discount"), lambda ln: ln.gross, "money"),
        Col(_("Line discount"), lambda ln: ln.discount, "money"),
        Col(_("Line VAT"), lambda ln: ln.vat, "money"),
        Col(_("Line total"), lambda ln: ln.total, "money"),
    ]


# --- Writers ------------------------------------------------------------------------------


def write_orders(fmt: str, orders: Iterable[Order], target: IO[bytes], *,
                 generated_at: datetime) -> None:  # fmt: skip
    if fmt == "csv":
        write_csv(orders, target)
    elif fmt == "xlsx":
        write_xlsx(orders, target)
    else:
        from voronka.orders.commerceml import write_orders as write_commerceml

        write_commerceml(orders, target, generated_at=generated_at)


def csv_writer(target: IO[bytes]) -> tuple[Any, io.TextIOWrapper]:
    """A CSV writer into ``target`` as Russian Excel opens it: BOM, ``;``, CRLF lines."""
    text = io.TextIOWrapper(target, encoding="utf-8", newline="")
    text.write(BOM)
    return csv.writer(text, delimiter=CSV_DELIMITER), text


def write_csv(orders: Iterable[Order], target: IO[bytes]) -> None:
    """One row per line, with its order's columns first."""
    ocols, lcols = order_columns(), line_columns()
    writer, text = csv_writer(target)
    writer.writerow([c.header for c in ocols] + [c.header for c in lcols])
    for order in orders:
        head = [csv_text(c.value(order)) for c in ocols]
        for line in order.lines.all():
            writer.writerow(head + [csv_text(c.value(line)) for c in lcols])
    text.flush()
    text.detach()


def xlsx_sheet(book: Any, title: str, cols: list[Col]) -> tuple[Any, Callable[[list[Any]], None]]:
    """A write-only sheet with a bold header; returns it and a function appending a row with
    money, decimals and dates formatted."""
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    sheet = book.create_sheet(title)
    sheet.freeze_panes = "A2"
    for i, col in enumerate(cols, start=1):
        sheet.column_dimensions[get_column_letter(i)].width = min(max(len(col.header) + 2, 12), 40)
    bold = Font(bold=True)
    header = []
    for col in cols:
        cell = WriteOnlyCell(sheet, value=col.header)
        cell.font = bold
        header.append(cell)
    sheet.append(header)
    styled = {i: XLSX_FORMATS[c.kind] for i, c in enumerate(cols) if c.kind in XLSX_FORMATS}

    def append(values: list[Any]) -> None:
        row: list[Any] = []
        for i, value in enumerate(values):
            if i in styled and value is not None:
                cell = WriteOnlyCell(sheet, value=value)
                cell.number_format = styled[i]
                row.append(cell)
            else:
                row.append(value)
        sheet.append(row)

    return sheet, append


def write_xlsx(orders: Iterable[Order], target: IO[bytes]) -> None:
    """Sheet «Заказы», a row per order; sheet «Строки», a row per line with its order's
    number, received date and client first."""
    from openpyxl import Workbook

    ocols = order_columns()
    lcols = [Col(_("Order number"), lambda ln: ln.order.number),
             Col(_("Received"), lambda ln: _local(ln.order.created_at), "datetime"),
             Col(_("Client"), lambda ln: client_name(ln.order)), *line_columns()]  # fmt: skip
    book = Workbook(write_only=True)
    _sheet, add_order = xlsx_sheet(book, ORDERS_SHEET, ocols)
    _sheet, add_line = xlsx_sheet(book, LINES_SHEET, lcols)
    for order in orders:
        add_order([c.value(order) for c in ocols])
        for line in order.lines.all():
            line.order = order  # the loaded order, not another query
            add_line([c.value(line) for c in lcols])
    book.save(target)
