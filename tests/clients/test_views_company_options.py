"""The company search of the contact form: ``clients:company-options``."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests import factories
from voronka.clients.forms import COMPANY_OPTIONS_LIMIT

pytestmark = pytest.mark.django_db

URL = "clients:company-options"


def options(client, user, **params):
    client.force_login(user)
    return client.get(reverse(URL), params)


def test_a_unicode_fragment_finds_the_visible_company_whatever_its_case(personas, client):
    ivanov = factories.company(personas.alice, name="ООО Иванов и партнёры")
    factories.company(personas.alice, name="ООО Петров")

    response = options(client, personas.alice, company_q="ива")

    assert response.status_code == 200
    assert response.context["options"] == [(ivanov.pk, "ООО Иванов и партнёры")]
    assert (
        f'<option value="{ivanov.pk}">ООО Иванов и партнёры</option>' in response.content.decode()
    )


def test_the_options_never_offer_a_company_of_another_team(personas, client):
    mine = factories.company(personas.alice, name="Иванов-Север")
    factories.company(personas.bob, name="Иванов-Юг", tax_id="7701234567")

    by_name = options(client, personas.alice, company_q="иванов")
    by_inn = options(client, personas.alice, company_q="7701234567")
    outsider = options(client, personas.outsider, company_q="иванов")

    assert by_name.context["options"] == [(mine.pk, "Иванов-Север")]
    assert "Иванов-Юг" not in by_name.content.decode()
    assert by_inn.context["options"] == []
    assert "Ничего не найдено по запросу «7701234567»" in by_inn.content.decode()
    assert outsider.context["options"] == []
    assert "Иванов" not in outsider.content.decode().replace("«иванов»", "")


def test_the_options_find_a_company_by_its_inn_and_by_its_phone(personas, client):
    firm = factories.company(
        personas.alice, name="Вектор", tax_id="7701234567", phone="+7 (912) 345-67-89"
    )
    factories.company(personas.alice, name="Другая", tax_id="7709999999")
    expected = [(firm.pk, "Вектор · ИНН 7701234567")]

    assert options(client, personas.alice, company_q="7701234567").context["options"] == expected
    assert options(client, personas.alice, company_q="89123456789").context["options"] == expected
    assert options(client, personas.alice, company_q="345-67-89").context["options"] == expected


def test_the_options_stop_at_the_limit_and_say_there_are_more(
    personas, client, django_assert_max_num_queries
):
    firms = [factories.company(personas.alice, name=f"Альфа {n:02}") for n in range(1, 26)]
    client.force_login(personas.alice)
    client.get(reverse(URL))  # the first request of all sets the organisation up

    # session, user, led teams, the search itself
    with django_assert_max_num_queries(4):
        response = client.get(reverse(URL), {"company_q": "альфа"})

    html = response.content.decode()
    assert COMPANY_OPTIONS_LIMIT == 20
    assert response.context["options"] == [(f.pk, f.name) for f in firms[:20]]
    assert response.context["more"] is True
    assert "Первые 20 найденных: уточните запрос" in html
    assert "Альфа 21" not in html


def test_the_chosen_company_is_marked_selected_when_it_is_among_the_matches(personas, client):
    first = factories.company(personas.alice, name="Альфа 1")
    second = factories.company(personas.alice, name="Альфа 2")

    html = options(client, personas.alice, company_q="альфа", company=second.pk).content.decode()

    assert f'<option value="{first.pk}">Альфа 1</option>' in html
    assert f'<option value="{second.pk}" selected>Альфа 2</option>' in html


def test_an_empty_search_offers_no_company(personas, client):
    factories.company(personas.alice, name="Альфа")

    response = options(client, personas.alice, company_q="  ")

    assert response.context["options"] == []
    assert response.content.decode().strip().endswith('<option value="">— без компании —</option>')


def test_a_deleted_company_is_not_offered(personas, client):
    from voronka.clients import services

    firm = factories.company(personas.alice, name="Удалённая")
    services.company_delete(actor=personas.alice, company=firm, version=firm.version)

    assert options(client, personas.alice, company_q="удал").context["options"] == []


def test_the_options_need_a_signed_in_person(personas, client):
    factories.company(personas.alice, name="Альфа")

    response = client.get(reverse(URL), {"company_q": "альфа"})

    assert response.status_code == 302
    assert "Альфа" not in response.content.decode()


def test_the_options_answer_only_get(personas, client):
    client.force_login(personas.alice)

    assert client.post(reverse(URL), {"company_q": "альфа"}).status_code == 405
