"""Create and edit forms of companies and contacts."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests import factories
from voronka.clients import services
from voronka.clients.models import Company, Contact

pytestmark = pytest.mark.django_db


def company_post(**overrides) -> dict:
    data = {
        "name": "ООО Новая",
        "tax_id": "",
        "industry": "",
        "website": "",
        "phone": "",
        "email": "",
        "address": "",
        "lifecycle_stage": "lead",
        "source": "",
        "owner": "",
        "tags": "",
        "notes": "",
    }
    data.update(overrides)
    return data


def contact_post(**overrides) -> dict:
    data = {
        "last_name": "Петров",
        "first_name": "Пётр",
        "middle_name": "",
        "company": "",
        "position": "",
        "phone": "",
        "email": "",
        "address": "",
        "lifecycle_stage": "lead",
        "source": "",
        "owner": "",
        "tags": "",
        "notes": "",
    }
    data.update(overrides)
    return data


def company_edit_post(company, **overrides) -> dict:
    data = company_post(
        name=company.name,
        tax_id=company.tax_id,
        phone=company.phone,
        email=company.email,
        lifecycle_stage=company.lifecycle_stage,
        owner=company.owner_id or "",
        version=company.version,
    )
    data.update(overrides)
    return data


def test_a_manager_creates_a_company_with_tags_and_becomes_responsible(personas, client, source):
    client.force_login(personas.alice)

    response = client.post(
        reverse("clients:company-create"),
        company_post(
            name="ООО Вектор",
            tax_id="7701234567",
            phone="8 (912) 345-67-89",
            source=source.pk,
            owner=personas.alice.pk,
            tags="опт, звонить после 14:00, опт",
        ),
    )

    company = Company.objects.get(name="ООО Вектор")
    assert response.status_code == 302
    assert response["Location"] == reverse("clients:company-detail", args=[company.pk])
    assert company.owner == personas.alice
    assert company.phone_normalized == "79123456789"
    assert company.source == source
    assert sorted(t.name for t in company.tags.all()) == ["звонить после 14:00", "опт"]
    assert company.created_by == personas.alice


def test_the_new_company_form_offers_only_owners_the_manager_may_assign(personas, client):
    client.force_login(personas.lead)

    form = client.get(reverse("clients:company-create")).context["form"]

    assert list(form.fields["owner"].queryset) == [personas.alice, personas.lead]
    assert form.initial["owner"] == personas.lead.pk


def test_a_plain_manager_may_only_make_themselves_responsible(personas, client):
    client.force_login(personas.alice)

    response = client.post(
        reverse("clients:company-create"), company_post(name="Чужая", owner=personas.bob.pk)
    )

    assert response.status_code == 422
    assert "owner" in response.context["form"].errors
    assert not Company.all_objects.filter(name="Чужая").exists()


def test_a_field_error_is_shown_next_to_the_field_and_the_input_is_kept(personas, client):
    client.force_login(personas.alice)

    response = client.post(
        reverse("clients:company-create"),
        company_post(name="", email="не-почта", phone="+7 912 000-00-00", owner=personas.alice.pk),
    )

    html = response.content.decode()
    assert response.status_code == 422
    assert sorted(response.context["form"].errors) == ["email", "name"]
    assert 'id="id_email_error"' in html
    assert 'value="+7 912 000-00-00"' in html
    assert Company.all_objects.count() == 0


def test_a_refusal_of_the_service_is_shown_next_to_its_field(personas, client):
    factories.company(personas.bob, name="Первая", tax_id="7701234567")
    client.force_login(personas.alice)

    response = client.post(
        reverse("clients:company-create"),
        company_post(name="Вторая", tax_id="7701234567", owner=personas.alice.pk, tags="опт"),
    )

    assert response.status_code == 422
    assert response.context["form"].errors["tax_id"] == ["У компании «Первая» уже есть такой ИНН."]
    assert not Company.all_objects.filter(name="Вторая").exists()
    assert not Company.tags.through.objects.exists()


def test_support_may_not_open_the_new_company_form(personas, client):
    client.force_login(personas.support)

    assert client.get(reverse("clients:company-create")).status_code == 403
    assert client.post(reverse("clients:company-create"), company_post()).status_code == 403
    assert Company.all_objects.count() == 0


def test_the_edit_form_shows_the_record_and_carries_its_version(personas, client):
    company = factories.company(personas.alice, name="Альфа", tax_id="7701234567")
    services.company_update(actor=personas.alice, company=company, version=1, data={}, tags=["опт"])
    client.force_login(personas.alice)

    response = client.get(reverse("clients:company-edit", args=[company.pk]))

    html = response.content.decode()
    assert response.status_code == 200
    assert '<input type="hidden" name="version" value="2"' in html
    assert 'value="Альфа"' in html
    assert 'value="опт"' in html
    assert "autofocus" in html


def test_editing_a_company_saves_the_change_and_advances_the_version(personas, client):
    company = factories.company(personas.alice, name="Альфа")
    client.force_login(personas.alice)

    response = client.post(
        reverse("clients:company-edit", args=[company.pk]),
        company_edit_post(company, name="Альфа-Плюс", lifecycle_stage="customer", tags="VIP"),
    )

    company.refresh_from_db()
    assert response.status_code == 302
    assert (company.name, company.lifecycle_stage, company.version) == ("Альфа-Плюс", "customer", 2)
    assert [t.name for t in company.tags.all()] == ["VIP"]


def test_a_stale_version_shows_the_message_keeps_the_input_and_changes_nothing(personas, client):
    company = factories.company(personas.alice, name="Альфа")
    form_data = company_edit_post(company, name="Моя правка", tags="мой тег")
    services.company_update(
        actor=personas.lead, company=company, version=1, data={"name": "Правка руководителя"}
    )
    client.force_login(personas.alice)

    response = client.post(reverse("clients:company-edit", args=[company.pk]), form_data)

    html = response.content.decode()
    company.refresh_from_db()
    assert response.status_code == 409
    assert "Пока вы редактировали запись, её изменил кто-то другой" in html
    assert 'value="Моя правка"' in html
    assert (company.name, company.version) == ("Правка руководителя", 2)
    assert list(company.tags.all()) == []


def test_an_edit_without_a_version_is_refused(personas, client):
    company = factories.company(personas.alice, name="Альфа")
    client.force_login(personas.alice)
    data = company_edit_post(company, name="Без версии")
    del data["version"]

    response = client.post(reverse("clients:company-edit", args=[company.pk]), data)

    company.refresh_from_db()
    assert response.status_code == 422
    assert company.name == "Альфа"


def test_an_edit_refused_by_the_service_saves_nothing(personas, client):
    factories.company(personas.bob, name="Занятый ИНН", tax_id="7701234567")
    company = factories.company(personas.alice, name="Альфа")
    client.force_login(personas.alice)

    response = client.post(
        reverse("clients:company-edit", args=[company.pk]),
        company_edit_post(company, name="Переименована", tax_id="7701234567", tags="новый"),
    )

    company.refresh_from_db()
    assert response.status_code == 422
    assert "tax_id" in response.context["form"].errors
    assert (company.name, company.tax_id, company.version) == ("Альфа", "", 1)
    assert list(company.tags.all()) == []
    assert "Изменение: «Альфа»" in response.content.decode()


def test_a_contact_is_created_for_a_company_from_its_card(personas, client):
    firm = factories.company(personas.alice, name="Фирма")
    client.force_login(personas.alice)

    form = client.get(reverse("clients:contact-create"), {"company": firm.pk}).context["form"]
    response = client.post(
        reverse("clients:contact-create"),
        contact_post(company=firm.pk, email="Petr@Firma.ru", owner=personas.alice.pk),
    )

    contact = Contact.objects.get(last_name="Петров")
    assert form.initial["company"] == firm.pk
    assert response.status_code == 302
    assert (contact.company, contact.email_normalized) == (firm, "petr@firma.ru")


def test_the_contact_form_offers_only_companies_the_user_may_see(personas, client):
    mine = factories.company(personas.alice, name="Моя")
    factories.company(personas.bob, name="Чужая")
    client.force_login(personas.alice)

    form = client.get(reverse("clients:contact-create")).context["form"]

    assert list(form.fields["company"].queryset) == [mine]


def test_a_duplicate_contact_e_mail_is_shown_next_to_the_e_mail(personas, client):
    factories.contact(personas.bob, first_name="Ира", last_name="Старая", email="ira@example.com")
    client.force_login(personas.alice)

    response = client.post(
        reverse("clients:contact-create"),
        contact_post(email="IRA@example.com", owner=personas.alice.pk),
    )

    assert response.status_code == 422
    assert response.context["form"].errors["email"] == [
        "У контакта «Старая Ира» уже есть такой e-mail."
    ]
    assert Contact.all_objects.count() == 1


def test_editing_a_contact_keeps_a_company_the_editor_cannot_see(personas, client):
    firm = factories.company(personas.bob, name="Фирма Бориса")
    contact = factories.contact(personas.bob, company=firm, last_name="Общий")
    services.contact_update(
        actor=personas.head, contact=contact, version=1, data={"owner": personas.alice}
    )
    contact.refresh_from_db()
    client.force_login(personas.alice)

    response = client.post(
        reverse("clients:contact-edit", args=[contact.pk]),
        contact_post(
            last_name="Общий",
            first_name="Иван",
            company=firm.pk,
            owner=personas.alice.pk,
            position="Директор",
            version=contact.version,
        ),
    )

    contact.refresh_from_db()
    assert response.status_code == 302
    assert (contact.position, contact.company) == ("Директор", firm)


# --- The company search of the contact form ----------------------------------------------


def selected_company_options(html: str) -> list[str]:
    """The <option>s of the company select, as rendered."""
    start = html.index('<select name="company"')
    return [
        line.strip()
        for line in html[start : html.index("</select>", start)].splitlines()
        if "<option" in line
    ]


@pytest.fixture
def hundred_companies(personas):
    return [factories.company(personas.alice, name=f"Посторонняя {n:03}") for n in range(100)]


def test_the_new_contact_form_lists_none_of_a_hundred_companies(
    personas, client, hundred_companies, django_assert_max_num_queries
):
    client.force_login(personas.alice)
    client.get(reverse("clients:contact-list"))  # the first request of all sets things up

    with django_assert_max_num_queries(8):
        response = client.get(reverse("clients:contact-create"))

    html = response.content.decode()
    assert response.status_code == 200
    assert "Посторонняя" not in html
    assert selected_company_options(html) == ['<option value="" selected>— без компании —</option>']
    assert 'name="company_q"' in html
    assert reverse("clients:company-options") in html


def test_the_contact_form_opened_from_a_company_card_shows_that_company_alone(
    personas, client, hundred_companies, django_assert_max_num_queries
):
    firm = factories.company(personas.alice, name="Фирма", tax_id="7701234567")
    client.force_login(personas.alice)
    client.get(reverse("clients:contact-list"))

    with django_assert_max_num_queries(9):
        response = client.get(reverse("clients:contact-create"), {"company": firm.pk})

    html = response.content.decode()
    assert "Посторонняя" not in html
    assert selected_company_options(html) == [
        '<option value="">— без компании —</option>',
        f'<option value="{firm.pk}" selected>Фирма · ИНН 7701234567</option>',
    ]


def test_the_contact_edit_form_shows_the_current_company_alone(
    personas, client, hundred_companies, django_assert_max_num_queries
):
    firm = factories.company(personas.alice, name="Фирма")
    contact = factories.contact(personas.alice, company=firm, last_name="Сотрудник")
    client.force_login(personas.alice)
    client.get(reverse("clients:contact-list"))

    with django_assert_max_num_queries(11):
        response = client.get(reverse("clients:contact-edit", args=[contact.pk]))

    html = response.content.decode()
    assert response.status_code == 200
    assert "Посторонняя" not in html
    assert selected_company_options(html) == [
        '<option value="">— без компании —</option>',
        f'<option value="{firm.pk}" selected>Фирма</option>',
    ]


def test_a_company_of_another_team_named_in_the_url_is_neither_shown_nor_chosen(personas, client):
    hidden = factories.company(personas.bob, name="Тайная фирма Бориса")
    client.force_login(personas.alice)

    response = client.get(reverse("clients:contact-create"), {"company": hidden.pk})

    html = response.content.decode()
    assert response.status_code == 200
    assert "Тайная фирма" not in html
    assert selected_company_options(html) == ['<option value="">— без компании —</option>']


def test_posting_a_company_of_another_team_is_a_field_error_and_saves_nothing(personas, client):
    hidden = factories.company(personas.bob, name="Тайная фирма Бориса")
    client.force_login(personas.alice)

    response = client.post(
        reverse("clients:contact-create"),
        contact_post(company=hidden.pk, owner=personas.alice.pk),
    )

    html = response.content.decode()
    assert response.status_code == 422
    assert response.context["form"].errors == {"company": ["Выберите компанию из найденных."]}
    assert 'id="id_company_error"' in html
    assert "Тайная фирма" not in html
    assert Contact.all_objects.count() == 0


def test_moving_a_contact_to_a_company_of_another_team_is_refused_and_changes_nothing(
    personas, client
):
    mine = factories.company(personas.alice, name="Моя фирма")
    hidden = factories.company(personas.bob, name="Тайная фирма Бориса")
    contact = factories.contact(personas.alice, company=mine, last_name="Сотрудник")
    client.force_login(personas.alice)

    response = client.post(
        reverse("clients:contact-edit", args=[contact.pk]),
        contact_post(
            last_name="Сотрудник",
            first_name="Иван",
            company=hidden.pk,
            owner=personas.alice.pk,
            position="Директор",
            version=contact.version,
        ),
    )

    contact.refresh_from_db()
    assert response.status_code == 422
    assert list(response.context["form"].errors) == ["company"]
    assert "Тайная фирма" not in response.content.decode()
    assert (contact.company, contact.position, contact.version) == (mine, "", 1)


def test_the_chosen_company_stays_chosen_when_the_form_comes_back_with_errors(personas, client):
    firm = factories.company(personas.alice, name="Фирма")
    client.force_login(personas.alice)

    response = client.post(
        reverse("clients:contact-create"),
        contact_post(first_name="", company=firm.pk, owner=personas.alice.pk),
    )

    assert response.status_code == 422
    assert list(response.context["form"].errors) == ["first_name"]
    assert selected_company_options(response.content.decode()) == [
        '<option value="">— без компании —</option>',
        f'<option value="{firm.pk}" selected>Фирма</option>',
    ]


def test_the_edit_form_keeps_showing_a_current_company_the_editor_cannot_see(personas, client):
    firm = factories.company(personas.bob, name="Фирма Бориса")
    contact = factories.contact(personas.bob, company=firm, last_name="Общий")
    services.contact_update(
        actor=personas.head, contact=contact, version=1, data={"owner": personas.alice}
    )
    client.force_login(personas.alice)

    html = client.get(reverse("clients:contact-edit", args=[contact.pk])).content.decode()

    # The contact's card shows this name to the same person; the form must not drop the link.
    assert selected_company_options(html) == [
        '<option value="">— без компании —</option>',
        f'<option value="{firm.pk}" selected>Фирма Бориса</option>',
    ]
