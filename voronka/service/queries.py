"""Reads of client requests, scoped by who is asking.

Support agents, the head of sales and the administrator see every request; a manager
sees the requests assigned to them (a team lead, their team's) and, to read only,
the requests of the clients they may see.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db.models import Exists, F, OuterRef, Q, QuerySet
from django.utils import timezone

from voronka.clients.queries import companies_visible_to, contacts_visible_to
from voronka.core.search import contact_point_q
from voronka.core.text import looks_like_phone
from voronka.core.visibility import Family, owner_q, sees_everything
from voronka.service.models import OPEN_STATUSES, Message, Request, SlaPolicy, Survey


def requests_visible_to(user: Any, *, write: bool = False) -> QuerySet[Request]:
    mine = owner_q(user, Family.REQUESTS, owner_field="assignee", write=write)
    qs = Request.objects.all()
    if write or sees_everything(user) or getattr(user, "role", "") == "support":
        return qs.filter(mine)
    their_clients = Q(company__in=companies_visible_to(user).values("pk")) | Q(
        contact__in=contacts_visible_to(user).values("pk")
    )
    return qs.filter(mine | their_clients)


def may_work(user: Any, request: Request) -> bool:
    """Whether ``user`` may answer, reassign and resolve this request."""
    return requests_visible_to(user, write=True).filter(pk=request.pk).exists()


def request_list(
    user: Any,
    *,
    status: str = "",
    open_only: bool = False,
    assignee_id: int | None = None,
    team_id: int | None = None,
    unassigned: bool = False,
    kind: str = "",
    category_id: int | None = None,
    product_id: int | None = None,
    priority: str = "",
    channel: str = "",
    company_id: int | None = None,
    contact_id: int | None = None,
    breached: bool = False,
    responded: bool = False,
    created_from: datetime | None = None,
    created_to: datetime | None = None,
    resolved_from: datetime | None = None,
    resolved_to: datetime | None = None,
    surveyed_from: datetime | None = None,
    surveyed_to: datetime | None = None,
    q: str = "",
) -> QuerySet[Request]:
    """Visible requests matching the filters, with what a row of the queue shows;
    ``*_to`` bounds are exclusive.

    ``team_id`` keeps requests assigned to the team's members, ``responded`` those with a
    first response, ``surveyed_*`` those whose satisfaction survey was answered then
    (the date CSAT counts an answer by).
    """
    qs = requests_visible_to(user).select_related(
        "assignee", "company", "contact", "category", "product", "sla_policy"
    )
    if status:
        qs = qs.filter(status=status)
    if open_only:
        qs = qs.filter(status__in=OPEN_STATUSES)
    if unassigned:
        qs = qs.filter(assignee__isnull=True)
    elif assignee_id:
        qs = qs.filter(assignee_id=assignee_id)
    if team_id:
        qs = qs.filter(assignee__team_id=team_id)
    if responded:
        qs = qs.filter(first_response_at__isnull=False)
    for field, value in (
        ("kind", kind), ("category_id", category_id), ("product_id", product_id),
        ("priority", priority), ("channel", channel), ("company_id", company_id),
        ("contact_id", contact_id),
    ):  # fmt: skip
        if value:
            qs = qs.filter(**{field: value})
    if breached:
        qs = qs.filter(breached_q(timezone.now()))
    for bound, moment in (
        ("created_at__gte", created_from), ("created_at__lt", created_to),
        ("resolved_at__gte", resolved_from), ("resolved_at__lt", resolved_to),
    ):  # fmt: skip
        if moment is not None:
            qs = qs.filter(**{bound: moment})
    if surveyed_from is not None or surveyed_to is not None:
        answered = Survey.objects.filter(request=OuterRef("pk"), answered_at__isnull=False)
        if surveyed_from is not None:
            answered = answered.filter(answered_at__gte=surveyed_from)
        if surveyed_to is not None:
            answered = answered.filter(answered_at__lt=surveyed_to)
        qs = qs.filter(Exists(answered))
    if q.strip():
        qs = qs.filter(_search_q(q.strip()))
    return qs


# A phone or e-mail fragment shared by more clients than this is too vague to list by.
CLIENT_MATCH_LIMIT = 500


def _client_ids(model: Any, cond: Q) -> list[int]:
    # Literal id lists, not subqueries: an OR of two subqueries makes PostgreSQL scan.
    return list(model.objects.filter(cond).values_list("pk", flat=True)[:CLIENT_MATCH_LIMIT])


def _search_q(term: str) -> Q:
    """«#12» or «12» the number; an e-mail or phone the client's; text the subject or
    the client's name.

    The request keeps no lower-cased search column, and SQLite folds case only for
    ASCII: the subject and name are matched as typed, lower-cased and capitalised, so
    «заказ» finds «Заказ не доставлен» there too (PostgreSQL folds any case itself).
    Companies and contacts are matched by their normalised search columns.
    """
    from voronka.clients.models import Company, Contact
    from voronka.core.text import search_term

    bare = term.lstrip("#").strip()
    if term.startswith("#") and bare.isdigit():
        return Q(pk=int(bare))
    match = Q(pk=int(bare)) if bare.isdigit() and len(bare) < 10 else Q(pk__in=[])
    if "@" in term or looks_like_phone(term):
        client = contact_point_q(term)
        match |= Q(company_id__in=_client_ids(Company, client))
        match |= Q(contact_id__in=_client_ids(Contact, client))
        if "@" in term:
            match |= Q(client_email__icontains=term)
        else:
            match |= Q(client_phone__contains=term)
        return match
    for variant in dict.fromkeys((term, term.lower(), term.capitalize(), term.upper())):
        match |= (
            Q(subject__icontains=variant) | Q(client_name__icontains=variant)
            | Q(company__name__icontains=variant)
        )  # fmt: skip
    folded = search_term(term)
    match |= Q(company__search_text__contains=folded) | Q(contact__search_text__contains=folded)
    return match


def breached_q(as_of: datetime, prefix: str = "") -> Q:
    """Requests that missed a target by ``as_of``: answered or resolved late (remembered),
    or still waiting past a deadline."""
    p = prefix
    return (
        Q(**{f"{p}first_response_breached": True})
        | Q(**{f"{p}resolution_breached": True})
        | Q(**{f"{p}first_response_at__isnull": True, f"{p}first_response_due_at__lt": as_of})
        | Q(**{f"{p}resolved_at__isnull": True, f"{p}resolution_due_at__lt": as_of})
    )


def queue(user: Any, **filters: Any) -> QuerySet[Request]:
    """Open requests, the most urgent first: the nearest deadline, then the oldest; those
    with no deadline after all that have one (SQLite would sort NULL first)."""
    return request_list(user, open_only=True, **filters).order_by(
        F("next_due_at").asc(nulls_last=True), "created_at", "pk"
    )


def thread(request: Request) -> QuerySet[Message]:
    return request.messages.select_related("author").order_by("created_at", "pk")


def policies() -> QuerySet[SlaPolicy]:
    return SlaPolicy.objects.order_by("kind", "priority", "name")


def surveys_visible_to(user: Any) -> QuerySet[Survey]:
    return Survey.objects.filter(request__in=requests_visible_to(user).values("pk"))
