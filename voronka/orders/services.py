"""Writes of orders: taking one down (or making it of a won deal), its lines, its
fields, its payment, and moving it through the organisation's status workflow.

Every change goes by the order's version: a status change or an edit based on a copy
someone else has changed meanwhile is refused (``StaleVersion``, HTTP 409), so of two
people moving one order at once exactly one wins and the other is told. A status
change is allowed only along the organisation's :class:`Transition` rows, and one
marked "only when paid" only for a paid order.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from voronka.core import events, organisation
from voronka.core import services as base
from voronka.core.errors import NotAllowed, StaleVersion
from voronka.core.visibility import may_own, sees_everything
from voronka.orders import norms
from voronka.orders.models import (
    FINAL_STATUSES,
    MailStatus,
    Order,
    OrderLine,
    PaymentStatus,
    Status,
    StatusChange,
    StatusSetting,
)
from voronka.orders.queries import may_change, transitions
from voronka.orders.totals import LineAmounts, line_amounts, order_totals

ORDER_FIELDS = {
    "company", "contact", "deal", "owner", "currency", "exchange_rate", "prices_include_vat",
    "delivery_method", "delivery_address", "delivery_date", "client_email", "client_phone",
    "language", "notes", "number", "external_id",
}  # fmt: skip
# Fields that stay as they were once the order has left the desk.
LINE_FIELDS = {"product", "name", "sku", "unit", "quantity", "unit_price", "discount_percent",
               "vat_rate"}  # fmt: skip
# Lines (and so the totals) may change only before the order is paid and assembled.
LINES_EDITABLE = (Status.NEW, Status.CONFIRMED)
MAX_LINES = 500


def may_take_orders(user: Any) -> bool:
    """Whether ``user`` takes down and runs orders: managers, the head, the admin."""
    if user is None or not user.is_authenticated or not user.is_active:
        return False
    return sees_everything(user) or user.role == "manager"


def _ensure_may_change(actor: Any, order: Order) -> None:
    if actor is not None and not may_change(actor, order):
        raise NotAllowed()


def _status_label(status: str) -> str:
    return str(Status(status).label)


# --- Lines and totals --------------------------------------------------------------------


def _decimal(value: Any, field: str, where: str) -> Decimal:
    try:
        return (
            value if isinstance(value, Decimal) else Decimal(str(value).strip().replace(",", "."))
        )
    except (InvalidOperation, ValueError):
        raise ValidationError({"lines": _("%(line)s: %(field)s is not a number.")
                               % {"line": where, "field": field}}) from None  # fmt: skip


def build_lines(order: Order, lines: Iterable[Mapping[str, Any]]) -> list[OrderLine]:
    """Order lines from plain data, checked, with their amounts counted; not saved.

    A line names a product (its name, SKU, unit, price and VAT rate are the defaults)
    or gives a name and a price of its own. Errors name the line and the field.
    """
    org = organisation.current()
    built: list[OrderLine] = []
    for n, data in enumerate(lines, start=1):
        base.reject_unknown(data, LINE_FIELDS)
        where = _("Line %(n)s") % {"n": n}
        product = data.get("product")
        name = str(data.get("name") or (product.name if product else "")).strip()
        if not name:
            raise ValidationError({"lines": _("%(line)s: choose a product or write a name.")
                                   % {"line": where}})  # fmt: skip
        price = data.get("unit_price")
        if price in (None, ""):
            if product is None:
                raise ValidationError({"lines": _("%(line)s: give the unit price.")
                                       % {"line": where}})  # fmt: skip
            price = product.price
        vat = data.get("vat_rate")
        if vat in (None, ""):
            vat = product.vat_rate if product is not None and product.vat_rate is not None \
                else org.order_vat_rate  # fmt: skip
        line = OrderLine(
            order=order, position=n, product=product, name=name[:200],
            sku=str(data.get("sku") or (product.sku if product else ""))[:60],
            unit=str(data.get("unit") or (product.unit if product else ""))[:20],
            quantity=_decimal(data.get("quantity", 1), _("quantity"), where),
            unit_price=_decimal(price, _("unit price"), where),
            discount_percent=_decimal(data.get("discount_percent") or 0, _("discount"), where),
            vat_rate=_decimal(vat, _("VAT rate"), where),
        )  # fmt: skip
        problem = _line_problem(line)
        if problem:
            raise ValidationError({"lines": f"{where}: {problem}"})
        amounts = line_amounts(
            line.quantity, line.unit_price, line.discount_percent, line.vat_rate,
            prices_include_vat=order.prices_include_vat,
        )  # fmt: skip
        line.gross, line.discount, line.vat, line.total = (
            amounts.gross,
            amounts.discount,
            amounts.vat,
            amounts.total,
        )
        built.append(line)
    if len(built) > MAX_LINES:
        raise ValidationError(
            {"lines": _("An order holds at most %(n)s lines.") % {"n": MAX_LINES}}
        )
    return built


def _line_problem(line: OrderLine) -> str:
    if line.quantity <= 0:
        return _("the quantity must be more than zero.")
    if line.quantity.as_tuple().exponent < -3 or line.quantity >= Decimal("1e9"):  # type: ignore[operator]
        return _("the quantity has too many digits.")
    if line.unit_price < 0:
        return _("the unit price cannot be negative.")
    if line.unit_price.as_tuple().exponent < -2 or line.unit_price >= Decimal("1e13"):  # type: ignore[operator]
        return _("the unit price must be in roubles and kopecks.")
    if not Decimal(0) <= line.discount_percent <= Decimal(100):
        return _("the discount must be from 0 to 100 %.")
    if not Decimal(0) <= line.vat_rate <= Decimal(100):
        return _("the VAT rate must be from 0 to 100 %.")
    return ""


def _apply_totals(order: Order, lines: list[OrderLine]) -> None:
    totals = order_totals(LineAmounts(line.gross, line.discount, line.vat, line.total)
                          for line in lines)  # fmt: skip
    order.subtotal, order.discount_total = totals.subtotal, totals.discount_total
    order.vat_total, order.total = totals.vat_total, totals.total


def _check_lines_visible(actor: Any, lines: Iterable[Mapping[str, Any]]) -> None:
    from voronka.sales.models import Product

    ids = {getattr(line.get("product"), "pk", None) for line in lines} - {None}
    if ids and Product.objects.filter(pk__in=ids).count() != len(ids):
        raise ValidationError({"lines": _("A product of the order is no longer in the catalogue.")})


# --- Client and owner --------------------------------------------------------------------


def _check_parties(actor: Any, order: Order, changed: Iterable[str] | None = None) -> None:
    """Check the client, deal and manager; ``changed`` names the fields an edit changed
    (None: all, for a new order) — someone who may run an order but not see its client
    (a team lead's manager's client) may still edit what they changed."""
    from voronka.clients.queries import companies_visible_to, contacts_visible_to
    from voronka.sales.queries import deals_visible_to

    names = set(ORDER_FIELDS if changed is None else changed)
    errors: dict[str, str] = {}
    if actor is not None:
        for name, visible in (
            ("company", companies_visible_to), ("contact", contacts_visible_to),
            ("deal", deals_visible_to),
        ):  # fmt: skip
            pk = getattr(order, f"{name}_id")
            if name in names and pk and not visible(actor).filter(pk=pk).exists():
                errors[name] = _("No such record, or you may not see it.")
        if "owner" in names and order.owner_id and not may_own(actor, order.owner):
            errors["owner"] = _("You cannot make this person responsible for an order.")
    contact = order.contact
    if contact is not None and order.company_id is None and contact.company_id:
        order.company_id = contact.company_id
    if contact is not None and order.company_id and contact.company_id not in (
        None, order.company_id,
    ):  # fmt: skip
        errors["contact"] = _("This contact works for another company.")
    if not (order.company_id or order.contact_id):
        errors["company"] = _("Choose the client: a company or a contact.")
    if order.owner_id and not order.owner.is_active:
        errors["owner"] = _("This person's account is switched off.")
    if errors:
        raise ValidationError(errors)
    if contact is not None:
        order.client_email = order.client_email or contact.email
        order.client_phone = order.client_phone or getattr(contact, "phone", "")


def _check_deal_free(order: Order) -> None:
    if order.deal_id is None:
        return
    taken = Order.objects.filter(deal_id=order.deal_id).exclude(pk=order.pk).first()
    if taken is not None:
        raise ValidationError({"deal": _("This deal already has order %(number)s.")
                               % {"number": taken.number}})  # fmt: skip


# --- Create, edit, delete ----------------------------------------------------------------


def _enter(order: Order, status: str, at: datetime) -> None:
    order.status = status
    order.status_entered_at = at
    order.status_due_at = norms.due_at(status, at)


@transaction.atomic
def order_create(
    *, actor: Any, data: Mapping[str, Any], lines: Iterable[Mapping[str, Any]],
    received_at: datetime | None = None,
) -> Order:  # fmt: skip
    """Take down an order: the client, the lines, delivery and the responsible manager.

    ``actor`` None is the system (an order made of a won deal by the setting, an
    import); a manager who takes down an order is responsible for it unless they give
    it to someone they may.
    """
    if actor is not None and not may_take_orders(actor):
        raise NotAllowed()
    base.reject_unknown(data, ORDER_FIELDS)
    lines = list(lines)
    order = Order(**data)
    if order.owner_id is None and actor is not None:
        order.owner = actor
    if "prices_include_vat" not in data:
        order.prices_include_vat = organisation.current().order_prices_include_vat
    if not order.currency:
        order.currency = organisation.current().base_currency
    if order.owner_id is None:
        raise ValidationError({"owner": _("Choose the responsible manager.")})
    _check_parties(actor, order)
    _check_deal_free(order)
    _check_lines_visible(actor, lines)
    built = build_lines(order, lines)
    if not built:
        raise ValidationError({"lines": _("Add at least one line to the order.")})
    _apply_totals(order, built)
    at = received_at or timezone.now()
    _enter(order, Status.NEW, at)
    order.search_text = _search_text(order)
    base.validate(order, exclude=["created_by", "number", "search_text"])
    try:
        with transaction.atomic():
            base.create(order, actor=actor)
    except IntegrityError:
        _check_deal_free(order)  # the other order of the same deal committed meanwhile
        raise ValidationError({"number": _("An order with this number already exists.")}) from None
    fix: dict[str, Any] = {"created_at": at} if received_at is not None else {}
    if not order.number:
        order.number = f"{order.pk:06d}"
        order.search_text = _search_text(order)
        fix.update(number=order.number, search_text=order.search_text)
    if fix:
        Order.all_objects.filter(pk=order.pk).update(**fix)
        order.created_at = at
    for line in built:
        line.order = order
    OrderLine.objects.bulk_create(built)
    _record_change(order, "", Status.NEW, actor, at)
    events.emit(events.ORDER_CREATED, order_id=order.pk, actor_id=getattr(actor, "pk", None))
    _refresh_client(order)
    return order


@transaction.atomic
def order_update(
    *, actor: Any, order: Order, version: int | None, data: Mapping[str, Any]
) -> Order:
    """Change the order's fields (not its status, payment or lines)."""
    _ensure_may_change(actor, order)
    base.reject_unknown(data, ORDER_FIELDS - {"prices_include_vat"})
    earlier = (order.company_id, order.contact_id)
    changed = base.apply_changes(order, data)
    if not changed:
        return order
    if "number" in changed and not order.number:
        raise ValidationError({"number": _("The order needs a number.")})
    _check_parties(actor, order, changed)
    _check_deal_free(order)
    order.search_text = _search_text(order)
    base.validate(order, exclude=["created_by", "search_text", "number"])
    try:
        with transaction.atomic():
            base.save_changes(order, actor=actor, version=version,
                              fields=[*changed, "client_email", "client_phone", "company",
                                      "search_text"])  # fmt: skip
    except IntegrityError:
        raise ValidationError({"number": _("An order with this number already exists.")}) from None
    _refresh_client(order, earlier)
    return order


@transaction.atomic
def order_set_lines(
    *, actor: Any, order: Order, version: int | None, lines: Iterable[Mapping[str, Any]]
) -> Order:
    """Replace the order's lines and count its totals again."""
    _ensure_may_change(actor, order)
    if order.status not in LINES_EDITABLE:
        status = _status_label(order.status)
        raise ValidationError({"lines": _("The order is already «%(status)s»: its lines cannot "
                                          "change.") % {"status": status}})  # fmt: skip
    lines = list(lines)
    _check_lines_visible(actor, lines)
    built = build_lines(order, lines)
    if not built:
        raise ValidationError({"lines": _("Add at least one line to the order.")})
    _apply_totals(order, built)
    base.save_changes(order, actor=actor, version=version,
                      fields=["subtotal", "discount_total", "vat_total", "total"])  # fmt: skip
    order.lines.all().delete()
    OrderLine.objects.bulk_create(built)
    return order


@transaction.atomic
def order_delete(*, actor: Any, order: Order, version: int | None) -> Order:
    _ensure_may_change(actor, order)
    base.soft_delete(order, actor=actor, version=version)
    _refresh_client(order)
    return order


# --- Payment and status ------------------------------------------------------------------


@transaction.atomic
def order_set_payment(
    *, actor: Any, order: Order, version: int | None, payment_status: str
) -> Order:
    _ensure_may_change(actor, order)
    if payment_status not in PaymentStatus.values:
        raise ValidationError({"payment_status": _("Unknown payment status.")})
    if payment_status == order.payment_status:
        return order
    was_paid = order.payment_status == PaymentStatus.PAID
    order.payment_status = payment_status
    if payment_status == PaymentStatus.PAID:
        order.paid_at = timezone.now()
    base.save_changes(order, actor=actor, version=version, fields=["payment_status", "paid_at"])
    if payment_status == PaymentStatus.PAID and not was_paid:
        events.emit(events.ORDER_PAID, order_id=order.pk, actor_id=getattr(actor, "pk", None))
    return order


def check_transition(order: Order, to_status: str,
                     table: dict[tuple[str, str], bool] | None = None) -> None:  # fmt: skip
    """Raise ValidationError naming both statuses if the organisation does not allow the
    move, or allows it only for a paid order and this one is not paid."""
    if to_status not in Status.values:
        raise ValidationError({"status": _("Unknown order status.")})
    table = transitions() if table is None else table
    names = {"from": _status_label(order.status), "to": _status_label(to_status)}
    if to_status == order.status:
        raise ValidationError({"status": _("The order is already «%(to)s».") % names})
    if (order.status, to_status) not in table:
        raise ValidationError({"status": _("An order cannot go from «%(from)s» to «%(to)s».")
                               % names})  # fmt: skip
    if table[(order.status, to_status)] and order.payment_status != PaymentStatus.PAID:
        raise ValidationError({"status": _("The order must be paid before it goes from "
                                           "«%(from)s» to «%(to)s».") % names})  # fmt: skip


@transaction.atomic
def order_set_status(
    *, actor: Any, order: Order, to_status: str, version: int | None, comment: str = "",
    at: datetime | None = None,
) -> Order:  # fmt: skip
    """Move the order to ``to_status`` if the workflow allows it from where it is.

    ``version`` is the version the person saw: if someone moved or edited the order
    since, nothing changes and ``StaleVersion`` tells them (None: judge against the
    order as it is now, for the system's own moves).
    """
    _ensure_may_change(actor, order)
    if version is None:  # the system's move: judge against the row as it is now
        order = Order.objects.select_for_update().get(pk=order.pk)
    elif version != order.version:  # a stale copy: it is a conflict, whatever the move
        raise StaleVersion(order.version)
    check_transition(order, to_status)
    comment = (comment or "").strip()[:500]
    now = at or timezone.now()
    from_status = order.status
    _enter(order, to_status, now)
    fields = ["status", "status_entered_at", "status_due_at"]
    if to_status == Status.PAID and order.payment_status != PaymentStatus.PAID:
        order.payment_status, order.paid_at = PaymentStatus.PAID, now
        fields += ["payment_status", "paid_at"]
    if to_status == Status.DELIVERED:
        order.delivered_at = now
        fields.append("delivered_at")
    order.closed_at = now if to_status in FINAL_STATUSES else None
    fields.append("closed_at")
    base.save_changes(order, actor=actor, version=version, fields=fields,
                      reason=comment or None)  # fmt: skip
    change = _record_change(order, from_status, to_status, actor, now, comment)
    actor_id = getattr(actor, "pk", None)
    events.emit(events.ORDER_STATUS_CHANGED, order_id=order.pk, change_id=change.pk,
                from_status=from_status, to_status=to_status, actor_id=actor_id)  # fmt: skip
    if "payment_status" in fields:
        events.emit(events.ORDER_PAID, order_id=order.pk, actor_id=actor_id)
    if to_status == Status.DELIVERED:
        events.emit(events.ORDER_DELIVERED, order_id=order.pk, actor_id=actor_id)
    elif to_status == Status.CANCELLED:
        events.emit(events.ORDER_CANCELLED, order_id=order.pk, actor_id=actor_id)
    _refresh_client(order)
    return order


def _record_change(
    order: Order, from_status: str, to_status: str, actor: Any, at: datetime, comment: str = ""
) -> StatusChange:
    """The change, and the client's e-mail about it if the status sends one."""
    setting = StatusSetting.objects.filter(status=to_status).first()
    email = order.client_email if setting is not None and setting.notify_client else ""
    change = StatusChange.objects.create(
        order=order, from_status=from_status, to_status=to_status, changed_by=actor,
        changed_at=at, comment=comment, email_to=email,
        email_status=MailStatus.PENDING if email else MailStatus.NONE,
    )  # fmt: skip
    if email:
        from voronka.orders.tasks import send_status_email

        transaction.on_commit(lambda: send_status_email(change.pk))
    return change


# --- From a won deal ---------------------------------------------------------------------


def order_from_deal(*, actor: Any, deal: Any) -> Order:
    """Make the order of a won deal: its client, manager, currency and products.

    A deal without product lines becomes one line of the deal's title and amount, so
    the order is for what was won. A deal has at most one order.
    """
    from voronka.sales.models import Deal
    from voronka.sales.queries import deals_visible_to

    if actor is not None and not deals_visible_to(actor).filter(pk=deal.pk).exists():
        raise NotAllowed()
    if deal.status != Deal.Status.WON:
        raise ValidationError({"deal": _("Only a won deal becomes an order.")})
    lines = [
        {"product": line.product, "quantity": line.quantity, "unit_price": line.price,
         "discount_percent": line.discount_percent}
        for line in deal.lines.select_related("product").order_by("pk")
    ]  # fmt: skip
    if not lines:
        lines = [{"name": deal.title, "quantity": Decimal(1), "unit_price": deal.amount}]
    owner = deal.owner if deal.owner.is_active else actor
    data = {"company": deal.company, "contact": deal.contact, "deal": deal, "owner": owner,
            "currency": deal.currency, "exchange_rate": deal.exchange_rate}  # fmt: skip
    if actor is not None and not may_own(actor, owner):
        data["owner"] = actor
    return order_create(actor=actor, data=data, lines=lines)


# --- Helpers -----------------------------------------------------------------------------


def _search_text(order: Order) -> str:
    parts = [order.number, order.client_email, order.client_phone, order.external_id,
             str(order.company or ""), str(order.contact or "")]  # fmt: skip
    return " ".join(p for p in parts if p).lower()[:600]


def _refresh_client(order: Order, *earlier: tuple[int | None, int | None]) -> None:
    """An order is an interaction with its client: the active spells learn of it."""
    from voronka.analytics import spells

    pairs = [(order.company_id, order.contact_id), *earlier]
    spells.refresh_clients({spells.client_key(company, contact) for company, contact in pairs})
