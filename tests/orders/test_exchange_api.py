"""The exchange API: orders out, the catalogue in and out."""

from __future__ import annotations

import csv
import io
import zipfile
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from tests import factories
from tests.api_client import BASE, ApiClient, errors
from voronka.orders.models import ExportRun, Order
from voronka.sales.models import Product

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "commerceml"


def body(response) -> bytes:
    return b"".join(response.streaming_content)


def numbers(response) -> set[str]:
    text = body(response).decode("utf-8-sig")
    return {row["Number"] for row in csv.DictReader(io.StringIO(text), delimiter=";")}


def post_files(user, *files, **fields):
    api = ApiClient(user)
    data = {"files": [SimpleUploadedFile(name, content) for name, content in files], **fields}
    return api.client.post(BASE + "/catalogue/import", data)


def example(name):
    return name, (EXAMPLES / name).read_bytes()


def test_orders_export_of_a_period_is_a_file_and_marks_nothing(make_order, personas):
    order = make_order()
    response = ApiClient(personas.head).get("/orders/export", format="csv", **{
        "from": "2000-01-01", "to": "2100-01-01"})  # fmt: skip
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert "attachment" in response["Content-Disposition"]
    assert numbers(response) == {order.number}
    assert Order.objects.get(pk=order.pk).exported_at is None
    assert ExportRun.objects.get().period_from.isoformat() == "2000-01-01"


def test_orders_export_only_new_marks_them_once(make_order, personas):
    make_order()
    api = ApiClient(personas.alice)
    first = api.get("/orders/export", format="commerceml", only_new="1")
    assert first.status_code == 200
    assert first["Content-Type"] == "application/xml; charset=utf-8"
    assert body(first).count("<Документ>".encode()) == 1
    second = api.get("/orders/export", format="commerceml", only_new="true")
    assert body(second).count("<Документ>".encode()) == 0
    assert list(ExportRun.objects.order_by("pk").values_list("count", flat=True)) == [1, 0]


def test_a_bad_request_is_422_naming_the_field(make_order, personas):
    api = ApiClient(personas.head)
    bad_date = api.get("/orders/export", format="csv", **{"from": "30.11.2026", "to": "2026-12-01"})
    assert bad_date.status_code == 422
    assert set(errors(bad_date)) == {"from"}
    assert set(errors(api.get("/orders/export", format="pdf", only_new="1"))) == {"format"}
    assert set(errors(api.get("/orders/export", format="csv", only_new="maybe"))) == {"only_new"}
    assert ExportRun.objects.count() == 0


def test_support_may_export_but_not_mark(make_order, personas):
    make_order()
    api = ApiClient(personas.support)
    assert api.get("/orders/export", format="csv", only_new="1", mark="0").status_code == 200
    refused = api.get("/orders/export", format="csv", only_new="1")
    assert refused.status_code == 403
    assert Order.objects.filter(exported_at=None).count() == 1


def test_the_export_needs_a_login(make_order):
    assert ApiClient().get("/orders/export", format="csv", only_new="1").status_code == 401


def test_the_export_costs_the_same_for_more_orders(
    make_order, personas, django_assert_max_num_queries
):
    api = ApiClient(personas.head)
    make_order()
    with django_assert_max_num_queries(16):
        api.get("/orders/export", format="xlsx", only_new="1")
    for _ in range(5):
        make_order()
    with django_assert_max_num_queries(16):
        api.get("/orders/export", format="xlsx", only_new="1")
    assert ExportRun.objects.order_by("-pk").first().count == 5


def test_catalogue_import_dry_run_answers_the_report(personas):
    response = post_files(personas.head, example("import.xml"), example("offers.xml"),
                          dry_run="true")  # fmt: skip
    assert response.status_code == 200
    report = response.json()
    assert (report["dry_run"], report["applied"], report["counts"]) == (
        True, False, {"created": 3, "updated": 0, "unchanged": 0, "rejected": 0})  # fmt: skip
    assert report["new_categories"] == ["Столы", "Стулья", "Услуги"]
    assert report["rows"][0]["file"] == "import.xml"
    assert Product.objects.count() == 0


def test_catalogue_import_applies_and_answers_the_report(personas):
    response = post_files(personas.admin, example("catalogue.csv"))
    assert response.status_code == 200
    assert response.json()["applied"] is True
    assert Product.objects.count() == 3


def test_catalogue_import_with_bad_rows_is_422_naming_row_and_field_and_changes_nothing(personas):
    data = "Артикул;Наименование;Цена;Ставка НДС\nA-1;Стул;100;22\nB-1;Стол;100;120\n".encode()
    response = post_files(personas.head, ("c.csv", data))
    assert response.status_code == 422
    answer = response.json()
    assert answer["detail"] == [{"loc": ["body", "files", "c.csv", 3, "vat_rate"],
                                 "msg": "must be from 0 to 100", "type": "value_error"}]  # fmt: skip
    assert answer["report"]["counts"]["rejected"] == 1
    assert Product.objects.count() == 0
    applied = post_files(personas.head, ("c.csv", data), skip_bad_rows="true")
    assert applied.status_code == 200
    assert list(Product.objects.values_list("sku", flat=True)) == ["A-1"]


def test_catalogue_import_of_an_unreadable_file_is_422_on_files(personas):
    response = post_files(
        personas.head, ("import.xml", b"<!DOCTYPE a [<!ENTITY b 'c'>]><a>&b;</a>")
    )
    assert response.status_code == 422
    assert "refused for safety" in errors(response)["files"][0]


@pytest.mark.parametrize("name", ["alice", "lead", "support", "outsider"])
def test_catalogue_import_is_refused_to_others(personas, name):
    response = post_files(getattr(personas, name), example("catalogue.csv"))
    assert response.status_code == 403
    assert Product.objects.count() == 0


def test_catalogue_export_as_commerceml_is_a_zip_that_imports_back_unchanged(personas):
    factories.product(personas.admin, name="Стул", sku="A-1", price=Decimal("10.50"))
    response = ApiClient(personas.bob).get("/catalogue/export", format="commerceml")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip"
    data = body(response)
    assert zipfile.ZipFile(io.BytesIO(data)).namelist() == ["import.xml", "offers.xml"]
    again = post_files(personas.head, ("catalogue.zip", data))
    assert again.json()["counts"] == {"created": 0, "updated": 0, "unchanged": 1, "rejected": 0}
    bad = ApiClient(personas.bob).get("/catalogue/export", format="pdf")
    assert (bad.status_code, set(errors(bad))) == (422, {"format"})


@pytest.mark.parametrize("fmt", ["csv", "xlsx", "commerceml"])
def test_the_catalogue_export_costs_the_same_for_more_products(
    fmt, personas, django_assert_max_num_queries
):
    api = ApiClient(personas.alice)
    factories.product(personas.admin, name="Стул", price=Decimal(1))
    with django_assert_max_num_queries(8):
        body(api.get("/catalogue/export", format=fmt))
    for n in range(5):
        factories.product(personas.admin, name=f"Стол {n}", price=Decimal(n))
    with django_assert_max_num_queries(8):
        assert len(body(api.get("/catalogue/export", format=fmt))) > 0
