"""Which domain events a webhook may subscribe to, and what people call them."""

from __future__ import annotations

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from voronka.core import events

# The test event of the "Send test" button; no webhook subscribes to it.
PING = "ping"

_LABELS: dict[str, Promise] = {
    events.LEAD_CREATED: _("Lead created"),
    events.LEAD_QUALIFIED: _("Lead qualified into a deal"),
    events.LEAD_REJECTED: _("Lead rejected"),
    events.DEAL_CREATED: _("Deal created"),
    events.DEAL_STAGE_CHANGED: _("Deal moved to another stage"),
    events.DEAL_WON: _("Deal won"),
    events.DEAL_LOST: _("Deal lost"),
    events.CLIENT_CREATED: _("Client created"),
    events.ACTIVITY_LOGGED: _("Interaction logged"),
    events.TASK_COMPLETED: _("Task completed"),
    events.TASK_OVERDUE: _("Task overdue"),
    events.REQUEST_CREATED: _("Client request received"),
    events.REQUEST_REPLIED: _("Reply sent to a client request"),
    events.REQUEST_RESOLVED: _("Client request resolved"),
    events.REQUEST_REOPENED: _("Client request reopened"),
    events.REQUEST_SLA_BREACHED: _("Client request missed its SLA"),
    events.SURVEY_ANSWERED: _("Satisfaction survey answered"),
    events.ORDER_CREATED: _("Order received"),
    events.ORDER_STATUS_CHANGED: _("Order status changed"),
    events.ORDER_PAID: _("Order paid"),
    events.ORDER_DELIVERED: _("Order delivered"),
    events.ORDER_CANCELLED: _("Order cancelled"),
    events.ORDER_OVERDUE: _("Order stuck in a status beyond its norm"),
    PING: _("Test"),
}


def event_types() -> list[str]:
    """Every event constant of ``voronka.core.events``, in the order they are declared.

    Read from the module rather than listed here, so an event added there can be
    subscribed to without a change in this app.
    """
    return [
        value
        for name, value in vars(events).items()
        if name.isupper() and isinstance(value, str) and "." in value
    ]


def label(event: str) -> str:
    return str(_LABELS.get(event, event))


def choices() -> list[tuple[str, str]]:
    return [(event, label(event)) for event in event_types()]
