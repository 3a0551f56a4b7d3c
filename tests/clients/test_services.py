import pytest
from django.core.exceptions import ValidationError

from tests import factories
from voronka.clients import services
from voronka.clients.models import Company, Contact
from voronka.core.errors import NotAllowed, StaleVersion
from voronka.core.history import entries_for


def test_a_company_is_normalised_for_search_and_owned_by_its_creator(personas):
    company = services.company_create(
        actor=personas.alice,
        data={"name": "ООО «Ёлка»", "phone": "8 (912) 345-67-89", "email": "Info@Elka.RU"},
        tags=["опт", " доставка "],
    )
    assert (company.owner, company.phone_normalized, company.email_normalized) == (
        personas.alice, "79123456789", "info@elka.ru",
    )  # fmt: skip
    assert company.search_text == "ооо «елка» info@elka.ru"
    assert sorted(company.tags.values_list("name", flat=True)) == ["доставка", "опт"]


def test_two_companies_cannot_share_a_tax_id(personas):
    factories.company(personas.alice, name="Первая", tax_id="7707083893")
    with pytest.raises(ValidationError) as err:
        factories.company(personas.bob, name="Вторая", tax_id="7707083893")
    assert err.value.message_dict == {"tax_id": ["Company «Первая» already has this tax id."]}
    assert Company.objects.count() == 1


def test_a_bad_email_is_refused_naming_the_field(personas):
    with pytest.raises(ValidationError) as err:
        factories.contact(personas.alice, email="not-an-email")
    assert list(err.value.message_dict) == ["email"]
    assert Contact.objects.count() == 0


def test_every_change_is_in_the_history_with_who_and_what(personas):
    company = factories.company(personas.alice, name="Старое")
    services.company_update(
        actor=personas.lead, company=company, version=1, data={"name": "Новое", "industry": "IT"}
    )
    entries = entries_for(company)
    assert [(e.label, e.user) for e in entries] == [
        ("changed", personas.lead),
        ("created", personas.alice),
    ]
    assert sorted((c.field, c.old, c.new) for c in entries[0].changes) == [
        ("industry", "", "IT"),
        ("name", "Старое", "Новое"),
    ]


def test_a_stale_edit_is_refused_and_the_newer_one_stays(personas):
    company = factories.company(personas.alice, name="Исходное")
    mine = Company.objects.get(pk=company.pk)
    services.company_update(actor=personas.alice, company=company, version=1, data={"name": "A"})
    with pytest.raises(StaleVersion):
        services.company_update(actor=personas.lead, company=mine, version=1, data={"name": "B"})
    assert Company.objects.get(pk=company.pk).name == "A"


def test_a_contact_of_an_invisible_company_is_refused(personas):
    theirs = factories.company(personas.bob)
    with pytest.raises(ValidationError) as err:
        factories.contact(personas.alice, company=theirs)
    assert list(err.value.message_dict) == ["company"]


def test_support_changes_no_client(personas):
    company = factories.company(personas.alice)
    with pytest.raises(NotAllowed):
        services.company_update(
            actor=personas.support, company=company, version=1, data={"name": "x"}
        )
    with pytest.raises(NotAllowed):
        services.company_delete(actor=personas.support, company=company, version=1)
    assert Company.objects.get(pk=company.pk).version == 1
