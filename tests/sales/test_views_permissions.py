"""Who may list, open, edit and delete a deal or a lead owned by Alice (team North).

Admin and head see everything; the lead of North sees his team's records; support
reads deals but changes nothing and has no leads; Bob (South) and the outsider
(West) are told the records do not exist. A refusal never changes the database.
"""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests import factories
from voronka.sales.models import Deal, Lead

EVERYONE = ["admin", "head", "lead", "alice", "bob", "support", "outsider"]

DEAL_VIEW = {"admin": 200, "head": 200, "lead": 200, "alice": 200, "support": 200,
             "bob": 404, "outsider": 404}  # fmt: skip
DEAL_EDIT = {"admin": 200, "head": 200, "lead": 200, "alice": 200, "support": 403,
             "bob": 404, "outsider": 404}  # fmt: skip
DEAL_DELETE = {**DEAL_EDIT, "admin": 302, "head": 302, "lead": 302, "alice": 302}
LEAD_VIEW = {"admin": 200, "head": 200, "lead": 200, "alice": 200, "support": 404,
             "bob": 404, "outsider": 404}  # fmt: skip
LEAD_DELETE = {**LEAD_VIEW, "admin": 302, "head": 302, "lead": 302, "alice": 302}
SEES_ALICES = {"admin", "head", "lead", "alice"}


def as_(client, personas, name):
    client.force_login(getattr(personas, name))
    return client


def deal_state(deal):
    row = Deal.all_objects.get(pk=deal.pk)
    return (row.title, row.stage_id, row.amount, row.version, row.deleted_at)


def lead_state(lead):
    row = Lead.all_objects.get(pk=lead.pk)
    return (row.title, row.status, row.version, row.deleted_at)


@pytest.fixture
def deal(personas, stages):
    return factories.deal(personas.alice, title="Сделка Алисы")


@pytest.fixture
def lead(personas):
    return factories.lead(personas.alice, title="Лид Алисы", contact_name="Иванов Иван")


# --- Deals -------------------------------------------------------------------------------


@pytest.mark.parametrize("who", EVERYONE)
def test_the_deal_list_shows_alices_deal_only_to_those_who_may_see_it(client, personas, deal, who):
    response = as_(client, personas, who).get(reverse("sales:deal-list"))
    expected = ["Сделка Алисы"] if who in SEES_ALICES | {"support"} else []
    assert response.status_code == 200
    assert [d.title for d in response.context["page"].items] == expected


@pytest.mark.parametrize("who", EVERYONE)
def test_opening_alices_deal(client, personas, deal, who):
    response = as_(client, personas, who).get(reverse("sales:deal-detail", args=[deal.pk]))
    assert response.status_code == DEAL_VIEW[who]


@pytest.mark.parametrize("who", EVERYONE)
def test_the_edit_form_of_alices_deal(client, personas, deal, who):
    response = as_(client, personas, who).get(reverse("sales:deal-edit", args=[deal.pk]))
    assert response.status_code == DEAL_EDIT[who]


@pytest.mark.parametrize("who", ["support", "bob", "outsider"])
def test_saving_alices_deal_is_refused_and_nothing_changes(client, personas, deal, who):
    before = deal_state(deal)
    response = as_(client, personas, who).post(
        reverse("sales:deal-edit", args=[deal.pk]),
        {
            "title": "Взлом",
            "client": f"company:{deal.company_id}",
            "owner": getattr(personas, who).pk,
            "amount": "1",
            "currency": "RUB",
            "exchange_rate": "1",
            "version": deal.version,
        },
    )
    assert response.status_code == DEAL_EDIT[who]
    assert deal_state(deal) == before


@pytest.mark.parametrize("who", EVERYONE)
def test_deleting_alices_deal(client, personas, deal, who):
    before = deal_state(deal)
    response = as_(client, personas, who).post(
        reverse("sales:deal-delete", args=[deal.pk]), {"version": deal.version}
    )
    assert response.status_code == DEAL_DELETE[who]
    if DEAL_DELETE[who] == 302:
        assert Deal.all_objects.get(pk=deal.pk).deleted_at is not None
    else:
        assert deal_state(deal) == before


@pytest.mark.parametrize("who", ["support", "bob", "outsider"])
def test_adding_a_line_to_alices_deal_is_refused(client, personas, deal, who):
    product = factories.product(personas.admin)
    before = deal_state(deal)
    response = as_(client, personas, who).post(
        reverse("sales:deal-line-add", args=[deal.pk]),
        {"product": product.pk, "quantity": "1", "version": deal.version},
    )
    assert response.status_code == DEAL_EDIT[who]
    assert deal_state(deal) == before
    assert deal.lines.count() == 0


@pytest.mark.parametrize(("who", "status"), [("support", 403), ("admin", 200), ("bob", 200)])
def test_only_those_who_make_deals_open_the_new_deal_form(client, personas, stages, who, status):
    response = as_(client, personas, who).get(reverse("sales:deal-create"))
    assert response.status_code == status


# --- Leads -------------------------------------------------------------------------------


@pytest.mark.parametrize("who", EVERYONE)
def test_the_lead_list_shows_alices_lead_only_to_those_who_may_see_it(client, personas, lead, who):
    response = as_(client, personas, who).get(reverse("sales:lead-list"))
    if who == "support":
        assert response.status_code == 403
        return
    expected = ["Лид Алисы"] if who in SEES_ALICES else []
    assert response.status_code == 200
    assert [x.title for x in response.context["page"].items] == expected


@pytest.mark.parametrize("who", EVERYONE)
def test_opening_alices_lead(client, personas, lead, who):
    response = as_(client, personas, who).get(reverse("sales:lead-detail", args=[lead.pk]))
    assert response.status_code == LEAD_VIEW[who]


@pytest.mark.parametrize("who", EVERYONE)
def test_the_edit_form_of_alices_lead(client, personas, lead, who):
    response = as_(client, personas, who).get(reverse("sales:lead-edit", args=[lead.pk]))
    assert response.status_code == LEAD_VIEW[who]


@pytest.mark.parametrize("who", ["support", "bob", "outsider"])
def test_saving_alices_lead_is_refused_and_nothing_changes(client, personas, lead, who):
    before = lead_state(lead)
    response = as_(client, personas, who).post(
        reverse("sales:lead-edit", args=[lead.pk]),
        {"title": "Взлом", "status": "new", "owner": getattr(personas, who).pk, "version": 1},
    )
    assert response.status_code == 404
    assert lead_state(lead) == before


@pytest.mark.parametrize("who", EVERYONE)
def test_deleting_alices_lead(client, personas, lead, who):
    before = lead_state(lead)
    response = as_(client, personas, who).post(
        reverse("sales:lead-delete", args=[lead.pk]), {"version": 1}
    )
    assert response.status_code == LEAD_DELETE[who]
    if LEAD_DELETE[who] == 302:
        assert Lead.all_objects.get(pk=lead.pk).deleted_at is not None
    else:
        assert lead_state(lead) == before


@pytest.mark.parametrize("who", ["support", "bob", "outsider"])
def test_qualifying_or_rejecting_alices_lead_is_refused(
    client, personas, lead, pipeline, lost_reason, who
):
    before = lead_state(lead)
    c = as_(client, personas, who)
    qualify = c.post(
        reverse("sales:lead-qualify", args=[lead.pk]),
        {"pipeline": pipeline.pk, "title": "Сделка", "version": 1},
    )
    reject = c.post(
        reverse("sales:lead-reject", args=[lead.pk]), {"reason": lost_reason.pk, "version": 1}
    )
    assert (qualify.status_code, reject.status_code) == (404, 404)
    assert lead_state(lead) == before
    assert Deal.objects.count() == 0
