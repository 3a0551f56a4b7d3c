"""The ``data`` of a webhook payload, per event: the record as it is at send time.

Shapes are part of the public contract (see docs/guide.md, "Webhooks"): fields are
only ever added. Ids are numbers, money is a string ("150000.00"), times are ISO-8601
in UTC, a related record is ``{"id": …, "name": …}`` or ``null``.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any

from django.conf import settings
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from voronka.core import events

Data = dict[str, Any]


def _time(value: datetime | None) -> str | None:
    return value.astimezone(UTC).isoformat() if value else None


def _day(value: date | None) -> str | None:
    return value.isoformat() if value else None


def _url(name: str, pk: int) -> str:
    try:
        path = reverse(name, args=[pk])
    except NoReverseMatch:  # an installation without that page
        return ""
    return settings.VORONKA_BASE_URL.rstrip("/") + path


def _ref(obj: Any, name: str | None = None) -> Data | None:
    if obj is None:
        return None
    return {"id": obj.pk, "name": name if name is not None else str(obj)}


def _person(user: Any) -> Data | None:
    if user is None:
        return None
    return {"id": user.pk, "name": str(user), "email": user.email}


def _missing(pk: Any) -> Data:
    """A record gone before the send (deleted for good): its id is all there is."""
    return {"id": pk}


# --- Records -----------------------------------------------------------------------------


def deal_data(deal_id: int) -> Data:
    from voronka.sales.models import Deal

    deal = (
        Deal.all_objects.select_related(
            "pipeline", "stage", "owner", "company", "contact", "source", "lost_reason"
        )
        .filter(pk=deal_id)
        .first()
    )
    if deal is None:
        return _missing(deal_id)
    return {
        "id": deal.pk,
        "title": deal.title,
        "url": _url("sales:deal-detail", deal.pk),
        "pipeline": _ref(deal.pipeline),
        "stage": {"id": deal.stage.pk, "name": deal.stage.name, "kind": deal.stage.kind},
        "status": deal.status,
        "amount": str(deal.amount),
        "currency": deal.currency,
        "owner": _person(deal.owner),
        "company": _ref(deal.company),
        "contact": _ref(deal.contact),
        "source": _ref(deal.source),
        "lost_reason": _ref(deal.lost_reason),
        "expected_close_date": _day(deal.expected_close_date),
        "created_at": _time(deal.created_at),
        "closed_at": _time(deal.closed_at),
        "deleted": deal.deleted_at is not None,
    }


def lead_data(lead_id: int) -> Data:
    from voronka.sales.models import Lead

    lead = (
        Lead.all_objects.select_related("source", "owner", "company", "contact", "rejection_reason")
        .filter(pk=lead_id)
        .first()
    )
    if lead is None:
        return _missing(lead_id)
    return {
        "id": lead.pk,
        "title": lead.title,
        "url": _url("sales:lead-detail", lead.pk),
        "status": lead.status,
        "source": (
            {"id": lead.source.pk, "name": lead.source.name, "kind": lead.source.kind}
            if lead.source
            else None
        ),
        "owner": _person(lead.owner),
        "contact_name": lead.contact_name,
        "company_name": lead.company_name,
        "phone": lead.phone,
        "email": lead.email,
        "tax_id": lead.tax_id,
        "company": _ref(lead.company),
        "contact": _ref(lead.contact),
        "utm_source": lead.utm_source,
        "utm_medium": lead.utm_medium,
        "utm_campaign": lead.utm_campaign,
        "utm_term": lead.utm_term,
        "utm_content": lead.utm_content,
        "rejection_reason": _ref(lead.rejection_reason),
        "created_at": _time(lead.created_at),
        "qualified_at": _time(lead.qualified_at),
        "rejected_at": _time(lead.rejected_at),
        "deleted": lead.deleted_at is not None,
    }


def company_data(company_id: int) -> Data:
    from voronka.clients.models import Company

    company = Company.all_objects.select_related("owner", "source").filter(pk=company_id).first()
    if company is None:
        return {"type": "company", **_missing(company_id)}
    return {
        "type": "company",
        "id": company.pk,
        "name": company.name,
        "url": _url("clients:company-detail", company.pk),
        "tax_id": company.tax_id,
        "phone": company.phone,
        "email": company.email,
        "website": company.website,
        "industry": company.industry,
        "lifecycle_stage": company.lifecycle_stage,
        "owner": _person(company.owner),
        "source": _ref(company.source),
        "created_at": _time(company.created_at),
    }


def contact_data(contact_id: int) -> Data:
    from voronka.clients.models import Contact

    contact = (
        Contact.all_objects.select_related("owner", "source", "company")
        .filter(pk=contact_id)
        .first()
    )
    if contact is None:
        return {"type": "contact", **_missing(contact_id)}
    return {
        "type": "contact",
        "id": contact.pk,
        "name": contact.full_name,
        "first_name": contact.first_name,
        "middle_name": contact.middle_name,
        "last_name": contact.last_name,
        "url": _url("clients:contact-detail", contact.pk),
        "phone": contact.phone,
        "email": contact.email,
        "position": contact.position,
        "company": _ref(contact.company),
        "lifecycle_stage": contact.lifecycle_stage,
        "owner": _person(contact.owner),
        "source": _ref(contact.source),
        "created_at": _time(contact.created_at),
    }


def _links(record: Any) -> Data:
    """The client, deal and lead an activity or a task is about."""
    return {
        "company": _ref(record.company),
        "contact": _ref(record.contact),
        "deal": _ref(record.deal, record.deal.title if record.deal else None),
        "lead": _ref(record.lead, record.lead.title if record.lead else None),
    }


def activity_data(activity_id: int) -> Data:
    from voronka.activities.models import Activity

    activity = (
        Activity.all_objects.select_related("author", "company", "contact", "deal", "lead")
        .filter(pk=activity_id)
        .first()
    )
    if activity is None:
        return _missing(activity_id)
    return {
        "id": activity.pk,
        "kind": activity.kind,
        "subject": activity.subject,
        "body": activity.body,
        "occurred_at": _time(activity.occurred_at),
        "ends_at": _time(activity.ends_at),
        "direction": activity.direction,
        "duration_seconds": activity.duration_seconds,
        "outcome": activity.outcome,
        "place": activity.place,
        "author": _person(activity.author),
        **_links(activity),
        "created_at": _time(activity.created_at),
    }


def task_data(task_id: int) -> Data:
    from voronka.activities.models import Task

    task = (
        Task.all_objects.select_related(
            "assignee", "author", "completed_by", "company", "contact", "deal", "lead"
        )
        .filter(pk=task_id)
        .first()
    )
    if task is None:
        return _missing(task_id)
    return {
        "id": task.pk,
        "title": task.title,
        "url": _url("activities:task-detail", task.pk),
        "status": task.status,
        "priority": task.priority,
        "due_at": _time(task.due_at),
        "completed_at": _time(task.completed_at),
        "assignee": _person(task.assignee),
        "author": _person(task.author),
        "completed_by": _person(task.completed_by),
        **_links(task),
        "created_at": _time(task.created_at),
    }


def _decimal(value: Any) -> str:
    return str(value)


def order_data(order_id: int) -> Data:
    """The order with its client, manager, totals, delivery and lines."""
    from voronka.orders.models import OPEN_STATUSES, Order

    order = (
        Order.all_objects.select_related("company", "contact", "deal", "owner")
        .prefetch_related("lines__product")
        .filter(pk=order_id)
        .first()
    )
    if order is None:
        return _missing(order_id)
    due = order.status_due_at
    return {
        "id": order.pk,
        "number": order.number,
        "url": _url("orders:order-detail", order.pk),
        "status": order.status,
        "status_entered_at": _time(order.status_entered_at),
        "status_due_at": _time(due),
        "overdue": order.status in OPEN_STATUSES and due is not None and due < timezone.now(),
        "payment_status": order.payment_status,
        "paid_at": _time(order.paid_at),
        "company": _ref(order.company),
        "contact": _ref(order.contact),
        "deal": _ref(order.deal, order.deal.title if order.deal else None),
        "owner": _person(order.owner),
        "client_email": order.client_email,
        "client_phone": order.client_phone,
        "currency": order.currency,
        "exchange_rate": _decimal(order.exchange_rate),
        "prices_include_vat": order.prices_include_vat,
        "subtotal": _decimal(order.subtotal),
        "discount_total": _decimal(order.discount_total),
        "vat_total": _decimal(order.vat_total),
        "total": _decimal(order.total),
        "delivery_method": order.delivery_method,
        "delivery_address": order.delivery_address,
        "delivery_date": _day(order.delivery_date),
        "language": order.language,
        "external_id": order.external_id,
        "lines": [
            {
                "product": _ref(line.product),
                "name": line.name,
                "sku": line.sku,
                "unit": line.unit,
                "quantity": _decimal(line.quantity),
                "unit_price": _decimal(line.unit_price),
                "discount_percent": _decimal(line.discount_percent),
                "vat_rate": _decimal(line.vat_rate),
                "discount": _decimal(line.discount),
                "vat": _decimal(line.vat),
                "total": _decimal(line.total),
            }  # fmt: skip
            for line in order.lines.all()
        ],
        "created_at": _time(order.created_at),
        "delivered_at": _time(order.delivered_at),
        "closed_at": _time(order.closed_at),
        "deleted": order.deleted_at is not None,
    }


# --- Events ------------------------------------------------------------------------------


def _deal_event(*, deal_id: int, **_: Any) -> Data:
    return deal_data(deal_id)


def _deal_stage_changed(*, deal_id: int, from_stage_id: int | None = None, **_: Any) -> Data:
    from voronka.sales.models import Stage

    data = deal_data(deal_id)
    stage = Stage.objects.filter(pk=from_stage_id).first() if from_stage_id else None
    data["from_stage"] = (
        {"id": stage.pk, "name": stage.name, "kind": stage.kind} if stage is not None else None
    )
    return data


def _lead_event(*, lead_id: int, **_: Any) -> Data:
    return lead_data(lead_id)


def _lead_qualified(*, lead_id: int, deal_id: int | None = None, **_: Any) -> Data:
    data = lead_data(lead_id)
    data["deal"] = deal_data(deal_id) if deal_id else None
    return data


def _client_created(
    *, company_id: int | None = None, contact_id: int | None = None, **_: Any
) -> Data:
    if company_id:
        return company_data(company_id)
    return contact_data(contact_id) if contact_id else {}


def _activity_event(*, activity_id: int, **_: Any) -> Data:
    return activity_data(activity_id)


def _task_event(*, task_id: int, **_: Any) -> Data:
    return task_data(task_id)


def _order_event(*, order_id: int, **_: Any) -> Data:
    return order_data(order_id)


def _order_status_changed(
    *, order_id: int, change_id: int | None = None, from_status: str = "", to_status: str = "",
    actor_id: int | None = None, **_: Any,
) -> Data:  # fmt: skip
    """The order, and the change: from, to, who, when and the comment."""
    from voronka.accounts.models import User
    from voronka.orders.models import StatusChange

    data = order_data(order_id)
    change = (
        StatusChange.objects.select_related("changed_by").filter(pk=change_id).first()
        if change_id
        else None
    )
    if change is None:  # the order was deleted for good: what the event itself says
        who = User.objects.filter(pk=actor_id).first() if actor_id else None
        data["change"] = {"id": change_id, "from_status": from_status or None,
                          "to_status": to_status, "changed_by": _person(who),
                          "changed_at": None, "comment": ""}  # fmt: skip
        return data
    data["change"] = {
        "id": change.pk,
        "from_status": change.from_status or None,
        "to_status": change.to_status,
        "changed_by": _person(change.changed_by),
        "changed_at": _time(change.changed_at),
        "comment": change.comment,
    }
    return data


BUILDERS: dict[str, Callable[..., Data]] = {
    events.LEAD_CREATED: _lead_event,
    events.LEAD_QUALIFIED: _lead_qualified,
    events.LEAD_REJECTED: _lead_event,
    events.DEAL_CREATED: _deal_event,
    events.DEAL_STAGE_CHANGED: _deal_stage_changed,
    events.DEAL_WON: _deal_event,
    events.DEAL_LOST: _deal_event,
    events.CLIENT_CREATED: _client_created,
    events.ACTIVITY_LOGGED: _activity_event,
    events.TASK_COMPLETED: _task_event,
    events.TASK_OVERDUE: _task_event,
    events.ORDER_CREATED: _order_event,
    events.ORDER_STATUS_CHANGED: _order_status_changed,
    events.ORDER_PAID: _order_event,
    events.ORDER_DELIVERED: _order_event,
    events.ORDER_CANCELLED: _order_event,
    events.ORDER_OVERDUE: _order_event,
}


def build(event: str, refs: dict[str, Any]) -> Data:
    """``data`` for ``event`` from the ids the event was emitted with.

    An event without a builder here (one added to core.events later) still goes out,
    with the ids it carries.
    """
    builder = BUILDERS.get(event)
    if builder is None:
        return {key: value for key, value in refs.items() if key != "actor_id"}
    return builder(**refs)


def ping_data(webhook: Any) -> Data:
    return {
        "webhook": {"id": webhook.pk, "name": webhook.name},
        "events": list(webhook.events or []),
        "message": "This is a test delivery from Voronka.",
    }
