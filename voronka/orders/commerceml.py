"""CommerceML 2 (schema 2.05), the format 1C and most Russian shop engines exchange:
orders out as documents, the catalogue out as ``import.xml`` and ``offers.xml``, and the
catalogue in from those two files (either alone, or a ZIP holding them as 1C sends).

Elements are written in the order of the schema's sequences — 1C's reader depends on
it: a document is Ид, Номер, Дата, ХозОперация, Роль, Валюта, Курс, Сумма, Контрагенты,
Время, Комментарий, Налоги, Товары, ЗначенияРеквизитов; an item of a document is the
catalogue item's own elements (Ид, Артикул, Наименование, БазоваяЕдиница,
СтавкиНалогов, ЗначенияРеквизитов) followed by the document's (ЦенаЗаЕдиницу,
Количество, Сумма, Налоги, Скидки). Money is written as ``1234.50``, dates as
``YYYY-MM-DD`` and times as ``HH:MM:SS`` in the organisation's time zone, and the values
1C shows to people (statuses, delivery methods) in Russian whatever the interface
language, as 1C expects them.

Files coming in are parsed with ``defusedxml`` with document type declarations
forbidden: no entity is ever expanded (no "billion laughs") and nothing is fetched
from the network or the disk (no external entities). The reader turns items and
offers into the same rows a CSV file gives (:class:`voronka.orders.catalogue.SourceRow`),
so one service applies both.
"""

from __future__ import annotations

import hashlib
import io
import zipfile
from collections.abc import Iterable, Iterator
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import IO, Any
from xml.etree import ElementTree as ET  # noqa: S405 - writing only; reading uses defusedxml
from xml.sax.saxutils import quoteattr  # noqa: S406 - escaping our own attribute values

from django.utils import timezone
from django.utils.translation import gettext as _

from voronka.core import organisation
from voronka.imports.reading import FileProblem
from voronka.orders.catalogue import SourceRow
from voronka.orders.models import FINAL_STATUSES, Order, PaymentStatus, Status
from voronka.orders.totals import to_cents

NS = "urn:1C.ru:commerceml_2"
VERSION = "2.05"
PIECE = "796"
# OKEI codes of the common units: code → (short name, full name, international code).
UNITS: dict[str, tuple[str, str, str]] = {
    "796": ("шт", "Штука", "PCE"), "166": ("кг", "Килограмм", "KGM"),
    "163": ("г", "Грамм", "GRM"), "006": ("м", "Метр", "MTR"),
    "055": ("м2", "Квадратный метр", "MTK"), "113": ("м3", "Кубический метр", "MTQ"),
    "112": ("л", "Литр", "LTR"), "356": ("ч", "Час", "HUR"),
    "778": ("упак", "Упаковка", "NMP"), "839": ("компл", "Комплект", "SET"),
}  # fmt: skip
_UNIT_NAMES = {"шт.": "796", "штука": "796", "pcs": "796", "pc": "796", "кг.": "166",
               "г.": "163", "м.": "006", "м²": "055", "м³": "113", "л.": "112",
               "час": "356", "ч.": "356", "упак.": "778", "компл.": "839"}  # fmt: skip
STATUS_NAMES: dict[str, str] = {
    Status.NEW: "Новый", Status.CONFIRMED: "Подтверждён", Status.PAID: "Оплачен",
    Status.ASSEMBLED: "Собран", Status.SHIPPED: "Отгружен", Status.DELIVERED: "Доставлен",
    Status.CANCELLED: "Отменён", Status.RETURNED: "Возвращён",
}  # fmt: skip
DELIVERY_NAMES = {
    "pickup": "Самовывоз", "courier": "Курьер", "post": "Почта",
    "carrier": "Транспортная компания", "digital": "Электронная доставка",
}  # fmt: skip
VAT = "НДС"
PRICE_TYPE_ID = "voronka-price"
CATALOGUE_ID, CLASSIFIER_ID, OFFERS_ID = "voronka-catalogue", "voronka-classifier", "voronka-offers"
# Voronka's own id of a product that has no external one: it finds the product again and
# is never stored as an external id.
PRODUCT_ID_PREFIX = "voronka-product-"
MAX_MEMBER = 64 * 1024 * 1024  # the most one file inside a ZIP may unpack to
MAX_MEMBERS = 20


# --- Values -------------------------------------------------------------------------------


def money(value: Decimal) -> str:
    return format(to_cents(value), "f")


def number(value: Decimal) -> str:
    """A quantity, rate or coefficient without trailing zeros: 2, 1.5, 22."""
    if value == value.to_integral():
        return format(value.quantize(Decimal(1)), "f")
    return format(value.normalize(), "f")


def flag(value: bool) -> str:
    return "true" if value else "false"


def _local(value: datetime) -> datetime:
    return timezone.localtime(value, organisation.current().tz).replace(microsecond=0)


def stamp(value: datetime) -> str:
    """xs:dateTime in the organisation's local time, as 1C writes it: 2026-11-30T12:00:00."""
    return _local(value).replace(tzinfo=None).isoformat(timespec="seconds")


def unit_code(unit: str) -> str | None:
    """The OKEI code of a unit written as people write it; an empty unit is a piece."""
    key = (unit or "").strip().casefold()
    if not key:
        return PIECE
    for code, (short, full, intl) in UNITS.items():
        if key in (short, full.casefold(), intl.casefold()):
            return code
    return _UNIT_NAMES.get(key)


def product_id(product: Any) -> str:
    return product.external_id or f"{PRODUCT_ID_PREFIX}{product.pk}"


def own_product_pk(external_id: str) -> int | None:
    """The product's pk when ``external_id`` is one Voronka made, else None."""
    rest = external_id.removeprefix(PRODUCT_ID_PREFIX)
    return int(rest) if rest != external_id and rest.isdigit() and len(rest) < 19 else None


# --- Writing ------------------------------------------------------------------------------


def sub(parent: ET.Element, tag: str, text: Any = None, **attrs: str) -> ET.Element:
    element = ET.SubElement(parent, tag, attrs)
    if text is not None:
        element.text = str(text)
    return element


def requisites(parent: ET.Element, values: Iterable[tuple[str, str]]) -> None:
    block = sub(parent, "ЗначенияРеквизитов")
    for name, value in values:
        item = sub(block, "ЗначениеРеквизита")
        sub(item, "Наименование", name)
        sub(item, "Значение", value)


def base_unit(parent: ET.Element, unit: str) -> None:
    """БазоваяЕдиница: the unit as written, with its OKEI code, full and international name
    when the unit is a known one (an empty unit is a piece)."""
    code = unit_code(unit)
    attrs: dict[str, str] = {}
    if code in UNITS:
        short, full, intl = UNITS[code]
        attrs = {"Код": code, "НаименованиеПолное": full, "МеждународноеСокращение": intl}
        unit = unit or short
    sub(parent, "БазоваяЕдиница", unit, **attrs)


def _open_root(out: io.TextIOBase, generated_at: datetime) -> None:
    out.write('<?xml version="1.0" encoding="UTF-8"?>\n')
    out.write(f"<КоммерческаяИнформация xmlns={quoteattr(NS)} ВерсияСхемы={quoteattr(VERSION)} "
              f"ДатаФормирования={quoteattr(stamp(generated_at))}>\n")  # fmt: skip


def _write(out: io.TextIOBase, element: ET.Element) -> None:
    ET.indent(element, space="  ", level=1)
    out.write("  " + ET.tostring(element, encoding="unicode") + "\n")


def write_orders(orders: Iterable[Order], target: IO[bytes], *, generated_at: datetime) -> None:
    """Each order as a Документ «Заказ товара», written one at a time into ``target``."""
    out = io.TextIOWrapper(target, encoding="utf-8", newline="\n")
    _open_root(out, generated_at)
    for order in orders:
        _write(out, order_document(order))
    out.write("</КоммерческаяИнформация>\n")
    out.flush()
    out.detach()


def order_document(order: Order) -> ET.Element:
    lines = list(order.lines.all())
    include_vat = order.prices_include_vat
    doc = ET.Element("Документ")
    sub(doc, "Ид", order.external_id or f"voronka-order-{order.pk}")
    sub(doc, "Номер", order.number)
    received = _local(order.created_at)
    sub(doc, "Дата", received.date().isoformat())
    sub(doc, "ХозОперация", "Заказ товара")
    sub(doc, "Роль", "Продавец")
    sub(doc, "Валюта", order.currency)
    sub(doc, "Курс", number(order.exchange_rate))
    sub(doc, "Сумма", money(order.total))
    counterparty(sub(doc, "Контрагенты"), order)
    sub(doc, "Время", received.time().isoformat(timespec="seconds"))
    if order.notes:
        sub(doc, "Комментарий", order.notes)
    if any(line.vat_rate > 0 for line in lines):
        tax = sub(sub(doc, "Налоги"), "Налог")
        sub(tax, "Наименование", VAT)
        sub(tax, "УчтеноВСумме", flag(include_vat))
        sub(tax, "Сумма", money(order.vat_total))
    items = sub(doc, "Товары")
    for line in lines:
        order_item(sub(items, "Товар"), line, include_vat)
    values = [
        ("Статус заказа", STATUS_NAMES.get(order.status, order.status)),
        ("Оплачен", flag(order.payment_status == PaymentStatus.PAID)),
    ]
    if order.payment_status == PaymentStatus.PAID and order.paid_at:
        values.append(("Дата оплаты", stamp(order.paid_at)))
    values += [
        ("Отменен", flag(order.status == Status.CANCELLED)),
        ("Финальный статус", flag(order.status in FINAL_STATUSES)),
        ("Способ доставки", DELIVERY_NAMES.get(order.delivery_method, order.delivery_method)),
    ]
    if order.delivery_address:
        values.append(("Адрес доставки", order.delivery_address))
    requisites(doc, values)
    return doc


def counterparty(parent: ET.Element, order: Order) -> None:
    """The buyer: the company (with its tax id) or, for a private client, the contact."""
    party = sub(parent, "Контрагент")
    company, contact = order.company, order.contact
    if company is not None:
        sub(party, "Ид", f"voronka-company-{company.pk}")
        sub(party, "Наименование", company.name)
        sub(party, "ОфициальноеНаименование", company.name)
        tax_id = (company.tax_id or "").strip()
        if tax_id.isdigit() and len(tax_id) in (10, 12):
            sub(party, "ИНН", tax_id)
        address, email, phone = company.address, company.email, company.phone
    else:
        name = " ".join(p for p in (contact.last_name, contact.first_name,  # type: ignore[union-attr]
                                    contact.middle_name) if p)  # type: ignore[union-attr]  # fmt: skip
        sub(party, "Ид", f"voronka-contact-{contact.pk}")  # type: ignore[union-attr]
        sub(party, "Наименование", name)
        sub(party, "ПолноеНаименование", name)
        if contact.last_name:  # type: ignore[union-attr]
            sub(party, "Фамилия", contact.last_name)  # type: ignore[union-attr]
        sub(party, "Имя", contact.first_name)  # type: ignore[union-attr]
        if contact.middle_name:  # type: ignore[union-attr]
            sub(party, "Отчество", contact.middle_name)  # type: ignore[union-attr]
        address, email, phone = contact.address, contact.email, contact.phone  # type: ignore[union-attr]
    if address:
        sub(sub(party, "Адрес"), "Представление", address)
    email, phone = email or order.client_email, phone or order.client_phone
    if email or phone:
        contacts = sub(party, "Контакты")
        for kind, value in (("Почта", email), ("Телефон рабочий", phone)):
            if value:
                item = sub(contacts, "Контакт")
                sub(item, "Тип", kind)
                sub(item, "Значение", value)
    sub(party, "Роль", "Покупатель")


def order_item(item: ET.Element, line: Any, include_vat: bool) -> None:
    if line.product_id:
        ident = product_id(line.product)
    else:
        digest = hashlib.sha1(f"{line.sku}|{line.name}".encode(), usedforsecurity=False)
        ident = f"voronka-item-{digest.hexdigest()[:20]}"
    sub(item, "Ид", ident)
    if line.sku:
        sub(item, "Артикул", line.sku)
    sub(item, "Наименование", line.name)
    base_unit(item, line.unit)
    rate = sub(sub(item, "СтавкиНалогов"), "СтавкаНалога")
    sub(rate, "Наименование", VAT)
    sub(rate, "Ставка", number(line.vat_rate))
    requisites(item, [("ВидНоменклатуры", "Товар"), ("ТипНоменклатуры", "Товар")])
    sub(item, "ЦенаЗаЕдиницу", money(line.unit_price))
    sub(item, "Количество", number(line.quantity))
    sub(item, "Сумма", money(line.gross - line.discount))
    tax = sub(sub(item, "Налоги"), "Налог")
    sub(tax, "Наименование", VAT)
    sub(tax, "УчтеноВСумме", flag(include_vat))
    sub(tax, "Сумма", money(line.vat))
    sub(tax, "Ставка", number(line.vat_rate))
    if line.discount > 0:
        discount = sub(sub(item, "Скидки"), "Скидка")
        sub(discount, "Наименование", "Скидка")
        sub(discount, "Сумма", money(line.discount))
        sub(discount, "Процент", number(line.discount_percent))
        sub(discount, "УчтеноВСумме", "true")


# --- The catalogue out --------------------------------------------------------------------


def _owner(parent: ET.Element) -> None:
    owner = sub(parent, "Владелец")
    sub(owner, "Ид", "voronka-organisation")
    sub(owner, "Наименование", organisation.current().name)


def _document(build: Any, generated_at: datetime) -> bytes:
    out = io.StringIO()
    _open_root(out, generated_at)
    for element in build():
        _write(out, element)
    out.write("</КоммерческаяИнформация>\n")
    return out.getvalue().encode("utf-8")


def catalogue_import_xml(products: list[Any], generated_at: datetime) -> bytes:
    """import.xml: the classifier with a group per category, and the catalogue's items."""
    categories = {p.category_id: p.category for p in products if p.category_id}

    def build() -> Iterator[ET.Element]:
        classifier = ET.Element("Классификатор")
        sub(classifier, "Ид", CLASSIFIER_ID)
        sub(classifier, "Наименование", "Классификатор (Voronka)")
        _owner(classifier)
        if categories:
            groups = sub(classifier, "Группы")
            for pk, category in sorted(categories.items(), key=lambda kv: kv[1].name):
                group = sub(groups, "Группа")
                sub(group, "Ид", f"voronka-category-{pk}")
                sub(group, "Наименование", category.name)
        yield classifier
        catalogue = ET.Element("Каталог")
        sub(catalogue, "Ид", CATALOGUE_ID)
        sub(catalogue, "ИдКлассификатора", CLASSIFIER_ID)
        sub(catalogue, "Наименование", "Каталог товаров")
        _owner(catalogue)
        items = sub(catalogue, "Товары")
        for product in products:
            item = sub(items, "Товар")
            sub(item, "Ид", product_id(product))
            if product.sku:
                sub(item, "Артикул", product.sku)
            sub(item, "Наименование", product.name)
            if product.unit:
                base_unit(item, product.unit)
            if product.category_id:
                sub(sub(item, "Группы"), "Ид", f"voronka-category-{product.category_id}")
            if product.vat_rate is not None:
                rate = sub(sub(item, "СтавкиНалогов"), "СтавкаНалога")
                sub(rate, "Наименование", VAT)
                sub(rate, "Ставка", number(product.vat_rate))
            requisites(item, [("ВидНоменклатуры", "Товар"), ("ТипНоменклатуры", "Товар")])
        yield catalogue

    return _document(build, generated_at)


def catalogue_offers_xml(products: list[Any], generated_at: datetime) -> bytes:
    """offers.xml: one price type, and each item's price, currency and stock."""

    def build() -> Iterator[ET.Element]:
        package = ET.Element("ПакетПредложений")
        sub(package, "Ид", OFFERS_ID)
        sub(package, "Наименование", "Пакет предложений")
        sub(package, "ИдКаталога", CATALOGUE_ID)
        sub(package, "ИдКлассификатора", CLASSIFIER_ID)
        _owner(package)
        price_type = sub(sub(package, "ТипыЦен"), "ТипЦены")
        sub(price_type, "Ид", PRICE_TYPE_ID)
        sub(price_type, "Наименование", "Цена продажи")
        sub(price_type, "Валюта", organisation.current().base_currency)
        offers = sub(package, "Предложения")
        for product in products:
            offer = sub(offers, "Предложение")
            sub(offer, "Ид", product_id(product))
            if product.sku:
                sub(offer, "Артикул", product.sku)
            sub(offer, "Наименование", product.name)
            if product.unit:
                base_unit(offer, product.unit)
            price = sub(sub(offer, "Цены"), "Цена")
            sub(price, "ИдТипаЦены", PRICE_TYPE_ID)
            sub(price, "ЦенаЗаЕдиницу", money(product.price))
            sub(price, "Валюта", product.currency)
            if product.stock is not None:
                sub(offer, "Количество", number(product.stock))
        yield package

    return _document(build, generated_at)


def write_catalogue(products: list[Any], target: IO[bytes], *, generated_at: datetime) -> None:
    """A ZIP with import.xml and offers.xml, as 1C sends a catalogue."""
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("import.xml", catalogue_import_xml(products, generated_at))
        archive.writestr("offers.xml", catalogue_offers_xml(products, generated_at))


# --- The catalogue in ---------------------------------------------------------------------


def _local_name(tag: Any) -> str:
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def _child(element: Any, name: str) -> Any:
    if element is None:
        return None
    for child in element:
        if _local_name(child.tag) == name:
            return child
    return None


def _children(element: Any, name: str) -> list[Any]:
    return [child for child in element if _local_name(child.tag) == name] if element is not None \
        else []  # fmt: skip


def _text(element: Any) -> str:
    return (element.text or "").strip() if element is not None else ""


def parse_xml(name: str, data: bytes) -> Any:
    """The root of a CommerceML file; FileProblem if it is not one, or declares a DTD."""
    from defusedxml import DefusedXmlException
    from defusedxml.ElementTree import ParseError, fromstring

    try:
        root = fromstring(data, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except DefusedXmlException:
        raise FileProblem(_("%(name)s declares a document type or entities; such XML is refused "
                            "for safety.") % {"name": name}) from None  # fmt: skip
    except (ParseError, ValueError) as error:
        raise FileProblem(_("%(name)s is not well-formed XML (%(error)s).")
                          % {"name": name, "error": error}) from None  # fmt: skip
    if _local_name(root.tag) != "КоммерческаяИнформация":
        raise FileProblem(_("%(name)s is not a CommerceML file (no КоммерческаяИнформация).")
                          % {"name": name})  # fmt: skip
    return root


def unpack(name: str, data: bytes) -> list[tuple[str, bytes]]:
    """The XML files of a ZIP as 1C sends it (pictures and folders left out)."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile:
        raise FileProblem(_("%(name)s is not a readable ZIP file.") % {"name": name}) from None
    members = [m for m in archive.infolist() if not m.is_dir()
               and m.filename.lower().endswith(".xml")]  # fmt: skip
    if not members:
        raise FileProblem(_("%(name)s holds no XML file.") % {"name": name})
    if len(members) > MAX_MEMBERS:
        raise FileProblem(_("%(name)s holds too many XML files.") % {"name": name})
    files = []
    for member in members:
        if member.file_size > MAX_MEMBER:
            raise FileProblem(_("%(name)s is too large to unpack.") % {"name": member.filename})
        with archive.open(member) as f:
            content = f.read(MAX_MEMBER + 1)  # the header's size may lie
        if len(content) > MAX_MEMBER:
            raise FileProblem(_("%(name)s is too large to unpack.") % {"name": member.filename})
        files.append((member.filename.rsplit("/", 1)[-1], content))
    return files


def _unit(element: Any) -> str | None:
    if element is None:
        return None
    text = _text(element) or element.get("НаименованиеКраткое", "").strip()
    if text:
        return text
    code = element.get("Код", "").strip()
    if code in UNITS:
        return UNITS[code][0]
    return element.get("НаименованиеПолное", "").strip()


def _groups(element: Any, found: dict[str, str]) -> None:
    for group in _children(_child(element, "Группы"), "Группа"):
        ident, name = _text(_child(group, "Ид")), _text(_child(group, "Наименование"))
        if ident:
            found[ident] = name
        _groups(group, found)


def _vat(item: Any) -> str | None:
    rates = _child(item, "СтавкиНалогов")
    if rates is None:
        return None
    for rate in _children(rates, "СтавкаНалога"):
        if _text(_child(rate, "Наименование")).casefold() == VAT.casefold():
            return _text(_child(rate, "Ставка"))
    return None


def _deleted(item: Any) -> bool:
    mark = _text(_child(item, "ПометкаУдаления")).casefold()
    return mark == "true" or item.get("Статус", "") == "Удален"


def _item_row(source: str, n: int, item: Any, groups: dict[str, str]) -> SourceRow:
    row = SourceRow(source=source, line=n)
    row.add("external_id", _text(_child(item, "Ид")), "Ид")
    for field, tag in (("sku", "Артикул"), ("name", "Наименование")):
        element = _child(item, tag)
        if element is not None:
            row.add(field, _text(element), tag)
    unit = _unit(_child(item, "БазоваяЕдиница"))
    if unit is not None:
        row.add("unit", unit, "БазоваяЕдиница")
    group_ids = [_text(g) for g in _children(_child(item, "Группы"), "Ид") if _text(g)]
    if group_ids:
        if group_ids[0] in groups:
            row.add("category", groups[group_ids[0]], "Группы")
        else:
            row.problem(
                "category",
                "Группы",
                _("no group with Ид %(id)s in the classifier") % {"id": group_ids[0]},
            )
    vat = _vat(item)
    if vat is not None:
        row.add("vat_rate", vat, "СтавкиНалогов")
    return row


def _offer_values(row: SourceRow, offer: Any, price_type: str, currency: str) -> None:
    prices = _children(_child(offer, "Цены"), "Цена")
    chosen = next((p for p in prices if _text(_child(p, "ИдТипаЦены")) == price_type), None)
    chosen = chosen if chosen is not None else (prices[0] if prices else None)
    if chosen is not None:
        row.add("price", _text(_child(chosen, "ЦенаЗаЕдиницу")), "ЦенаЗаЕдиницу")
        row.add("currency", _text(_child(chosen, "Валюта")) or currency, "Валюта")
    quantity = _child(offer, "Количество")
    if quantity is not None:
        row.add("stock", _text(quantity), "Количество")
    else:
        stores = _children(offer, "Склад")
        if stores:
            try:
                total = sum((Decimal(s.get("КоличествоНаСкладе", "0").strip() or "0")
                             for s in stores), Decimal(0))  # fmt: skip
            except InvalidOperation:
                row.problem("stock", "Склад", _("КоличествоНаСкладе is not a number"))
                return
            row.add("stock", format(total, "f"), "Склад")


def read_catalogue(files: list[tuple[str, bytes]]) -> tuple[list[SourceRow], list[str]]:
    """The rows of CommerceML files: each catalogue item with its offer's price and stock,
    and, for an offer whose item is not in the files, a row that only updates a known
    product's price and stock. Returns the rows and notices for the person."""
    xml: list[tuple[str, bytes]] = []
    for name, data in files:
        xml += unpack(name, data) if data[:4] == b"PK\x03\x04" else [(name, data)]
    roots = [(name, parse_xml(name, data)) for name, data in xml]
    groups: dict[str, str] = {}
    for _name, root in roots:
        classifier = _child(root, "Классификатор")
        if classifier is not None:
            _groups(classifier, groups)
    rows: list[SourceRow] = []
    by_id: dict[str, SourceRow] = {}
    notices: list[str] = []
    deleted = 0
    for name, root in roots:
        items = _children(_child(_child(root, "Каталог"), "Товары"), "Товар")
        for n, item in enumerate(items, start=1):
            if _deleted(item):
                deleted += 1
                continue
            row = _item_row(name, n, item, groups)
            rows.append(row)
            if row.cells.get("external_id"):
                by_id.setdefault(row.cells["external_id"], row)
    for name, root in roots:
        package = _child(root, "ПакетПредложений")
        if package is None:
            continue
        types = _children(_child(package, "ТипыЦен"), "ТипЦены")
        price_type = _text(_child(types[0], "Ид")) if types else ""
        currency = _text(_child(types[0], "Валюта")) if types else ""
        for n, offer in enumerate(_children(_child(package, "Предложения"), "Предложение"), 1):
            if _deleted(offer):
                deleted += 1
                continue
            ident = _text(_child(offer, "Ид"))
            found = by_id.get(ident) if ident else None
            if found is None:
                row = SourceRow(source=name, line=n, offer_only=True)
                row.add("external_id", ident, "Ид")
                for field, tag in (("sku", "Артикул"), ("name", "Наименование")):
                    if _child(offer, tag) is not None:
                        row.add(field, _text(_child(offer, tag)), tag)
                rows.append(row)
            else:
                row = found
            _offer_values(row, offer, price_type, currency)
    if not rows and not deleted:
        raise FileProblem(_("The files hold no catalogue items (Каталог) and no offers "
                            "(ПакетПредложений)."))  # fmt: skip
    if deleted:
        notices.append(
            _(
                "%(n)s items marked for deletion in the accounting system were left "
                "out: Voronka does not delete products by import."
            )
            % {"n": deleted}
        )
    return rows, notices
