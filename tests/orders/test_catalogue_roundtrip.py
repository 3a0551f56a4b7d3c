"""The catalogue out and back in: an export imported into the same catalogue changes
nothing, and into an empty one gives the same products."""

from __future__ import annotations

import io
import zipfile
from decimal import Decimal

import pytest

from tests import factories
from voronka.orders.catalogue import catalogue_import, catalogue_products, write_catalogue
from voronka.sales.models import Product, ProductCategory

FIELDS = ("external_id", "sku", "name", "category__name", "price", "currency", "stock", "unit",
          "vat_rate", "is_active")  # fmt: skip


def products() -> list[tuple]:
    return sorted(Product.objects.values_list(*FIELDS), key=lambda p: (p[2], p[1]))


@pytest.fixture
def shelf(personas):
    """Products of every shape: with and without an external id, SKU, category, stock, unit
    and VAT rate, in two currencies; and one switched off, which is not exported."""
    admin = personas.admin
    chairs = ProductCategory.objects.create(name="Стулья")
    services = ProductCategory.objects.create(name="Услуги")
    make = factories.product
    make(
        admin,
        name="Стул «Комфорт»",
        sku="CH-100",
        external_id="7e00-1",
        category=chairs,
        price=Decimal("4990.00"),
        stock=Decimal("35"),
        unit="шт",
        vat_rate=Decimal("22"),
    )
    make(
        admin,
        name="Стул  барный",  # two spaces: read back as written
        sku="CH-200",
        category=chairs,
        price=Decimal("3200.50"),
        stock=Decimal("2.5"),
        unit="шт",
        vat_rate=Decimal("10"),
    )
    make(
        admin,
        name="Сборка мебели",
        sku="",
        category=services,
        price=Decimal("1500"),
        unit="ч",
        vat_rate=Decimal("0"),
    )
    make(admin, name="Консультация <онлайн> & «бесплатно»", price=Decimal("0"), currency="USD")
    make(
        admin,
        name="Ткань",
        sku="FB-1",
        price=Decimal("350.00"),
        stock=Decimal("0"),
        unit="м",
        vat_rate=None,
    )
    make(admin, name="Снят с продажи", sku="OLD-1", price=Decimal("1.00"), is_active=False)  # fmt: skip


def exported(fmt: str, user) -> list[tuple[str, bytes]]:
    target = io.BytesIO()
    write_catalogue(fmt, catalogue_products(user), target)
    return [(f"catalogue.{'zip' if fmt == 'commerceml' else fmt}", target.getvalue())]


@pytest.mark.parametrize("fmt", ["csv", "xlsx", "commerceml"])
def test_export_then_import_into_the_same_catalogue_changes_nothing(fmt, shelf, personas):
    before = list(Product.all_objects.order_by("pk").values_list(*FIELDS, "version"))
    report = catalogue_import(actor=personas.head, files=exported(fmt, personas.alice))
    assert report.counts == {"created": 0, "updated": 0, "unchanged": 5, "rejected": 0}
    assert report.new_categories == []
    assert list(Product.all_objects.order_by("pk").values_list(*FIELDS, "version")) == before


@pytest.mark.parametrize("fmt", ["csv", "xlsx", "commerceml"])
def test_export_then_import_into_an_empty_catalogue_gives_the_same_products(fmt, shelf, personas):
    files = exported(fmt, personas.head)
    expected = [p for p in products() if p[-1]]  # the active ones
    Product.all_objects.all().delete()
    ProductCategory.objects.all().delete()
    report = catalogue_import(actor=personas.head, files=files)
    assert report.counts == {"created": 5, "updated": 0, "unchanged": 0, "rejected": 0}
    assert products() == expected


def test_the_commerceml_export_is_a_zip_of_import_and_offers(shelf, personas):
    ((_name, data),) = exported("commerceml", personas.head)
    archive = zipfile.ZipFile(io.BytesIO(data))
    assert archive.namelist() == ["import.xml", "offers.xml"]
    catalogue = archive.read("import.xml").decode("utf-8")
    assert "<Группа>" in catalogue and "<Наименование>Стулья</Наименование>" in catalogue
    assert "Консультация &lt;онлайн&gt; &amp; «бесплатно»" in catalogue
    assert "Снят с продажи" not in catalogue
    offers = archive.read("offers.xml").decode("utf-8")
    assert "<ЦенаЗаЕдиницу>3200.50</ЦенаЗаЕдиницу>" in offers
    assert "<Количество>2.5</Количество>" in offers


def test_the_csv_export_is_semicolon_separated_with_a_bom(shelf, personas):
    ((_name, data),) = exported("csv", personas.head)
    lines = data.decode("utf-8").splitlines()
    assert (
        lines[0] == "\ufeffExternal id;SKU;Name;Category;Price;Currency;In stock;Unit;VAT rate, %"
    )
    assert "7e00-1;CH-100;Стул «Комфорт»;Стулья;4990.00;RUB;35;шт;22" in lines
    assert ";;Консультация <онлайн> & «бесплатно»;;0.00;USD;;;" in lines
