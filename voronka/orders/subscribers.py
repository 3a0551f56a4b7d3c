"""What the orders app does when something happens: a won deal becomes an order by
itself when the organisation says so, and a delivered order's client gets a
satisfaction survey."""

from __future__ import annotations

import logging
from typing import Any

from django.core.exceptions import ValidationError

from voronka.core import events, organisation

log = logging.getLogger(__name__)


@events.subscribe(events.DEAL_WON)
def make_order_of_won_deal(*, deal_id: int, **_: Any) -> None:
    from voronka.orders.models import Order
    from voronka.orders.services import order_from_deal
    from voronka.sales.models import Deal

    if not organisation.current().orders_from_won_deals:
        return
    deal = Deal.objects.select_related("owner", "company", "contact").filter(pk=deal_id).first()
    if deal is None or deal.status != Deal.Status.WON:
        return
    if Order.objects.filter(deal_id=deal_id).exists():
        return
    try:
        order_from_deal(actor=None, deal=deal)
    except ValidationError as error:  # e.g. a deal without a client: the manager makes it
        log.info("won deal %s did not become an order: %s", deal_id, error)


@events.subscribe(events.ORDER_DELIVERED)
def survey_after_delivery(*, order_id: int, **_: Any) -> None:
    """A delivered order's client is asked how satisfied they are, when the organisation
    sends satisfaction surveys (once per order; see ``service.surveys``)."""
    from voronka.orders.models import Order
    from voronka.service.surveys import survey_send_for_order

    if not organisation.current().surveys_enabled:
        return
    order = Order.objects.select_related("contact", "company", "owner").filter(pk=order_id).first()
    if order is None:
        return
    survey_send_for_order(order)
