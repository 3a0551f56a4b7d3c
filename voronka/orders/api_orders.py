"""API: orders with their lines, payment and status workflow; the order of a won deal;
the organisation's workflow.

Who sees what is the order pages' rule: the head of sales and the administrator see and
change every order, support reads them all; a manager changes the orders they are
responsible for (a team lead, the team's) and reads those of the clients they may see.
An order one may not see answers 404; one seen but not one's to change, 403.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Prefetch, Q, QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Query, Router, Status
from ninja.errors import ValidationError as NinjaValidationError

from voronka.accounts.queries import users_visible_to
from voronka.analytics.periods import Period
from voronka.clients.queries import companies_visible_to, contacts_visible_to
from voronka.core.api import Id, Version, actor, page, resolve_refs, responses
from voronka.core.errors import NotAllowed, StaleVersion
from voronka.core.search import contact_point_q
from voronka.core.text import looks_like_phone, search_term
from voronka.orders import services
from voronka.orders.models import FLOW, OPEN_STATUSES, Order, OrderLine, StatusChange, StatusSetting
from voronka.orders.models import Status as OrderStatus
from voronka.orders.queries import (
    may_change,
    orders_visible_to,
    overdue_q,
    status_settings,
    transitions,
)
from voronka.orders.schemas import (
    ORDER_SORTS,
    LinesIn,
    OrderDetailOut,
    OrderFilters,
    OrderIn,
    OrderLineIn,
    OrderPage,
    OrderPatch,
    PaymentIn,
    StatusIn,
    WorkflowOut,
)
from voronka.sales.queries import deals_visible_to, products_visible_to

router = Router()

VERSION_DOC = "The version you read; a stale one answers 409 and changes nothing."
CHANGERS_ONLY = (
    "The head of sales, the administrator, the responsible manager and their team lead; "
    "support only reads orders."
)
MONEY_DOC = 'Money and quantities go in and out as strings ("1500.00").'


# --- Reading -------------------------------------------------------------------------------


def _with_output(qs: QuerySet[Order]) -> QuerySet[Order]:
    """What :class:`OrderOut` shows, loaded with the rows: a page costs the same for any
    number of them."""
    return qs.select_related("company", "contact", "deal", "owner")


def _with_detail(qs: QuerySet[Order]) -> QuerySet[Order]:
    return _with_output(qs).prefetch_related(
        Prefetch("lines", queryset=OrderLine.objects.select_related("product")),
        Prefetch("changes", queryset=StatusChange.objects.select_related("changed_by")),
    )


def _visible(user: Any, pk: int) -> Order:
    return orders_visible_to(user).get(pk=pk)


def _changeable(user: Any, pk: int, version: int) -> Order:
    """An order the user may change, as of the version they read.

    Refused before the input is looked at, so a reader learns nothing from the answer to
    a change they may not make; and a stale version is answered 409 whatever the change,
    even one the order as it is now would refuse for another reason.
    """
    order = _visible(user, pk)
    if not may_change(user, order):
        raise NotAllowed()
    if version != order.version:
        raise StaleVersion(order.version)
    return order


def _as_written(pk: int) -> Order:
    # The writer saw the order and the service let them change it; a new owner may have
    # just taken it out of their sight, which is no reason to answer 404.
    return _with_detail(Order.objects.filter(pk=pk)).get()


def _refs(user: Any) -> dict[str, QuerySet[Any]]:
    """Where each id in an order's input is looked up, as its author may see it."""
    return {
        "company": companies_visible_to(user),
        "contact": contacts_visible_to(user),
        "deal": deals_visible_to(user),
        "owner": users_visible_to(user),
    }


def _lines(user: Any, lines: list[OrderLineIn]) -> list[dict[str, Any]]:
    """The lines as the services take them: product ids become products the author may
    see; an unknown one is refused naming the line."""
    ids = {line.product for line in lines if line.product is not None}
    products = products_visible_to(user).in_bulk(ids) if ids else {}
    errors: list[dict[str, Any]] = []
    out: list[dict[str, Any]] = []
    for n, line in enumerate(lines):
        data = line.model_dump(exclude_none=True)
        if line.product is not None:
            data["product"] = products.get(line.product)
            if data["product"] is None:
                loc = ["body", "lines", n, "product"]
                errors.append({"loc": loc, "msg": _("No such product."), "type": "value_error"})
        out.append(data)
    if errors:
        raise NinjaValidationError(errors)
    return out


# --- The list ------------------------------------------------------------------------------


def _in_days(qs: QuerySet[Order], field: str, first: Any, last: Any) -> QuerySet[Order]:
    """Orders whose ``field`` falls on the local days ``first``..``last`` (both included)."""
    if first is not None:
        qs = qs.filter(**{f"{field}__gte": Period(first, first).bounds()[0]})
    if last is not None:
        qs = qs.filter(**{f"{field}__lt": Period(last, last).bounds()[1]})
    return qs


# A phone or e-mail fragment shared by more clients than this is too vague to list by.
CLIENT_MATCH_LIMIT = 500


def _search_q(term: str) -> Q:
    """«#000012» or «000012» the number; an e-mail or phone the client's or the order's;
    text the order's search column (number, client, e-mail, phone, external id)."""
    from voronka.clients.models import Company, Contact

    bare = term.lstrip("#").strip()
    match = Q(number__iexact=bare)
    if term.startswith("#"):
        return match
    for variant in {term.lower(), search_term(term)}:
        match |= Q(search_text__contains=variant)
    if "@" in term or looks_like_phone(term):
        client = contact_point_q(term)
        for model, field in ((Company, "company_id"), (Contact, "contact_id")):
            # Literal id lists, not subqueries: an OR of two subqueries makes PostgreSQL scan.
            ids = model.objects.filter(client).values_list("pk", flat=True)[:CLIENT_MATCH_LIMIT]
            match |= Q(**{f"{field}__in": list(ids)})
    return match


def order_list(user: Any, filters: OrderFilters) -> QuerySet[Order]:
    """Visible orders matching the list's filters (the order list page's parameters)."""
    qs = orders_visible_to(user)
    if filters.status:
        qs = qs.filter(status__in=filters.status)
    if filters.open:
        qs = qs.filter(status__in=OPEN_STATUSES)
    if filters.overdue:
        qs = qs.filter(overdue_q())
    for field, value in (
        ("payment_status", filters.payment), ("owner_id", filters.owner),
        ("owner__team_id", filters.team), ("company_id", filters.company),
        ("contact_id", filters.contact), ("deal_id", filters.deal),
    ):  # fmt: skip
        if value:
            qs = qs.filter(**{field: value})
    if filters.product:
        # A subquery, so an order with two lines of the product is listed once.
        lines = OrderLine.objects.filter(product_id=filters.product).values("order_id")
        qs = qs.filter(pk__in=lines)
    qs = _in_days(qs, "created_at", filters.created_from, filters.created_to)
    qs = _in_days(qs, "delivered_at", filters.delivered_from, filters.delivered_to)
    if filters.q.strip():
        qs = qs.filter(_search_q(filters.q.strip()))
    return qs


@router.get(
    "/orders",
    response=responses({200: OrderPage}, 400),
    description=(
        "The orders you may see, newest first unless `sort` says otherwise; the filters are "
        "those of the order list page. Dates are the organisation's local days, both ends "
        "included. " + MONEY_DOC
    ),
)
def order_list_read(request: HttpRequest, filters: Query[OrderFilters]) -> Any:
    qs = _with_output(order_list(actor(request), filters))
    return page(qs, ordering=ORDER_SORTS[filters.sort], params=filters)


@router.get(
    "/orders/{order_id}",
    response=responses({200: OrderDetailOut}, 404),
    description=(
        "The order with its lines, its status changes and the statuses it may go to next. "
        + MONEY_DOC
    ),
)
def order_read(request: HttpRequest, order_id: Id) -> Any:
    return _with_detail(orders_visible_to(actor(request))).get(pk=order_id)


# --- Writing -------------------------------------------------------------------------------


@router.post(
    "/orders",
    response=responses({201: OrderDetailOut}, 400, 403),
    description=(
        "Takes down an order: the client (a company and/or its contact), the lines (a product, "
        "or a name and a price), delivery and the responsible manager (default: you). Totals "
        "are counted from the lines. Managers, the head of sales and the administrator. "
        + MONEY_DOC
    ),
)
def order_create(request: HttpRequest, payload: OrderIn) -> Any:
    user = actor(request)
    if not services.may_take_orders(user):
        raise NotAllowed()
    data = payload.model_dump(exclude_unset=True, exclude={"lines", "received_at"})
    data = resolve_refs(data, **_refs(user))
    created = services.order_create(
        actor=user, data=data, lines=_lines(user, payload.lines), received_at=payload.received_at
    )
    return Status(201, _as_written(created.pk))


@router.patch(
    "/orders/{order_id}",
    response=responses({200: OrderDetailOut}, 400, 403, 404, 409),
    description=(
        "Changes the order's fields; its lines change with …/lines, its status with …/status "
        "and its payment with …/payment. " + CHANGERS_ONLY + " " + VERSION_DOC
    ),
)
def order_update(request: HttpRequest, order_id: Id, payload: OrderPatch) -> Any:
    user = actor(request)
    order = _changeable(user, order_id, payload.version)
    data = payload.model_dump(exclude_unset=True, exclude={"version"})
    data = resolve_refs(data, **_refs(user))
    services.order_update(actor=user, order=order, version=payload.version, data=data)
    return _as_written(order_id)


@router.put(
    "/orders/{order_id}/lines",
    response=responses({200: OrderDetailOut}, 400, 403, 404, 409),
    description=(
        "Replaces the order's lines and counts its totals again; only while the order is new "
        "or confirmed. " + CHANGERS_ONLY + " " + VERSION_DOC
    ),
)
def order_lines_replace(request: HttpRequest, order_id: Id, payload: LinesIn) -> Any:
    user = actor(request)
    order = _changeable(user, order_id, payload.version)
    services.order_set_lines(
        actor=user, order=order, version=payload.version, lines=_lines(user, payload.lines)
    )
    return _as_written(order_id)


@router.post(
    "/orders/{order_id}/status",
    response=responses({200: OrderDetailOut}, 400, 403, 404, 409),
    description=(
        "Moves the order to another status, along the organisation's workflow (see "
        "`allowed_statuses` and /order-workflow); a move marked \"only when paid\" needs the "
        "order paid. A refused move is answered 422 naming `status`. "
        + CHANGERS_ONLY + " " + VERSION_DOC
    ),
)  # fmt: skip
def order_status_set(request: HttpRequest, order_id: Id, payload: StatusIn) -> Any:
    user = actor(request)
    order = _changeable(user, order_id, payload.version)
    services.order_set_status(
        actor=user, order=order, to_status=payload.status, version=payload.version,
        comment=payload.comment,
    )  # fmt: skip
    return _as_written(order_id)


@router.post(
    "/orders/{order_id}/payment",
    response=responses({200: OrderDetailOut}, 400, 403, 404, 409),
    description="Sets whether the order is paid. " + CHANGERS_ONLY + " " + VERSION_DOC,
)
def order_payment_set(request: HttpRequest, order_id: Id, payload: PaymentIn) -> Any:
    user = actor(request)
    order = _changeable(user, order_id, payload.version)
    services.order_set_payment(
        actor=user, order=order, version=payload.version, payment_status=payload.payment_status
    )
    return _as_written(order_id)


@router.delete(
    "/orders/{order_id}",
    response=responses({204: None}, 403, 404, 409),
    description="Moves the order to the trash. " + CHANGERS_ONLY + " " + VERSION_DOC,
)
def order_delete(request: HttpRequest, order_id: Id, version: Version) -> Any:
    user = actor(request)
    services.order_delete(actor=user, order=_changeable(user, order_id, version), version=version)
    return Status(204, None)


@router.post(
    "/deals/{deal_id}/order",
    response=responses({201: OrderDetailOut}, 400, 403, 404),
    description=(
        "Makes the order of a won deal: its client, manager, currency and product lines (a "
        "deal without lines becomes one line of its title and amount). A deal has at most "
        "one order: a second call is refused naming `deal` and the order's number. Managers, "
        "the head of sales and the administrator."
    ),
)
def order_from_deal(request: HttpRequest, deal_id: Id) -> Any:
    user = actor(request)
    deal = deals_visible_to(user).select_related("owner", "company", "contact").get(pk=deal_id)
    if not services.may_take_orders(user):
        raise NotAllowed()
    created = services.order_from_deal(actor=user, deal=deal)
    return Status(201, _as_written(created.pk))


# --- The workflow --------------------------------------------------------------------------


def _sees_orders(user: Any) -> bool:
    return services.may_take_orders(user) or getattr(user, "role", "") == "support"


@router.get(
    "/order-workflow",
    response=responses({200: WorkflowOut}, 403),
    description=(
        "The organisation's order workflow: the allowed moves (and which need the order paid) "
        "and, per status, how long an order may stay in it and whether the client is e-mailed "
        "on entering it."
    ),
)
def workflow_read(request: HttpRequest) -> Any:
    if not _sees_orders(actor(request)):
        raise NotAllowed()
    rank: dict[str, int] = {status: n for n, status in enumerate(FLOW)}
    moves = sorted(transitions().items(), key=lambda item: (rank[item[0][0]], rank[item[0][1]]))
    settings = status_settings()
    statuses = []
    for status in FLOW:
        setting = settings.get(status) or StatusSetting(status=status)
        statuses.append({
            "status": status, "label": str(OrderStatus(status).label),
            "is_open": status in OPEN_STATUSES, "norm_hours": setting.norm_hours,
            "clock": setting.clock, "notify_client": setting.notify_client,
        })  # fmt: skip
    return {
        "transitions": [
            {"from_status": a, "to_status": b, "requires_payment": paid} for (a, b), paid in moves
        ],
        "statuses": statuses,
    }
