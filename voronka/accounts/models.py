"""Users, teams, roles and personal API tokens."""

from __future__ import annotations

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    ADMIN = "admin", _("Administrator")
    HEAD_OF_SALES = "head_of_sales", _("Head of sales")
    MANAGER = "manager", _("Manager")
    SUPPORT = "support", _("Support agent")


class Team(models.Model):
    name = models.CharField(_("name"), max_length=120, unique=True)
    lead = models.ForeignKey(
        "accounts.User",
        verbose_name=_("team lead"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="teams_led",
    )

    class Meta:
        verbose_name = _("team")
        verbose_name_plural = _("teams")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class User(AbstractUser):
    role = models.CharField(_("role"), max_length=20, choices=Role.choices, default=Role.MANAGER)
    team = models.ForeignKey(
        Team,
        verbose_name=_("team"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="members",
    )
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    language = models.CharField(
        _("interface language"),
        max_length=5,
        blank=True,
        choices=[("ru", "Русский"), ("en", "English")],
        help_text=_("Empty: follow the browser."),
    )

    reminder_minutes = models.PositiveIntegerField(
        _("remind of a task, minutes before"), default=30,
        help_text=_("A task may set its own reminder time."),
    )  # fmt: skip

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        ordering = ["last_name", "first_name", "username"]

    def __str__(self) -> str:
        return self.get_full_name() or self.username

    @property
    def is_head(self) -> bool:
        return self.is_superuser or self.role in (Role.ADMIN, Role.HEAD_OF_SALES)


class ApiToken(models.Model):
    """A personal API token. Only a SHA-256 hash of the secret is stored."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(_("name"), max_length=100)
    prefix = models.CharField(_("prefix"), max_length=12, db_index=True)
    key_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"
