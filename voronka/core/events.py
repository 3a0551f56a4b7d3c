"""Domain events: the one hook that timeline, automation and webhooks subscribe to.

Services call :func:`emit` inside their transaction; subscribers run after the
transaction commits, so nobody hears about a change that was rolled back.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable
from typing import Any

from django.db import transaction

log = logging.getLogger(__name__)

Handler = Callable[..., None]
# Filled at import time by modules that subscribe; never changed per request.
_handlers: dict[str, list[Handler]] = defaultdict(list)

DEAL_CREATED = "deal.created"
DEAL_STAGE_CHANGED = "deal.stage_changed"
DEAL_WON = "deal.won"
DEAL_LOST = "deal.lost"
LEAD_CREATED = "lead.created"
LEAD_QUALIFIED = "lead.qualified"
LEAD_REJECTED = "lead.rejected"
CLIENT_CREATED = "client.created"
ACTIVITY_LOGGED = "activity.logged"
TASK_COMPLETED = "task.completed"
TASK_OVERDUE = "task.overdue"
REQUEST_CREATED = "request.created"
REQUEST_REPLIED = "request.replied"
REQUEST_RESOLVED = "request.resolved"
REQUEST_REOPENED = "request.reopened"
REQUEST_SLA_BREACHED = "request.sla_breached"
SURVEY_ANSWERED = "survey.answered"
ORDER_CREATED = "order.created"
ORDER_STATUS_CHANGED = "order.status_changed"
ORDER_PAID = "order.paid"
ORDER_DELIVERED = "order.delivered"
ORDER_CANCELLED = "order.cancelled"
ORDER_OVERDUE = "order.overdue"


def subscribe(name: str) -> Callable[[Handler], Handler]:
    def register(fn: Handler) -> Handler:
        _handlers[name].append(fn)
        return fn

    return register


def emit(name: str, **payload: Any) -> None:
    """Deliver ``name`` to its subscribers once the current transaction commits."""

    def deliver() -> None:
        for handler in list(_handlers.get(name, ())):
            try:
                handler(**payload)
            except Exception:  # one broken subscriber must not break the others
                log.exception("event handler %s failed for %s", handler, name)

    transaction.on_commit(deliver)
