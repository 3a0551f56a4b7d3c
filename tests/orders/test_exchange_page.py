"""The exchange page: exporting orders, the last exports, and the catalogue in and out."""

from __future__ import annotations

import csv
import io
from decimal import Decimal
from pathlib import Path

import pytest
from django.urls import reverse

from tests import factories
from voronka.orders.models import ExportRun, Order
from voronka.sales.models import Product

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "commerceml"
PAGE = "orders:exchange"


@pytest.fixture(autouse=True)
def stage_folder(settings, tmp_path):
    """Checked files wait in a folder of the test's own."""
    settings.VAR_DIR = tmp_path


def as_(client, user):
    client.force_login(user)
    return client


def body(response) -> bytes:
    return b"".join(response.streaming_content)


def numbers(response) -> set[str]:
    text = body(response).decode("utf-8-sig")
    return {row["Number"] for row in csv.DictReader(io.StringIO(text), delimiter=";")}


def upload(name: str, data: bytes | None = None):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, data if data is not None else (EXAMPLES / name).read_bytes())


@pytest.mark.parametrize("language", ["en", "ru"])
def test_the_page_renders_in_both_languages(client, personas, language):
    user = personas.head
    user.language = language
    user.save()
    response = as_(client, user).get(reverse(PAGE))
    assert response.status_code == 200
    html = response.content.decode()
    assert f'<html lang="{language}">' in html
    assert 'action="/orders/exchange/export/"' in html
    assert 'action="/orders/exchange/import/"' in html
    assert "/orders/exchange/catalogue/?format=commerceml" in html


def test_only_the_admin_and_the_head_see_the_catalogue_import(client, personas):
    for user in (personas.alice, personas.support):
        html = as_(client, user).get(reverse(PAGE)).content.decode()
        assert 'action="/orders/exchange/export/"' in html
        assert "/orders/exchange/import/" not in html


def test_support_may_not_choose_only_new_and_has_no_mark(client, personas):
    form = as_(client, personas.support).get(reverse(PAGE)).context["export_form"]
    assert [value for value, _label in form.fields["scope"].choices] == ["period"]
    assert "mark" not in form.fields


def test_an_anonymous_visitor_is_sent_to_log_in(client, db):
    response = client.get(reverse(PAGE))
    assert response.status_code == 302
    assert "login" in response["Location"]


def test_exporting_only_new_sends_the_file_marks_the_orders_and_lists_the_run(
    client, make_order, personas
):
    orders = [make_order(), make_order()]
    c = as_(client, personas.alice)
    response = c.post(
        reverse("orders:exchange-export"),
        {"format": "csv", "scope": "new"},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith('attachment; filename="voronka-orders-new-')
    assert numbers(response) == {o.number for o in orders}
    assert Order.objects.filter(exported_at=None).count() == 0
    page = c.get(reverse(PAGE))
    (run,) = page.context["runs"]
    assert (run.count, run.only_new, run.created_by) == (2, True, personas.alice)
    again = c.post(
        reverse("orders:exchange-export"),
        {"format": "csv", "scope": "new"},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert numbers(again) == set()


def test_a_period_export_marks_only_when_asked(client, make_order, personas):
    order = make_order()
    c = as_(client, personas.head)
    period = {"format": "xlsx", "scope": "period", "date_from": "2000-01-01",
              "date_to": "2100-01-01"}  # fmt: skip
    response = c.post(reverse("orders:exchange-export"), period)
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert Order.objects.get(pk=order.pk).exported_at is None
    c.post(reverse("orders:exchange-export"), {**period, "format": "commerceml", "mark": "on"})
    assert Order.objects.get(pk=order.pk).exported_at is not None


def test_a_bad_period_comes_back_with_the_errors_by_their_fields(client, make_order, personas):
    make_order()
    c = as_(client, personas.head)
    response = c.post(reverse("orders:exchange-export"), {
        "format": "csv", "scope": "period", "date_from": "2026-11-30", "date_to": "2026-11-01",
    }, HTTP_ACCEPT_LANGUAGE="en")  # fmt: skip
    assert response.status_code == 422
    assert response.context["export_form"].errors == {"date_to": [
        "The last day comes before the first."]}  # fmt: skip
    assert ExportRun.objects.count() == 0
    missing = c.post(reverse("orders:exchange-export"), {"format": "csv", "scope": "period"})
    assert set(missing.context["export_form"].errors) == {"date_from", "date_to"}


def test_support_trying_only_new_is_refused_and_nothing_is_marked(client, make_order, personas):
    make_order()
    c = as_(client, personas.support)
    response = c.post(
        reverse("orders:exchange-export"),
        {"format": "csv", "scope": "new"},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 422
    assert "scope" in response.context["export_form"].errors
    assert Order.objects.filter(exported_at=None).count() == 1


def test_a_manager_exports_only_their_orders(client, make_order, personas):
    from voronka.clients.models import Company

    alices = make_order()
    bobs_client = Company.objects.create(name="ООО «Бобёр»", owner=personas.bob)
    make_order(actor=personas.bob, owner=personas.bob, company=bobs_client, contact=None)
    response = as_(client, personas.alice).post(reverse("orders:exchange-export"), {
        "format": "csv", "scope": "new"}, HTTP_ACCEPT_LANGUAGE="en")  # fmt: skip
    assert numbers(response) == {alices.number}
    assert Order.objects.filter(exported_at=None).count() == 1


def test_the_page_costs_the_same_for_any_number_of_runs(
    client, make_order, personas, django_assert_max_num_queries
):
    c = as_(client, personas.head)
    make_order()
    c.post(reverse("orders:exchange-export"), {"format": "csv", "scope": "new"})
    with django_assert_max_num_queries(12):
        c.get(reverse(PAGE))
    for _ in range(5):
        c.post(reverse("orders:exchange-export"), {"format": "csv", "scope": "new"})
    with django_assert_max_num_queries(12):
        assert len(c.get(reverse(PAGE)).context["runs"]) == 6


# --- The catalogue -----------------------------------------------------------------------


def test_checking_a_file_shows_the_report_and_writes_nothing_then_apply_writes(client, personas):
    c = as_(client, personas.head)
    response = c.post(reverse("orders:exchange-import"),
                      {"upload": [upload("import.xml"), upload("offers.xml")]})  # fmt: skip
    assert response.status_code == 200
    report = response.context["report"]
    assert report.counts == {"created": 3, "updated": 0, "unchanged": 0, "rejected": 0}
    assert not report.applied
    assert Product.objects.count() == 0
    token = response.context["token"]
    applied = c.post(reverse("orders:exchange-import-apply"), {"token": token})
    assert applied.status_code == 200
    assert applied.context["report"].applied
    assert Product.objects.count() == 3
    assert c.post(reverse("orders:exchange-import-apply"), {"token": token}).status_code == 404


def test_a_file_with_bad_rows_applies_nothing_unless_the_good_rows_are_asked_for(client, personas):
    c = as_(client, personas.admin)
    data = "Артикул;Наименование;Цена\nA-1;Стул;100\nB-1;Стол;много\n".encode()
    preview = c.post(reverse("orders:exchange-import"), {"upload": upload("c.csv", data)},
                     HTTP_ACCEPT_LANGUAGE="en")  # fmt: skip
    assert preview.context["problems"] == ["c.csv, row 3, price (Цена): not a number: 'много'"]
    token = preview.context["token"]
    refused = c.post(reverse("orders:exchange-import-apply"), {"token": token})
    assert refused.status_code == 422
    assert Product.objects.count() == 0
    done = c.post(reverse("orders:exchange-import-apply"), {"token": token, "skip_bad_rows": "1"})
    assert done.status_code == 200
    assert list(Product.objects.values_list("sku", "price")) == [("A-1", Decimal("100.00"))]


def test_a_file_that_cannot_be_read_comes_back_on_the_file_field(client, personas):
    response = as_(client, personas.head).post(
        reverse("orders:exchange-import"), {"upload": upload("import.xml", b"<a>")},
        HTTP_ACCEPT_LANGUAGE="en")  # fmt: skip
    assert response.status_code == 422
    assert "not well-formed" in response.context["import_form"].errors["upload"][0]


@pytest.mark.parametrize("name", ["alice", "lead", "support", "outsider"])
def test_others_may_not_import_and_nothing_changes(client, personas, name):
    factories.product(personas.admin, name="Стул", sku="A-1", price=Decimal(1))
    c = as_(client, getattr(personas, name))
    data = "Артикул;Наименование;Цена\nA-1;Стул;100\n".encode()
    response = c.post(reverse("orders:exchange-import"), {"upload": upload("c.csv", data)})
    assert response.status_code == 403
    assert c.post(reverse("orders:exchange-import-apply"), {"token": "x"}).status_code == 403
    assert Product.objects.get().price == Decimal("1.00")


def test_a_token_is_only_its_uploaders(client, personas):
    head = as_(client, personas.head)
    data = "Артикул;Наименование;Цена\nA-1;Стул;100\n".encode()
    token = head.post(reverse("orders:exchange-import"),
                      {"upload": upload("c.csv", data)}).context["token"]  # fmt: skip
    admin = as_(client, personas.admin)
    assert admin.post(reverse("orders:exchange-import-apply"), {"token": token}).status_code == 404
    assert admin.post(reverse("orders:exchange-import-apply"), {"token": "forged"}).status_code \
        == 404  # fmt: skip
    assert Product.objects.count() == 0


@pytest.mark.parametrize(("fmt", "content_type"), [
    ("csv", "text/csv"), ("xlsx", "application/vnd.openxmlformats"),
    ("commerceml", "application/zip")])  # fmt: skip
def test_everyone_downloads_the_catalogue(client, personas, fmt, content_type):
    factories.product(personas.admin, name="Стул", sku="A-1", price=Decimal(1))
    response = as_(client, personas.support).get(reverse("orders:exchange-catalogue"),
                                                 {"format": fmt})  # fmt: skip
    assert response.status_code == 200
    assert response["Content-Type"].startswith(content_type)
    assert len(body(response)) > 0
    bad = client.get(reverse("orders:exchange-catalogue"), {"format": "pdf"})
    assert bad.status_code == 404
