"""The trash: deleted companies, contacts, leads and deals, and restoring them."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests import factories
from voronka.clients import services as client_services
from voronka.clients.models import Company, Contact
from voronka.sales import services as sales_services
from voronka.sales.models import Deal, Lead

pytestmark = pytest.mark.django_db

TRASH = reverse("core:trash")
RESTORE = reverse("core:trash-restore")


@pytest.fixture
def deleted(personas, pipeline):
    """One deleted record of each kind, all alice's, deleted by alice."""
    alice = personas.alice
    company = factories.company(alice, name="Удалённая компания")
    contact = factories.contact(alice, first_name="Иван", last_name="Удалёнов")
    lead = factories.lead(alice, title="Удалённый лид")
    deal = factories.deal(alice, title="Удалённая сделка")
    client_services.company_delete(actor=alice, company=company, version=company.version)
    client_services.contact_delete(actor=alice, contact=contact, version=contact.version)
    sales_services.lead_delete(actor=alice, lead=lead, version=lead.version)
    sales_services.deal_delete(actor=alice, deal=deal, version=deal.version)
    return {"company": company, "contact": contact, "lead": lead, "deal": deal}


@pytest.mark.parametrize("who", ["admin", "head"])
def test_admin_and_head_of_sales_see_every_deleted_record_and_who_deleted_it(
    personas, client, deleted, who
):
    client.force_login(getattr(personas, who))

    response = client.get(TRASH)

    html = response.content.decode()
    assert response.status_code == 200
    for name in ["Удалённая компания", "Удалёнов Иван", "Удалённый лид", "Удалённая сделка"]:
        assert name in html
    rows = {s["kind"]: s["rows"] for s in response.context["sections"]}
    assert [r.deleted_by for r in rows["company"]] == [personas.alice]
    assert [r.pk for r in rows["deal"]] == [deleted["deal"].pk]


@pytest.mark.parametrize("who", ["lead", "alice", "bob", "support", "outsider"])
def test_everyone_else_gets_404_for_the_trash(personas, client, deleted, who):
    client.force_login(getattr(personas, who))

    assert client.get(TRASH).status_code == 404


def test_an_empty_trash_says_so(personas, client):
    client.force_login(personas.head)

    html = client.get(TRASH).content.decode()

    assert "Ничего не удалено." in html


@pytest.mark.parametrize(
    ("kind", "model"), [("company", Company), ("contact", Contact), ("lead", Lead), ("deal", Deal)]
)
def test_restore_brings_a_record_back(personas, client, deleted, kind, model):
    client.force_login(personas.head)

    response = client.post(RESTORE, {"kind": kind, "pk": deleted[kind].pk}, follow=True)

    restored = model.all_objects.get(pk=deleted[kind].pk)
    assert response.redirect_chain == [(TRASH, 302)]
    assert restored.deleted_at is None
    assert f"«{restored}» восстановлено." in response.content.decode()
    assert model.objects.filter(pk=restored.pk).exists()


@pytest.mark.parametrize("who", ["lead", "alice", "support", "bob"])
def test_restore_is_404_for_everyone_else_and_changes_nothing(personas, client, deleted, who):
    client.force_login(getattr(personas, who))

    response = client.post(RESTORE, {"kind": "company", "pk": deleted["company"].pk})

    company = Company.all_objects.get(pk=deleted["company"].pk)
    assert response.status_code == 404
    assert company.deleted_at is not None
    assert company.version == deleted["company"].version


@pytest.mark.parametrize("data", [{"kind": "user", "pk": "1"}, {"kind": "company", "pk": "x"}, {}])
def test_restore_of_an_unknown_kind_or_record_is_404(personas, client, data):
    client.force_login(personas.admin)

    assert client.post(RESTORE, data).status_code == 404


def test_restore_of_a_live_record_is_404(personas, client):
    company = factories.company(personas.alice)
    client.force_login(personas.admin)

    response = client.post(RESTORE, {"kind": "company", "pk": company.pk})

    assert response.status_code == 404
    assert Company.objects.get(pk=company.pk).version == 1


def test_the_trash_only_answers_a_post_for_restore(personas, client, deleted):
    client.force_login(personas.admin)

    response = client.get(RESTORE, {"kind": "company", "pk": deleted["company"].pk})

    assert response.status_code == 405
    assert Company.all_objects.get(pk=deleted["company"].pk).deleted_at is not None


def test_the_trash_costs_a_fixed_number_of_queries(
    personas, client, pipeline, django_assert_max_num_queries
):
    for i in range(30):
        c = factories.company(personas.alice, name=f"К{i}")
        client_services.company_delete(actor=personas.alice, company=c, version=c.version)
    client.force_login(personas.admin)
    client.get(TRASH)  # the organisation row is made and cached on first use

    with django_assert_max_num_queries(9):
        response = client.get(TRASH)

    assert len(response.context["sections"][0]["rows"]) == 30
