"""Orders: lines, totals, the status workflow, its norms and the client's e-mails.

An order's totals are stored, recomputed from its lines in ``voronka.orders.totals``
whenever the lines change, so lists, exports and KPIs read one number. Each status
change is a row of :class:`StatusChange` (who, when, from, to); the workflow itself
(which moves are allowed and which need the order paid) and each status's norm and
client e-mail are the organisation's settings, rows of :class:`Transition` and
:class:`StatusSetting`.
"""

from __future__ import annotations

import secrets
from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from simple_history.models import HistoricalRecords

from voronka.core.models import DomainModel, MailStatus

MONEY_DIGITS = 16
ZERO = Decimal("0")


class Status(models.TextChoices):
    NEW = "new", pgettext_lazy("order status", "New")
    CONFIRMED = "confirmed", pgettext_lazy("order status", "Confirmed")
    PAID = "paid", pgettext_lazy("order status", "Paid")
    ASSEMBLED = "assembled", pgettext_lazy("order status", "Assembled")
    SHIPPED = "shipped", pgettext_lazy("order status", "Shipped")
    DELIVERED = "delivered", pgettext_lazy("order status", "Delivered")
    CANCELLED = "cancelled", pgettext_lazy("order status", "Cancelled")
    RETURNED = "returned", pgettext_lazy("order status", "Returned")


# The statuses an order passes on its way to the client, in order; the board's columns.
FLOW = (
    Status.NEW, Status.CONFIRMED, Status.PAID, Status.ASSEMBLED, Status.SHIPPED,
    Status.DELIVERED, Status.CANCELLED, Status.RETURNED,
)  # fmt: skip
# Statuses in which the order still needs the organisation's work.
OPEN_STATUSES = (Status.NEW, Status.CONFIRMED, Status.PAID, Status.ASSEMBLED, Status.SHIPPED)
FINAL_STATUSES = (Status.DELIVERED, Status.CANCELLED, Status.RETURNED)


class PaymentStatus(models.TextChoices):
    UNPAID = "unpaid", _("Not paid")
    PARTIAL = "partial", _("Partly paid")
    PAID = "paid", pgettext_lazy("payment status", "Paid")
    REFUNDED = "refunded", _("Refunded")


class DeliveryMethod(models.TextChoices):
    PICKUP = "pickup", _("Pickup")
    COURIER = "courier", _("Courier")
    POST = "post", _("Post")
    CARRIER = "carrier", _("Transport company")
    DIGITAL = "digital", _("Electronic delivery")


def new_nonce() -> str:
    return secrets.token_urlsafe(16)


class Order(DomainModel):
    """A client's order. ``created_at`` is when it was received.

    ``status_entered_at`` is when it came into its current status and ``status_due_at``
    when the status's norm runs out (null: no norm); an open order past it is overdue.
    ``public_nonce`` is the secret in the client's signed status link: replacing it
    makes every link sent before stop working.
    """

    # Given on arrival (the order's id, zero-padded) unless the order came with one.
    number = models.CharField(_("number"), max_length=40, blank=True)
    company = models.ForeignKey(
        "clients.Company", verbose_name=_("company"), null=True, blank=True,
        on_delete=models.PROTECT, related_name="orders",
    )  # fmt: skip
    contact = models.ForeignKey(
        "clients.Contact", verbose_name=_("contact"), null=True, blank=True,
        on_delete=models.PROTECT, related_name="orders",
    )  # fmt: skip
    deal = models.ForeignKey(
        "sales.Deal", verbose_name=_("deal"), null=True, blank=True, on_delete=models.SET_NULL,
        related_name="orders",
    )  # fmt: skip
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("responsible manager"),
        on_delete=models.PROTECT, related_name="orders",
    )  # fmt: skip
    status = models.CharField(_("status"), max_length=12, choices=Status.choices,
                              default=Status.NEW)  # fmt: skip
    status_entered_at = models.DateTimeField(_("in status since"), null=True, blank=True)
    status_due_at = models.DateTimeField(_("status norm ends"), null=True, blank=True)
    payment_status = models.CharField(_("payment"), max_length=10, choices=PaymentStatus.choices,
                                      default=PaymentStatus.UNPAID)  # fmt: skip
    paid_at = models.DateTimeField(_("paid"), null=True, blank=True)
    currency = models.CharField(_("currency"), max_length=3, default="RUB")
    exchange_rate = models.DecimalField(
        _("rate to the base currency"), max_digits=18, decimal_places=6, default=Decimal("1"),
        validators=[MinValueValidator(Decimal("0.000001"))],
    )  # fmt: skip
    prices_include_vat = models.BooleanField(_("prices include VAT"), default=True)
    subtotal = models.DecimalField(_("amount before discount"), max_digits=MONEY_DIGITS,
                                   decimal_places=2, default=ZERO)  # fmt: skip
    discount_total = models.DecimalField(_("discount"), max_digits=MONEY_DIGITS,
                                         decimal_places=2, default=ZERO)  # fmt: skip
    vat_total = models.DecimalField(_("VAT"), max_digits=MONEY_DIGITS, decimal_places=2,
                                    default=ZERO)  # fmt: skip
    total = models.DecimalField(_("total"), max_digits=MONEY_DIGITS, decimal_places=2,
                                default=ZERO)  # fmt: skip
    delivery_method = models.CharField(_("delivery"), max_length=10,
                                       choices=DeliveryMethod.choices,
                                       default=DeliveryMethod.COURIER)  # fmt: skip
    delivery_address = models.TextField(_("delivery address"), blank=True)
    delivery_date = models.DateField(_("delivery date"), null=True, blank=True)
    client_email = models.EmailField(
        _("client's e-mail"), blank=True,
        help_text=_("Where the client's notices about the order go."),
    )  # fmt: skip
    client_phone = models.CharField(_("client's phone"), max_length=40, blank=True)
    language = models.CharField(_("client's language"), max_length=10, default="ru",
                                choices=settings.LANGUAGES)  # fmt: skip
    notes = models.TextField(_("notes"), blank=True)
    delivered_at = models.DateTimeField(_("delivered"), null=True, blank=True)
    closed_at = models.DateTimeField(pgettext_lazy("order", "closed"), null=True, blank=True)
    exported_at = models.DateTimeField(_("exported"), null=True, blank=True)
    external_id = models.CharField(_("external id"), max_length=100, blank=True, db_index=True)
    public_nonce = models.CharField(max_length=40, default=new_nonce, editable=False)
    search_text = models.CharField(max_length=600, blank=True, editable=False)

    history = HistoricalRecords(excluded_fields=["updated_at", "search_text"])

    class Meta:
        verbose_name = _("order")
        verbose_name_plural = _("orders")
        indexes = [
            models.Index(fields=["status", "status_due_at"], name="order_status_due_idx"),
            models.Index(fields=["owner", "status"], name="order_owner_status_idx"),
            models.Index(fields=["company", "-created_at"], name="order_company_idx"),
            models.Index(fields=["contact", "-created_at"], name="order_contact_idx"),
            models.Index(fields=["delivered_at"], name="order_delivered_idx"),
            models.Index(fields=["exported_at"], name="order_exported_idx"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["deal"],
                condition=Q(deal__isnull=False, deleted_at__isnull=True),
                name="order_one_per_deal",
            ),  # fmt: skip
            models.UniqueConstraint(
                fields=["number"], condition=~Q(number=""), name="order_number_unique"
            ),  # fmt: skip
            models.CheckConstraint(condition=Q(total__gte=0), name="order_total_not_negative"),
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @property
    def client(self) -> object | None:
        return self.company or self.contact


class OrderLine(models.Model):
    """One line: quantity × unit price, less a discount in percent, with a VAT rate.

    The computed amounts are stored so that an order's numbers never change when the
    product's price does; ``name`` and ``sku`` are copied for the same reason.
    """

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="lines")
    position = models.PositiveSmallIntegerField(pgettext_lazy("order line", "position"),
                                                default=0)  # fmt: skip
    product = models.ForeignKey(
        "sales.Product", verbose_name=_("product"), null=True, blank=True,
        on_delete=models.PROTECT, related_name="order_lines",
    )  # fmt: skip
    name = models.CharField(_("name"), max_length=200)
    sku = models.CharField(_("SKU"), max_length=60, blank=True)
    unit = models.CharField(_("unit"), max_length=20, blank=True)
    quantity = models.DecimalField(_("quantity"), max_digits=12, decimal_places=3,
                                   default=Decimal("1"))  # fmt: skip
    unit_price = models.DecimalField(_("unit price"), max_digits=MONEY_DIGITS,
                                     decimal_places=2)  # fmt: skip
    discount_percent = models.DecimalField(_("discount, %"), max_digits=5, decimal_places=2,
                                           default=ZERO)  # fmt: skip
    vat_rate = models.DecimalField(
        _("VAT rate, %"), max_digits=5, decimal_places=2, default=ZERO,
        validators=[MinValueValidator(ZERO), MaxValueValidator(Decimal("100"))],
    )  # fmt: skip
    gross = models.DecimalField(max_digits=MONEY_DIGITS, decimal_places=2, default=ZERO)
    discount = models.DecimalField(max_digits=MONEY_DIGITS, decimal_places=2, default=ZERO)
    vat = models.DecimalField(max_digits=MONEY_DIGITS, decimal_places=2, default=ZERO)
    total = models.DecimalField(max_digits=MONEY_DIGITS, decimal_places=2, default=ZERO)

    class Meta:
        verbose_name = _("order line")
        verbose_name_plural = _("order lines")
        ordering = ["position", "pk"]
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gt=0), name="orderline_quantity_positive"),
            models.CheckConstraint(
                condition=Q(unit_price__gte=0), name="orderline_price_not_negative"
            ),  # fmt: skip
            models.CheckConstraint(
                condition=Q(discount_percent__gte=0) & Q(discount_percent__lte=100),
                name="orderline_discount_range",
            ),
            models.CheckConstraint(
                condition=Q(vat_rate__gte=0) & Q(vat_rate__lte=100), name="orderline_vat_range"
            ),  # fmt: skip
        ]

    def __str__(self) -> str:
        return f"{self.name} × {self.quantity}"


class StatusChange(models.Model):
    """One move of an order from a status to another, by whom and when.

    A change whose status e-mails the client carries that e-mail's state: the worker
    claims it (pending → sending) before sending, so each notice goes out once.
    ``from_status`` is empty for the order's arrival.
    """

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="changes")
    from_status = models.CharField(max_length=12, choices=Status.choices, blank=True)
    to_status = models.CharField(max_length=12, choices=Status.choices)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )  # fmt: skip
    changed_at = models.DateTimeField(db_index=True)
    comment = models.CharField(_("comment"), max_length=500, blank=True)
    email_to = models.EmailField(blank=True)
    email_status = models.CharField(max_length=10, choices=MailStatus.choices,
                                    default=MailStatus.NONE)  # fmt: skip
    email_claimed_at = models.DateTimeField(null=True, blank=True)
    email_sent_at = models.DateTimeField(null=True, blank=True)
    email_attempts = models.PositiveSmallIntegerField(default=0)

    class Meta:
        verbose_name = _("order status change")
        verbose_name_plural = _("order status changes")
        ordering = ["changed_at", "pk"]
        indexes = [
            models.Index(fields=["order", "changed_at"], name="order_change_idx"),
            models.Index(
                fields=["email_status", "email_claimed_at"], name="order_change_email_idx"
            ),  # fmt: skip
        ]

    def __str__(self) -> str:
        return f"{self.order_id}: {self.from_status or '—'} → {self.to_status}"


class Transition(models.Model):
    """A move the organisation allows, and whether the order must be paid for it."""

    from_status = models.CharField(_("from"), max_length=12, choices=Status.choices)
    to_status = models.CharField(_("to"), max_length=12, choices=Status.choices)
    requires_payment = models.BooleanField(_("only when paid"), default=False)

    class Meta:
        verbose_name = _("allowed status change")
        verbose_name_plural = _("allowed status changes")
        constraints = [
            models.UniqueConstraint(
                fields=["from_status", "to_status"], name="order_transition_once"
            ),  # fmt: skip
            models.CheckConstraint(
                condition=~Q(from_status=models.F("to_status")), name="order_transition_moves"
            ),  # fmt: skip
        ]

    def __str__(self) -> str:
        return f"{self.from_status} → {self.to_status}"


class StatusSetting(models.Model):
    """A status's norm (how long an order may stay in it) and the client's e-mail on
    entering it, in Russian and English. The templates use Django template syntax with
    ``order``, ``client_name``, ``status``, ``link``, ``total`` and ``organisation``."""

    class Clock(models.TextChoices):
        CALENDAR = "calendar", _("Calendar time")
        WORKING = "working", _("Working hours")

    status = models.CharField(_("status"), max_length=12, choices=Status.choices, unique=True)
    norm_hours = models.PositiveIntegerField(
        _("may stay, hours"), null=True, blank=True, validators=[MinValueValidator(1)],
        help_text=_("Empty: no norm. An order in this status longer is overdue."),
    )  # fmt: skip
    clock = models.CharField(_("measured in"), max_length=10, choices=Clock.choices,
                             default=Clock.CALENDAR)  # fmt: skip
    notify_client = models.BooleanField(_("e-mail the client"), default=False)
    subject_ru = models.CharField(_("subject (Russian)"), max_length=200, blank=True)
    body_ru = models.TextField(_("text (Russian)"), blank=True)
    subject_en = models.CharField(_("subject (English)"), max_length=200, blank=True)
    body_en = models.TextField(_("text (English)"), blank=True)

    class Meta:
        verbose_name = _("order status setting")
        verbose_name_plural = _("order status settings")

    def __str__(self) -> str:
        return self.status


class OverdueAlert(models.Model):
    """That the notice of an order overstaying a status went out: the claim that makes
    it once per order, status and entry into it, whichever worker gets there."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="overdue_alerts")
    status = models.CharField(max_length=12, choices=Status.choices)
    entered_at = models.DateTimeField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["order", "status", "entered_at"], name="order_overdue_alert_once"
            ),  # fmt: skip
        ]

    def __str__(self) -> str:
        return f"{self.order_id}:{self.status}"


class ExportRun(models.Model):
    """One export of orders to an accounting system: what went, by whom, when."""

    class Format(models.TextChoices):
        CSV = "csv", "CSV"
        XLSX = "xlsx", "XLSX"
        COMMERCEML = "commerceml", "CommerceML 2"

    created_at = models.DateTimeField(_("exported"), auto_now_add=True, db_index=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )  # fmt: skip
    format = models.CharField(_("format"), max_length=12, choices=Format.choices)
    only_new = models.BooleanField(_("only new since the last export"), default=False)
    period_from = models.DateField(_("from"), null=True, blank=True)
    period_to = models.DateField(_("to"), null=True, blank=True)
    count = models.PositiveIntegerField(_("orders"), default=0)

    class Meta:
        verbose_name = _("order export")
        verbose_name_plural = _("order exports")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.format} ({self.count})"
