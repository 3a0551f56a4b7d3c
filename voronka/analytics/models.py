"""Rollups the KPIs read instead of scanning deals, and the sales plans.

Every rollup row is a sum of per-record contributions (see ``facts.py``). The
services that change deals and leads apply the difference between a record's
contribution before and after the change in the same transaction, so a rollup
never disagrees with what a committed transaction left behind; ``voronka manage
rebuild_kpi_rollups`` recomputes them from the records.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class DealDayTotal(models.Model):
    """Deals per local day, owner, pipeline, source and event (created, won or lost)."""

    class Event(models.TextChoices):
        CREATED = "created", _("created")
        WON = "won", _("won")
        LOST = "lost", _("lost")

    day = models.DateField()
    event = models.CharField(max_length=8, choices=Event.choices)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    pipeline = models.ForeignKey("sales.Pipeline", on_delete=models.CASCADE, related_name="+")
    source = models.ForeignKey(
        "sales.LeadSource", null=True, on_delete=models.CASCADE, related_name="+"
    )
    count = models.IntegerField(default=0)
    # In the base currency, each deal rounded to cents.
    amount = models.DecimalField(max_digits=20, decimal_places=2, default=Decimal("0"))
    # Won deals: the sales cycle, and the time from their lead's creation.
    cycle_us = models.BigIntegerField(default=0)  # sum of closed_at − created_at, µs
    with_lead = models.IntegerField(default=0)
    lead_cycle_us = models.BigIntegerField(default=0)
    # Closed deals: how many had an expected close date, and how many closed after it.
    with_expected = models.IntegerField(default=0)
    late = models.IntegerField(default=0)

    class Meta:
        verbose_name = _("deals of a day")
        verbose_name_plural = _("deals of days")
        constraints = [
            models.UniqueConstraint(
                fields=["day", "event", "owner", "pipeline", "source"],
                name="dealdaytotal_unique",
                nulls_distinct=False,
            ),
        ]
        indexes = [models.Index(fields=["event", "day"], name="dealday_event_day_idx")]

    def __str__(self) -> str:
        return f"{self.day} {self.event} {self.owner_id}: {self.count}"


class LeadDayTotal(models.Model):
    """Leads per local day of creation, owner and source, with how far they went."""

    day = models.DateField()
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.CASCADE, related_name="+"
    )
    source = models.ForeignKey(
        "sales.LeadSource", null=True, on_delete=models.CASCADE, related_name="+"
    )
    count = models.IntegerField(default=0)
    with_deal = models.IntegerField(default=0)
    with_won_deal = models.IntegerField(default=0)

    class Meta:
        verbose_name = _("leads of a day")
        verbose_name_plural = _("leads of days")
        constraints = [
            models.UniqueConstraint(
                fields=["day", "owner", "source"], name="leaddaytotal_unique", nulls_distinct=False
            ),
        ]
        indexes = [models.Index(fields=["day"], name="leaddaytotal_day_idx")]

    def __str__(self) -> str:
        return f"{self.day} {self.owner_id}: {self.count}"


class FunnelDayTotal(models.Model):
    """Deals created on a local day that reached a stage, and the time they spent in it."""

    day = models.DateField()
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    pipeline = models.ForeignKey("sales.Pipeline", on_delete=models.CASCADE, related_name="+")
    source = models.ForeignKey(
        "sales.LeadSource", null=True, on_delete=models.CASCADE, related_name="+"
    )
    stage = models.ForeignKey("sales.Stage", on_delete=models.CASCADE, related_name="+")
    reached = models.IntegerField(default=0)
    left = models.IntegerField(default=0)  # deals that reached the stage and moved on
    stay_us = models.BigIntegerField(default=0)  # their time in the stage, µs

    class Meta:
        verbose_name = _("funnel of a day")
        verbose_name_plural = _("funnel of days")
        constraints = [
            models.UniqueConstraint(
                fields=["day", "owner", "pipeline", "source", "stage"],
                name="funneldaytotal_unique",
                nulls_distinct=False,
            ),
        ]
        indexes = [models.Index(fields=["pipeline", "day"], name="funnelday_pipeline_day_idx")]

    def __str__(self) -> str:
        return f"{self.day} {self.stage_id} {self.owner_id}: {self.reached}"


class SalesPlan(models.Model):
    """A target for one manager or one team, for a month or a quarter, for one metric."""

    class Metric(models.TextChoices):
        WON_REVENUE = "won_revenue", _("Won revenue")
        DEALS_WON = "deals_won", _("Deals won")
        LEADS_NEW = "leads_new", _("New leads")

    class PeriodKind(models.TextChoices):
        MONTH = "month", _("Month")
        QUARTER = "quarter", _("Quarter")

    metric = models.CharField(_("metric"), max_length=20, choices=Metric.choices)
    period_kind = models.CharField(_("period"), max_length=8, choices=PeriodKind.choices)
    period_start = models.DateField(_("period start"))  # first day of the month or quarter
    manager = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("manager"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="sales_plans",
    )
    team = models.ForeignKey(
        "accounts.Team",
        verbose_name=_("team"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="sales_plans",
    )
    target = models.DecimalField(_("target"), max_digits=20, decimal_places=2)
    set_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    version = models.PositiveIntegerField(_("version"), default=1)

    class Meta:
        verbose_name = _("sales plan")
        verbose_name_plural = _("sales plans")
        constraints = [
            models.CheckConstraint(
                condition=(Q(manager__isnull=False) & Q(team__isnull=True))
                | (Q(manager__isnull=True) & Q(team__isnull=False)),
                name="salesplan_manager_or_team",
            ),
            models.CheckConstraint(
                condition=Q(target__gte=0), name="salesplan_target_not_negative"
            ),
            models.UniqueConstraint(
                fields=["metric", "period_kind", "period_start", "manager"],
                condition=Q(manager__isnull=False),
                name="salesplan_unique_manager",
            ),
            models.UniqueConstraint(
                fields=["metric", "period_kind", "period_start", "team"],
                condition=Q(team__isnull=False),
                name="salesplan_unique_team",
            ),
        ]
        indexes = [models.Index(fields=["metric", "period_start"], name="salesplan_period_idx")]

    def __str__(self) -> str:
        who = self.manager or self.team
        return f"{self.metric} {self.period_start:%Y-%m} {who}: {self.target}"


class ActivityDayTotal(models.Model):
    """Interactions logged per local day and author."""

    day = models.DateField()
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    count = models.IntegerField(default=0)

    class Meta:
        verbose_name = _("interactions of a day")
        verbose_name_plural = _("interactions of days")
        constraints = [
            models.UniqueConstraint(fields=["day", "author"], name="activitydaytotal_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.day} {self.author_id}: {self.count}"


class ClientSpell(models.Model):
    """A stretch of time in which a client counts as active through one person: (after, until].

    A client is active at a moment when it had an interaction (an activity logged, a deal
    created or moved) in the 90 days before it. Each interaction at ``t`` makes the client
    active during (t, t + 90 days]; the overlapping stretches of one client and one person
    (the activity's author, the deal's owner) merge into spells, so "active clients at M"
    counts the distinct clients of the spells holding M — a range of the index on ``until``,
    narrowed to the people the reader may see — instead of reading 90 days of interactions.
    Recomputed from the client's records by the services that change them.
    """

    company = models.ForeignKey(
        "clients.Company", null=True, on_delete=models.CASCADE, related_name="+"
    )
    contact = models.ForeignKey(
        "clients.Contact", null=True, on_delete=models.CASCADE, related_name="+"
    )
    # Who made the client active; no one in particular on the rows that merge everyone's
    # interactions, which answer "active clients" for a reader who sees everything.
    person = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.CASCADE, related_name="+"
    )
    after = models.DateTimeField()
    until = models.DateTimeField(db_index=True)

    class Meta:
        verbose_name = _("active spell of a client")
        verbose_name_plural = _("active spells of clients")
        constraints = [
            models.CheckConstraint(
                condition=Q(company__isnull=False, contact__isnull=True)
                | Q(company__isnull=True, contact__isnull=False),
                name="clientspell_company_or_contact",
            ),
        ]
        # A manager's or a team's active clients: the spells of a few people holding M.
        indexes = [models.Index(fields=["person", "until"], name="clientspell_person_idx")]

    def __str__(self) -> str:
        return f"{self.company_id or self.contact_id}: {self.after} – {self.until}"


class OpenSpell(models.Model):
    """A deal's stay in an open stage: (after, until], ``until`` far in the future while it
    stays. The open pipeline and the overdue deals as of a past moment sum the stays that
    hold it, each with the deal's current amount, owner, pipeline and source — what the
    records themselves say about that moment."""

    deal = models.ForeignKey("sales.Deal", on_delete=models.CASCADE, related_name="+")
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    pipeline = models.ForeignKey("sales.Pipeline", on_delete=models.CASCADE, related_name="+")
    source = models.ForeignKey(
        "sales.LeadSource", null=True, on_delete=models.CASCADE, related_name="+"
    )
    stage = models.ForeignKey("sales.Stage", on_delete=models.CASCADE, related_name="+")
    amount = models.DecimalField(max_digits=20, decimal_places=2)  # base currency
    expected_close_date = models.DateField(null=True)
    after = models.DateTimeField()
    until = models.DateTimeField(db_index=True)

    class Meta:
        verbose_name = _("stay of a deal in an open stage")
        verbose_name_plural = _("stays of deals in open stages")
        indexes = [models.Index(fields=["deal"], name="openspell_deal_idx")]

    def __str__(self) -> str:
        return f"{self.deal_id} in {self.stage_id}: {self.after} – {self.until}"
