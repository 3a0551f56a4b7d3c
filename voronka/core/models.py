"""Shared building blocks: the base of every domain record, and the organisation."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _


class AliveManager(models.Manager):
    """Hides soft-deleted rows; ``all_objects`` still sees them (for restore)."""

    def get_queryset(self) -> models.QuerySet:
        return super().get_queryset().filter(deleted_at__isnull=True)


class DomainModel(models.Model):
    """Timestamps, author, soft delete and a version for optimistic locking.

    Services change ``version`` with a conditional UPDATE, so a save based on a
    stale copy of the row is refused instead of overwriting someone else's work.
    """

    created_at = models.DateTimeField(_("created"), auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    deleted_at = models.DateTimeField(_("deleted"), null=True, blank=True)
    version = models.PositiveIntegerField(_("version"), default=1)

    objects = AliveManager()
    all_objects = models.Manager()  # noqa: DJ012 - kept beside the soft delete

    class Meta:
        abstract = True
        base_manager_name = "all_objects"

    @property
    def is_deleted(self) -> bool:
        return self.deleted_at is not None


def default_work_days() -> list[int]:
    return [0, 1, 2, 3, 4]


class MailStatus(models.TextChoices):
    """Where an e-mail to a client stands: the state every claim-once e-mail row carries
    (a request's reply, a survey, an order's status notice); see ``core.mailing``."""

    NONE = "none", _("Not by e-mail")
    PENDING = "pending", _("Waiting")
    SENDING = "sending", _("Sending")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")


class Organisation(models.Model):
    """The one organisation this installation serves: its time zone and currency."""

    name = models.CharField(_("name"), max_length=200, default="Voronka")
    time_zone = models.CharField(_("time zone"), max_length=64, default="Europe/Moscow")
    base_currency = models.CharField(_("base currency"), max_length=3, default="RUB")
    task_escalation_hours = models.PositiveIntegerField(
        _("escalate overdue tasks after, hours"), default=24,
        help_text=_("A task overdue this long is reported to the assignee's team lead."),
    )  # fmt: skip

    # The work calendar: SLA targets in working hours count only these hours.
    work_days = models.JSONField(
        _("working days"), default=default_work_days,
        help_text=_("Days of the week, 0 for Monday to 6 for Sunday."),
    )  # fmt: skip
    work_starts = models.TimeField(_("working day starts"), default=dt.time(9, 0))
    work_ends = models.TimeField(_("working day ends"), default=dt.time(18, 0))
    # Satisfaction surveys after a request is resolved or an order is delivered.
    surveys_enabled = models.BooleanField(_("send satisfaction surveys"), default=True)
    survey_valid_days = models.PositiveSmallIntegerField(
        _("survey link valid, days"), default=14, validators=[MinValueValidator(1)]
    )
    survey_follow_up_max_score = models.PositiveSmallIntegerField(
        _("follow up scores up to"), default=2,
        validators=[MinValueValidator(1), MaxValueValidator(5)],
        help_text=_("A score this low or lower makes a follow-up task for the manager."),
    )  # fmt: skip
    # Orders.
    orders_from_won_deals = models.BooleanField(
        _("make an order of every won deal"), default=False,
        help_text=_("A deal won with products becomes an order by itself."),
    )  # fmt: skip
    order_prices_include_vat = models.BooleanField(_("order prices include VAT"), default=True)
    order_vat_rate = models.DecimalField(
        _("default VAT rate, %"), max_digits=5, decimal_places=2, default=Decimal("22"),
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("100"))],
    )  # fmt: skip

    class Meta:
        verbose_name = _("organisation")
        verbose_name_plural = _("organisation")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(work_starts__lt=models.F("work_ends")),
                name="organisation_work_day_not_empty",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class CalendarDay(models.Model):
    """An exception to the working week: a public holiday on a working day, or a
    working day moved onto a weekend (Russia's production calendar moves several a year)."""

    day = models.DateField(_("date"), unique=True)
    name = models.CharField(_("name"), max_length=120, blank=True)
    is_working = models.BooleanField(
        _("working day"), default=False,
        help_text=_("On: a working day on a weekend. Off: a holiday."),
    )  # fmt: skip

    class Meta:
        verbose_name = _("calendar exception")
        verbose_name_plural = _("calendar exceptions")
        ordering = ["day"]

    def __str__(self) -> str:
        return f"{self.day:%Y-%m-%d} {self.name}".strip()


class FullExport(models.Model):
    """One export of all the organisation's data to a ZIP of CSV files, made in the
    background; the row carries its progress while it runs, and its file once done."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting for the worker")
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("requested by"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="+",
    )  # fmt: skip
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PENDING
    )
    created_at = models.DateTimeField(_("requested"), auto_now_add=True, db_index=True)
    started_at = models.DateTimeField(_("started"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    # Progress: the file being written, its rows written so far and in all.
    step = models.CharField(max_length=40, blank=True)
    step_number = models.PositiveSmallIntegerField(default=0)
    step_done = models.PositiveIntegerField(default=0)
    step_total = models.PositiveIntegerField(default=0)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    # The finished file: its name in the export folder (never a public path) and size.
    file_name = models.CharField(max_length=200, blank=True)
    size = models.PositiveBigIntegerField(_("size"), default=0)
    counts = models.JSONField(default=dict, blank=True)
    error = models.TextField(blank=True)

    class Meta:
        verbose_name = _("full export")
        verbose_name_plural = _("full exports")
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.pk}: {self.status}"

    @property
    def is_active(self) -> bool:
        return self.status in (self.Status.PENDING, self.Status.RUNNING)
