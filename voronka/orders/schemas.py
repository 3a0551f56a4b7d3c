"""API shapes of orders: the order with its lines, its status changes and the moves it
may make next; the list filters; the organisation's status workflow."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Annotated, Any, Literal

from django.urls import NoReverseMatch
from django.utils import timezone
from ninja import Field, Schema
from pydantic import AfterValidator, BeforeValidator

from voronka.core.api import DecimalStr, Id, ListParams, PageOut, Ref, Text, Version, optional
from voronka.orders import links
from voronka.orders.models import OPEN_STATUSES, Order, PaymentStatus
from voronka.orders.queries import allowed_targets, may_change, transitions
from voronka.orders.services import MAX_LINES

# Spelled out for type checkers and the schema; a test keeps them equal to the models' choices.
OrderStatus = Literal[
    "new", "confirmed", "paid", "assembled", "shipped", "delivered", "cancelled", "returned"
]
PaymentStatusName = Literal["unpaid", "partial", "paid", "refunded"]
DeliveryMethodName = Literal["pickup", "courier", "post", "carrier", "digital"]
MailStatusName = Literal["none", "pending", "sending", "sent", "failed"]
ClockName = Literal["calendar", "working"]
LanguageName = Literal["ru", "en"]
OrderSort = Literal["-created", "created", "-updated", "-total", "total", "number"]

ORDER_SORTS: dict[str, list[str]] = {
    "-created": ["-created_at", "-id"],
    "created": ["created_at", "id"],
    "-updated": ["-updated_at", "-id"],
    "-total": ["-total", "-id"],
    "total": ["total", "id"],
    "number": ["number", "id"],
}
# JSON strings ("1500.50") or numbers. The bounds repeat the models' constraints so that a
# bad value is answered naming its field rather than the constraint.
Money = Annotated[Decimal, Field(ge=0, max_digits=15, decimal_places=2)]
Quantity = Annotated[Decimal, Field(gt=0, max_digits=12, decimal_places=3)]
Percent = Annotated[Decimal, Field(ge=0, le=100, max_digits=5, decimal_places=2)]
Rate = Annotated[Decimal, Field(gt=0, max_digits=18, decimal_places=6)]
# A clock running a little ahead of ours is no reason to refuse an order.
CLOCK_SKEW = timedelta(minutes=5)


def _not_in_future(value: datetime) -> datetime:
    if timezone.is_naive(value):  # the organisation's time, as the pages read it
        value = timezone.make_aware(value)
    if value > timezone.now() + CLOCK_SKEW:
        raise ValueError("must not be in the future")
    return value.astimezone(UTC)


PastTime = Annotated[datetime, AfterValidator(_not_in_future)]


def _comma_separated(value: Any) -> Any:
    """``status=new,paid`` reads as ``status=new&status=paid``."""
    if isinstance(value, str):
        value = [value]
    if isinstance(value, list):
        return [part.strip() for item in value for part in str(item).split(",") if part.strip()]
    return value


def is_overdue(order: Order, now: datetime | None = None) -> bool:
    """An open order past its status's norm (the list's ``overdue=1``)."""
    due = order.status_due_at
    return order.status in OPEN_STATUSES and due is not None and due < (now or timezone.now())


# --- Output --------------------------------------------------------------------------------


class DealRef(Schema):
    id: int
    name: str

    @staticmethod
    def resolve_name(obj: Any) -> str:
        return str(obj.title)


class OrderLineOut(Schema):
    id: int
    position: int
    product: Ref | None = Field(description="Null for a line written by hand.")
    name: str
    sku: str
    unit: str
    quantity: DecimalStr
    unit_price: DecimalStr
    discount_percent: DecimalStr
    vat_rate: DecimalStr
    gross: DecimalStr = Field(description="Quantity × unit price.")
    discount: DecimalStr
    vat: DecimalStr = Field(description="Included in or added to the amount, as the order says.")
    total: DecimalStr = Field(description="What the line costs the client.")


class OrderOut(Schema):
    id: int
    number: str
    status: str
    is_open: bool
    overdue: bool = Field(description="Open and in its status longer than the status's norm.")
    status_entered_at: datetime | None
    status_due_at: datetime | None = Field(description="When the status's norm runs out.")
    payment_status: str
    paid_at: datetime | None
    company: Ref | None
    contact: Ref | None
    client_name: str
    client_email: str
    client_phone: str
    deal: DealRef | None
    owner: Ref = Field(description="The responsible manager.")
    currency: str
    exchange_rate: DecimalStr
    prices_include_vat: bool
    subtotal: DecimalStr = Field(description="Before discounts.")
    discount_total: DecimalStr
    vat_total: DecimalStr
    total: DecimalStr = Field(description="What the client pays.")
    delivery_method: str
    delivery_address: str
    delivery_date: date | None
    language: str = Field(description="The language of the client's e-mails.")
    notes: str
    external_id: str
    delivered_at: datetime | None
    closed_at: datetime | None
    exported_at: datetime | None
    created_at: datetime = Field(description="When the order was received.")
    updated_at: datetime
    version: int

    @staticmethod
    def resolve_overdue(obj: Order) -> bool:
        return is_overdue(obj)

    @staticmethod
    def resolve_client_name(obj: Order) -> str:
        client = obj.company or obj.contact
        return str(client) if client is not None else ""


class OrderPage(PageOut):
    items: list[OrderOut]


class StatusChangeOut(Schema):
    id: int
    from_status: str = Field(description="Empty for the order's arrival.")
    to_status: str
    changed_by: Ref | None
    changed_at: datetime
    comment: str
    email_to: str = Field(description="Where the client's notice of the change went, if any.")
    email_status: MailStatusName
    email_sent_at: datetime | None


class NextStatusOut(Schema):
    status: OrderStatus
    requires_payment: bool = Field(description="The workflow allows this move only when paid.")
    possible: bool = Field(description="False while the move needs payment and there is none.")


class OrderDetailOut(OrderOut):
    lines: list[OrderLineOut]
    changes: list[StatusChangeOut] = Field(description="Oldest first, the arrival included.")
    allowed_statuses: list[NextStatusOut] = Field(
        description="Where the workflow lets the order go next, in workflow order."
    )
    can_change: bool = Field(description="Whether you may edit the order and move it.")
    public_url: str = Field(description="The client's signed link to the order's status page.")

    @staticmethod
    def resolve_lines(obj: Order) -> list[Any]:
        return list(obj.lines.all())

    @staticmethod
    def resolve_changes(obj: Order) -> list[Any]:
        return list(obj.changes.all())

    @staticmethod
    def resolve_allowed_statuses(obj: Order) -> list[dict[str, Any]]:
        table = transitions()
        paid = obj.payment_status == PaymentStatus.PAID
        return [
            {"status": status, "requires_payment": table[(obj.status, status)],
             "possible": paid or not table[(obj.status, status)]}
            for status in allowed_targets(obj, table)
        ]  # fmt: skip

    @staticmethod
    def resolve_can_change(obj: Order, context: dict[str, Any]) -> bool:
        return may_change(context["request"].auth, obj)

    @staticmethod
    def resolve_public_url(obj: Order) -> str:
        try:
            return links.public_url(obj)
        except NoReverseMatch:  # an installation without the public page
            return ""


# --- Input ---------------------------------------------------------------------------------


class OrderLineIn(Schema):
    product: Id | None = Field(
        None, description="A product; its name, SKU, unit, price and VAT rate are the defaults."
    )
    name: Text = Field("", max_length=200, description="Required without a product.")
    sku: Text = Field("", max_length=60)
    unit: Text = Field("", max_length=20)
    quantity: Quantity = Field(Decimal(1), description='Default 1; "2.5" for 2.5 units.')
    unit_price: Money | None = Field(None, description='"1500.00"; default: the product\'s price.')
    discount_percent: Percent = Field(Decimal(0), description="Default 0.")
    vat_rate: Percent | None = Field(
        None, description="Default: the product's, else the organisation's rate."
    )


Lines = Annotated[list[OrderLineIn], Field(max_length=MAX_LINES)]


class OrderFields(Schema):
    company: Id | None = optional()
    contact: Id | None = optional()
    deal: Id | None = optional()
    owner: Id = optional()
    currency: Text = optional()
    exchange_rate: Rate = optional()
    delivery_method: DeliveryMethodName = optional()
    delivery_address: Text = optional()
    delivery_date: date | None = optional()
    client_email: Text = optional()
    client_phone: Text = optional()
    language: LanguageName = optional()
    notes: Text = optional()
    number: Text = optional()
    external_id: Text = optional()


class OrderIn(OrderFields):
    prices_include_vat: bool = optional()
    lines: Lines
    received_at: PastTime | None = Field(
        None, description="When the client ordered; default: now. Status norms count from it."
    )


class OrderPatch(OrderFields):
    version: Version


class LinesIn(Schema):
    version: Version
    lines: Lines


class StatusIn(Schema):
    status: OrderStatus
    version: Version
    comment: Text = Field("", max_length=500)


class PaymentIn(Schema):
    payment_status: PaymentStatusName
    version: Version


class OrderFilters(ListParams):
    status: Annotated[list[OrderStatus], BeforeValidator(_comma_separated)] = Field(
        default_factory=list, description="Repeat, or separate by commas; default: any."
    )
    open: bool = Field(False, description="Open orders only (new to shipped).")
    overdue: bool = Field(False, description="Open orders past their status's norm.")
    payment: PaymentStatusName | None = None
    owner: Id | None = None
    team: Id | None = Field(None, description="Orders of the team's managers.")
    company: Id | None = None
    contact: Id | None = None
    deal: Id | None = None
    product: Id | None = Field(None, description="Orders with a line of this product.")
    created_from: date | None = Field(None, description="Received on this local day or later.")
    created_to: date | None = Field(None, description="Received on this local day or earlier.")
    delivered_from: date | None = Field(None, description="Delivered on this day or later.")
    delivered_to: date | None = Field(None, description="Delivered on this day or earlier.")
    q: Text = Field("", max_length=200, description="Number, client, e-mail or phone.")
    sort: OrderSort = Field("-created", description="Newest first by default.")


# --- The workflow --------------------------------------------------------------------------


class TransitionOut(Schema):
    from_status: OrderStatus
    to_status: OrderStatus
    requires_payment: bool


class StatusSettingOut(Schema):
    status: OrderStatus
    label: str
    is_open: bool
    norm_hours: int | None = Field(description="How long an order may stay; null: no norm.")
    clock: ClockName
    notify_client: bool = Field(description="The client is e-mailed on entering the status.")


class WorkflowOut(Schema):
    transitions: list[TransitionOut]
    statuses: list[StatusSettingOut] = Field(description="Every status, in workflow order.")
