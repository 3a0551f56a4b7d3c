"""Importing client requests (the service desk's :class:`~voronka.service.models.Request`).

An old help desk's tickets come in with the moments that make the service KPIs: when
the request was received, first answered, resolved and closed. The status follows from
those moments unless the file gives it. Imported requests get no SLA policy unless the
mapping sets ``sla`` (a constant ``{"default": true}`` or a yes/no column): then each
gets the policy that applies to its kind and priority, its deadlines counted from when
it was received, and the "late" flags the file's moments earn. An imported request
still open is in the queue like any other; a resolved or closed one is not.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db.models import Model
from django.utils import timezone
from django.utils.translation import gettext as _

from voronka.accounts.models import Role
from voronka.core.workcalendar import current as work_calendar
from voronka.imports.targets import USER, FieldDef, Row, Target, _fk, _text
from voronka.service import sla
from voronka.service.models import (
    DONE_STATUSES,
    Channel,
    Kind,
    Priority,
    Request,
    SlaPolicy,
    Status,
)

MOMENTS = ("first_response_at", "resolved_at", "closed_at")
SLA_FIELDS = (
    "sla_policy_id", "first_response_due_at", "resolution_due_at", "first_response_breached",
    "resolution_breached",
)  # fmt: skip


def derived_status(values: dict[str, Any]) -> str:
    """Closed if it was closed, resolved if resolved, in progress once answered, else new."""
    if values.get("closed_at"):
        return Status.CLOSED
    if values.get("resolved_at"):
        return Status.RESOLVED
    if values.get("first_response_at"):
        return Status.IN_PROGRESS
    return Status.NEW


class Requests(Target):
    entity = "requests"
    model = Request
    fields = {
        "subject": _text(250, required=True),
        "company": _fk("companies", "name", "tax_id", "external_id", "id"),
        "contact": _fk("contacts", "email", "phone", "full_name", "external_id", "id"),
        "client_name": _text(200),
        "client_email": FieldDef("email", max_length=254),
        "client_phone": FieldDef("phone", max_length=40),
        "kind": FieldDef("choice", choices=tuple(Kind.values)),
        "category": _fk("request_categories"),
        "product": _fk("products", "name", "sku"),
        "deal": _fk("deals", "external_id", "id"),
        "channel": FieldDef("choice", choices=tuple(Channel.values)),
        "priority": FieldDef("choice", choices=tuple(Priority.values)),
        "assignee": _fk("users", *USER),
        "status": FieldDef("choice", choices=tuple(Status.values)),
        "created_at": FieldDef("datetime"),
        "first_response_at": FieldDef("datetime"),
        "first_response_by": _fk("users", *USER),
        "resolved_at": FieldDef("datetime"),
        "resolved_by": _fk("users", *USER),
        "closed_at": FieldDef("datetime"),
        "sla": FieldDef("bool"),
    }
    virtual = frozenset({"sla"})
    is_interaction = True
    # People a help desk's file names answer requests: they come in as support agents.
    new_people_role = Role.SUPPORT

    def prepare(self, rows: list[Row]) -> None:
        """A request from a contact is from their company, and names them, as when one is
        taken down by hand."""
        from voronka.clients.models import Contact

        wanted = {r.values["contact"] for r in rows if r.values.get("contact")}
        if not wanted:
            return
        contacts = {c.pk: c for c in Contact.all_objects.filter(pk__in=wanted)}
        for r in rows:
            contact = contacts.get(r.values.get("contact") or 0)
            if contact is None:
                continue
            v = r.values
            if contact.company_id and not v.get("company"):
                v["company"] = contact.company_id
            elif contact.company_id and v["company"] != contact.company_id:
                r.reject("contact", _("This contact works for another company."))
            v.setdefault("client_name", str(contact)[:200])
            if contact.email:
                v.setdefault("client_email", contact.email)
            if contact.phone:
                v.setdefault("client_phone", contact.phone[:40])

    def shape(self, row: Row) -> None:
        v = row.values
        existing: Request | None = row.existing
        if existing is None and not any(
            v.get(k) for k in ("company", "contact", "client_email", "client_phone", "client_name")
        ):
            row.reject("company", _("Say who the client is: a company, a contact or an e-mail."))
        received = v.get("created_at") or (existing.created_at if existing else None)
        for name in MOMENTS:
            when = v.get(name)
            if when is not None and received is not None and when < received:
                row.reject(name, _("earlier than the request was received"))
        if v.get("closed_at") and not v.get("resolved_at"):
            # Closing an open request resolves it, as the request services do.
            v["resolved_at"] = v["closed_at"]
        if "status" not in v:
            # The moments in the file are the request's history: what they leave out did
            # not happen, so a re-import clears a resolution the file no longer has.
            for name in MOMENTS:
                v.setdefault(name, None)
            v["status"] = derived_status(v)
        else:
            self._check_status(row)
        # Who answered first is the assignee unless the file says otherwise; nobody
        # answered or resolved what has no such moment.
        if v.get("first_response_at") and not v.get("first_response_by") and v.get("assignee"):
            v["first_response_by"] = v["assignee"]
        for moment, person in (("first_response_at", "first_response_by"),
                               ("resolved_at", "resolved_by")):  # fmt: skip
            if moment in v and v[moment] is None:
                v[person] = None

    def _check_status(self, row: Row) -> None:
        """A status the file gives must agree with the file's moments."""
        v = row.values
        status = v["status"]
        if status == Status.CLOSED and not v.get("closed_at"):
            row.reject("closed_at", _("a closed request needs the time it was closed"))
        elif status == Status.RESOLVED and not v.get("resolved_at"):
            row.reject("resolved_at", _("a resolved request needs the time it was resolved"))
        elif status not in DONE_STATUSES and (v.get("resolved_at") or v.get("closed_at")):
            row.reject("status", _("an open request cannot have been resolved or closed"))

    def apply(self, row: Row, obj: Model, *, new: bool) -> list[str]:
        changed = super().apply(row, obj, new=new)
        request: Request = obj  # type: ignore[assignment]
        if row.values.get("sla"):
            changed += self._deadlines(request)
        upcoming = sla.next_due(request)
        if new or request.next_due_at != upcoming:
            request.next_due_at = upcoming
            changed.append("next_due_at")
        return changed

    def _deadlines(self, request: Request) -> list[str]:
        """The policy of the request's kind and priority, its deadlines counted from when
        it was received, and whether the file's moments missed them."""
        cache: dict[tuple[str, str], SlaPolicy | None] = self.__dict__.setdefault("_policies", {})
        key = (request.kind, request.priority)
        if key not in cache:
            cache[key] = sla.policy_for(*key)
        policy = cache[key]
        received = request.created_at or timezone.now()
        first_due = resolution_due = None
        if policy is not None:
            cal = self.__dict__.setdefault("_calendar", work_calendar())
            first_due = sla.due(policy, received, policy.first_response_minutes, cal)
            resolution_due = sla.due(policy, received, policy.resolution_minutes, cal)
        wanted = {
            "sla_policy_id": policy.pk if policy else None,
            "first_response_due_at": first_due,
            "resolution_due_at": resolution_due,
            "first_response_breached": _late(request.first_response_at, first_due),
            "resolution_breached": _late(request.resolved_at, resolution_due),
        }
        changed = []
        for name, value in wanted.items():
            if getattr(request, name) != value:
                setattr(request, name, value)
                changed.append(name)
        return changed


def _late(done: datetime | None, due: datetime | None) -> bool:
    return bool(done and due and done > due)
