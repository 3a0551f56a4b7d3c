"""Quick entry of an order, the editing of its lines, the live totals and the product
search: the numbers shown while typing are the numbers saved."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse

from tests import factories
from tests.orders.conftest import walk
from tests.orders.test_views_list import as_, at, clock  # noqa: F401 - fixture
from voronka.orders.models import Order

CREATE = reverse("orders:order-create")
TOTALS = reverse("orders:order-totals")
SEARCH = reverse("orders:product-search")
pytestmark = pytest.mark.usefixtures("clock")


def formset(lines, prefix="lines", initial=0) -> dict[str, object]:
    data: dict[str, object] = {
        f"{prefix}-TOTAL_FORMS": len(lines), f"{prefix}-INITIAL_FORMS": initial,
        f"{prefix}-MIN_NUM_FORMS": 0, f"{prefix}-MAX_NUM_FORMS": 500,
    }  # fmt: skip
    for n, line in enumerate(lines):
        for name, value in line.items():
            data[f"{prefix}-{n}-{name}"] = value
    return data


def entry(client_value, owner, lines, **fields) -> dict[str, object]:
    return {"client": client_value, "owner": owner.pk, "delivery_method": "courier",
            **fields, **formset(lines)}  # fmt: skip


@pytest.fixture
def picked(catalogue):
    """Two chairs with 10 % off and a table, as the search puts them in the lines."""
    chair, table = catalogue
    return [
        {"product": chair.pk, "name": chair.name, "sku": "CH-1", "quantity": "2",
         "unit_price": "1500.00", "discount_percent": "10", "vat_rate": "22"},
        {"product": table.pk, "name": table.name, "sku": "TB-2", "quantity": "1",
         "unit_price": "12000.00", "vat_rate": "10"},
        {"quantity": "1"},  # a free row left empty
    ]  # fmt: skip


# --- Quick entry ------------------------------------------------------------------------


def test_the_quick_entry_takes_an_order_with_exact_totals(client, personas, client_company,
                                                          picked):  # fmt: skip
    company, contact = client_company
    response = as_(client, personas.alice).post(
        CREATE, entry(f"contact:{contact.pk}", personas.alice, picked,
                      delivery_address="Москва, ул. Тверская, 1", notes="До обеда"),
    )  # fmt: skip
    order = Order.objects.get()
    assert response["Location"] == reverse("orders:order-detail", args=[order.pk])
    # Chairs: 3 000 − 300 = 2 700, VAT 22/122 → 486.89; table 12 000, VAT 10/110 → 1 090.91.
    assert (order.subtotal, order.discount_total, order.vat_total, order.total) == (
        Decimal("15000.00"),
        Decimal("300.00"),
        Decimal("1577.80"),
        Decimal("14700.00"),
    )
    assert [(line.name, line.quantity, line.total) for line in order.lines.all()] == [
        ("Стул офисный", Decimal("2.000"), Decimal("2700.00")),
        ("Стол переговорный", Decimal("1.000"), Decimal("12000.00")),
    ]
    assert (order.company_id, order.contact_id, order.owner_id, order.client_email) == (
        company.pk,
        contact.pk,
        personas.alice.pk,
        "petr@romashka.example",
    )
    assert order.delivery_address == "Москва, ул. Тверская, 1"


def test_without_javascript_a_line_is_a_sku_or_a_name_with_a_price(
    client, personas, client_company, catalogue
):
    company, _contact = client_company
    lines = [{"sku": "TB-2", "quantity": "2"},
             {"name": "Сборка", "quantity": "1", "unit_price": "2500", "vat_rate": "0"}]  # fmt: skip
    as_(client, personas.alice).post(CREATE, entry(f"company:{company.pk}", personas.alice, lines))
    order = Order.objects.get()
    assert [(line.product_id, line.name, line.total) for line in order.lines.all()] == [
        (catalogue[1].pk, "Стол переговорный", Decimal("24000.00")),
        (None, "Сборка", Decimal("2500.00")),
    ]
    assert order.total == Decimal("26500.00")


def test_recalculate_shows_the_totals_and_saves_nothing(client, personas, client_company, picked):
    _company, contact = client_company
    response = as_(client, personas.alice).post(
        CREATE, {**entry(f"contact:{contact.pk}", personas.alice, picked), "recalculate": "1"}
    )
    assert response.status_code == 200
    assert response.context["preview"].totals.total == Decimal("14700.00")
    assert "14,700.00\xa0₽" in response.content.decode()
    assert not Order.objects.exists()


def test_each_wrong_line_is_named_beside_itself_and_nothing_typed_is_lost(
    client, personas, client_company, catalogue
):
    _company, contact = client_company
    lines = [{"sku": "NO-SUCH", "quantity": "1"},
             {"name": "Доставка", "quantity": "-1", "unit_price": "500"},
             {"name": "Монтаж", "quantity": "1"}]  # fmt: skip
    response = as_(client, personas.alice).post(
        CREATE, entry(f"contact:{contact.pk}", personas.alice, lines, notes="Срочно")
    )
    assert response.status_code == 422
    problems = response.context["preview"].problems
    assert problems == {
        0: "No active product has this SKU.",
        1: "Ensure this value is greater than or equal to 0.001.",
        2: "Give the unit price.",  # the service's own words, without its «Line 1:»
    }
    text = response.content.decode()
    assert 'id="line-problem-2" class="line-problem small text-danger" role="alert">' \
           "Give the unit price.</div>" in text  # fmt: skip
    assert "Срочно" in text and 'value="Монтаж"' in text and 'value="NO-SUCH"' in text
    assert not Order.objects.exists()


def test_an_order_without_lines_is_refused(client, personas, client_company):
    _company, contact = client_company
    response = as_(client, personas.alice).post(
        CREATE, entry(f"contact:{contact.pk}", personas.alice, [{"quantity": "1"}])
    )
    assert response.status_code == 422
    assert "Add at least one line to the order." in response.content.decode()
    assert not Order.objects.exists()


def test_a_client_the_person_may_not_see_is_refused(client, personas, picked):
    theirs = factories.company(personas.bob, name="Чужая фирма")
    response = as_(client, personas.alice).post(
        CREATE, entry(f"company:{theirs.pk}", personas.alice, picked)
    )
    assert response.status_code == 422
    assert response.context["form"].errors["client"] == ["Choose a company or a contact."]
    assert not Order.objects.exists()


def test_the_entry_page_fills_in_the_client_of_the_link(client, personas, client_company):
    company, _contact = client_company
    response = as_(client, personas.alice).get(CREATE, {"company": company.pk})
    assert response.status_code == 200
    form = response.context["form"]
    assert (form.initial["client"], form.initial["owner"]) == (f"company:{company.pk}",
                                                               personas.alice.pk)  # fmt: skip
    text = response.content.decode()
    assert 'id="product-search"' in text and 'id="order-line-template"' in text
    assert 'name="lines-TOTAL_FORMS" value="3"' in text


@pytest.mark.parametrize("persona", ["support", "outsider"])
def test_who_does_not_take_orders_cannot_open_the_entry(client, personas, persona, picked):
    user = getattr(personas, persona)
    expected = 403 if persona == "support" else 200
    assert as_(client, user).get(CREATE).status_code == expected


def test_the_entry_renders_in_russian(client, personas, db):
    client.force_login(personas.alice)
    assert client.get(CREATE, HTTP_ACCEPT_LANGUAGE="ru").status_code == 200


# --- Live totals ------------------------------------------------------------------------


def test_the_live_totals_are_counted_as_saving_counts_them(client, personas, picked):
    response = as_(client, personas.alice).post(TOTALS, formset(picked), HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    text = response.content.decode()
    assert text.startswith('<div id="order-totals"')
    assert '<dd class="money order-grand-total" data-total="total">14,700.00\xa0₽</dd>' in text
    assert '<span id="line-amount-0" class="money line-amount" hx-swap-oob="true">' \
           '2,700.00\xa0₽</span>' in text  # fmt: skip
    assert "VAT (included)" in text
    assert not Order.objects.exists()


def test_the_live_totals_name_the_wrong_line(client, personas, picked):
    picked[1]["discount_percent"] = "150"
    text = as_(client, personas.alice).post(TOTALS, formset(picked)).content.decode()
    assert "Correct the lines marked in red to see the total." in text
    assert 'id="line-problem-1" class="line-problem small text-danger" role="alert" ' \
           'hx-swap-oob="true">Ensure this value is less than or equal to 100.</div>' in text  # fmt: skip


def test_the_live_totals_of_an_order_follow_its_vat_mode(client, personas, make_order, picked):
    order = make_order(prices_include_vat=False)
    data = {**formset(picked), "order": order.pk}
    text = as_(client, personas.alice).post(TOTALS, data).content.decode()
    # 2 700 + 22 % = 3 294; 12 000 + 10 % = 13 200.
    assert "VAT (added)" in text and "16,494.00\xa0₽" in text
    assert as_(client, personas.bob).post(TOTALS, data).status_code == 404


# --- The product search -----------------------------------------------------------------


def test_the_product_search_finds_active_products_by_name_or_sku(client, personas, catalogue):
    chair, table = catalogue
    factories.product(personas.admin, name="Стул старый", sku="CH-0", is_active=False)
    found = as_(client, personas.alice).get(SEARCH, {"q": "стул"}).json()
    assert found["results"] == [{
        "id": chair.pk, "name": "Стул офисный", "sku": "CH-1", "unit": chair.unit,
        "price": "1500.00", "currency": "RUB", "vat_rate": "22.00", "stock": None,
    }]  # fmt: skip
    assert [p["id"] for p in client.get(SEARCH, {"q": "tb-2"}).json()["results"]] == [table.pk]
    assert client.get(SEARCH, {"q": ""}).json()["results"] == []


def test_the_product_search_answers_htmx_with_options(client, personas, catalogue):
    text = as_(client, personas.alice).get(SEARCH, {"q": "стол"},
                                           HTTP_HX_REQUEST="true").content.decode()  # fmt: skip
    assert 'role="option"' in text and "Стол переговорный" in text
    assert "Nothing found for «шкаф»." in client.get(SEARCH, {"q": "шкаф"},
                                                     HTTP_HX_REQUEST="true").content.decode()  # fmt: skip


# --- The lines of an order --------------------------------------------------------------


def test_the_lines_of_a_new_order_are_edited(client, personas, make_order, catalogue):
    order = make_order(received_at=at(26, 9))
    lines_url = reverse("orders:order-lines", args=[order.pk])
    page = as_(client, personas.alice).get(lines_url)
    assert page.status_code == 200
    assert page.context["preview"].totals.total == Decimal("15000.00")
    chair, table = catalogue
    data = {"version": order.version, **formset([
        {"product": chair.pk, "name": chair.name, "quantity": "3", "unit_price": "1500.00",
         "vat_rate": "22.00"},
        {"product": table.pk, "name": table.name, "quantity": "1", "unit_price": "12000.00",
         "vat_rate": "10.00", "DELETE": "on"},
        {"quantity": "1"},
    ], initial=2)}  # fmt: skip
    response = client.post(lines_url, data)
    assert response["Location"] == reverse("orders:order-detail", args=[order.pk])
    order.refresh_from_db()
    assert order.total == Decimal("4500.00")
    assert [line.quantity for line in order.lines.all()] == [Decimal("3.000")]


def test_a_lines_conflict_keeps_what_was_typed(client, personas, make_order, catalogue):
    order = make_order(received_at=at(26, 9))
    seen = order.version
    walk(order, personas.lead, "confirmed")
    chair, _table = catalogue
    data = {"version": seen, **formset([{"product": chair.pk, "name": chair.name,
                                         "quantity": "7"}])}  # fmt: skip
    response = as_(client, personas.alice).post(reverse("orders:order-lines", args=[order.pk]),
                                                data)  # fmt: skip
    assert response.status_code == 409
    text = response.content.decode()
    assert "changed by someone else" in text and 'value="7"' in text
    assert Order.objects.get(pk=order.pk).total == Decimal("15000.00")


def test_the_lines_of_a_paid_order_stay_as_they_are(client, personas, make_order):
    order = walk(make_order(received_at=at(26, 9)), personas.alice, "confirmed", "paid")
    response = as_(client, personas.alice).get(reverse("orders:order-lines", args=[order.pk]))
    assert response["Location"] == reverse("orders:order-detail", args=[order.pk])
    assert as_(client, personas.support).get(
        reverse("orders:order-lines", args=[order.pk])).status_code == 403  # fmt: skip
    assert as_(client, personas.bob).get(
        reverse("orders:order-lines", args=[order.pk])).status_code == 404  # fmt: skip
