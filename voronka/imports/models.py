"""Imports: saved mappings, import jobs with their progress and reports, external ids."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Entity(models.TextChoices):
    COMPANIES = "companies", _("Companies")
    CONTACTS = "contacts", _("Contacts")
    LEADS = "leads", _("Leads")
    DEALS = "deals", _("Deals")
    PRODUCTS = "products", _("Products")
    TEAMS = "teams", _("Teams")
    USERS = "users", _("Users")
    ACTIVITIES = "activities", _("Interactions")
    REQUESTS = "requests", _("Client requests")


class ImportMapping(models.Model):
    """A saved, reusable mapping: which column goes to which field and how values translate.

    ``spec`` is the same JSON a mapping file holds (see ``voronka.imports.spec``).
    """

    name = models.CharField(_("name"), max_length=150)
    entity = models.CharField(_("records"), max_length=20, choices=Entity.choices)
    spec = models.JSONField(_("mapping"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        verbose_name = _("import mapping")
        verbose_name_plural = _("import mappings")
        constraints = [
            models.UniqueConstraint(fields=["entity", "name"], name="import_mapping_unique_name"),
        ]

    def __str__(self) -> str:
        return self.name


class ImportJob(models.Model):
    """One file on its way in: uploaded, mapped, checked (dry run), imported, reported."""

    class Status(models.TextChoices):
        UPLOADED = "uploaded", _("Uploaded")
        CHECKING = "checking", _("Checking")
        CHECKED = "checked", _("Checked")
        QUEUED = "queued", _("Waiting for the worker")
        RUNNING = "running", _("Importing")
        DONE = "done", _("Imported")
        FAILED = "failed", _("Failed")

    entity = models.CharField(_("records"), max_length=20, choices=Entity.choices)
    filename = models.CharField(_("file"), max_length=255)
    path = models.CharField(max_length=500)  # under VAR_DIR/imports, never served directly
    size = models.BigIntegerField(_("size"), default=0)
    spec = models.JSONField(_("mapping"), default=dict)
    mapping = models.ForeignKey(
        ImportMapping, null=True, blank=True, on_delete=models.SET_NULL, related_name="jobs"
    )
    all_or_nothing = models.BooleanField(_("all or nothing"), default=False)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default="uploaded"
    )
    dry_run = models.BooleanField(default=False)  # the numbers below are from a dry run
    total_rows = models.PositiveIntegerField(_("rows"), null=True, blank=True)
    processed_rows = models.PositiveIntegerField(default=0)
    created = models.PositiveIntegerField(_("created"), default=0)
    updated = models.PositiveIntegerField(_("updated"), default=0)
    skipped = models.PositiveIntegerField(_("skipped"), default=0)
    rejected = models.PositiveIntegerField(_("rejected"), default=0)
    message = models.TextField(_("message"), blank=True)
    report_path = models.CharField(max_length=500, blank=True)
    rejected_path = models.CharField(max_length=500, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="import_jobs"
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    started_at = models.DateTimeField(_("started"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        verbose_name = _("import")
        verbose_name_plural = _("imports")
        indexes = [models.Index(fields=["created_by", "-created_at"], name="import_job_owner_idx")]

    def __str__(self) -> str:
        return self.filename

    @property
    def is_working(self) -> bool:
        return self.status in (self.Status.CHECKING, self.Status.QUEUED, self.Status.RUNNING)

    @property
    def percent(self) -> int:
        if not self.total_rows:
            return 0
        return min(100, self.processed_rows * 100 // self.total_rows)


class ExternalKey(models.Model):
    """A record's id in the system it was imported from, so a second import finds it.

    ``system`` names the source ("maven", "amocrm" …); an id is unique per system and
    kind of record.
    """

    entity = models.CharField(max_length=20, choices=Entity.choices)
    system = models.CharField(max_length=60)
    key = models.CharField(max_length=200)
    object_id = models.BigIntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["entity", "system", "key"], name="external_key_unique"),
        ]
        indexes = [models.Index(fields=["entity", "object_id"], name="external_key_object_idx")]

    def __str__(self) -> str:
        return f"{self.system}:{self.entity}:{self.key}"
