"""Interactions with clients (calls, meetings, e-mails, messages, notes), tasks,
and the notifications that remind people of them."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from voronka.core.models import DomainModel


class RecordLinks(models.Model):
    """What an activity or a task is about: a client, and optionally a deal or lead."""

    company = models.ForeignKey(
        "clients.Company", verbose_name=_("company"), null=True, blank=True,
        on_delete=models.CASCADE, related_name="+",
    )  # fmt: skip
    contact = models.ForeignKey(
        "clients.Contact", verbose_name=_("contact"), null=True, blank=True,
        on_delete=models.CASCADE, related_name="+",
    )  # fmt: skip
    deal = models.ForeignKey(
        "sales.Deal", verbose_name=_("deal"), null=True, blank=True,
        on_delete=models.CASCADE, related_name="+",
    )  # fmt: skip
    lead = models.ForeignKey(
        "sales.Lead", verbose_name=_("lead"), null=True, blank=True,
        on_delete=models.CASCADE, related_name="+",
    )  # fmt: skip

    class Meta:
        abstract = True


class Activity(DomainModel, RecordLinks):
    class Kind(models.TextChoices):
        CALL = "call", _("Call")
        MEETING = "meeting", _("Meeting")
        EMAIL = "email", _("E-mail")
        MESSAGE = "message", _("Message")
        NOTE = "note", _("Note")

    class Direction(models.TextChoices):
        INCOMING = "in", _("Incoming")
        OUTGOING = "out", _("Outgoing")

    class Outcome(models.TextChoices):
        REACHED = "reached", _("Reached")
        NO_ANSWER = "no_answer", _("No answer")
        BUSY = "busy", _("Busy")
        VOICEMAIL = "voicemail", _("Voicemail")
        WRONG_NUMBER = "wrong_number", _("Wrong number")

    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    subject = models.CharField(_("subject"), max_length=250, blank=True)
    body = models.TextField(_("text"), blank=True)
    occurred_at = models.DateTimeField(_("when"))
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("author"), on_delete=models.PROTECT,
        related_name="activities",
    )  # fmt: skip
    direction = models.CharField(
        _("direction"), max_length=3, choices=Direction.choices, blank=True
    )
    duration_seconds = models.PositiveIntegerField(_("duration, s"), null=True, blank=True)
    outcome = models.CharField(_("outcome"), max_length=20, choices=Outcome.choices, blank=True)
    ends_at = models.DateTimeField(_("ends"), null=True, blank=True)
    place = models.CharField(_("place"), max_length=250, blank=True)
    participants = models.CharField(_("participants"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("activity")
        verbose_name_plural = _("activities")
        indexes = [
            models.Index(fields=["company", "-occurred_at", "-id"], name="activity_company_idx"),
            models.Index(fields=["contact", "-occurred_at", "-id"], name="activity_contact_idx"),
            models.Index(fields=["deal", "-occurred_at", "-id"], name="activity_deal_idx"),
            models.Index(fields=["lead", "-occurred_at", "-id"], name="activity_lead_idx"),
            models.Index(fields=["author", "-occurred_at"], name="activity_author_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(company__isnull=False) | Q(contact__isnull=False)
                | Q(deal__isnull=False) | Q(lead__isnull=False),
                name="activity_is_about_something",
            ),
        ]  # fmt: skip

    def __str__(self) -> str:
        return self.subject or self.get_kind_display()


class Task(DomainModel, RecordLinks):
    class Priority(models.TextChoices):
        LOW = "low", _("Low")
        NORMAL = "normal", _("Normal")
        HIGH = "high", _("High")
        URGENT = "urgent", _("Urgent")

    class Status(models.TextChoices):
        # A context of their own: a deal's "Open" reads differently in Russian.
        OPEN = "open", pgettext_lazy("task status", "Open")
        IN_PROGRESS = "in_progress", pgettext_lazy("task status", "In progress")
        DONE = "done", pgettext_lazy("task status", "Done")
        CANCELLED = "cancelled", pgettext_lazy("task status", "Cancelled")

    title = models.CharField(_("title"), max_length=250)
    description = models.TextField(_("description"), blank=True)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("assignee"), on_delete=models.PROTECT,
        related_name="tasks",
    )  # fmt: skip
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("author"), on_delete=models.PROTECT,
        related_name="+",
    )  # fmt: skip
    due_at = models.DateTimeField(_("due"))
    priority = models.CharField(
        _("priority"), max_length=10, choices=Priority.choices, default=Priority.NORMAL
    )
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default="open")
    remind_minutes_before = models.PositiveIntegerField(
        _("remind, minutes before"), null=True, blank=True,
        help_text=_("Empty: the assignee's own default."),
    )  # fmt: skip
    completed_at = models.DateTimeField(_("completed"), null=True, blank=True)
    completed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("completed by"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="+",
    )  # fmt: skip

    class Meta:
        verbose_name = _("task")
        verbose_name_plural = _("tasks")
        indexes = [
            models.Index(fields=["assignee", "status", "due_at"], name="task_assignee_idx"),
            models.Index(fields=["status", "due_at"], name="task_due_idx"),
            # Tasks open at a past moment include those completed after it.
            models.Index(fields=["completed_at"], name="task_completed_idx"),
            models.Index(fields=["deal", "status", "due_at"], name="task_deal_idx"),
            models.Index(fields=["company", "status", "due_at"], name="task_company_idx"),
            models.Index(fields=["contact", "status", "due_at"], name="task_contact_idx"),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_active(self) -> bool:
        return self.status in (self.Status.OPEN, self.Status.IN_PROGRESS)


class NotificationKind(models.TextChoices):
    TASK_REMINDER = "task_reminder", _("Task reminder")
    TASK_OVERDUE = "task_overdue", _("Task overdue")
    TASK_ESCALATED = "task_escalated", _("Overdue task of a team member")
    TASK_ASSIGNED = "task_assigned", _("Task assigned to me")
    LEAD_ASSIGNED = "lead_assigned", _("New lead assigned to me")
    IMPORT_FINISHED = "import_finished", _("My import has finished")
    WEBHOOK_DISABLED = "webhook_disabled", _("A webhook was switched off after failures")
    REQUEST_ASSIGNED = "request_assigned", _("Client request assigned to me")
    REQUEST_CLIENT_REPLY = "request_client_reply", _("A client wrote on my request")
    SLA_WARNING = "sla_warning", _("A request's SLA deadline is near")
    SLA_BREACHED = "sla_breached", _("A request missed its SLA deadline")
    LOW_SATISFACTION = "low_satisfaction", _("A client gave a low satisfaction score")
    ORDER_OVERDUE = "order_overdue", _("An order stayed in a status beyond its norm")


class Notification(models.Model):
    """A notice to one person. The row is also the claim that makes it exactly once:
    one per task, kind and recipient, enforced by the database."""

    class EmailStatus(models.TextChoices):
        NONE = "none", _("Not by e-mail")
        PENDING = "pending", _("Waiting")
        SENDING = "sending", _("Sending")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    kind = models.CharField(_("kind"), max_length=20, choices=NotificationKind.choices)
    task = models.ForeignKey(
        Task, null=True, blank=True, on_delete=models.CASCADE, related_name="notifications"
    )
    title = models.CharField(_("title"), max_length=300)
    url = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True, db_index=True)
    in_app = models.BooleanField(default=True)
    read_at = models.DateTimeField(_("read"), null=True, blank=True)
    email_status = models.CharField(
        max_length=10, choices=EmailStatus.choices, default=EmailStatus.NONE
    )
    email_claimed_at = models.DateTimeField(null=True, blank=True)
    email_sent_at = models.DateTimeField(null=True, blank=True)
    email_attempts = models.PositiveSmallIntegerField(default=0)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        constraints = [
            models.UniqueConstraint(
                fields=["task", "kind", "recipient"], name="notification_once_per_task_kind"
            ),
        ]
        indexes = [
            models.Index(
                fields=["recipient", "read_at", "-created_at"], name="notification_inbox_idx"
            ),
            models.Index(
                fields=["email_status", "email_claimed_at"], name="notification_email_idx"
            ),
        ]

    def __str__(self) -> str:
        return self.title


class NotificationPreference(models.Model):
    """How one person wants one kind of notice; no row means both channels."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notification_preferences"
    )
    kind = models.CharField(max_length=20, choices=NotificationKind.choices)
    in_app = models.BooleanField(_("in Voronka"), default=True)
    email = models.BooleanField(_("by e-mail"), default=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "kind"], name="notification_pref_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.user_id}/{self.kind}"
