"""The company and contact list pages: search, filters, sorting, pages, empty states."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from tests import factories
from voronka.clients.models import Company, Contact

pytestmark = pytest.mark.django_db

COMPANIES = reverse("clients:company-list")
CONTACTS = reverse("clients:contact-list")


def names_in(response, model=Company) -> list[str]:
    """The record names linked from the list, in page order."""
    html = response.content.decode()
    kind = "companies" if model is Company else "contacts"
    ids = [int(pk) for pk in re.findall(rf'href="/clients/{kind}/(\d+)/"', html)]
    by_pk = model.all_objects.in_bulk(ids)
    return [str(by_pk[pk]) for pk in ids]


@pytest.fixture
def alice_client(client, personas):
    client.force_login(personas.alice)
    return client


def test_searching_a_fragment_of_a_russian_name_finds_it_whatever_the_case(personas, alice_client):
    factories.contact(personas.alice, first_name="Пётр", last_name="Иванов")
    factories.contact(personas.alice, first_name="Анна", last_name="Смирнова")

    response = alice_client.get(CONTACTS, {"q": "ива"})

    assert response.status_code == 200
    assert names_in(response, Contact) == ["Иванов Пётр"]


def test_a_company_is_found_by_a_fragment_of_its_name(personas, alice_client):
    factories.company(personas.alice, name="ООО «Северный ветер»")
    factories.company(personas.alice, name="АО Южный порт")

    response = alice_client.get(COMPANIES, {"q": "СЕВЕР"})

    assert names_in(response) == ["ООО «Северный ветер»"]


@pytest.mark.parametrize("typed", ["+7 (912) 345-67-89", "89123456789", "9123456789", "345-67-89"])
def test_a_contact_is_found_by_phone_in_any_format(personas, alice_client, typed):
    factories.contact(
        personas.alice, first_name="Мария", last_name="Звонкова", phone="8 912 345 67 89"
    )
    factories.contact(
        personas.alice, first_name="Иван", last_name="Молчанов", phone="+7 495 000-00-00"
    )

    response = alice_client.get(CONTACTS, {"q": typed})

    assert names_in(response, Contact) == ["Звонкова Мария"]


def test_a_company_is_found_by_its_phone_e_mail_and_tax_id(personas, alice_client):
    factories.company(
        personas.alice,
        name="Альфа",
        phone="+7 (912) 345-67-89",
        email="Info@Alfa.ru",
        tax_id="7701234567",
    )
    factories.company(personas.alice, name="Бета", phone="+7 (495) 111-22-33", tax_id="7709876543")

    assert names_in(alice_client.get(COMPANIES, {"q": "89123456789"})) == ["Альфа"]
    assert names_in(alice_client.get(COMPANIES, {"q": "info@alfa.ru"})) == ["Альфа"]
    assert names_in(alice_client.get(COMPANIES, {"q": "7709876543"})) == ["Бета"]


def test_the_list_shows_only_what_the_user_may_see(personas, alice_client):
    factories.company(personas.alice, name="Моя компания")
    factories.company(personas.bob, name="Компания Бориса")

    assert names_in(alice_client.get(COMPANIES)) == ["Моя компания"]


def test_companies_are_filtered_by_manager_stage_source_and_tag(personas, client, source):
    from voronka.clients import services

    a = factories.company(
        personas.alice, name="Алиса-клиент", lifecycle_stage="customer", source=source
    )
    factories.company(personas.bob, name="Боб-клиент", lifecycle_stage="customer")
    factories.company(personas.alice, name="Алиса-лид")
    services.company_update(
        actor=personas.alice, company=a, version=a.version, data={}, tags=["опт"]
    )
    client.force_login(personas.head)

    assert names_in(client.get(COMPANIES, {"owner": personas.bob.pk})) == ["Боб-клиент"]
    assert names_in(client.get(COMPANIES, {"stage": "customer", "sort": "name"})) == [
        "Алиса-клиент",
        "Боб-клиент",
    ]
    assert names_in(client.get(COMPANIES, {"source": source.pk})) == ["Алиса-клиент"]
    assert names_in(client.get(COMPANIES, {"tag": "опт"})) == ["Алиса-клиент"]


def test_contacts_are_filtered_by_tag_stage_and_company(personas, alice_client):
    from voronka.clients import services

    firm = factories.company(personas.alice, name="Фирма")
    tagged = factories.contact(personas.alice, first_name="Олег", last_name="Тегов", company=firm)
    services.contact_update(actor=personas.alice, contact=tagged, version=1, data={}, tags=["VIP"])
    factories.contact(
        personas.alice, first_name="Нина", last_name="Другая", lifecycle_stage="churned"
    )

    assert names_in(alice_client.get(CONTACTS, {"tag": "VIP"}), Contact) == ["Тегов Олег"]
    assert names_in(alice_client.get(CONTACTS, {"stage": "churned"}), Contact) == ["Другая Нина"]
    response = alice_client.get(CONTACTS, {"company": firm.pk})
    assert names_in(response, Contact) == ["Тегов Олег"]
    assert "Фирма" in response.content.decode()


def test_a_filter_value_that_makes_no_sense_is_ignored(personas, alice_client):
    factories.company(personas.alice, name="Есть")

    response = alice_client.get(COMPANIES, {"owner": "abc", "stage": "nonsense", "sort": "?"})

    assert response.status_code == 200
    assert names_in(response) == ["Есть"]


def test_lists_sort_by_name_and_by_newest(personas, alice_client):
    for name in ["Вега", "Альфа", "Бета"]:
        factories.company(personas.alice, name=name)

    assert names_in(alice_client.get(COMPANIES, {"sort": "name"})) == ["Альфа", "Бета", "Вега"]
    assert names_in(alice_client.get(COMPANIES, {"sort": "-created"})) == ["Бета", "Альфа", "Вега"]


def test_pages_follow_next_and_previous_links_and_count_everything(
    personas, alice_client, settings
):
    settings.VORONKA_PAGE_SIZE = 2
    for name in ["А1", "А2", "А3", "А4", "А5"]:
        factories.company(personas.alice, name=name)

    first = alice_client.get(COMPANIES, {"sort": "name"})
    assert names_in(first) == ["А1", "А2"]
    assert "Найдено: 5" in first.content.decode()
    next_url = re.search(r'rel="next" href="([^"]+)"', first.content.decode()).group(1)

    second = alice_client.get(COMPANIES + next_url.replace("&amp;", "&"))
    assert names_in(second) == ["А3", "А4"]
    prev_url = re.search(r'rel="prev" href="([^"]+)"', second.content.decode()).group(1)

    back = alice_client.get(COMPANIES + prev_url.replace("&amp;", "&"))
    assert names_in(back) == ["А1", "А2"]


def test_a_broken_cursor_shows_the_first_page(personas, alice_client):
    factories.company(personas.alice, name="Первая")

    response = alice_client.get(COMPANIES, {"cursor": "not-a-cursor"})

    assert response.status_code == 200
    assert names_in(response) == ["Первая"]


def test_a_count_beyond_the_bound_is_shown_with_a_plus(personas, alice_client, settings):
    settings.VORONKA_COUNT_LIMIT = 3
    for _ in range(5):
        factories.company(personas.alice)

    response = alice_client.get(COMPANIES)

    assert "Найдено: 3+" in response.content.decode()


def test_ten_thousand_and_more_reads_with_a_no_break_space_in_russian():
    from django.template.loader import render_to_string
    from django.utils import translation

    from voronka.core.pagination import Page

    page = Page([], None, None, 10_000, True)
    with translation.override("ru"):
        html = render_to_string("core/partials/_found.html", {"page": page})

    assert "Найдено: 10\xa0000+" in html


def test_an_empty_list_invites_to_add_the_first_company(personas, alice_client):
    response = alice_client.get(COMPANIES)

    html = response.content.decode()
    assert "Компаний пока нет" in html
    assert reverse("clients:company-create") in html


def test_a_search_without_results_offers_to_reset_the_filters(personas, alice_client):
    factories.company(personas.alice, name="Альфа")

    html = alice_client.get(COMPANIES, {"q": "Омега"}).content.decode()

    assert "Ничего не найдено" in html
    assert "Сбросить фильтры" in html


def test_an_htmx_request_gets_only_the_table(personas, alice_client):
    factories.company(personas.alice, name="Альфа")

    response = alice_client.get(COMPANIES, {"q": "аль"}, headers={"HX-Request": "true"})

    html = response.content.decode()
    assert "<html" not in html
    assert names_in(response) == ["Альфа"]
    assert "HX-Request" in response["Vary"]


def test_support_sees_the_list_without_the_new_button(personas, client):
    factories.company(personas.alice, name="Альфа")
    client.force_login(personas.support)

    response = client.get(COMPANIES)

    assert names_in(response) == ["Альфа"]
    assert reverse("clients:company-create") not in response.content.decode()


def test_the_company_list_costs_the_same_queries_for_thirty_records(
    personas, client, django_assert_max_num_queries
):
    from voronka.clients import services

    for i in range(30):
        c = factories.company(
            personas.alice, name=f"Компания {i:02d}", phone=f"+7 912 000-00-{i:02d}"
        )
        services.company_update(
            actor=personas.alice, company=c, version=1, data={}, tags=["опт", f"т{i}"]
        )
    client.force_login(personas.lead)
    client.get(COMPANIES)  # the organisation row is made and cached on first use

    with django_assert_max_num_queries(11):  # including the header's unread-notice count
        response = client.get(COMPANIES, {"sort": "name"})

    assert len(names_in(response)) == 30


def test_the_contact_list_costs_the_same_queries_for_thirty_records(
    personas, client, django_assert_max_num_queries
):
    firm = factories.company(personas.bob, name="Фирма")
    for i in range(30):
        factories.contact(personas.bob, last_name=f"Контактов{i:02d}", company=firm)
    client.force_login(personas.head)
    client.get(CONTACTS)  # the organisation row is made and cached on first use

    with django_assert_max_num_queries(9):
        response = client.get(CONTACTS, {"tag": "", "sort": "-created"})

    assert len(names_in(response, Contact)) == 30
