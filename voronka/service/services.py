"""Writes of client requests: receiving, answering, assigning, resolving, reopening.

Replies, status changes and client messages lock the request's row, so two agents
working one request take turns: both replies are kept, and a status change is judged
against the status the other one left. Edits of the request's fields go by version,
so an edit based on a stale copy is refused instead of overwriting someone's work.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from voronka.core import events
from voronka.core import services as base
from voronka.core.errors import NotAllowed
from voronka.core.visibility import Family, can_write, sees_everything
from voronka.service import sla
from voronka.service.models import (
    OPEN_STATUSES,
    Category,
    MailStatus,
    Message,
    Request,
    SlaPolicy,
    Status,
)
from voronka.service.queries import may_work

REQUEST_FIELDS = {
    "subject", "company", "contact", "client_name", "client_email", "client_phone", "kind",
    "category", "product", "deal", "channel", "priority", "assignee",
}  # fmt: skip
# Where each status may go. Resolving or closing is possible from any open status;
# a resolved or closed request comes back only by being reopened.
TRANSITIONS: dict[str, frozenset[str]] = {
    Status.NEW: frozenset({Status.IN_PROGRESS, Status.WAITING, Status.RESOLVED, Status.CLOSED}),
    Status.IN_PROGRESS: frozenset({Status.WAITING, Status.RESOLVED, Status.CLOSED}),
    Status.WAITING: frozenset({Status.IN_PROGRESS, Status.RESOLVED, Status.CLOSED}),
    Status.REOPENED: frozenset(
        {Status.IN_PROGRESS, Status.WAITING, Status.RESOLVED, Status.CLOSED}
    ),  # fmt: skip
    Status.RESOLVED: frozenset({Status.CLOSED, Status.REOPENED}),
    Status.CLOSED: frozenset({Status.REOPENED}),
}
MAX_BODY = 20_000


def may_take_requests(user: Any) -> bool:
    """Whether ``user`` works client requests at all: support, managers, head, admin."""
    if user is None or not user.is_authenticated or not user.is_active:
        return False
    return sees_everything(user) or user.role in ("support", "manager")


def _ensure_worker(actor: Any) -> None:
    if actor is not None and not may_take_requests(actor):
        raise NotAllowed()


def _ensure_may_work(actor: Any, request: Request) -> None:
    if actor is not None and not may_work(actor, request):
        raise NotAllowed()


def _check_assignee(actor: Any, assignee: Any) -> None:
    """Support, the head and the admin give a request to anyone who works requests;
    a manager keeps it or gives it within the team they lead."""
    if assignee is None:
        return
    if not may_take_requests(assignee):
        raise ValidationError({"assignee": _("This person cannot take client requests.")})
    if actor is None or sees_everything(actor) or actor.role == "support":
        return
    if not can_write(actor, Family.REQUESTS, assignee.pk) and assignee.pk != actor.pk:
        raise ValidationError({"assignee": _("You cannot give a request to this person.")})


def _check_client(actor: Any, request: Request) -> None:
    from voronka.clients.queries import companies_visible_to, contacts_visible_to
    from voronka.sales.queries import deals_visible_to

    errors: dict[str, str] = {}
    if actor is not None:
        for name, visible in (
            ("company", companies_visible_to), ("contact", contacts_visible_to),
            ("deal", deals_visible_to),
        ):  # fmt: skip
            pk = getattr(request, f"{name}_id")
            if pk and not visible(actor).filter(pk=pk).exists():
                errors[name] = _("No such record, or you may not see it.")
    contact = request.contact
    if contact is not None and request.company_id is None and contact.company_id:
        request.company_id = contact.company_id
    if contact is not None and request.company_id and contact.company_id not in (
        None, request.company_id,
    ):  # fmt: skip
        errors["contact"] = _("This contact works for another company.")
    if not (request.company_id or request.contact_id or request.client_email
            or request.client_phone or request.client_name):  # fmt: skip
        errors["company"] = _("Say who the client is: a company, a contact or an e-mail.")
    if errors:
        raise ValidationError(errors)
    if contact is not None:
        request.client_name = request.client_name or str(contact)
        request.client_email = request.client_email or contact.email
        request.client_phone = request.client_phone or getattr(contact, "phone", "")


def _tell(person: Any, kind: str, request: Request, text: Any) -> None:
    """Notify ``person`` in their language; ``text`` is a lazy translation with the
    request's number and subject as ``%(n)s`` and ``%(subject)s``."""
    from voronka.activities.services import notify

    if person is None:
        return
    with translation.override(person.language or None):
        title = str(text) % {"n": request.pk, "subject": request.subject}
    notify(recipient=person, kind=kind, task=None, title=title,
           url=reverse("service:request-detail", args=[request.pk]))  # fmt: skip


def _tell_assignee(actor: Any, request: Request) -> None:
    from voronka.activities.models import NotificationKind

    if request.assignee is not None and request.assignee != actor:
        _tell(request.assignee, NotificationKind.REQUEST_ASSIGNED, request,
              gettext_lazy("Request #%(n)s assigned to you: %(subject)s"))  # fmt: skip


def _refresh_client(request: Request, *earlier: tuple[int | None, int | None]) -> None:
    """A request is an interaction of its assignee with its client: the active spells
    learn of it. ``earlier`` (company, contact) pairs are clients it was about before."""
    from voronka.analytics import spells

    pairs = [(request.company_id, request.contact_id), *earlier]
    spells.refresh_clients({spells.client_key(company, contact) for company, contact in pairs})


def _add_message(
    request: Request, *, kind: str, body: str, author: Any, at: datetime | None = None
) -> Message:
    body = (body or "").strip()
    if not body:
        raise ValidationError({"body": _("Write the message.")})
    if len(body) > MAX_BODY:
        raise ValidationError({"body": _("The message is too long.")})
    return Message.objects.create(
        request=request, kind=kind, body=body, author=author, created_at=at or timezone.now()
    )


@transaction.atomic
def request_create(
    *, actor: Any, data: Mapping[str, Any], message: str = "", received_at: datetime | None = None
) -> Request:
    """Register a client's request; ``message`` is what the client wrote or said.

    ``actor`` is the person taking it down, or None for a request from a public form.
    A manager who takes down a request keeps it unless they give it to someone.
    """
    base.reject_unknown(data, REQUEST_FIELDS)
    _ensure_worker(actor)
    request = Request(**data)
    if request.assignee_id is None and actor is not None and actor.role == "manager":
        request.assignee = actor
    _check_assignee(actor, request.assignee)
    _check_client(actor, request)
    base.validate(request, exclude=["created_by", "sla_policy"])
    # The deadlines count from the arrival and go into the same row (and history entry).
    request.created_at = received_at or timezone.now()
    sla.set_deadlines(request)
    base.create(request, actor=actor)
    if received_at is not None:  # auto_now_add wrote the present over it
        Request.all_objects.filter(pk=request.pk).update(created_at=received_at)
        request.created_at = received_at
    if message.strip():
        _add_message(request, kind=Message.Kind.CLIENT, body=message, author=None,
                     at=request.created_at)  # fmt: skip
    _tell_assignee(actor, request)
    _refresh_client(request)
    events.emit(events.REQUEST_CREATED, request_id=request.pk,
                actor_id=getattr(actor, "pk", None))  # fmt: skip
    return request


@transaction.atomic
def request_update(
    *, actor: Any, request: Request, version: int | None, data: Mapping[str, Any]
) -> Request:
    """Change the request's fields; a new kind or priority sets new SLA deadlines."""
    base.reject_unknown(data, REQUEST_FIELDS)
    _ensure_may_work(actor, request)
    was_about = (request.company_id, request.contact_id)
    changed = base.apply_changes(request, data)
    if not changed:
        return request
    if "assignee" in changed:
        _check_assignee(actor, request.assignee)
    if set(changed) & {"company", "contact", "deal", "client_email", "client_name"}:
        _check_client(actor, request)
        changed += ["company", "client_name", "client_email", "client_phone"]
    base.validate(request, exclude=["created_by", "sla_policy"])
    if set(changed) & {"kind", "priority"}:
        changed += sla.set_deadlines(request, since=request.reopened_at)
    saved = base.save_changes(request, actor=actor, version=version, fields=changed)
    if "assignee" in changed:
        _tell_assignee(actor, saved)
    if set(changed) & {"company", "contact", "assignee"}:
        _refresh_client(saved, was_about)
    return saved


def _locked(request: Request) -> Request:
    """The request re-read under a row lock: concurrent writers take turns."""
    return (
        Request.objects.select_for_update(of=("self",)).select_related("contact").get(pk=request.pk)
    )


def _transition(actor: Any, request: Request, status: str, at: datetime) -> list[str]:
    """Move a locked request to ``status``; returns the fields changed."""
    if status == request.status:
        return []
    if status not in TRANSITIONS.get(request.status, ()):
        raise ValidationError({"status": _("A request cannot go from “%(from)s” to “%(to)s”.") % {
            "from": Status(request.status).label, "to": Status(status).label,
        }})  # fmt: skip
    was_open = request.status in OPEN_STATUSES
    request.status = status
    fields = ["status"]
    if status in (Status.RESOLVED, Status.CLOSED) and was_open:
        request.resolved_at, request.resolved_by = at, actor
        fields += ["resolved_at", "resolved_by", *sla.mark_resolution(request, at)]
    if status == Status.CLOSED:
        request.closed_at = at
        fields.append("closed_at")
    if status == Status.REOPENED:
        request.resolved_at = request.resolved_by = request.closed_at = None
        request.reopened_at = at
        request.reopen_count += 1
        fields += ["resolved_at", "resolved_by", "closed_at", "reopened_at", "reopen_count"]
        fields += sla.set_deadlines(request, since=at)
    request.next_due_at = sla.next_due(request)
    return [*fields, "next_due_at"]


def _after_transition(actor: Any, request: Request, old: str) -> None:
    if request.status == Status.RESOLVED and old in OPEN_STATUSES:
        from voronka.service.surveys import survey_send

        survey_send(request)
        events.emit(events.REQUEST_RESOLVED, request_id=request.pk,
                    actor_id=getattr(actor, "pk", None))  # fmt: skip
    if request.status == Status.REOPENED:
        events.emit(events.REQUEST_REOPENED, request_id=request.pk,
                    actor_id=getattr(actor, "pk", None))  # fmt: skip


@transaction.atomic
def request_set_status(*, actor: Any, request: Request, status: str) -> Request:
    """Take the request in work, wait for the client, resolve, close or reopen it."""
    _ensure_may_work(actor, request)
    if status not in Status.values:
        raise ValidationError({"status": _("Unknown status.")})
    current = _locked(request)
    old = current.status
    fields = _transition(actor, current, status, timezone.now())
    if fields:
        base.save_changes(current, actor=actor, version=current.version, fields=fields)
        _after_transition(actor, current, old)
    return current


@transaction.atomic
def request_reply(*, actor: Any, request: Request, body: str, status: str = "") -> Message:
    """A staff reply, e-mailed to the client after the commit.

    The first reply sets the first-response time. The reply takes a new or reopened
    request in work, or moves it to ``status`` (waiting for the client, resolved).
    """
    _ensure_may_work(actor, request)
    if status and status not in Status.values:
        raise ValidationError({"status": _("Unknown status.")})
    current = _locked(request)
    now = timezone.now()
    message = _add_message(current, kind=Message.Kind.REPLY, body=body, author=actor, at=now)
    fields: list[str] = []
    if current.first_response_at is None:
        current.first_response_at, current.first_response_by = now, actor
        fields += ["first_response_at", "first_response_by", *sla.mark_first_response(current, now)]
    old = current.status
    target = status or (Status.IN_PROGRESS if old in (Status.NEW, Status.REOPENED) else old)
    if target in (Status.RESOLVED, Status.CLOSED) and old in (Status.RESOLVED, Status.CLOSED):
        target = old
    fields += _transition(actor, current, target, now)
    if current.assignee_id is None and may_take_requests(actor):
        current.assignee = actor
        fields.append("assignee")
    if fields:
        base.save_changes(current, actor=actor, version=current.version, fields=fields)
    if "assignee" in fields:
        _refresh_client(current)
    email = current.client_email or (current.contact.email if current.contact else "")
    if email:
        Message.objects.filter(pk=message.pk).update(
            email_to=email, email_status=MailStatus.PENDING
        )
        message.email_to, message.email_status = email, MailStatus.PENDING
        from voronka.service.tasks import send_reply_email

        transaction.on_commit(lambda: send_reply_email(message.pk))
    _after_transition(actor, current, old)
    events.emit(events.REQUEST_REPLIED, request_id=current.pk, message_id=message.pk,
                actor_id=actor.pk)  # fmt: skip
    request.status, request.version = current.status, current.version
    return message


@transaction.atomic
def request_client_message(
    *, actor: Any, request: Request, body: str, at: datetime | None = None
) -> Message:
    """What the client wrote or said; on a resolved or closed request it reopens it."""
    from voronka.activities.models import NotificationKind

    _ensure_may_work(actor, request)
    current = _locked(request)
    message = _add_message(current, kind=Message.Kind.CLIENT, body=body, author=None, at=at)
    old = current.status
    fields: list[str] = []
    if old in (Status.RESOLVED, Status.CLOSED):
        fields = _transition(actor, current, Status.REOPENED, message.created_at)
    elif old == Status.WAITING:
        fields = _transition(actor, current, Status.IN_PROGRESS, message.created_at)
    if fields:
        base.save_changes(current, actor=actor, version=current.version, fields=fields)
        _after_transition(actor, current, old)
    if current.assignee is not None and current.assignee != actor:
        _tell(current.assignee, NotificationKind.REQUEST_CLIENT_REPLY, current,
              gettext_lazy("The client wrote on request #%(n)s: %(subject)s"))  # fmt: skip
    return message


@transaction.atomic
def request_note(*, actor: Any, request: Request, body: str) -> Message:
    """An internal note on the thread; the client never sees it."""
    _ensure_may_work(actor, request)
    return _add_message(request, kind=Message.Kind.NOTE, body=body, author=actor)


@transaction.atomic
def request_delete(*, actor: Any, request: Request, version: int | None) -> Request:
    if not (sees_everything(actor) or getattr(actor, "role", "") == "support"):
        raise NotAllowed()
    deleted = base.soft_delete(request, actor=actor, version=version)
    _refresh_client(deleted)
    return deleted


# --- Settings: SLA policies and categories -----------------------------------------------------

POLICY_FIELDS = {
    "name", "kind", "priority", "first_response_minutes", "resolution_minutes", "clock",
    "warn_minutes_before", "is_active",
}  # fmt: skip


def _ensure_configurator(actor: Any) -> None:
    if not sees_everything(actor):
        raise NotAllowed()


def _check_policy_unique(policy: SlaPolicy) -> None:
    if not policy.is_active:
        return
    twin = SlaPolicy.objects.filter(kind=policy.kind, priority=policy.priority, is_active=True)
    if policy.pk:
        twin = twin.exclude(pk=policy.pk)
    if twin.exists():
        raise ValidationError(
            {"priority": _("An active policy for this kind and priority exists already.")}
        )


@transaction.atomic
def policy_create(*, actor: Any, data: Mapping[str, Any]) -> SlaPolicy:
    base.reject_unknown(data, POLICY_FIELDS)
    _ensure_configurator(actor)
    policy = SlaPolicy(**data)
    _check_policy_target(policy)
    _check_policy_unique(policy)  # before the model's constraint says it without a field
    base.validate(policy, exclude=["created_by"])
    return base.create(policy, actor=actor)


@transaction.atomic
def policy_update(
    *, actor: Any, policy: SlaPolicy, version: int | None, data: Mapping[str, Any]
) -> SlaPolicy:
    """Change a policy; requests already received keep the deadlines they were given."""
    base.reject_unknown(data, POLICY_FIELDS)
    _ensure_configurator(actor)
    changed = base.apply_changes(policy, data)
    _check_policy_target(policy)
    _check_policy_unique(policy)  # before the model's constraint says it without a field
    base.validate(policy, exclude=["created_by"])
    return base.save_changes(policy, actor=actor, version=version, fields=changed)


def _check_policy_target(policy: SlaPolicy) -> None:
    if policy.first_response_minutes is None and policy.resolution_minutes is None:
        raise ValidationError(
            {"first_response_minutes": _("Set a first-response or a resolution target.")}
        )


@transaction.atomic
def category_save(*, actor: Any, category: Category | None, data: Mapping[str, Any]) -> Category:
    base.reject_unknown(data, {"name", "is_active", "position"})
    _ensure_configurator(actor)
    category = category or Category()
    for name, value in data.items():
        setattr(category, name, value)
    category.full_clean()
    category.save()
    return category
