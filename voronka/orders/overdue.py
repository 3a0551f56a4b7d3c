"""Orders stuck in a status beyond its norm: flagged and reported once.

An open order whose ``status_due_at`` has passed is overdue (``queries.overdue_q``).
The sweep tells the responsible manager and their team lead, once per order, status
and entry into that status: the row :class:`OverdueAlert` (order, status, entered at)
is the claim, made unique by the database, so a second worker or a retried run says
nothing twice, while an order that leaves the status and comes back is reported again
if it overstays again. The claim and the notices commit together: a worker dying
between them leaves no claim that would keep everyone else quiet.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef
from django.urls import reverse
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _

from voronka.core import events, organisation
from voronka.orders.models import Order, OverdueAlert, Status
from voronka.orders.queries import overdue_q

log = logging.getLogger(__name__)


def _recipients(order: Order) -> list[Any]:
    """The responsible manager and the lead of their team (once, if they are the same)."""
    people = [order.owner]
    team = order.owner.team
    if team is not None and team.lead is not None and team.lead_id != order.owner_id:
        people.append(team.lead)
    return people


def _notice(order: Order) -> str:
    """The notice's text in the active language, the times in the organisation's."""
    tz = organisation.current().tz
    due = formats.date_format(timezone.localtime(order.status_due_at, tz), "SHORT_DATETIME_FORMAT")
    return _("Order %(number)s is still «%(status)s»: its norm ran out at %(due)s") % {
        "number": order.number, "status": Status(order.status).label, "due": due,
    }  # fmt: skip


def _claim(order: Order) -> bool:
    if order.status_entered_at is None:  # the sweep reads none such; nothing to claim by
        return False
    try:
        with transaction.atomic():
            OverdueAlert.objects.create(
                order=order, status=order.status, entered_at=order.status_entered_at
            )
    except IntegrityError:  # another worker has it
        return False
    return True


@transaction.atomic
def _alert(order: Order) -> bool:
    """Tell the manager and their team lead, if nobody has yet; True if this call did."""
    from voronka.activities.models import NotificationKind
    from voronka.activities.services import notify

    if not _claim(order):
        return False
    url = reverse("orders:order-detail", args=[order.pk])
    for person in _recipients(order):
        with translation.override(person.language or None):
            title = _notice(order)
        notify(recipient=person, kind=NotificationKind.ORDER_OVERDUE, task=None, title=title,
               url=url)  # fmt: skip
    events.emit(events.ORDER_OVERDUE, order_id=order.pk, status=order.status, actor_id=None)
    return True


def sweep(now: datetime | None = None) -> int:
    """Report every open order past its status's norm that nobody has reported yet for
    this entry into the status; returns how many were reported.

    Orders already reported are not read again (the claim's row excludes them), so a
    sweep every few minutes reads only the new ones.
    """
    now = now or timezone.now()
    reported = Exists(
        OverdueAlert.objects.filter(
            order=OuterRef("pk"),
            status=OuterRef("status"),
            entered_at=OuterRef("status_entered_at"),
        )
    )
    late = (
        Order.objects.filter(overdue_q(now), status_entered_at__isnull=False)
        .exclude(reported)
        .select_related("owner__team__lead")
        .order_by("status_due_at", "pk")
    )
    sent = 0
    for order in late.iterator(chunk_size=500):
        sent += _alert(order)
    return sent
