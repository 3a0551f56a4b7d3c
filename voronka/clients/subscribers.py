"""What the clients app does when something happens elsewhere."""

from __future__ import annotations

from voronka.core import events


@events.subscribe(events.DEAL_WON)
def promote_client_after_a_won_deal(*, deal_id: int, **_: object) -> None:
    from voronka.clients.tasks import refresh_lifecycle
    from voronka.sales.models import Deal

    deal = Deal.objects.filter(pk=deal_id).values("company_id", "contact_id").first()
    if deal is not None:
        refresh_lifecycle(company_id=deal["company_id"], contact_id=deal["contact_id"])
