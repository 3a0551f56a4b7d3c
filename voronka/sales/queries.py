"""Reads of leads, deals, pipelines and products, scoped by who is asking."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from django.db.models import Count, Exists, F, OuterRef, Prefetch, Q, QuerySet, Subquery, Sum
from django.db.models.functions import Round, TruncDate
from django.utils import timezone

from voronka.analytics.periods import Period
from voronka.core import organisation as org
from voronka.core.search import contact_point_q
from voronka.core.text import looks_like_phone, search_term
from voronka.core.visibility import Family, owner_q, sees_everything
from voronka.sales.models import (
    ClosedDayTotal,
    Deal,
    DealLine,
    Lead,
    LeadSource,
    LostReason,
    Pipeline,
    Product,
    ProductCategory,
    Stage,
    StageHistory,
    StageKind,
    StageTotal,
)
from voronka.sales.rollups import MONEY_SUM

# Sort keys a list may be ordered by: each is non-null, so keyset pagination works.
DEAL_SORTS = {
    "-created": ["-created_at", "-id"],
    "created": ["created_at", "id"],
    "-amount": ["-amount", "-id"],
    "amount": ["amount", "id"],
    "-updated": ["-updated_at", "-id"],
    "title": ["title", "id"],
}
LEAD_SORTS = {
    "-created": ["-created_at", "-id"],
    "created": ["created_at", "id"],
    "-updated": ["-updated_at", "-id"],
    "title": ["title", "id"],
}


def leads_visible_to(user: Any, *, write: bool = False, deleted: bool = False) -> QuerySet[Lead]:
    manager = Lead.all_objects if deleted else Lead.objects
    qs = manager.filter(owner_q(user, Family.LEADS, write=write))
    return qs.filter(deleted_at__isnull=False) if deleted else qs


def deals_visible_to(user: Any, *, write: bool = False, deleted: bool = False) -> QuerySet[Deal]:
    manager = Deal.all_objects if deleted else Deal.objects
    qs = manager.filter(owner_q(user, Family.DEALS, write=write))
    return qs.filter(deleted_at__isnull=False) if deleted else qs


def products_visible_to(user: Any) -> QuerySet[Product]:
    return Product.objects.filter(owner_q(user, Family.CATALOG, owner_field="created_by"))


def pipelines_visible_to(user: Any) -> QuerySet[Pipeline]:
    """Pipelines are configuration: every active user reads the active ones."""
    if not (user is not None and user.is_authenticated and user.is_active):
        return Pipeline.objects.none()
    return Pipeline.objects.filter(is_active=True)


def _deal_search_q(term: str) -> Q:
    """Deal title or client name; a phone or e-mail finds the client's deals."""
    term = term.strip()
    if "@" in term or looks_like_phone(term):
        # Literal id lists, not subqueries: PostgreSQL turns "IN (subquery) OR IN
        # (subquery)" into a scan of every deal, but two short lists into index lookups.
        client = contact_point_q(term)
        return Q(company_id__in=_client_ids("Company", client)) | Q(
            contact_id__in=_client_ids("Contact", client)
        )
    return Q(search_text__contains=search_term(term))


CLIENT_MATCH_LIMIT = 500  # a phone or e-mail fragment shared by more clients is too vague


def _client_ids(model: str, cond: Q) -> list[int]:
    from voronka.clients import models as client_models

    manager = getattr(client_models, model).objects
    return list(manager.filter(cond).values_list("pk", flat=True)[:CLIENT_MATCH_LIMIT])


def deal_list(
    user: Any,
    *,
    q: str = "",
    status: str = "",
    pipeline_id: int | None = None,
    stage_id: int | None = None,
    owner_id: int | None = None,
    team_id: int | None = None,
    company_id: int | None = None,
    contact_id: int | None = None,
    client: str = "",
    source_id: int | None = None,
    no_source: bool = False,
    product_id: int | None = None,
    overdue: bool = False,
    overdue_on: date | None = None,
    open_on: date | None = None,
    amount_min: Decimal | None = None,
    amount_max: Decimal | None = None,
    closed_since: date | None = None,
    closed_from: date | None = None,
    closed_to: date | None = None,
    closed_late: bool = False,
    created_from: date | None = None,
    created_to: date | None = None,
    reached_stage_id: int | None = None,
    has_lead: bool = False,
    today: date | None = None,
    no_contact_days: int | None = None,
    now: datetime | None = None,
) -> QuerySet[Deal]:
    """Visible deals matching the filters, with what a list row shows.

    ``no_contact_days`` keeps deals with no interaction logged in that many days, or ever.
    ``status`` "closed" means won or lost. Date ranges are local days of the organisation,
    both ends included. ``open_on`` keeps the deals open at the end of that day (or now, for
    today), ``overdue_on`` those of them whose expected close date had passed; with either,
    ``stage_id`` is the stage the deal was in at that moment. ``client`` is the client as the
    reports group deals: ``company:ID``, or ``contact:ID`` for deals with no company.
    ``reached_stage_id`` keeps deals that entered the stage at some time.
    """
    qs = deals_visible_to(user).select_related("stage", "owner", "company", "contact", "pipeline")
    stage_field = "stage_id"
    if no_contact_days:
        since = (now or timezone.now()) - timedelta(days=no_contact_days)
        qs = qs.filter(Q(last_contact_at__isnull=True) | Q(last_contact_at__lt=since))
    if q:
        qs = qs.filter(_deal_search_q(q))
    if status == "closed":
        qs = qs.filter(status__in=[Deal.Status.WON, Deal.Status.LOST])
    elif status:
        qs = qs.filter(status=status)
    as_of_day = overdue_on or open_on
    if as_of_day is not None:
        qs, stage_field, as_of = _open_at(qs, as_of_day, now or timezone.now())
        if overdue_on is not None:
            local_day = timezone.localtime(as_of, org.current().tz).date()
            qs = qs.filter(expected_close_date__lt=local_day)
    if pipeline_id:
        qs = qs.filter(pipeline_id=pipeline_id)
    if stage_id:
        qs = qs.filter(**{stage_field: stage_id})
    if owner_id:
        qs = qs.filter(owner_id=owner_id)
    if team_id:
        qs = qs.filter(owner__team_id=team_id)
    if company_id:
        qs = qs.filter(company_id=company_id)
    if contact_id:
        qs = qs.filter(contact_id=contact_id)
    if client:
        qs = qs.filter(_client_q(client))
    if source_id:
        qs = qs.filter(source_id=source_id)
    if no_source:
        qs = qs.filter(source__isnull=True)
    if product_id:
        # A subquery, so a deal with two lines of the product is listed once.
        qs = qs.filter(pk__in=DealLine.objects.filter(product_id=product_id).values("deal_id"))
    if reached_stage_id:
        entered = StageHistory.objects.filter(deal_id=OuterRef("pk"), to_stage_id=reached_stage_id)
        qs = qs.filter(Exists(entered))
    if has_lead:
        qs = qs.filter(lead__isnull=False)
    if overdue:
        qs = qs.filter(
            status=Deal.Status.OPEN, expected_close_date__lt=today or timezone.localdate()
        )
    if closed_since is not None:
        qs = qs.filter(closed_at__gte=_start_of(closed_since))
    qs = _in_days(qs, "closed_at", closed_from, closed_to)
    qs = _in_days(qs, "created_at", created_from, created_to)
    if closed_late:
        # Late by the local day it closed, as the reports count it.
        closed_day = TruncDate("closed_at", tzinfo=org.current().tz)
        qs = qs.alias(closed_day=closed_day).filter(
            status__in=[Deal.Status.WON, Deal.Status.LOST],
            closed_day__gt=F("expected_close_date"),
        )
    if amount_min is not None:
        qs = qs.filter(amount__gte=amount_min)
    if amount_max is not None:
        qs = qs.filter(amount__lte=amount_max)
    return qs


def _in_days(qs: QuerySet[Any], field: str, first: date | None, last: date | None) -> Any:
    """Rows whose ``field`` falls on the local days ``first``..``last`` (either may be open)."""
    if first is not None:
        qs = qs.filter(**{f"{field}__gte": Period(first, first).bounds()[0]})
    if last is not None:
        qs = qs.filter(**{f"{field}__lt": Period(last, last).bounds()[1]})
    return qs


def _open_at(qs: QuerySet[Deal], day: date, now: datetime) -> tuple[QuerySet[Deal], str, datetime]:
    """Deals open at the end of ``day`` (now, if that is still to come), the field holding
    their stage at that moment, and the moment."""
    as_of = min(Period(day, day).bounds()[1], now)
    if as_of >= now:
        return qs.filter(status=Deal.Status.OPEN), "stage_id", as_of
    # Back then: not closed yet, or closed later; the stage is the last one entered by then.
    last_entry = StageHistory.objects.filter(deal_id=OuterRef("pk"), moved_at__lt=as_of).order_by(
        "-moved_at", "-pk"
    )
    qs = (
        qs.filter(created_at__lt=as_of)
        .filter(Q(closed_at__isnull=True) | Q(closed_at__gte=as_of))
        .annotate(
            stage_then=Subquery(last_entry.values("to_stage_id")[:1]),
            kind_then=Subquery(last_entry.values("to_stage__kind")[:1]),
        )
        .filter(kind_then=StageKind.OPEN)
    )
    return qs, "stage_then", as_of


def _client_q(client: str) -> Q:
    """``company:ID`` or ``contact:ID`` as the reports group a deal's client."""
    kind, _sep, pk = client.partition(":")
    if not pk.isdigit():
        return Q(pk__in=[])
    if kind == "company":
        return Q(company_id=int(pk))
    if kind == "contact":
        return Q(contact_id=int(pk), company__isnull=True)
    return Q(pk__in=[])


def lead_list(
    user: Any,
    *,
    q: str = "",
    status: str = "",
    owner_id: int | None = None,
    team_id: int | None = None,
    source_id: int | None = None,
    no_source: bool = False,
    product_id: int | None = None,
    created_from: date | None = None,
    created_to: date | None = None,
    with_deal: bool = False,
    with_won_deal: bool = False,
) -> QuerySet[Lead]:
    """Visible leads matching the filters.

    ``with_deal`` keeps leads that became a deal, ``with_won_deal`` those with a deal won;
    ``product_id`` leads with a deal holding the product. Deals count whoever owns them,
    as the lead conversion reports count them.
    """
    qs = leads_visible_to(user).select_related("owner", "source")
    if q:
        qs = qs.filter(contact_point_q(q))
    if status:
        qs = qs.filter(status=status)
    if owner_id:
        qs = qs.filter(owner_id=owner_id)
    if team_id:
        qs = qs.filter(owner__team_id=team_id)
    if source_id:
        qs = qs.filter(source_id=source_id)
    if no_source:
        qs = qs.filter(source__isnull=True)
    if product_id:
        with_product = DealLine.objects.filter(
            product_id=product_id, deal__deleted_at__isnull=True
        ).values("deal__lead_id")
        qs = qs.filter(pk__in=with_product)
    qs = _in_days(qs, "created_at", created_from, created_to)
    deals = Deal.objects.filter(lead_id=OuterRef("pk"))
    if with_deal:
        qs = qs.filter(Exists(deals))
    if with_won_deal:
        qs = qs.filter(Exists(deals.filter(status=Deal.Status.WON)))
    return qs


def deal_card(user: Any, pk: int) -> Deal:
    """One visible deal with its lines and stage history; raises DoesNotExist otherwise."""
    return (
        deals_visible_to(user)
        .select_related(
            "pipeline",
            "stage",
            "owner",
            "company",
            "contact",
            "lead",
            "lost_reason",
            "source",
            "created_by",
        )
        .prefetch_related(
            Prefetch("lines", queryset=DealLine.objects.select_related("product")),
            Prefetch(
                "stage_history",
                queryset=StageHistory.objects.select_related(
                    "from_stage", "to_stage", "moved_by"
                ).order_by("-moved_at", "-pk"),
            ),
            Prefetch("pipeline__stages", queryset=Stage.objects.order_by("position", "pk")),
        )
        .get(pk=pk)
    )


def lead_card(user: Any, pk: int) -> Lead:
    return (
        leads_visible_to(user)
        .select_related("owner", "source", "company", "contact", "rejection_reason", "created_by")
        .prefetch_related(Prefetch("deals", queryset=Deal.objects.select_related("stage")))
        .get(pk=pk)
    )


def _start_of(day: date) -> datetime:
    """Midnight at the start of ``day`` in the organisation's time zone."""
    return timezone.make_aware(datetime.combine(day, time.min), org.current().tz)


@dataclass
class BoardColumn:
    stage: Stage
    count: int
    total: Decimal
    deals: list[Deal]
    more: int
    closed_since: date | None = None  # won/lost columns show deals closed since this day


BOARD_CLOSED_DAYS = 30
CLOSED_CARDS = 10  # a glance at what just closed; the list link shows the rest


def board(
    user: Any,
    pipeline: Pipeline,
    *,
    per_column: int = 20,
    owner_id: int | None = None,
    q: str = "",
    closed_days: int = BOARD_CLOSED_DAYS,
) -> list[BoardColumn]:
    """The kanban of one pipeline: per stage the count, sum and the newest cards.

    Open stages hold every open deal; the won and lost columns hold the deals closed
    in the last ``closed_days`` days — years of closed deals are history, not work.
    The open columns' counts and sums come from the incrementally kept stage totals
    (a search falls back to counting the matching deals); the closed columns' from
    one grouped query over the recent window; cards from one bounded query per
    stage, served by the (stage, stage_entered_at) index.
    """
    stages = list(pipeline.stages.order_by("position", "pk"))
    stages = [s for s in stages if s.kind == "open"] + [s for s in stages if s.kind != "open"]
    since = timezone.localdate(timezone=org.current().tz) - timedelta(days=closed_days)
    qs = deal_list(user, pipeline_id=pipeline.pk, owner_id=owner_id, q=q)
    if q:
        on_board = Q(status=Deal.Status.OPEN) | Q(closed_at__gte=_start_of(since))
        totals = _stage_sums(qs.filter(on_board))
    else:
        totals = {}
        for kept in (
            StageTotal.objects.all(),
            ClosedDayTotal.objects.filter(day__gte=since),
        ):
            kept = kept.filter(owner_q(user, Family.DEALS), stage__pipeline=pipeline)
            if owner_id:
                kept = kept.filter(owner_id=owner_id)
            for row in kept.values("stage_id").annotate(n=Sum("count"), total=Sum("amount")):
                totals[row["stage_id"]] = row
    columns = []
    for stage in stages:
        agg = totals.get(stage.pk, {"n": 0, "total": Decimal("0")})
        closed = stage.kind != "open"
        cards: list[Deal] = []
        if per_column:
            stage_qs = qs.filter(stage=stage)
            if closed:
                stage_qs = stage_qs.filter(closed_at__gte=_start_of(since))
            limit = min(per_column, CLOSED_CARDS) if closed else per_column
            cards = list(stage_qs.order_by("-stage_entered_at", "-id")[:limit])
        columns.append(
            BoardColumn(
                stage=stage,
                count=agg["n"],
                total=(agg["total"] or Decimal("0")).quantize(Decimal("0.01")),
                deals=cards,
                more=max(agg["n"] - len(cards), 0),
                closed_since=since if closed else None,
            )
        )
    return columns


def _stage_sums(qs: QuerySet[Deal]) -> dict[int, dict[str, Any]]:
    """Count and sum in the base currency (rounded per deal) of ``qs`` by stage."""
    rows = (
        qs.order_by()
        .values("stage_id")
        .annotate(
            n=Count("id"),
            total=Sum(Round(F("amount") * F("exchange_rate"), 2), output_field=MONEY_SUM),
        )
    )
    return {row["stage_id"]: row for row in rows}


def stage_history(deal: Deal) -> QuerySet[StageHistory]:
    return deal.stage_history.select_related("from_stage", "to_stage", "moved_by").order_by(
        "-moved_at", "-pk"
    )


def deals_of_client(user: Any, *, company: Any = None, contact: Any = None) -> QuerySet[Deal]:
    qs = deals_visible_to(user).select_related("stage", "owner")
    if company is not None:
        return qs.filter(company=company)
    return qs.filter(contact=contact)


def default_pipeline() -> Pipeline | None:
    return Pipeline.objects.filter(is_active=True).order_by("-is_default", "position", "pk").first()


def pipelines_in_settings_for(user: Any) -> QuerySet[Pipeline]:
    """Pipelines as the settings show them: all, switched-off ones included, to those who
    configure them (so they can switch them back on); the active ones to everyone else."""
    if sees_everything(user):
        return Pipeline.objects.all()
    return pipelines_visible_to(user)


def stages_visible_to(user: Any) -> QuerySet[Stage]:
    """Stages of the pipelines ``user`` may read."""
    return Stage.objects.filter(pipeline__in=pipelines_in_settings_for(user)).select_related(
        "pipeline"
    )


def lead_sources_visible_to(user: Any) -> QuerySet[LeadSource]:
    """Lead sources are configuration: every active user reads them, inactive ones too."""
    if not (user is not None and user.is_authenticated and user.is_active):
        return LeadSource.objects.none()
    return LeadSource.objects.all()


def lost_reasons_visible_to(user: Any) -> QuerySet[LostReason]:
    """Lost reasons are configuration: every active user reads them."""
    if not (user is not None and user.is_authenticated and user.is_active):
        return LostReason.objects.none()
    return LostReason.objects.all()


def product_categories_visible_to(user: Any) -> QuerySet[ProductCategory]:
    if not (user is not None and user.is_authenticated and user.is_active):
        return ProductCategory.objects.none()
    return ProductCategory.objects.all()
