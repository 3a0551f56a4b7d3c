"""The client cards, and deleting a client from its card."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse

from tests import factories
from voronka.clients import services
from voronka.clients.models import Company, Contact

pytestmark = pytest.mark.django_db


def test_the_company_card_shows_details_tags_contacts_deals_and_history(personas, client, stages):
    company = factories.company(
        personas.alice,
        name="ООО Вектор",
        tax_id="7701234567",
        phone="+7 (912) 345-67-89",
        lifecycle_stage="customer",
    )
    services.company_update(
        actor=personas.alice,
        company=company,
        version=1,
        data={"industry": "Логистика"},
        tags=["опт"],
    )
    factories.contact(personas.alice, first_name="Анна", last_name="Сидорова", company=company)
    deal = factories.deal(
        personas.alice, client=company, title="Поставка фур", amount=Decimal("1234567.89")
    )
    client.force_login(personas.alice)

    response = client.get(reverse("clients:company-detail", args=[company.pk]))

    html = response.content.decode()
    assert response.status_code == 200
    assert "ООО Вектор" in html
    assert "7701234567" in html
    assert "Покупатель" in html
    assert '<span class="badge rounded-pill tag-badge">опт</span>' in html
    assert "Сидорова Анна" in html
    assert f'href="{reverse("sales:deal-detail", args=[deal.pk])}">Поставка фур</a>' in html
    assert "1\xa0234\xa0567,89\xa0₽" in html
    assert [e.kind for e in response.context["history"]] == ["~", "+"]
    assert "Логистика" in html
    assert f'href="{reverse("clients:company-edit", args=[company.pk])}"' in html


def test_the_contact_card_links_to_the_company_the_user_may_see(personas, client):
    firm = factories.company(personas.alice, name="Фирма")
    contact = factories.contact(
        personas.alice, first_name="Анна", last_name="Сидорова", company=firm
    )
    client.force_login(personas.alice)

    html = client.get(reverse("clients:contact-detail", args=[contact.pk])).content.decode()

    assert "Сидорова Анна" in html
    assert f'href="{reverse("clients:company-detail", args=[firm.pk])}">Фирма</a>' in html


def test_support_reads_the_card_without_edit_or_delete_buttons(personas, client):
    company = factories.company(personas.alice, name="Альфа")
    client.force_login(personas.support)

    response = client.get(reverse("clients:company-detail", args=[company.pk]))

    html = response.content.decode()
    assert response.status_code == 200
    assert response.context["can_write"] is False
    assert reverse("clients:company-edit", args=[company.pk]) not in html
    assert reverse("clients:company-delete", args=[company.pk]) not in html


def test_deleting_a_company_moves_it_to_the_trash(personas, client):
    company = factories.company(personas.alice, name="Альфа")
    client.force_login(personas.alice)

    response = client.post(
        reverse("clients:company-delete", args=[company.pk]), {"version": company.version}
    )

    company = Company.all_objects.get(pk=company.pk)
    assert response.status_code == 302
    assert response["Location"] == reverse("clients:company-list")
    assert company.deleted_at is not None
    assert client.get(reverse("clients:company-detail", args=[company.pk])).status_code == 404


def test_deleting_with_a_stale_version_keeps_the_record_and_says_why(personas, client):
    contact = factories.contact(personas.alice, last_name="Сидорова")
    services.contact_update(
        actor=personas.lead, contact=contact, version=1, data={"position": "ГД"}
    )
    client.force_login(personas.alice)

    response = client.post(
        reverse("clients:contact-delete", args=[contact.pk]), {"version": 1}, follow=True
    )

    contact.refresh_from_db()
    assert contact.deleted_at is None
    assert "Пока вы редактировали запись, её изменил кто-то другой" in response.content.decode()


def test_deleting_without_a_version_is_a_bad_request(personas, client):
    contact = factories.contact(personas.alice)
    client.force_login(personas.alice)

    response = client.post(reverse("clients:contact-delete", args=[contact.pk]))

    contact.refresh_from_db()
    assert response.status_code == 400
    assert contact.deleted_at is None


def test_opening_the_delete_address_asks_for_confirmation_and_deletes_nothing(personas, client):
    contact = factories.contact(personas.alice, first_name="Анна", last_name="Сидорова")
    client.force_login(personas.alice)

    response = client.get(reverse("clients:contact-delete", args=[contact.pk]))

    contact.refresh_from_db()
    assert response.status_code == 200
    assert "Удалить «Сидорова Анна»?" in response.content.decode()
    assert contact.deleted_at is None
    assert Contact.objects.count() == 1
