"""Web forms that turn a website's visitors into leads, and what each form received."""

from __future__ import annotations

import secrets
from typing import Any

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from simple_history.models import HistoricalRecords

from voronka.core.models import DomainModel
from voronka.service.models import Kind

# The fields a form may show, in the order a visitor sees them.
STANDARD_FIELDS = ("name", "company", "phone", "email", "message")
STANDARD_LABELS = {
    "name": pgettext_lazy("person", "Name"),
    "company": _("Company"),
    "phone": _("Phone"),
    "email": _("E-mail"),
    "message": _("Message"),
}
# Longest value each standard field takes: the lead's column, or a sane limit for the text.
MAX_LENGTHS = {"name": 200, "company": 250, "phone": 40, "email": 254, "message": 5000}
EXTRA_MAX_LENGTH = 1000
UTM_FIELDS = ("utm_source", "utm_medium", "utm_campaign", "utm_term", "utm_content")
UTM_MAX_LENGTH = 200
REFERRER_MAX_LENGTH = 1000
# The hidden field people never see and bots fill in.
HONEYPOT_FIELD = "website"
# Generated once per page load by the snippet, so a double click makes one lead.
SUBMISSION_ID_FIELD = "submission_id"
REFERRER_FIELD = "referrer"
# Names a custom field may not take: they mean something already.
RESERVED_NAMES = frozenset(
    {*STANDARD_FIELDS, *UTM_FIELDS, HONEYPOT_FIELD, SUBMISSION_ID_FIELD, REFERRER_FIELD}
)


def new_key() -> str:
    """The secret part of a form's public address: unguessable, URL-safe."""
    return secrets.token_urlsafe(24)


class Purpose(models.TextChoices):
    LEAD = "lead", _("Capture leads")
    REQUEST = "request", _("Take client requests")


class WebForm(DomainModel):
    """A form posted from a website: it captures leads, or takes client requests.

    ``fields`` and ``required_fields`` list names from :data:`STANDARD_FIELDS`;
    ``extra_fields`` is a list of ``{"key": "x1", "label": "...", "required": bool}``
    whose answers are copied into the lead's notes (a request's internal note). Leads
    have no pipeline of their own, so ``pipeline`` is written into the lead's notes for
    whoever qualifies it. ``source`` and ``pipeline`` are for leads; the ``request_*``
    defaults for requests; ``team`` takes either in turn.
    """

    name = models.CharField(_("name"), max_length=120)
    purpose = models.CharField(
        _("purpose"), max_length=10, choices=Purpose.choices, default=Purpose.LEAD
    )
    key = models.CharField(_("key"), max_length=64, unique=True, default=new_key, editable=False)
    fields = models.JSONField(_("fields shown"), default=list, blank=True)
    required_fields = models.JSONField(_("required fields"), default=list, blank=True)
    extra_fields = models.JSONField(_("custom fields"), default=list, blank=True)
    source = models.ForeignKey(
        "sales.LeadSource",
        verbose_name=_("lead source"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="web_forms",
    )
    pipeline = models.ForeignKey(
        "sales.Pipeline",
        verbose_name=_("pipeline"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="web_forms",
    )
    team = models.ForeignKey(
        "accounts.Team",
        verbose_name=_("responsible team"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="web_forms",
    )
    request_kind = models.CharField(
        _("kind of request"),
        max_length=20,
        choices=Kind.choices,
        default=Kind.QUESTION,
    )
    request_category = models.ForeignKey(
        "service.Category",
        verbose_name=_("request category"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="web_forms",
    )
    request_product = models.ForeignKey(
        "sales.Product",
        verbose_name=_("product or service"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="web_forms",
    )
    success_message = models.TextField(_("success message"), blank=True)
    redirect_url = models.URLField(_("redirect after sending"), max_length=500, blank=True)
    allowed_origins = models.JSONField(_("allowed sites"), default=list, blank=True)
    is_active = models.BooleanField(pgettext_lazy("web form", "active"), default=True)
    # Round robin: the manager who got the previous lead. Claimed with the row locked,
    # never through ``version``, so a submission does not make an editor's copy stale.
    last_assignee = models.ForeignKey(
        "accounts.User",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
    )

    history = HistoricalRecords(excluded_fields=["updated_at", "last_assignee"])

    class Meta:
        verbose_name = _("web form")
        verbose_name_plural = _("web forms")
        ordering = ["name", "pk"]

    def __str__(self) -> str:
        return self.name

    @property
    def takes_requests(self) -> bool:
        return self.purpose == Purpose.REQUEST


# The generic "Created" of a submission, as a page about one form says it.
CREATED_LABELS: dict[str, Any] = {
    Purpose.LEAD: pgettext_lazy("submission", "Lead created"),
    Purpose.REQUEST: pgettext_lazy("submission", "Request created"),
}


class WebFormSubmission(models.Model):
    """One POST to a form's public address, whatever became of it."""

    class Result(models.TextChoices):
        # Made a lead or a request, whichever the form makes.
        CREATED = "created", pgettext_lazy("submission", "Created")
        ATTACHED = "attached", pgettext_lazy("submission", "Attached to a known client")
        DUPLICATE = "duplicate", pgettext_lazy("submission", "Duplicate")
        SPAM = "spam", pgettext_lazy("submission", "Spam")
        INVALID = "invalid", pgettext_lazy("submission", "Invalid")
        RATE_LIMITED = "rate_limited", pgettext_lazy("submission", "Too many")

    form = models.ForeignKey(
        WebForm, verbose_name=_("web form"), on_delete=models.CASCADE, related_name="submissions"
    )
    received_at = models.DateTimeField(_("received"), auto_now_add=True)
    ip = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    user_agent = models.CharField(_("browser"), max_length=500, blank=True)
    referrer = models.CharField(_("page"), max_length=REFERRER_MAX_LENGTH, blank=True)
    payload = models.JSONField(_("data sent"), default=dict, blank=True)
    errors = models.JSONField(_("errors"), default=dict, blank=True)
    result = models.CharField(_("result"), max_length=20, choices=Result.choices)
    submission_id = models.CharField(max_length=64, blank=True)
    # A hash of the cleaned answers: the same answers again soon after are a duplicate.
    fingerprint = models.CharField(max_length=64, blank=True)
    lead = models.ForeignKey(
        "sales.Lead",
        verbose_name=_("lead"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="web_form_submissions",
    )
    request = models.ForeignKey(
        "service.Request",
        verbose_name=_("request"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="web_form_submissions",
    )

    class Meta:
        verbose_name = _("web form submission")
        verbose_name_plural = _("web form submissions")
        ordering = ["-received_at", "-pk"]
        indexes = [
            models.Index(fields=["form", "-received_at", "-id"], name="webform_sub_recent_idx"),
            models.Index(fields=["form", "ip", "received_at"], name="webform_sub_ip_idx"),
            models.Index(fields=["form", "fingerprint", "received_at"], name="webform_sub_fp_idx"),
            models.Index(
                fields=["form", "submission_id"],
                condition=~models.Q(submission_id=""),
                name="webform_sub_sid_idx",
            ),
            models.Index(fields=["result", "received_at"], name="webform_sub_result_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.form_id}:{self.pk} {self.result}"

    def result_label(self, form: WebForm | None = None) -> str:
        """The result in the words of the form's purpose: "Lead created", "Request created"."""
        form = form or self.form
        if self.result == self.Result.CREATED:
            return str(CREATED_LABELS[form.purpose])
        return str(self.get_result_display())

    @property
    def made_lead(self) -> bool:
        """Whether it made a record: a lead, or a request on a request form."""
        return self.result in (self.Result.CREATED, self.Result.ATTACHED)
