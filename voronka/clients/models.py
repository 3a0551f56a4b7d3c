"""Clients: companies and contacts. Either can be "the client" of a deal."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from voronka.core.models import DomainModel


class LifecycleStage(models.TextChoices):
    LEAD = "lead", _("Lead")
    FIRST_CONTACT = "first_contact", _("First contact")
    NEGOTIATION = "negotiation", _("Negotiation")
    CUSTOMER = "customer", _("Customer")
    REPEAT_CUSTOMER = "repeat_customer", _("Repeat customer")
    CHURNED = "churned", _("Churned")


class Tag(models.Model):
    """A client's interest or preference ("ищет опт", "звонить после 14:00")."""

    class Kind(models.TextChoices):
        INTEREST = "interest", _("Interest")
        PREFERENCE = "preference", _("Preference")

    name = models.CharField(_("name"), max_length=80, unique=True)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices, default=Kind.INTEREST)

    class Meta:
        verbose_name = _("tag")
        verbose_name_plural = _("tags")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class ClientFields(DomainModel):
    """What companies and contacts share."""

    phone = models.CharField(_("phone"), max_length=40, blank=True)
    phone_normalized = models.CharField(max_length=20, blank=True, db_index=True, editable=False)
    email = models.EmailField(_("e-mail"), blank=True)
    email_normalized = models.CharField(max_length=254, blank=True, db_index=True, editable=False)
    address = models.CharField(_("address"), max_length=300, blank=True)
    source = models.ForeignKey(
        "sales.LeadSource",
        verbose_name=_("source"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    lifecycle_stage = models.CharField(
        _("life-cycle stage"),
        max_length=20,
        choices=LifecycleStage.choices,
        default=LifecycleStage.LEAD,
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("responsible manager"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    notes = models.TextField(_("notes"), blank=True)
    # Kept by the activity services: the newest interaction logged with this client.
    last_contact_at = models.DateTimeField(_("last contact"), null=True, blank=True)
    # Lower-cased name/phone/e-mail text for Unicode-correct search on any database.
    search_text = models.CharField(max_length=600, blank=True, editable=False)

    class Meta:
        abstract = True


class Company(ClientFields):
    name = models.CharField(_("name"), max_length=250)
    tax_id = models.CharField(_("tax id (INN)"), max_length=12, blank=True, db_index=True)
    website = models.CharField(_("website"), max_length=200, blank=True)
    industry = models.CharField(_("industry"), max_length=120, blank=True)
    tags = models.ManyToManyField(Tag, verbose_name=_("tags"), blank=True, related_name="companies")

    history = HistoricalRecords(excluded_fields=["search_text", "updated_at", "last_contact_at"])

    class Meta:
        verbose_name = _("company")
        verbose_name_plural = _("companies")
        indexes = [
            models.Index(fields=["owner", "-id"], name="company_owner_idx"),
            models.Index(fields=["search_text"], name="company_search_idx"),
        ]

    def __str__(self) -> str:
        return self.name


class Contact(ClientFields):
    first_name = models.CharField(_("first name"), max_length=100)
    middle_name = models.CharField(_("middle name"), max_length=100, blank=True)
    last_name = models.CharField(_("last name"), max_length=100, blank=True)
    company = models.ForeignKey(
        Company,
        verbose_name=_("company"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="contacts",
    )
    position = models.CharField(_("position"), max_length=150, blank=True)
    tags = models.ManyToManyField(Tag, verbose_name=_("tags"), blank=True, related_name="contacts")

    history = HistoricalRecords(excluded_fields=["search_text", "updated_at", "last_contact_at"])

    class Meta:
        verbose_name = _("contact")
        verbose_name_plural = _("contacts")
        indexes = [
            models.Index(fields=["owner", "-id"], name="contact_owner_idx"),
            models.Index(fields=["search_text"], name="contact_search_idx"),
        ]

    def __str__(self) -> str:
        return self.full_name

    @property
    def full_name(self) -> str:
        return " ".join(p for p in (self.last_name, self.first_name, self.middle_name) if p)
