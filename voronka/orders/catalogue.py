"""The catalogue exchange: products with prices and stock in from CSV, XLSX or CommerceML
files, and out to the same formats, so that an export imported again changes nothing.

Every reader gives :class:`SourceRow` s — the raw values of one product with the column
(or XML element) each came from — and one service, :func:`catalogue_import`, applies
them: each row is matched to a product by its external id, else its SKU, else its exact
name; then created, updated (name, SKU, category, price, currency, stock, unit, VAT
rate), left unchanged, or rejected with the row and the field that is wrong. The plan
is made before anything is written: a preview (``dry_run``) shows it, and a file with
rejected rows changes nothing unless the person asks to apply the good rows
(``skip_bad_rows``) — and then exactly the rows the report calls good are applied.

Only the administrator and the head of sales change the catalogue (the product
services check it too). An offer for an item the files do not describe (an
``offers.xml`` alone) only updates the price and stock of a product Voronka knows.
"""

from __future__ import annotations

import io
import tempfile
import zipfile
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import IO, Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from voronka.core.errors import NotAllowed
from voronka.core.exporting import csv_text
from voronka.core.visibility import Family, can_write
from voronka.imports import values as read
from voronka.imports.reading import FileProblem, RowProblem, broken_text, open_table
from voronka.imports.suggest import EXTERNAL_ID_NAMES, normalise

FIELDS = ("external_id", "sku", "name", "category", "price", "currency", "stock", "unit",
          "vat_rate")  # fmt: skip
# What an offer alone may change: the product is the accounting system's, its price and
# stock are what the offer says.
OFFER_FIELDS = ("price", "currency", "stock")
LABELS = {
    "external_id": gettext_lazy("External id"), "sku": gettext_lazy("SKU"),
    "name": gettext_lazy("Name"), "category": gettext_lazy("Category"),
    "price": gettext_lazy("Price"), "currency": gettext_lazy("Currency"),
    "stock": gettext_lazy("In stock"), "unit": gettext_lazy("Unit"),
    "vat_rate": gettext_lazy("VAT rate, %"),
}  # fmt: skip
SYNONYMS: dict[str, tuple[str, ...]] = {
    "external_id": (*EXTERNAL_ID_NAMES, "внешний код", "ид товара", "product id"),
    "sku": ("артикул", "sku", "код товара", "item code", "article"),
    "name": ("наименование", "название", "name", "товар", "product", "номенклатура",
             "product name", "наименование товара", "title"),
    "category": ("категория", "category", "группа", "группа товаров", "раздел", "series",
                 "серия"),
    "price": ("цена", "price", "sales price", "стоимость", "розничная цена", "цена продажи",
              "цена за единицу", "unit price"),
    "currency": ("валюта", "currency"),
    "stock": ("остаток", "остатки", "в наличии", "на складе", "stock", "in stock", "quantity",
              "qty", "количество", "кол-во"),
    "unit": ("единица", "ед", "ед изм", "единица измерения", "базовая единица", "unit", "uom"),
    "vat_rate": ("ставка ндс", "ндс", "ндс %", "vat", "vat rate", "vat %", "tax rate"),
}  # fmt: skip
MAX_LENGTHS = {"external_id": 100, "sku": 60, "name": 200, "category": 120, "unit": 20}
CURRENCY_NAMES = {"руб": "RUB", "руб.": "RUB", "₽": "RUB", "rur": "RUB", "р.": "RUB",
                  "$": "USD", "€": "EUR"}  # fmt: skip
NO_VAT = {"без ндс", "без налога", "no vat", "none"}
XML_SUFFIXES = (".xml", ".zip")


def may_change_catalogue(user: Any) -> bool:
    return can_write(user, Family.CATALOG, None)


# --- Rows from the files -------------------------------------------------------------------


@dataclass
class FieldError:
    field: str
    column: str
    message: str


@dataclass
class SourceRow:
    """One product as a file gives it: the raw value and the column of each field present.

    A field absent from the file is left as the product has it; ``offer_only`` rows
    (an offer whose item the files do not describe) only update a known product.
    """

    source: str
    line: int
    cells: dict[str, Any] = field(default_factory=dict)
    columns: dict[str, str] = field(default_factory=dict)
    problems: list[FieldError] = field(default_factory=list)
    offer_only: bool = False

    def add(self, name: str, value: Any, column: str) -> None:
        self.cells[name] = value
        self.columns[name] = column

    def problem(self, name: str, column: str, message: str) -> None:
        self.problems.append(FieldError(name, column, message))


def known_columns() -> dict[str, str]:
    """Normalised column name → field: the synonyms, then our own headers in both
    languages (so an export always reads back)."""
    known: dict[str, str] = {}
    for name, words in SYNONYMS.items():
        for word in words:
            known.setdefault(normalise(word), name)
    for name, label in LABELS.items():
        for language in ("en", "ru"):
            with translation.override(language):
                known[normalise(str(label))] = name
        known[normalise(name)] = name
    return known


def column_fields(header: list[str]) -> tuple[dict[str, int], list[str]]:
    """Which column (by position) holds which field, the leftmost winning; and the columns
    left out."""
    known = known_columns()
    found: dict[str, int] = {}
    unused = []
    for i, column in enumerate(header):
        name = known.get(normalise(column))
        if name and name not in found:
            found[name] = i
        elif column:
            unused.append(column)
    return found, unused


def read_table(name: str, data: bytes) -> tuple[list[SourceRow], list[str]]:
    """The rows of a CSV or XLSX file, the first row naming the columns."""
    suffix = ".xlsx" if data[:4] == b"PK\x03\x04" else ".csv"
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"upload{suffix}"
        path.write_bytes(data)
        table = open_table(path)
        found, unused = column_fields(table.header)
        if not {"external_id", "sku", "name"} & set(found):
            list(table.rows())  # closes the file
            raise FileProblem(_("%(name)s has no column for the name, SKU or external id of "
                                "the products (its columns: %(columns)s).")
                              % {"name": name, "columns": ", ".join(table.header)})  # fmt: skip
        rows = []
        for line, cells in table.rows():
            row = SourceRow(source=name, line=line)
            broken = next((c for c in cells if isinstance(c, RowProblem)), None)
            if broken is not None:
                row.problem("", "", str(broken))
            for field_name, i in found.items():
                row.add(field_name, cells[i] if i < len(cells) else None, table.header[i])
            rows.append(row)
    notices = list(table.notices)
    if unused:
        notices.append(_("Columns left out: %(columns)s.") % {"columns": ", ".join(unused)})
    return rows, notices


def read_files(files: list[tuple[str, bytes]]) -> tuple[list[SourceRow], list[str]]:
    """Rows from one CSV/XLSX file, or from CommerceML files (XML, or a ZIP of them)."""
    from voronka.orders.commerceml import read_catalogue

    if not files:
        raise FileProblem(_("Choose a file."))
    for name, data in files:
        if not data:
            raise FileProblem(_("%(name)s is empty.") % {"name": name})
    tables = [n for n, d in files if _is_table(n, d)]
    if tables:
        if len(files) > 1:
            raise FileProblem(_("Give one CSV or XLSX file, or the CommerceML files "
                                "(import.xml, offers.xml or a ZIP of them)."))  # fmt: skip
        return read_table(*files[0])
    return read_catalogue(files)


def _is_table(name: str, data: bytes) -> bool:
    """A CSV or XLSX file, as opposed to CommerceML (XML, or a ZIP of XML files)."""
    if data.startswith(b"PK\x03\x04"):
        try:
            return "xl/workbook.xml" in zipfile.ZipFile(io.BytesIO(data)).namelist()
        except zipfile.BadZipFile:
            return name.lower().endswith(".xlsx")
    if name.lower().endswith(XML_SUFFIXES):
        return False
    return not data.lstrip(b"\xef\xbb\xbf \r\n\t").startswith(b"<")


# --- Values --------------------------------------------------------------------------------


def _text(value: Any, max_length: int) -> str:
    """Text as written (inner spaces kept, so that a name reads back unchanged)."""
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # XLSX keeps 12345 as 12345.0
    text = str(value).strip()
    if len(text) > max_length:
        raise read.CellError(
            _("%(n)s characters; at most %(max)s") % {"n": len(text), "max": max_length}
        )
    return text


def _number(value: Any, places: int, limit: Decimal) -> Decimal:
    number = read.decimal(value)
    step = Decimal(1).scaleb(-places)
    if isinstance(value, float) and abs(number - number.quantize(step)) < Decimal("1e-6"):
        number = number.quantize(step)  # a spreadsheet formula's 1499.9999999999998
    if number.as_tuple().exponent < -places and number != number.quantize(  # type: ignore[operator]
        Decimal(1).scaleb(-places)
    ):
        raise read.CellError(_("at most %(n)s digits after the decimal point") % {"n": places})
    if abs(number) >= limit:
        raise read.CellError(_("too large"))
    return number.quantize(Decimal(1).scaleb(-places))


def _vat(value: Any) -> Decimal | None:
    if isinstance(value, str):
        text = value.strip().casefold().rstrip("%").strip()
        if text in NO_VAT:
            return Decimal(0)
        value = text
    number = _number(value, 2, Decimal(1000))
    if not Decimal(0) <= number <= Decimal(100):
        raise read.CellError(_("must be from 0 to 100"))
    return number


def _currency(value: Any) -> str:
    text = str(value).strip()
    code = CURRENCY_NAMES.get(text.casefold(), text.upper())
    if len(code) != 3 or not code.isalpha() or not code.isascii():
        raise read.CellError(_("not a currency code like RUB: %(value)r") % {"value": text[:20]})
    return code


def parse_row(row: SourceRow) -> tuple[dict[str, Any], list[FieldError]]:
    """The row's values, checked: blank text clears a field, blank price or currency
    leaves it, blank stock or VAT rate means "not tracked" / "the default rate"."""
    values: dict[str, Any] = {}
    errors = list(row.problems)
    for name, raw in row.cells.items():
        column = row.columns.get(name, name)
        try:
            if broken_text(raw):
                raise read.CellError(_("the text is not valid in the file's encoding"))
            blank = read.is_blank(raw)
            if name in MAX_LENGTHS:
                text = "" if blank else _text(raw, MAX_LENGTHS[name])
                if name == "category":
                    values[name] = text or None
                elif name == "name" and not text:
                    continue  # no name: the product keeps its own
                else:
                    values[name] = text
            elif blank:
                if name in ("stock", "vat_rate"):
                    values[name] = None
            elif name == "price":
                price = _number(raw, 2, Decimal("1e14"))
                if price < 0:
                    raise read.CellError(_("cannot be negative"))
                values[name] = price
            elif name == "stock":
                values[name] = _number(raw, 3, Decimal("1e11"))
            elif name == "vat_rate":
                values[name] = _vat(raw)
            elif name == "currency":
                values[name] = _currency(raw)
        except read.CellError as error:
            errors.append(FieldError(name, column, str(error)))
    return values, errors


# --- The plan ------------------------------------------------------------------------------


@dataclass
class RowReport:
    source: str
    line: int
    result: str = "rejected"  # created, updated, unchanged or rejected
    name: str = ""
    product_id: int | None = None
    changes: list[str] = field(default_factory=list)
    errors: list[FieldError] = field(default_factory=list)
    data: dict[str, Any] = field(default_factory=dict, repr=False)
    product: Any = field(default=None, repr=False)

    def as_json(self) -> dict[str, Any]:
        return {"file": self.source, "row": self.line, "result": self.result, "name": self.name,
                "product_id": self.product_id, "changes": self.changes,
                "errors": [e.__dict__ for e in self.errors]}  # fmt: skip


@dataclass
class ImportReport:
    rows: list[RowReport]
    notices: list[str] = field(default_factory=list)
    new_categories: list[str] = field(default_factory=list)
    dry_run: bool = False
    skip_bad_rows: bool = False
    applied: bool = False

    @property
    def counts(self) -> dict[str, int]:
        counts = dict.fromkeys(("created", "updated", "unchanged", "rejected"), 0)
        for row in self.rows:
            counts[row.result] += 1
        return counts

    @property
    def rejected(self) -> list[RowReport]:
        return [r for r in self.rows if r.result == "rejected"]

    def as_json(self) -> dict[str, Any]:
        return {"dry_run": self.dry_run, "skip_bad_rows": self.skip_bad_rows,
                "applied": self.applied, "counts": self.counts, "notices": self.notices,
                "new_categories": self.new_categories,
                "rows": [r.as_json() for r in self.rows]}  # fmt: skip


class Catalogue:
    """The products as they are, indexed for matching, and the rows' claims on them."""

    def __init__(self) -> None:
        from voronka.sales.models import Product, ProductCategory

        self.products = list(Product.objects.select_related("category").order_by("pk"))
        self.by_pk = {p.pk: p for p in self.products}
        self.by_external: dict[str, list[Any]] = defaultdict(list)
        self.by_sku: dict[str, list[Any]] = defaultdict(list)
        self.by_name: dict[str, list[Any]] = defaultdict(list)
        for p in self.products:
            if p.external_id:
                self.by_external[p.external_id].append(p)
            if p.sku:
                self.by_sku[p.sku].append(p)
            self.by_name[p.name].append(p)
        self.categories = set(ProductCategory.objects.values_list("name", flat=True))
        self.claimed: dict[int, int] = {}  # product pk → the line that changes it
        self.new_keys: dict[tuple[str, str], int] = {}  # a new product's key → its line

    def match(self, values: dict[str, Any], row: SourceRow) -> tuple[Any, list[FieldError]]:
        """The product the row means (None: a new one), or the reason it cannot tell."""
        from voronka.orders.commerceml import own_product_pk

        column = row.columns.get
        external = values.get("external_id") or ""
        own = own_product_pk(external)
        if own is not None:
            values.pop("external_id")  # Voronka's own id is never stored
            external = ""
            if own in self.by_pk:
                return self.by_pk[own], []
        if external:
            found = self.by_external.get(external, [])
            if len(found) > 1:
                return None, [FieldError("external_id", column("external_id", ""),
                                         _("several products have this external id"))]  # fmt: skip
            if found:
                return found[0], []
        sku, name = values.get("sku") or "", values.get("name") or ""
        for key, value, index in (("sku", sku, self.by_sku), ("name", name, self.by_name)):
            if not value:
                continue
            candidates = [p for p in index.get(value, [])
                          if (not external or not p.external_id)
                          and (key == "sku" or not sku or not p.sku)]  # fmt: skip
            if len(candidates) > 1:
                message = _("several products match %(value)r") % {"value": value}
                return None, [FieldError(key, column(key, key), message)]
            if candidates:
                return candidates[0], []
            if key == "sku" and index.get(value):
                other = index[value][0]
                message = _(
                    "SKU %(sku)s is the product «%(name)s», whose external id is %(id)s"
                ) % {"sku": value, "name": other.name, "id": other.external_id}
                return None, [FieldError("sku", column("sku", "sku"), message)]
        return None, []


def _changes(product: Any, values: dict[str, Any], offer_only: bool) -> dict[str, Any]:
    changes: dict[str, Any] = {}
    for name, value in values.items():
        if offer_only and name not in OFFER_FIELDS:
            continue
        if name == "external_id":
            if value and not product.external_id:
                changes[name] = value
        elif name == "category":
            current = product.category.name if product.category_id else None
            if value != current:
                changes[name] = value
        elif getattr(product, name) != value:
            changes[name] = value
    return changes


def plan_row(catalogue: Catalogue, row: SourceRow) -> RowReport:
    report = RowReport(source=row.source, line=row.line)
    values, errors = parse_row(row)
    report.name = values.get("name") or ""
    if not errors:
        product, errors = catalogue.match(values, row)
    if errors:
        report.errors = errors
        return report
    if product is not None:
        earlier = catalogue.claimed.get(product.pk)
        if earlier is not None:
            report.errors = [_same_as(row, earlier)]
            return report
        catalogue.claimed[product.pk] = row.line
        report.product, report.product_id, report.name = product, product.pk, product.name
        report.data = _changes(product, values, row.offer_only)
        report.result = "updated" if report.data else "unchanged"
    elif row.offer_only:
        name = "external_id" if values.get("external_id") or "external_id" in row.cells else "name"
        report.errors = [FieldError(name, row.columns.get(name, name),
                                    _("no such product in the catalogue; import the items "
                                      "(import.xml) first, or with the offers"))]  # fmt: skip
        return report
    elif not values.get("name"):
        report.errors = [FieldError("name", row.columns.get("name", "name"),
                                    _("a new product needs a name"))]  # fmt: skip
        return report
    else:
        for key in ("external_id", "sku", "name"):
            if values.get(key):
                earlier = catalogue.new_keys.get((key, values[key]))
                if earlier is not None:
                    report.errors = [_same_as(row, earlier, key)]
                    return report
        for key in ("external_id", "sku", "name"):
            if values.get(key):
                catalogue.new_keys[(key, values[key])] = row.line
        report.data = {k: v for k, v in values.items() if v is not None or k == "category"}
        report.result = "created"
    report.changes = [str(LABELS[name]) for name in report.data]
    return report


def _same_as(row: SourceRow, earlier: int, key: str = "external_id") -> FieldError:
    return FieldError(key, row.columns.get(key, key),
                      _("the same product as row %(line)s") % {"line": earlier})  # fmt: skip


# --- The service ---------------------------------------------------------------------------


def catalogue_import(
    *, actor: Any, files: list[tuple[str, bytes]], dry_run: bool = False,
    skip_bad_rows: bool = False,
) -> ImportReport:  # fmt: skip
    """Import products from ``files`` (name, content); see the module's docstring.

    A file that cannot be read raises ValidationError on ``file``; rows with errors are
    reported, and change nothing unless ``skip_bad_rows``.
    """
    if not may_change_catalogue(actor):
        raise NotAllowed(_("Only an administrator or the head of sales changes the catalogue."))
    try:
        rows, notices = read_files(files)
    except FileProblem as problem:
        raise ValidationError({"file": str(problem)}) from None
    catalogue = Catalogue()
    report = ImportReport([plan_row(catalogue, row) for row in rows], notices,
                          dry_run=dry_run, skip_bad_rows=skip_bad_rows)  # fmt: skip
    report.new_categories = sorted({r.data["category"] for r in report.rows
                                    if r.result in ("created", "updated")
                                    and r.data.get("category")} - catalogue.categories)  # fmt: skip
    if dry_run or (report.rejected and not skip_bad_rows):
        return report
    _apply(actor, report)
    report.applied = True
    return report


def _apply(actor: Any, report: ImportReport) -> None:
    from voronka.sales import services as sales
    from voronka.sales.models import ProductCategory

    with transaction.atomic():
        categories = {c.name: c for c in ProductCategory.objects.all()}
        for name in report.new_categories:
            categories[name] = ProductCategory.objects.get_or_create(name=name)[0]
        for row in report.rows:
            if row.result not in ("created", "updated"):
                continue
            data = dict(row.data)
            if "category" in data:
                data["category"] = categories[data["category"]] if data["category"] else None
            try:
                if row.result == "created":
                    row.product = sales.product_create(actor=actor, data=data)
                    row.product_id = row.product.pk
                else:
                    sales.product_update(actor=actor, product=row.product,
                                         version=row.product.version, data=data)  # fmt: skip
            except ValidationError as exc:
                raise ValidationError({"file": _("%(file)s, row %(line)s: %(error)s") % {
                    "file": row.source, "line": row.line,
                    "error": "; ".join(exc.messages)}}) from None  # fmt: skip


# --- The catalogue out ---------------------------------------------------------------------


def catalogue_products(user: Any) -> list[Any]:
    """The active products ``user`` sees, by name, with their categories."""
    from voronka.sales.queries import products_visible_to

    return list(products_visible_to(user).filter(is_active=True).select_related("category")
                .order_by("name", "pk"))  # fmt: skip


def _row(product: Any) -> list[Any]:
    from voronka.orders.exchange import plain

    return [product.external_id, product.sku, product.name,
            product.category.name if product.category_id else "", product.price,
            product.currency, plain(product.stock), product.unit,
            plain(product.vat_rate)]  # fmt: skip


def write_catalogue(fmt: str, products: list[Any], target: IO[bytes], *,
                    generated_at: datetime | None = None) -> None:  # fmt: skip
    """The catalogue as CSV, XLSX or CommerceML (a ZIP of import.xml and offers.xml)."""
    from voronka.orders import commerceml
    from voronka.orders.exchange import csv_writer, xlsx_sheet

    headers = [str(LABELS[name]) for name in FIELDS]
    if fmt == "csv":
        writer, text = csv_writer(target)
        writer.writerow(headers)
        writer.writerows([csv_text(v) for v in _row(p)] for p in products)
        text.flush()
        text.detach()
    elif fmt == "xlsx":
        from openpyxl import Workbook

        from voronka.orders.exchange import Col

        book = Workbook(write_only=True)
        kinds = {"price": "money", "stock": "decimal", "vat_rate": "decimal"}
        cols = [Col(h, lambda p: p, kinds.get(n, "text")) for h, n in zip(headers, FIELDS,
                                                                          strict=True)]  # fmt: skip
        _sheet, add = xlsx_sheet(book, _("Catalogue"), cols)
        for product in products:
            add(_row(product))
        book.save(target)
    else:
        commerceml.write_catalogue(products, target, generated_at=generated_at or timezone.now())


def catalogue_filename(fmt: str) -> str:
    from voronka.core import organisation

    day = timezone.localdate(timezone=organisation.current().tz).isoformat()
    return f"voronka-catalogue-{day}.{'zip' if fmt == 'commerceml' else fmt}"


def describe(rows: Iterable[RowReport]) -> list[str]:
    """The rejected rows as lines a person reads: «file, row 5, price (Цена): not a number»."""
    lines = []
    for row in rows:
        for error in row.errors:
            where = f"{error.field} ({error.column})" if error.column and error.column != \
                error.field else error.field  # fmt: skip
            lines.append(_("%(file)s, row %(line)s, %(field)s: %(message)s") % {
                "file": row.source, "line": row.line, "field": where or _("row"),
                "message": error.message})  # fmt: skip
    return lines
