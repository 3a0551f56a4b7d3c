"""API: client requests with their threads, request categories and SLA policies.

Who sees what is the request pages' rule: support, the head of sales and the
administrator see and work every request; a manager works the requests assigned to
them (a team lead, the team's) and reads those of the clients they may see. A request
one may not see answers 404; one seen but not one's to work, 403.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Prefetch, Q, QuerySet
from django.http import HttpRequest
from ninja import Query, Router, Status

from voronka.accounts.queries import users_visible_to
from voronka.clients.queries import companies_visible_to, contacts_visible_to
from voronka.core.api import Id, ListParams, Version, actor, page, resolve_refs, responses
from voronka.core.errors import NotAllowed
from voronka.sales.queries import deals_visible_to, products_visible_to
from voronka.service import queries, services
from voronka.service.models import Category, Request, SlaPolicy, Survey
from voronka.service.schemas import (
    REQUEST_SORTS,
    CategoryFilters,
    CategoryPage,
    ClientMessageIn,
    MessageOut,
    MessagePage,
    NoteIn,
    PolicyIn,
    PolicyOut,
    PolicyPage,
    PolicyPatch,
    ReplyIn,
    RequestFilters,
    RequestIn,
    RequestOut,
    RequestPage,
    RequestPatch,
    StatusIn,
)

router = Router(tags=["service"])

VERSION_DOC = "The version you read; a stale one answers 409 and changes nothing."
WORKERS_ONLY = (
    "Whoever works the request: support, the head of sales, the administrator, its "
    "assignee and the assignee's team lead."
)
ADMIN_ONLY = "Administrator and head of sales only."


def _with_output(qs: QuerySet[Request]) -> QuerySet[Request]:
    """What :class:`RequestOut` shows, loaded with the rows: a page costs the same for
    any number of them."""
    return qs.select_related(
        "assignee", "company", "contact", "category", "product", "deal", "sla_policy",
        "first_response_by", "resolved_by",
    ).prefetch_related(
        Prefetch("surveys", queryset=Survey.objects.order_by("created_at", "pk"))
    )  # fmt: skip


def _visible(user: Any, pk: int) -> Request:
    return queries.requests_visible_to(user).get(pk=pk)


def _workable(user: Any, pk: int) -> Request:
    """A request the user may work; refused before the input is looked at, so a reader
    learns nothing from the answer to a change they may not make."""
    request = _visible(user, pk)
    if not queries.may_work(user, request):
        raise NotAllowed()
    return request


def _as_written(pk: int) -> Request:
    # The writer saw the request and the service let them change it; a reassignment
    # may have just taken it out of their sight, which is no reason to answer 404.
    return _with_output(Request.objects.filter(pk=pk)).get()


def _refs(user: Any, *, category_id: int | None = None) -> dict[str, QuerySet]:
    """Where each id in a request's input is looked up, as its reader may see it.
    A category switched off since is still accepted on the request that has it."""
    categories = Category.objects.filter(Q(is_active=True) | Q(pk=category_id))
    return {
        "company": companies_visible_to(user),
        "contact": contacts_visible_to(user),
        "deal": deals_visible_to(user),
        "category": categories,
        "product": products_visible_to(user),
        "assignee": users_visible_to(user),
    }


# --- Requests ------------------------------------------------------------------------------


@router.get(
    "/requests",
    response=responses({200: RequestPage}, 400),
    description="The requests you may see; newest first unless `sort` says otherwise.",
)
def request_list(request: HttpRequest, filters: Query[RequestFilters]) -> Any:
    qs = queries.request_list(
        actor(request),
        status=filters.status or "",
        open_only=filters.open,
        assignee_id=filters.assignee,
        unassigned=filters.unassigned,
        kind=filters.kind or "",
        category_id=filters.category,
        product_id=filters.product,
        priority=filters.priority or "",
        channel=filters.channel or "",
        company_id=filters.company,
        contact_id=filters.contact,
        breached=filters.breached,
        created_from=filters.created_from,
        created_to=filters.created_to,
        resolved_from=filters.resolved_from,
        resolved_to=filters.resolved_to,
        q=filters.q,
    )
    return page(_with_output(qs), ordering=REQUEST_SORTS[filters.sort], params=filters)


@router.post(
    "/requests",
    response=responses({201: RequestOut}, 400, 403),
    description=(
        "Registers a client's request; `message` is what the client wrote and starts the "
        "thread. SLA deadlines are set from the matching policy. A manager who registers a "
        "request keeps it unless they give it to their team."
    ),
)
def request_create(request: HttpRequest, payload: RequestIn) -> Any:
    user = actor(request)
    if not services.may_take_requests(user):
        raise NotAllowed()
    data = payload.model_dump(exclude_unset=True, exclude={"message", "received_at"})
    data["channel"] = payload.channel
    data = resolve_refs(data, **_refs(user))
    created = services.request_create(
        actor=user, data=data, message=payload.message, received_at=payload.received_at
    )
    return Status(201, _as_written(created.pk))


@router.get("/requests/{request_id}", response=responses({200: RequestOut}, 404))
def request_read(request: HttpRequest, request_id: Id) -> Any:
    return _with_output(queries.requests_visible_to(actor(request))).get(pk=request_id)


@router.patch(
    "/requests/{request_id}",
    response=responses({200: RequestOut}, 400, 403, 404, 409),
    description=(
        "Changes the request's fields; its status changes with …/status and replies. A new "
        "kind or priority sets new SLA deadlines. " + WORKERS_ONLY + " " + VERSION_DOC
    ),
)
def request_update(request: HttpRequest, request_id: Id, payload: RequestPatch) -> Any:
    user = actor(request)
    current = _workable(user, request_id)
    data = payload.model_dump(exclude_unset=True, exclude={"version"})
    data = resolve_refs(data, **_refs(user, category_id=current.category_id))
    services.request_update(actor=user, request=current, version=payload.version, data=data)
    return _as_written(request_id)


@router.delete(
    "/requests/{request_id}",
    response=responses({204: None}, 403, 404, 409),
    description=(
        "Moves the request to the trash. Support, the head of sales and the administrator "
        "only. " + VERSION_DOC
    ),
)
def request_delete(request: HttpRequest, request_id: Id, version: Version) -> Any:
    user = actor(request)
    services.request_delete(actor=user, request=_visible(user, request_id), version=version)
    return Status(204, None)


@router.post(
    "/requests/{request_id}/status",
    response=responses({200: RequestOut}, 400, 403, 404),
    description=(
        "Takes the request in work, waits for the client, resolves, closes or reopens it. "
        "A resolved request is sent a satisfaction survey. " + WORKERS_ONLY
    ),
)
def request_set_status(request: HttpRequest, request_id: Id, payload: StatusIn) -> Any:
    user = actor(request)
    current = _workable(user, request_id)
    services.request_set_status(actor=user, request=current, status=payload.status)
    return _as_written(request_id)


# --- The thread ------------------------------------------------------------------------------


@router.get(
    "/requests/{request_id}/messages",
    response=responses({200: MessagePage}, 400, 404),
    description="The thread, oldest first: the client's messages, replies and internal notes.",
)
def message_list(request: HttpRequest, request_id: Id, params: Query[ListParams]) -> Any:
    thread = queries.thread(_visible(actor(request), request_id))
    return page(thread, ordering=["created_at", "id"], params=params)


@router.post(
    "/requests/{request_id}/replies",
    response=responses({201: MessageOut}, 400, 403, 404),
    description=(
        "A reply to the client, e-mailed to the request's address. The first reply is the "
        "first response; the reply takes a new request in work, or moves it to `status`. "
        + WORKERS_ONLY
    ),
)
def reply_create(request: HttpRequest, request_id: Id, payload: ReplyIn) -> Any:
    user = actor(request)
    current = _workable(user, request_id)
    message = services.request_reply(
        actor=user, request=current, body=payload.body, status=payload.status or ""
    )
    return Status(201, message)


@router.post(
    "/requests/{request_id}/client-messages",
    response=responses({201: MessageOut}, 400, 403, 404),
    description=(
        "What the client wrote or said. It reopens a resolved or closed request and takes "
        "one waiting for the client back in work. " + WORKERS_ONLY
    ),
)
def client_message_create(request: HttpRequest, request_id: Id, payload: ClientMessageIn) -> Any:
    user = actor(request)
    current = _workable(user, request_id)
    message = services.request_client_message(
        actor=user, request=current, body=payload.body, at=payload.at
    )
    return Status(201, message)


@router.post(
    "/requests/{request_id}/notes",
    response=responses({201: MessageOut}, 400, 403, 404),
    description="An internal note on the thread: the client never sees it. " + WORKERS_ONLY,
)
def note_create(request: HttpRequest, request_id: Id, payload: NoteIn) -> Any:
    user = actor(request)
    message = services.request_note(
        actor=user, request=_workable(user, request_id), body=payload.body
    )
    return Status(201, message)


# --- Categories and SLA policies --------------------------------------------------------------


@router.get("/request-categories", response=responses({200: CategoryPage}, 400))
def category_list(request: HttpRequest, filters: Query[CategoryFilters]) -> Any:
    qs = Category.objects.all()
    if filters.active:
        qs = qs.filter(is_active=True)
    return page(qs, ordering=["position", "name", "id"], params=filters)


@router.get(
    "/sla-policies",
    response=responses({200: PolicyPage}, 400),
    description=(
        "Targets for the first response and the resolution, per kind and priority (empty: "
        "any). The most specific active policy applies to a new request."
    ),
)
def policy_list(request: HttpRequest, params: Query[ListParams]) -> Any:
    return page(queries.policies(), ordering=["kind", "priority", "name", "id"], params=params)


@router.post(
    "/sla-policies",
    response=responses({201: PolicyOut}, 400, 403),
    description=ADMIN_ONLY + " Requests already received keep their deadlines.",
)
def policy_create(request: HttpRequest, payload: PolicyIn) -> Any:
    policy = services.policy_create(
        actor=actor(request), data=payload.model_dump(exclude_unset=True)
    )
    return Status(201, SlaPolicy.objects.get(pk=policy.pk))


@router.get("/sla-policies/{policy_id}", response=responses({200: PolicyOut}, 404))
def policy_read(request: HttpRequest, policy_id: Id) -> Any:
    return queries.policies().get(pk=policy_id)


@router.patch(
    "/sla-policies/{policy_id}",
    response=responses({200: PolicyOut}, 400, 403, 404, 409),
    description=(
        ADMIN_ONLY + " Requests already received keep their deadlines; switch a policy off "
        "with `is_active`. " + VERSION_DOC
    ),
)
def policy_update(request: HttpRequest, policy_id: Id, payload: PolicyPatch) -> Any:
    policy = queries.policies().get(pk=policy_id)
    services.policy_update(
        actor=actor(request),
        policy=policy,
        version=payload.version,
        data=payload.model_dump(exclude_unset=True, exclude={"version"}),
    )
    return queries.policies().get(pk=policy_id)
