"""The catalogue import: matching, the report, all or nothing, good rows only, CommerceML
groups and offers, and XML that tries to expand entities."""

from __future__ import annotations

import io
import zipfile
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError

from tests import factories
from voronka.core.errors import NotAllowed
from voronka.orders.catalogue import catalogue_import
from voronka.sales.models import Product, ProductCategory

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "commerceml"
HEADER = "Внешний код;Артикул;Наименование;Категория;Цена;Валюта;Остаток;Ед. изм.;Ставка НДС\n"


def csv_file(*rows: str, header: str = HEADER) -> tuple[str, bytes]:
    return "catalogue.csv", (header + "\n".join(rows) + "\n").encode("utf-8")


def example(name: str) -> tuple[str, bytes]:
    return name, (EXAMPLES / name).read_bytes()


def snapshot() -> list[tuple]:
    return list(Product.all_objects.order_by("pk").values_list(
        "pk", "external_id", "sku", "name", "category__name", "price", "currency", "stock",
        "unit", "vat_rate", "version"))  # fmt: skip


@pytest.fixture
def known(personas):
    """Three products made by hand: one with 1C's id, one with only a SKU, one with only a
    name."""
    admin = personas.admin
    return (
        factories.product(admin, name="Стул", sku="A-1", external_id="1C-A", price=Decimal(100)),
        factories.product(admin, name="Стол", sku="B-1", price=Decimal(200)),
        factories.product(admin, name="Кресло", price=Decimal(300)),
    )


def test_rows_are_matched_by_external_id_then_sku_then_exact_name(known, personas):
    chair, table, armchair = known
    report = catalogue_import(actor=personas.head, files=[csv_file(
        "1C-A;A-1;Стул;;150;RUB;5;шт;22",
        "1C-B;B-1;Стол;;200;RUB;;;",
        ";;Кресло;;300;RUB;;;",
        "1C-D;D-1;Диван;Мягкая мебель;45 000,50;RUB;2;шт;22%",
    )])  # fmt: skip
    assert [(r.line, r.result, r.product_id) for r in report.rows] == [
        (2, "updated", chair.pk), (3, "updated", table.pk), (4, "unchanged", armchair.pk),
        (5, "created", report.rows[3].product_id),
    ]  # fmt: skip
    assert report.applied
    assert report.rows[0].changes == ["Price", "In stock", "Unit", "VAT rate, %"]
    assert report.rows[1].changes == ["External id"]
    assert report.new_categories == ["Мягкая мебель"]
    chair.refresh_from_db()
    assert (chair.price, chair.stock, chair.unit, chair.vat_rate) == (
        Decimal("150.00"), Decimal("5.000"), "шт", Decimal("22.00"))  # fmt: skip
    assert Product.objects.get(pk=table.pk).external_id == "1C-B"
    sofa = Product.objects.get(external_id="1C-D")
    assert (sofa.name, sofa.sku, sofa.category.name, sofa.price, sofa.vat_rate) == (
        "Диван", "D-1", "Мягкая мебель", Decimal("45000.50"), Decimal("22.00"))  # fmt: skip


def test_a_sku_taken_by_a_product_with_another_external_id_is_refused(known, personas):
    before = snapshot()
    report = catalogue_import(
        actor=personas.head, files=[csv_file("1C-X;A-1;Стул новый;;1;RUB;;;")]
    )
    (row,) = report.rows
    assert (row.result, row.errors[0].field, row.errors[0].column) == ("rejected", "sku", "Артикул")
    assert "1C-A" in row.errors[0].message
    assert snapshot() == before


def test_a_bad_row_names_its_row_and_field_and_changes_nothing(known, personas):
    before = snapshot()
    report = catalogue_import(actor=personas.head, files=[csv_file(
        "1C-A;A-1;Стул;;150;RUB;5;шт;22",
        "1C-N;N-1;Новинка;;дорого;RUB;;;",
        "1C-M;M-1;Ещё новинка;;10;RUB;;;120",
        "1C-Q;Q-1;;;10;RUB;;;",
    )])  # fmt: skip
    assert not report.applied
    assert report.counts == {"created": 0, "updated": 1, "unchanged": 0, "rejected": 3}
    assert [(r.line, [(e.field, e.column) for e in r.errors]) for r in report.rejected] == [
        (3, [("price", "Цена")]), (4, [("vat_rate", "Ставка НДС")]),
        (5, [("name", "Наименование")]),
    ]  # fmt: skip
    assert report.rejected[0].errors[0].message == "not a number: 'дорого'"
    assert report.rejected[1].errors[0].message == "must be from 0 to 100"
    assert snapshot() == before


def test_skip_bad_rows_applies_exactly_the_rows_the_report_calls_good(known, personas):
    chair, *_ = known
    files = [csv_file("1C-A;A-1;Стул;;150;RUB;5;шт;22", "1C-N;N-1;Новинка;;дорого;RUB;;;",
                      "1C-M;M-1;Ещё новинка;Новое;10;RUB;;;")]  # fmt: skip
    preview = catalogue_import(actor=personas.head, files=files, dry_run=True)
    report = catalogue_import(actor=personas.head, files=files, skip_bad_rows=True)
    assert [(r.line, r.result) for r in preview.rows] == [(r.line, r.result) for r in report.rows]
    assert [(r.line, r.result) for r in report.rows] == [
        (2, "updated"), (3, "rejected"), (4, "created")]  # fmt: skip
    assert report.applied
    assert Product.objects.get(pk=chair.pk).price == Decimal("150.00")
    assert not Product.objects.filter(external_id="1C-N").exists()
    assert Product.objects.get(external_id="1C-M").category.name == "Новое"


def test_a_dry_run_reports_and_writes_nothing(known, personas):
    before = snapshot()
    report = catalogue_import(actor=personas.head, dry_run=True,
                              files=[csv_file("1C-A;A-1;Стул;Новая;999;RUB;;;")])  # fmt: skip
    assert (report.rows[0].result, report.applied, report.new_categories) == (
        "updated", False, ["Новая"])  # fmt: skip
    assert snapshot() == before
    assert not ProductCategory.objects.filter(name="Новая").exists()


def test_the_same_product_twice_in_a_file_is_refused_the_second_time(known, personas):
    report = catalogue_import(actor=personas.head, files=[csv_file(
        "1C-A;A-1;Стул;;150;RUB;;;", "1C-A;;;;160;RUB;;;",
        "1C-N;N-1;Новинка;;1;RUB;;;", ";N-1;Новинка;;2;RUB;;;",
    )])  # fmt: skip
    assert [(r.line, r.result) for r in report.rows] == [
        (2, "updated"), (3, "rejected"), (4, "created"), (5, "rejected")]  # fmt: skip
    assert report.rows[1].errors[0].message == "the same product as row 2"
    assert not report.applied


def test_a_file_without_a_product_column_is_refused_as_a_whole(personas):
    with pytest.raises(ValidationError) as caught:
        catalogue_import(actor=personas.head, files=[csv_file("1;2", header="Цена;Остаток\n")])
    assert "no column for the name, SKU or external id" in caught.value.message_dict["file"][0]


def test_only_the_admin_and_the_head_change_the_catalogue(known, personas):
    before = snapshot()
    for person in (personas.alice, personas.lead, personas.support):
        with pytest.raises(NotAllowed):
            catalogue_import(actor=person, files=[csv_file("1C-A;A-1;Стул;;1;RUB;;;")],
                             dry_run=True)  # fmt: skip
    catalogue_import(actor=personas.admin, files=[csv_file("1C-A;A-1;Стул;;1;RUB;;;")])
    assert snapshot() != before


def test_the_example_csv_reads_russian_headers_and_numbers(personas):
    report = catalogue_import(actor=personas.head, files=[example("catalogue.csv")])
    assert report.counts == {"created": 3, "updated": 0, "unchanged": 0, "rejected": 0}
    got = {p.sku: (p.price, p.stock, p.unit, p.vat_rate, p.category.name)
           for p in Product.objects.select_related("category")}  # fmt: skip
    assert got == {
        "CH-100": (Decimal("4990.00"), Decimal("35.000"), "шт", Decimal("22.00"), "Стулья"),
        "TB-240": (Decimal("35500.00"), Decimal("4.500"), "шт", Decimal("22.00"), "Столы"),
        "SV-01": (Decimal("1500.00"), None, "ч", Decimal("0.00"), "Услуги"),
    }  # fmt: skip


def test_commerceml_groups_become_categories_and_offers_give_prices_and_stock(personas):
    report = catalogue_import(actor=personas.head,
                              files=[example("import.xml"), example("offers.xml")])  # fmt: skip
    assert report.counts == {"created": 3, "updated": 0, "unchanged": 0, "rejected": 0}
    assert report.new_categories == ["Столы", "Стулья", "Услуги"]
    got = {p.external_id[-1]: (p.sku, p.name, p.category.name, p.price, p.currency, p.stock,
                               p.unit, p.vat_rate)
           for p in Product.objects.select_related("category")}  # fmt: skip
    assert got == {
        "1": ("CH-100", "Стул офисный «Комфорт»", "Стулья", Decimal("4990.00"), "RUB",
              Decimal("35.000"), "шт", Decimal("22.00")),
        "2": ("TB-240", "Стол переговорный 2400", "Столы", Decimal("35500.00"), "RUB",
              Decimal("4.500"), "шт", Decimal("22.00")),
        "3": ("SV-01", "Сборка мебели", "Услуги", Decimal("1500.00"), "RUB", None, "ч",
              Decimal("0.00")),
    }  # fmt: skip


def test_a_zip_as_1c_sends_it_is_read_like_the_two_files(personas):
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("webdata/000000001/import0_1.xml", example("import.xml")[1])
        z.writestr("webdata/000000001/offers0_1.xml", example("offers.xml")[1])
        z.writestr("webdata/000000001/import_files/ab/photo.jpg", b"\xff\xd8")
    report = catalogue_import(actor=personas.head, files=[("exchange.zip", archive.getvalue())])
    assert report.counts["created"] == 3
    assert Product.objects.get(sku="CH-100").price == Decimal("4990.00")


def test_an_offers_file_alone_updates_known_products_and_refuses_unknown_ones(personas):
    catalogue_import(actor=personas.head, files=[example("import.xml")])
    assert set(Product.objects.values_list("price", flat=True)) == {Decimal("0.00")}
    offers = (
        example("offers.xml")[1]
        .replace(b"7e000000-0000-4000-8000-000000000003", b"7e000000-0000-4000-8000-000000000009")
        .replace(b"SV-01", b"SV-09")
    )
    report = catalogue_import(actor=personas.head, files=[("offers.xml", offers)],
                              skip_bad_rows=True)  # fmt: skip
    assert [(r.line, r.result, r.changes) for r in report.rows] == [
        (1, "updated", ["Price", "In stock"]), (2, "updated", ["Price", "In stock"]),
        (3, "rejected", []),
    ]  # fmt: skip
    assert (report.rows[2].errors[0].field, report.rows[2].errors[0].column) == (
        "external_id",
        "Ид",
    )
    assert report.rows[2].errors[0].message.startswith("no such product in the catalogue")
    assert not Product.objects.filter(external_id__endswith="9").exists()
    assert Product.objects.get(sku="TB-240").price == Decimal("35500.00")  # the first price type
    assert Product.objects.get(sku="SV-01").price == Decimal("0.00")


def test_an_item_in_an_unknown_group_names_the_field(personas):
    data = example("import.xml")[1].replace(b"9a000000-0000-4000-8000-000000000004</\xd0\x98\xd0\xb4>\n        </\xd0\x93",
                                            b"9a000000-0000-4000-8000-000000000099</\xd0\x98\xd0\xb4>\n        </\xd0\x93")  # fmt: skip
    report = catalogue_import(actor=personas.head, files=[("import.xml", data)], dry_run=True)
    (bad,) = report.rejected
    assert (bad.line, bad.errors[0].field, bad.errors[0].column) == (3, "category", "Группы")


BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>
<\xd0\x9a\xd0\xbe\xd0\xbc\xd0\xbc\xd0\xb5\xd1\x80\xd1\x87\xd0\xb5\xd1\x81\xd0\xba\xd0\xb0\xd1\x8f\xd0\x98\xd0\xbd\xd1\x84\xd0\xbe\xd1\x80\xd0\xbc\xd0\xb0\xd1\x86\xd0\xb8\xd1\x8f>&lol3;</\xd0\x9a\xd0\xbe\xd0\xbc\xd0\xbc\xd0\xb5\xd1\x80\xd1\x87\xd0\xb5\xd1\x81\xd0\xba\xd0\xb0\xd1\x8f\xd0\x98\xd0\xbd\xd1\x84\xd0\xbe\xd1\x80\xd0\xbc\xd0\xb0\xd1\x86\xd0\xb8\xd1\x8f>
"""
EXTERNAL_ENTITY = (
    '<?xml version="1.0"?>\n<!DOCTYPE x [<!ENTITY secret SYSTEM "file:///etc/passwd">]>\n'
    "<КоммерческаяИнформация><Каталог><Товары><Товар><Ид>1</Ид>"
    "<Наименование>&secret;</Наименование></Товар></Товары></Каталог></КоммерческаяИнформация>"
).encode()


@pytest.mark.parametrize("data", [BILLION_LAUGHS, EXTERNAL_ENTITY],
                         ids=["billion-laughs", "external-entity"])  # fmt: skip
def test_xml_with_entities_is_refused_and_changes_nothing(data, known, personas):
    before = snapshot()
    with pytest.raises(ValidationError) as caught:
        catalogue_import(actor=personas.head, files=[("import.xml", data)])
    assert caught.value.message_dict["file"] == [
        "import.xml declares a document type or entities; such XML is refused for safety."]  # fmt: skip
    assert snapshot() == before


def test_xml_that_is_not_commerceml_or_not_xml_is_refused(personas):
    for data, message in ((b"<a>1</a>", "not a CommerceML file"), (b"<a>", "not well-formed")):
        with pytest.raises(ValidationError) as caught:
            catalogue_import(actor=personas.head, files=[("import.xml", data)])
        assert message in caught.value.message_dict["file"][0]


def test_a_csv_and_an_xml_together_are_refused(personas):
    with pytest.raises(ValidationError) as caught:
        catalogue_import(actor=personas.head,
                         files=[example("catalogue.csv"), example("import.xml")])  # fmt: skip
    assert "Give one CSV or XLSX file" in caught.value.message_dict["file"][0]


def test_items_marked_for_deletion_are_left_out_with_a_notice(personas):
    data = example("import.xml")[1].replace(
        "<Товар>\n        <Ид>7e000000-0000-4000-8000-000000000003".encode(),
        '<Товар Статус="Удален">\n        <Ид>7e000000-0000-4000-8000-000000000003'.encode())  # fmt: skip
    report = catalogue_import(actor=personas.head, files=[("import.xml", data)])
    assert report.counts["created"] == 2
    assert report.notices == ["1 items marked for deletion in the accounting system were left "
                              "out: Voronka does not delete products by import."]  # fmt: skip


def test_an_xlsx_file_with_english_headers_and_spreadsheet_numbers(personas):
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append(["SKU", "Product name", "Price", "Qty", "VAT rate", "Notes"])
    sheet.append([12345, "Desk  lamp", 1499.9999999999998, 3, 0.2 * 100, "left out"])
    target = io.BytesIO()
    book.save(target)
    report = catalogue_import(actor=personas.head, files=[("lamps.xlsx", target.getvalue())])
    assert report.notices == ["Columns left out: Notes."]
    lamp = Product.objects.get()
    assert (lamp.sku, lamp.name, lamp.price, lamp.stock, lamp.vat_rate) == (
        "12345", "Desk  lamp", Decimal("1500.00"), Decimal("3.000"), Decimal("20.00"))  # fmt: skip
