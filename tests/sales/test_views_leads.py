"""Lead pages: the list, the card, the forms, qualification and rejection."""

from __future__ import annotations

from decimal import Decimal

from django.urls import reverse

from tests import factories
from voronka.clients.models import Company, Contact
from voronka.sales import services
from voronka.sales.models import Deal, Lead

LIST = reverse("sales:lead-list")


def login(client, user):
    client.force_login(user)
    return client


def titles(response):
    return [lead.title for lead in response.context["page"].items]


def test_a_manager_sees_their_leads_newest_first(client, personas, source):
    factories.lead(personas.alice, title="Первая заявка")
    factories.lead(personas.alice, title="Вторая заявка", source=source)
    factories.lead(personas.bob, title="Заявка Боба")
    response = login(client, personas.alice).get(LIST)
    assert response.status_code == 200
    assert titles(response) == ["Вторая заявка", "Первая заявка"]


def test_the_lead_list_searches_and_filters(client, personas, source):
    factories.lead(personas.alice, title="Сайт: звонок", phone="8 (912) 000-11-22", source=source)
    second = factories.lead(personas.bob, title="Выставка", email="Petr@Zarya.ru")
    services.lead_update(
        actor=personas.bob, lead=second, version=1, data={"status": Lead.Status.IN_PROGRESS}
    )
    c = login(client, personas.head)
    assert titles(c.get(LIST, {"q": "+7 912 000 11 22"})) == ["Сайт: звонок"]
    assert titles(c.get(LIST, {"q": "petr@zarya.ru"})) == ["Выставка"]
    assert titles(c.get(LIST, {"q": "выстав"})) == ["Выставка"]
    assert titles(c.get(LIST, {"status": "in_progress"})) == ["Выставка"]
    assert titles(c.get(LIST, {"source": source.pk})) == ["Сайт: звонок"]
    assert titles(c.get(LIST, {"owner": personas.bob.pk})) == ["Выставка"]


def test_an_empty_lead_list_says_where_leads_come_from(client, personas):
    body = login(client, personas.alice).get(LIST).content.decode()
    assert "Лидов пока нет." in body


def test_the_lead_list_costs_the_same_queries_for_forty_leads(
    client, personas, source, django_assert_max_num_queries
):
    for n in range(40):
        factories.lead(personas.alice, source=source if n % 2 else None)
    c = login(client, personas.lead)
    c.get(reverse("core:home"))  # the organisation's settings are read once and cached
    with django_assert_max_num_queries(10):
        response = c.get(LIST)
    assert len(response.context["page"].items) == 40


def test_the_lead_card_shows_source_utm_contacts_and_history(client, personas, source):
    lead = factories.lead(
        personas.alice,
        title="Заявка с сайта",
        contact_name="Смирнов Пётр",
        phone="+7 912 111-22-33",
        source=source,
        utm_source="yandex",
        utm_campaign="autumn-sale",
    )
    response = login(client, personas.alice).get(reverse("sales:lead-detail", args=[lead.pk]))
    body = response.content.decode()
    assert response.status_code == 200
    for text in ("Сайт", "yandex", "autumn-sale", "Смирнов Пётр", "+7 912 111-22-33", "Новый"):
        assert text in body
    assert 'id="qualify-modal"' in body
    assert 'id="history-heading"' in body


def test_a_manager_creates_a_lead(client, personas, source):
    response = login(client, personas.alice).post(
        reverse("sales:lead-create"),
        {
            "title": "Звонок из рекламы",
            "contact_name": "Петров Иван",
            "phone": "89123334455",
            "source": source.pk,
            "status": "new",
            "owner": personas.alice.pk,
            "utm_source": "vk",
        },
    )
    lead = Lead.objects.get(title="Звонок из рекламы")
    assert response.status_code == 302
    assert (lead.owner, lead.phone_normalized, lead.source, lead.utm_source) == (
        personas.alice,
        "79123334455",
        source,
        "vk",
    )


def test_the_lead_form_shows_field_errors(client, personas):
    response = login(client, personas.alice).post(
        reverse("sales:lead-create"),
        {"title": "", "email": "не почта", "status": "new", "owner": personas.bob.pk},
    )
    assert response.status_code == 422
    assert set(response.context["form"].errors) == {"title", "email", "owner"}
    assert Lead.objects.count() == 0


def test_a_stale_lead_edit_is_refused_and_the_input_kept(client, personas):
    lead = factories.lead(personas.alice, title="Исходная")
    services.lead_update(actor=personas.alice, lead=lead, version=1, data={"title": "Свежая"})
    response = login(client, personas.alice).post(
        reverse("sales:lead-edit", args=[lead.pk]),
        {"title": "Моя", "status": "new", "owner": personas.alice.pk, "version": 1},
    )
    lead.refresh_from_db()
    assert response.status_code == 422
    assert 'value="Моя"' in response.content.decode()
    assert (lead.title, lead.version) == ("Свежая", 2)


def test_qualifying_a_lead_creates_company_contact_and_deal(client, personas, pipeline, stages):
    lead = factories.lead(
        personas.alice,
        title="Заявка ООО Заря",
        company_name="ООО Заря",
        contact_name="Смирнов Пётр Ильич",
        phone="+7 912 555-66-77",
        email="petr@zarya.ru",
    )
    response = login(client, personas.alice).post(
        reverse("sales:lead-qualify", args=[lead.pk]),
        {
            "pipeline": pipeline.pk,
            "title": "Поставка для Зари",
            "amount": "120000",
            "expected_close_date": "2026-12-26",
            "version": lead.version,
        },
    )
    deal = Deal.objects.get()
    lead.refresh_from_db()
    company = Company.objects.get()
    contact = Contact.objects.get()
    assert response.status_code == 302
    assert response.url == reverse("sales:deal-detail", args=[deal.pk])
    assert (deal.title, deal.amount, deal.stage, deal.lead, deal.owner) == (
        "Поставка для Зари",
        Decimal("120000.00"),
        stages["new"],
        lead,
        personas.alice,
    )
    assert (deal.company, deal.contact) == (company, contact)
    assert (company.name, contact.full_name, contact.phone_normalized) == (
        "ООО Заря",
        "Смирнов Пётр Ильич",
        "79125556677",
    )
    assert (lead.status, lead.company, lead.contact) == (Lead.Status.QUALIFIED, company, contact)


def test_a_qualified_lead_cannot_be_qualified_again(client, personas, pipeline):
    lead = factories.lead(personas.alice, contact_name="Иванов Иван")
    c = login(client, personas.alice)
    data = {"pipeline": pipeline.pk, "title": "Сделка", "version": 1}
    c.post(reverse("sales:lead-qualify", args=[lead.pk]), data)
    again = c.post(reverse("sales:lead-qualify", args=[lead.pk]), {**data, "version": 2})
    assert again.status_code == 422
    assert Deal.objects.count() == 1


def test_rejecting_needs_a_reason(client, personas, lost_reason):
    lead = factories.lead(personas.alice)
    c = login(client, personas.alice)
    refused = c.post(reverse("sales:lead-reject", args=[lead.pk]), {"version": 1})
    lead.refresh_from_db()
    assert refused.status_code == 422
    assert set(refused.context["form"].errors) == {"reason"}
    assert (lead.status, lead.version) == (Lead.Status.NEW, 1)
    done = c.post(
        reverse("sales:lead-reject", args=[lead.pk]),
        {"reason": lost_reason.pk, "comment": "Нет бюджета до весны", "version": 1},
    )
    lead.refresh_from_db()
    assert done.status_code == 302
    assert (lead.status, lead.rejection_reason, lead.rejection_comment) == (
        Lead.Status.REJECTED,
        lost_reason,
        "Нет бюджета до весны",
    )


def test_deleting_a_lead_hides_it(client, personas):
    lead = factories.lead(personas.alice)
    response = login(client, personas.alice).post(
        reverse("sales:lead-delete", args=[lead.pk]), {"version": 1}
    )
    assert response.status_code == 302
    assert Lead.objects.filter(pk=lead.pk).exists() is False
