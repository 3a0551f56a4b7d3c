"""Shared building blocks: the base of every domain record, and the organisation."""

from __future__ import annotations

from django.conf import settings
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


class Organisation(models.Model):
    """The one organisation this installation serves: its time zone and currency."""

    name = models.CharField(_("name"), max_length=200, default="Voronka")
    time_zone = models.CharField(_("time zone"), max_length=64, default="Europe/Moscow")
    base_currency = models.CharField(_("base currency"), max_length=3, default="RUB")
    task_escalation_hours = models.PositiveIntegerField(
        _("escalate overdue tasks after, hours"), default=24,
        help_text=_("A task overdue this long is reported to the assignee's team lead."),
    )  # fmt: skip

    class Meta:
        verbose_name = _("organisation")
        verbose_name_plural = _("organisation")

    def __str__(self) -> str:
        return self.name
