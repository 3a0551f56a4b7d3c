"""Client requests and complaints, their threads, SLA policies and satisfaction surveys."""

from __future__ import annotations

import secrets

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from simple_history.models import HistoricalRecords

from voronka.core.models import DomainModel, MailStatus


class Kind(models.TextChoices):
    QUESTION = "question", _("Question")
    COMPLAINT = "complaint", _("Complaint")
    ORDER_PROBLEM = "order_problem", _("Order problem")
    OTHER = "other", pgettext_lazy("request kind", "Other")


class Priority(models.TextChoices):
    LOW = "low", pgettext_lazy("request priority", "Low")
    NORMAL = "normal", pgettext_lazy("request priority", "Normal")
    HIGH = "high", pgettext_lazy("request priority", "High")
    URGENT = "urgent", pgettext_lazy("request priority", "Urgent")


class Channel(models.TextChoices):
    PHONE = "phone", _("Phone")
    EMAIL = "email", _("E-mail")
    WEB_FORM = "web_form", _("Web form")
    API = "api", _("API")
    IN_PERSON = "in_person", _("In person")


class Status(models.TextChoices):
    NEW = "new", pgettext_lazy("request status", "New")
    IN_PROGRESS = "in_progress", pgettext_lazy("request status", "In progress")
    WAITING = "waiting", pgettext_lazy("request status", "Waiting for client")
    RESOLVED = "resolved", pgettext_lazy("request status", "Resolved")
    CLOSED = "closed", pgettext_lazy("request status", "Closed")
    REOPENED = "reopened", pgettext_lazy("request status", "Reopened")


# Statuses in which the request still needs the organisation's work.
OPEN_STATUSES = (Status.NEW, Status.IN_PROGRESS, Status.WAITING, Status.REOPENED)
DONE_STATUSES = (Status.RESOLVED, Status.CLOSED)


class Category(models.Model):
    """A category of requests the organisation sorts them by: delivery, payment, quality…"""

    name = models.CharField(_("name"), max_length=120, unique=True)
    is_active = models.BooleanField(pgettext_lazy("category", "active"), default=True)
    position = models.PositiveSmallIntegerField(pgettext_lazy("category", "position"), default=0)

    class Meta:
        verbose_name = _("request category")
        verbose_name_plural = _("request categories")
        ordering = ["position", "name"]

    def __str__(self) -> str:
        return self.name


class SlaPolicy(DomainModel):
    """Targets for the first response and the resolution of requests of one kind and
    priority; an empty kind or priority matches any. The most specific active policy
    applies: kind and priority, then priority, then kind, then the catch-all."""

    class Clock(models.TextChoices):
        CALENDAR = "calendar", _("Calendar time")
        WORKING = "working", _("Working hours")

    name = models.CharField(_("name"), max_length=120)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices, blank=True)
    priority = models.CharField(_("priority"), max_length=10, choices=Priority.choices, blank=True)
    first_response_minutes = models.PositiveIntegerField(
        _("first response within, minutes"), null=True, blank=True,
        validators=[MinValueValidator(1)],
    )  # fmt: skip
    resolution_minutes = models.PositiveIntegerField(
        _("resolution within, minutes"), null=True, blank=True, validators=[MinValueValidator(1)]
    )
    clock = models.CharField(_("measured in"), max_length=10, choices=Clock.choices,
                             default=Clock.WORKING)  # fmt: skip
    warn_minutes_before = models.PositiveIntegerField(
        _("warn before the deadline, minutes"), default=30,
        help_text=_("The assignee and their team lead are warned this long before a breach."),
    )  # fmt: skip
    is_active = models.BooleanField(pgettext_lazy("policy", "active"), default=True)

    history = HistoricalRecords(excluded_fields=["updated_at"])

    class Meta:
        verbose_name = _("SLA policy")
        verbose_name_plural = _("SLA policies")
        ordering = ["kind", "priority", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "priority"],
                condition=Q(is_active=True, deleted_at__isnull=True),
                name="sla_policy_one_active_per_kind_priority",
            ),
            models.CheckConstraint(
                condition=Q(first_response_minutes__isnull=False)
                | Q(resolution_minutes__isnull=False),
                name="sla_policy_has_a_target",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Request(DomainModel):
    """A client's request: a question, a complaint, an order problem.

    ``created_at`` is when it was received. The SLA deadlines are fixed when the
    request arrives (and again when its kind or priority changes, or it is reopened);
    a missed target is remembered in the ``*_breached`` flags even after the request
    is resolved.
    """

    subject = models.CharField(_("subject"), max_length=250)
    company = models.ForeignKey(
        "clients.Company", verbose_name=_("company"), null=True, blank=True,
        on_delete=models.PROTECT, related_name="requests",
    )  # fmt: skip
    contact = models.ForeignKey(
        "clients.Contact", verbose_name=_("contact"), null=True, blank=True,
        on_delete=models.PROTECT, related_name="requests",
    )  # fmt: skip
    # Who wrote, as they wrote it: a request from a web form may come from no known contact.
    client_name = models.CharField(_("client's name"), max_length=200, blank=True)
    client_email = models.EmailField(_("client's e-mail"), blank=True)
    client_phone = models.CharField(_("client's phone"), max_length=40, blank=True)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices, default=Kind.QUESTION)
    category = models.ForeignKey(
        Category, verbose_name=_("category"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="requests",
    )  # fmt: skip
    product = models.ForeignKey(
        "sales.Product", verbose_name=_("product or service"), null=True, blank=True,
        on_delete=models.PROTECT, related_name="requests",
    )  # fmt: skip
    deal = models.ForeignKey(
        "sales.Deal", verbose_name=_("deal"), null=True, blank=True, on_delete=models.SET_NULL,
        related_name="requests",
    )  # fmt: skip
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices,
                               default=Channel.PHONE)  # fmt: skip
    priority = models.CharField(_("priority"), max_length=10, choices=Priority.choices,
                                default=Priority.NORMAL)  # fmt: skip
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("assignee"), null=True, blank=True,
        on_delete=models.PROTECT, related_name="requests",
    )  # fmt: skip
    status = models.CharField(_("status"), max_length=12, choices=Status.choices,
                              default=Status.NEW)  # fmt: skip
    first_response_at = models.DateTimeField(_("first response"), null=True, blank=True)
    first_response_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("first response by"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="+",
    )  # fmt: skip
    resolved_at = models.DateTimeField(_("resolved"), null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("resolved by"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="+",
    )  # fmt: skip
    closed_at = models.DateTimeField(pgettext_lazy("request", "closed"), null=True, blank=True)
    reopened_at = models.DateTimeField(_("reopened"), null=True, blank=True)
    reopen_count = models.PositiveSmallIntegerField(_("times reopened"), default=0)
    sla_policy = models.ForeignKey(
        SlaPolicy, verbose_name=_("SLA policy"), null=True, blank=True, on_delete=models.SET_NULL,
        related_name="requests",
    )  # fmt: skip
    first_response_due_at = models.DateTimeField(_("first response due"), null=True, blank=True)
    resolution_due_at = models.DateTimeField(_("resolution due"), null=True, blank=True)
    first_response_breached = models.BooleanField(_("first response late"), default=False)
    resolution_breached = models.BooleanField(_("resolution late"), default=False)
    # The queue's sort key: the nearest deadline still ahead of the request.
    next_due_at = models.DateTimeField(_("next deadline"), null=True, blank=True)

    history = HistoricalRecords(excluded_fields=["updated_at", "next_due_at"])

    class Meta:
        verbose_name = _("request")
        verbose_name_plural = _("requests")
        indexes = [
            models.Index(fields=["status", "next_due_at"], name="request_queue_idx"),
            models.Index(
                fields=["assignee", "status", "next_due_at"], name="request_assignee_idx"
            ),  # fmt: skip
            models.Index(fields=["company", "-created_at"], name="request_company_idx"),
            models.Index(fields=["contact", "-created_at"], name="request_contact_idx"),
            models.Index(fields=["resolved_at"], name="request_resolved_idx"),
            models.Index(fields=["kind", "created_at"], name="request_kind_idx"),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.subject}"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @property
    def client(self) -> object | None:
        return self.company or self.contact


class Message(models.Model):
    """One entry of a request's thread: a staff reply (e-mailed to the client), the
    client's message, or an internal note nobody outside sees."""

    class Kind(models.TextChoices):
        REPLY = "reply", _("Reply")
        CLIENT = "client", _("Client's message")
        NOTE = "note", _("Internal note")

    request = models.ForeignKey(Request, on_delete=models.CASCADE, related_name="messages")
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    body = models.TextField(_("text"))
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("author"), null=True, blank=True,
        on_delete=models.PROTECT, related_name="+",
    )  # fmt: skip
    created_at = models.DateTimeField(_("written"), db_index=True)
    email_to = models.EmailField(_("sent to"), blank=True)
    email_status = models.CharField(max_length=10, choices=MailStatus.choices,
                                    default=MailStatus.NONE)  # fmt: skip
    email_claimed_at = models.DateTimeField(null=True, blank=True)
    email_sent_at = models.DateTimeField(null=True, blank=True)
    email_attempts = models.PositiveSmallIntegerField(default=0)

    class Meta:
        verbose_name = _("request message")
        verbose_name_plural = _("request messages")
        ordering = ["created_at", "pk"]
        indexes = [
            models.Index(fields=["request", "created_at"], name="request_message_thread_idx"),
            models.Index(
                fields=["email_status", "email_claimed_at"], name="request_message_email_idx"
            ),  # fmt: skip
        ]

    def __str__(self) -> str:
        return f"{self.request_id}:{self.kind}"


class SlaAlert(models.Model):
    """That a warning or a breach notice about one deadline of a request went out.

    The row is the claim that makes each notice exactly once, whichever worker or retry
    gets there: one per request, target, stage and deadline (a new deadline after a
    change of priority or a reopening is a new one)."""

    class Target(models.TextChoices):
        FIRST_RESPONSE = "first_response", _("First response")
        RESOLUTION = "resolution", _("Resolution")

    class Stage(models.TextChoices):
        WARNING = "warning", _("Warning")
        BREACH = "breach", _("Breach")

    request = models.ForeignKey(Request, on_delete=models.CASCADE, related_name="sla_alerts")
    target = models.CharField(max_length=20, choices=Target.choices)
    stage = models.CharField(max_length=10, choices=Stage.choices)
    due_at = models.DateTimeField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["request", "target", "stage", "due_at"], name="sla_alert_once"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.request_id}:{self.target}:{self.stage}"


def new_nonce() -> str:
    return secrets.token_urlsafe(16)


class Survey(models.Model):
    """A one-question satisfaction survey sent to the client after a resolution, or
    after their order was delivered (``order``; at most one survey per order).

    The link carries the survey's id and nonce, signed; an answer is taken once, by a
    conditional update of ``answered_at``, and not after ``expires_at``. The product
    and manager are copied from the request when it is sent, so CSAT by product or
    manager stays as it was when the client answered.
    """

    request = models.ForeignKey(
        Request, verbose_name=_("request"), null=True, blank=True, on_delete=models.CASCADE,
        related_name="surveys",
    )  # fmt: skip
    order = models.ForeignKey(
        "orders.Order", verbose_name=_("order"), null=True, blank=True,
        on_delete=models.CASCADE, related_name="surveys",
    )  # fmt: skip
    company = models.ForeignKey(
        "clients.Company", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    contact = models.ForeignKey(
        "clients.Contact", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    manager = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("manager"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="+",
    )  # fmt: skip
    product = models.ForeignKey(
        "sales.Product", verbose_name=_("product or service"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="+",
    )  # fmt: skip
    category = models.ForeignKey(
        Category, verbose_name=_("category"), null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )  # fmt: skip
    nonce = models.CharField(max_length=40, default=new_nonce, editable=False)
    email_to = models.EmailField(_("sent to"))
    language = models.CharField(max_length=10, blank=True)
    created_at = models.DateTimeField(_("sent"), auto_now_add=True, db_index=True)
    expires_at = models.DateTimeField(_("expires"))
    email_status = models.CharField(max_length=10, choices=MailStatus.choices,
                                    default=MailStatus.PENDING)  # fmt: skip
    email_claimed_at = models.DateTimeField(null=True, blank=True)
    email_sent_at = models.DateTimeField(null=True, blank=True)
    email_attempts = models.PositiveSmallIntegerField(default=0)
    answered_at = models.DateTimeField(_("answered"), null=True, blank=True)
    score = models.PositiveSmallIntegerField(
        _("score"), null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(5)]
    )
    comment = models.TextField(_("comment"), blank=True)
    follow_up = models.ForeignKey(
        "activities.Task", verbose_name=_("follow-up task"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="+",
    )  # fmt: skip

    class Meta:
        verbose_name = _("satisfaction survey")
        verbose_name_plural = _("satisfaction surveys")
        indexes = [
            models.Index(fields=["answered_at"], name="survey_answered_idx"),
            models.Index(fields=["email_status", "email_claimed_at"], name="survey_email_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(score__isnull=True) | Q(score__gte=1, score__lte=5),
                name="survey_score_1_to_5",
            ),
            models.CheckConstraint(
                condition=Q(answered_at__isnull=True) | Q(score__isnull=False),
                name="survey_answer_has_score",
            ),
            models.UniqueConstraint(
                fields=["order"], condition=Q(order__isnull=False), name="survey_once_per_order"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.pk}: {self.score or '—'}"

    @property
    def is_answered(self) -> bool:
        return self.answered_at is not None
