"""A won deal's card offers «Make an order»; the button makes the order once, and after
that the card links to it. The menu has «Orders» for everyone who sees orders."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.orders.test_views_list import as_
from voronka.orders.models import Order


def make(client, user, deal):
    return as_(client, user).post(reverse("orders:order-from-deal", args=[deal.pk]))


def deal_card(client, user, deal) -> str:
    return as_(client, user).get(reverse("sales:deal-detail", args=[deal.pk])).content.decode()


def test_a_won_deal_offers_the_button_and_it_makes_the_order_once(client, personas, won_deal):
    button = f'action="{reverse("orders:order-from-deal", args=[won_deal.pk])}"'
    assert button in deal_card(client, personas.alice, won_deal)
    first = make(client, personas.alice, won_deal)
    order = Order.objects.get(deal=won_deal)
    assert first["Location"] == reverse("orders:order-detail", args=[order.pk])
    assert (order.owner_id, order.company_id, order.lines.count()) == (
        personas.alice.pk,
        won_deal.company_id,
        2,
    )
    second = make(client, personas.alice, won_deal)
    assert second["Location"] == first["Location"]
    assert Order.objects.filter(deal=won_deal).count() == 1
    page = client.get(second["Location"]).content.decode()
    assert f"This deal already has order {order.number}." in page
    card = deal_card(client, personas.alice, won_deal)
    assert button not in card
    assert f'href="{reverse("orders:order-detail", args=[order.pk])}"' in card


def test_an_open_deal_has_no_order_block(client, personas, stages, client_company):
    from tests import factories

    company, _contact = client_company
    deal = factories.deal(personas.alice, company=company)
    assert "deal-order" not in deal_card(client, personas.alice, deal)
    response = make(client, personas.alice, deal)
    assert not Order.objects.exists()
    assert "Only a won deal becomes an order." in client.get(response["Location"]).content.decode()


def test_support_sees_the_deal_but_makes_no_order(client, personas, won_deal):
    assert "Make an order" not in deal_card(client, personas.support, won_deal)
    assert make(client, personas.support, won_deal).status_code == 403
    assert not Order.objects.exists()


@pytest.mark.parametrize("persona", ["bob", "outsider"])
def test_who_does_not_see_the_deal_gets_not_found(client, personas, won_deal, persona):
    assert make(client, getattr(personas, persona), won_deal).status_code == 404
    assert not Order.objects.exists()


def test_the_team_lead_makes_the_order_of_a_members_deal_for_the_member(client, personas, won_deal):
    make(client, personas.lead, won_deal)
    assert Order.objects.get(deal=won_deal).owner_id == personas.alice.pk


@pytest.mark.parametrize("persona", ["admin", "head", "lead", "alice", "support"])
def test_the_menu_has_orders_after_the_deals(client, personas, persona):
    nav = [i["url"] for i in as_(client, getattr(personas, persona))
           .get(reverse("orders:order-list")).context["main_nav"]]  # fmt: skip
    assert nav.index("/orders/") == nav.index("/sales/deals/") + 1
    active = [i["url"] for i in client.get(reverse("orders:order-board")).context["main_nav"]
              if i["active"]]  # fmt: skip
    assert active == ["/orders/"]
