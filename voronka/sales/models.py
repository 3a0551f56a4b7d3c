"""Leads, pipelines and stages, deals with product lines and stage history, products."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from simple_history.models import HistoricalRecords

from voronka.core.models import DomainModel
from voronka.core.money import cents

MONEY_DIGITS = 16
# Field validators name the field in the error; the check constraints only guard the data.
NOT_NEGATIVE = MinValueValidator(Decimal("0"))


class LeadSource(models.Model):
    """Where leads come from; configurable by the administrator."""

    class Kind(models.TextChoices):
        WEB_FORM = "web_form", _("Web form")
        PHONE = "phone", _("Phone")
        EMAIL = "email", _("E-mail")
        REFERRAL = "referral", _("Referral")
        IMPORT = "import", _("Import")
        API = "api", _("API")
        ADVERTISING = "advertising", _("Advertising")
        EVENT = "event", _("Event")
        OTHER = "other", _("Other")

    name = models.CharField(_("name"), max_length=120, unique=True)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices, default=Kind.OTHER)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("lead source")
        verbose_name_plural = _("lead sources")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class LostReason(models.Model):
    """Why a deal was lost or a lead rejected; configurable."""

    name = models.CharField(_("name"), max_length=150, unique=True)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("lost reason")
        verbose_name_plural = _("lost reasons")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class ProductCategory(models.Model):
    name = models.CharField(_("name"), max_length=120, unique=True)

    class Meta:
        verbose_name = _("product category")
        verbose_name_plural = _("product categories")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Product(DomainModel):
    name = models.CharField(_("name"), max_length=200)
    sku = models.CharField(_("SKU"), max_length=60, blank=True)
    category = models.ForeignKey(
        ProductCategory,
        verbose_name=_("category"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="products",
    )
    price = models.DecimalField(
        _("price"),
        max_digits=MONEY_DIGITS,
        decimal_places=2,
        default=Decimal("0"),
        validators=[NOT_NEGATIVE],
    )
    currency = models.CharField(_("currency"), max_length=3, default="RUB")
    is_active = models.BooleanField(_("active"), default=True)
    # What the catalogue exchange with an accounting system carries (CommerceML's Ид).
    external_id = models.CharField(_("external id"), max_length=100, blank=True, db_index=True)
    unit = models.CharField(_("unit"), max_length=20, blank=True)
    stock = models.DecimalField(
        _("in stock"), max_digits=14, decimal_places=3, null=True, blank=True,
        help_text=_("Empty: not tracked."),
    )  # fmt: skip
    vat_rate = models.DecimalField(
        _("VAT rate, %"), max_digits=5, decimal_places=2, null=True, blank=True,
        validators=[NOT_NEGATIVE, MaxValueValidator(Decimal("100"))],
        help_text=_("Empty: the organisation's default rate."),
    )  # fmt: skip

    class Meta:
        verbose_name = _("product")
        verbose_name_plural = _("products")
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(condition=Q(price__gte=0), name="product_price_not_negative"),
        ]

    def __str__(self) -> str:
        return self.name


class Pipeline(models.Model):
    name = models.CharField(_("name"), max_length=120, unique=True)
    position = models.PositiveIntegerField(pgettext_lazy("order", "position"), default=0)
    is_default = models.BooleanField(_("default"), default=False)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("pipeline")
        verbose_name_plural = _("pipelines")
        ordering = ["position", "pk"]

    def __str__(self) -> str:
        return self.name


class StageKind(models.TextChoices):
    OPEN = "open", _("Open")
    WON = "won", _("Won")
    LOST = "lost", _("Lost")


class Stage(models.Model):
    pipeline = models.ForeignKey(
        Pipeline, verbose_name=_("pipeline"), on_delete=models.CASCADE, related_name="stages"
    )
    name = models.CharField(_("name"), max_length=120)
    position = models.PositiveIntegerField(pgettext_lazy("order", "position"), default=0)
    probability = models.DecimalField(
        _("win probability, %"),
        max_digits=5,
        decimal_places=2,
        default=Decimal("0"),
        validators=[MinValueValidator(0), MaxValueValidator(100)],
    )
    kind = models.CharField(_("kind"), max_length=10, choices=StageKind.choices, default="open")

    class Meta:
        verbose_name = _("stage")
        verbose_name_plural = _("stages")
        ordering = ["pipeline", "position", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["pipeline", "name"], name="stage_unique_name"),
            models.CheckConstraint(
                condition=Q(probability__gte=0) & Q(probability__lte=100),
                name="stage_probability_range",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_closed(self) -> bool:
        return self.kind != StageKind.OPEN


class Lead(DomainModel):
    """A potential client, not yet qualified into a deal."""

    class Status(models.TextChoices):
        NEW = "new", _("New")
        IN_PROGRESS = "in_progress", _("In progress")
        QUALIFIED = "qualified", _("Qualified")
        REJECTED = "rejected", _("Rejected")

    title = models.CharField(_("title"), max_length=250)
    contact_name = models.CharField(_("contact name"), max_length=200, blank=True)
    company_name = models.CharField(_("company name"), max_length=250, blank=True)
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    phone_normalized = models.CharField(max_length=20, blank=True, db_index=True, editable=False)
    email = models.EmailField(_("e-mail"), blank=True)
    email_normalized = models.CharField(max_length=254, blank=True, db_index=True, editable=False)
    tax_id = models.CharField(_("tax id (INN)"), max_length=12, blank=True)
    source = models.ForeignKey(
        LeadSource,
        verbose_name=_("source"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="leads",
    )
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.NEW
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("responsible manager"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    company = models.ForeignKey(
        "clients.Company",
        verbose_name=_("company"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="leads",
    )
    contact = models.ForeignKey(
        "clients.Contact",
        verbose_name=_("contact"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="leads",
    )
    rejection_reason = models.ForeignKey(
        LostReason,
        verbose_name=_("rejection reason"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    rejection_comment = models.TextField(_("rejection comment"), blank=True)
    qualified_at = models.DateTimeField(_("qualified"), null=True, blank=True)
    rejected_at = models.DateTimeField(_("rejected"), null=True, blank=True)
    external_id = models.CharField(_("external id"), max_length=100, blank=True, db_index=True)
    utm_source = models.CharField("utm_source", max_length=200, blank=True)
    utm_medium = models.CharField("utm_medium", max_length=200, blank=True)
    utm_campaign = models.CharField("utm_campaign", max_length=200, blank=True)
    utm_term = models.CharField("utm_term", max_length=200, blank=True)
    utm_content = models.CharField("utm_content", max_length=200, blank=True)
    notes = models.TextField(_("notes"), blank=True)
    search_text = models.CharField(max_length=700, blank=True, editable=False)

    history = HistoricalRecords(excluded_fields=["search_text", "updated_at"])

    class Meta:
        verbose_name = _("lead")
        verbose_name_plural = _("leads")
        indexes = [
            models.Index(fields=["owner", "-id"], name="lead_owner_idx"),
            models.Index(fields=["status", "-id"], name="lead_status_idx"),
            models.Index(fields=["source", "created_at"], name="lead_source_created_idx"),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_open(self) -> bool:
        return self.status in (self.Status.NEW, self.Status.IN_PROGRESS)


class Deal(DomainModel):
    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        WON = "won", _("Won")
        LOST = "lost", _("Lost")

    title = models.CharField(_("title"), max_length=250)
    pipeline = models.ForeignKey(
        Pipeline, verbose_name=_("pipeline"), on_delete=models.PROTECT, related_name="deals"
    )
    stage = models.ForeignKey(
        Stage, verbose_name=_("stage"), on_delete=models.PROTECT, related_name="deals"
    )
    # Mirrors stage.kind, kept on the row so lists and KPIs filter without a join.
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.OPEN
    )
    company = models.ForeignKey(
        "clients.Company",
        verbose_name=_("company"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="deals",
    )
    contact = models.ForeignKey(
        "clients.Contact",
        verbose_name=_("contact"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="deals",
    )
    lead = models.ForeignKey(
        Lead,
        verbose_name=_("lead"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="deals",
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("responsible manager"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    amount = models.DecimalField(
        _("amount"),
        max_digits=MONEY_DIGITS,
        decimal_places=2,
        default=Decimal("0"),
        validators=[NOT_NEGATIVE],
    )
    currency = models.CharField(_("currency"), max_length=3, default="RUB")
    # Rate to the organisation's base currency, fixed when the amount is set.
    exchange_rate = models.DecimalField(
        _("exchange rate"), max_digits=14, decimal_places=6, default=Decimal("1")
    )
    expected_close_date = models.DateField(_("expected close date"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    stage_entered_at = models.DateTimeField(_("in stage since"), null=True, blank=True)
    lost_reason = models.ForeignKey(
        LostReason,
        verbose_name=_("lost reason"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="deals",
    )
    lost_comment = models.TextField(_("lost comment"), blank=True)
    source = models.ForeignKey(
        LeadSource,
        verbose_name=_("source"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="deals",
    )
    notes = models.TextField(_("notes"), blank=True)
    # Kept by the activity services: the newest interaction logged on this deal.
    last_contact_at = models.DateTimeField(_("last contact"), null=True, blank=True)
    search_text = models.CharField(max_length=600, blank=True, editable=False)

    history = HistoricalRecords(excluded_fields=["search_text", "updated_at", "last_contact_at"])

    class Meta:
        verbose_name = _("deal")
        verbose_name_plural = _("deals")
        indexes = [
            models.Index(fields=["owner", "-id"], name="deal_owner_idx"),
            models.Index(fields=["status", "-id"], name="deal_status_idx"),
            models.Index(fields=["stage", "-id"], name="deal_stage_idx"),
            models.Index(fields=["pipeline", "status", "-id"], name="deal_pipeline_status_idx"),
            models.Index(fields=["company", "-id"], name="deal_company_idx"),
            models.Index(fields=["contact", "-id"], name="deal_contact_idx"),
            models.Index(fields=["status", "closed_at"], name="deal_closed_idx"),
            models.Index(fields=["-amount", "-id"], name="deal_amount_idx"),
            models.Index(fields=["-created_at", "-id"], name="deal_created_idx"),
            # The board's cards: newest in each stage first.
            models.Index(
                fields=["stage", "-stage_entered_at", "-id"], name="deal_stage_entered_idx"
            ),
            # Overdue deals: open ones whose expected close date has passed (alive ones only,
            # so counting them reads the index alone).
            models.Index(
                fields=["status", "expected_close_date"],
                condition=Q(deleted_at__isnull=True),
                name="deal_status_expected_idx",
            ),
            # "My open deals, newest first" without sorting all of a manager's deals.
            models.Index(
                fields=["owner", "status", "-created_at", "-id"], name="deal_owner_status_idx"
            ),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gte=0), name="deal_amount_not_negative"),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_open(self) -> bool:
        return self.status == self.Status.OPEN

    @property
    def client(self) -> object | None:
        return self.company or self.contact

    @property
    def amount_base(self) -> Decimal:
        return cents(self.amount * self.exchange_rate)


class DealLine(models.Model):
    """A product line of a deal: quantity × price less a discount."""

    deal = models.ForeignKey(Deal, on_delete=models.CASCADE, related_name="lines")
    product = models.ForeignKey(
        Product, verbose_name=_("product"), on_delete=models.PROTECT, related_name="deal_lines"
    )
    quantity = models.DecimalField(
        _("quantity"), max_digits=12, decimal_places=3, default=Decimal("1")
    )
    price = models.DecimalField(
        _("price"), max_digits=MONEY_DIGITS, decimal_places=2, validators=[NOT_NEGATIVE]
    )
    discount_percent = models.DecimalField(
        _("discount, %"), max_digits=5, decimal_places=2, default=Decimal("0")
    )

    class Meta:
        verbose_name = _("deal line")
        verbose_name_plural = _("deal lines")
        ordering = ["pk"]
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gt=0), name="dealline_quantity_positive"),
            models.CheckConstraint(condition=Q(price__gte=0), name="dealline_price_not_negative"),
            models.CheckConstraint(
                condition=Q(discount_percent__gte=0) & Q(discount_percent__lte=100),
                name="dealline_discount_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.product} × {self.quantity}"

    @property
    def total(self) -> Decimal:
        gross = self.quantity * self.price
        return (gross * (Decimal("100") - self.discount_percent) / Decimal("100")).quantize(
            Decimal("0.01")
        )


class StageHistory(models.Model):
    """Every entry of a deal into a stage: who moved it, when, from where."""

    deal = models.ForeignKey(Deal, on_delete=models.CASCADE, related_name="stage_history")
    from_stage = models.ForeignKey(
        Stage, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    to_stage = models.ForeignKey(Stage, on_delete=models.PROTECT, related_name="entries")
    moved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    moved_at = models.DateTimeField(db_index=True)

    class Meta:
        verbose_name = _("stage change")
        verbose_name_plural = _("stage history")
        ordering = ["deal", "moved_at", "pk"]
        indexes = [models.Index(fields=["deal", "moved_at"], name="stagehist_deal_idx")]

    def __str__(self) -> str:
        return f"{self.deal_id}: {self.from_stage_id} → {self.to_stage_id}"


class StageTotal(models.Model):
    """Open deals per stage and owner: count and sum in the base currency.

    Kept up to date by the deal services (``voronka.sales.rollups``) so the board's
    column headers never sum a million rows; ``voronka manage rebuild_board_totals``
    recomputes it from the deals.
    """

    stage = models.ForeignKey(Stage, on_delete=models.CASCADE, related_name="totals")
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    count = models.IntegerField(default=0)
    amount = models.DecimalField(max_digits=20, decimal_places=2, default=Decimal("0"))

    class Meta:
        verbose_name = _("open deals of a stage")
        verbose_name_plural = _("open deals of stages")
        constraints = [
            models.UniqueConstraint(fields=["stage", "owner"], name="stagetotal_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.stage_id}/{self.owner_id}: {self.count}"


class ClosedDayTotal(models.Model):
    """Won and lost deals per stage, owner and day of closing (organisation's time zone).

    The board's won and lost columns sum the last weeks of these rows instead of the
    deals themselves; kept by the same services as :class:`StageTotal`.
    """

    stage = models.ForeignKey(Stage, on_delete=models.CASCADE, related_name="day_totals")
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    count = models.IntegerField(default=0)
    amount = models.DecimalField(max_digits=20, decimal_places=2, default=Decimal("0"))

    class Meta:
        verbose_name = _("closed deals of a day")
        verbose_name_plural = _("closed deals of days")
        constraints = [
            models.UniqueConstraint(fields=["stage", "owner", "day"], name="closeddaytotal_unique"),
        ]
        indexes = [models.Index(fields=["stage", "day"], name="closeddaytotal_stage_day_idx")]

    def __str__(self) -> str:
        return f"{self.stage_id}/{self.owner_id}/{self.day}: {self.count}"
