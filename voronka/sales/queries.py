"""Reads of leads, deals, pipelines and products, scoped by who is asking."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from django.db.models import Count, F, Prefetch, Q, QuerySet, Sum
from django.utils import timezone

from voronka.core.text import looks_like_phone, normalize_email, phone_query, search_term
from voronka.core.visibility import Family, owner_q, sees_everything
from voronka.sales.models import (
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
)

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


def _text_q(term: str) -> Q:
    term = term.strip()
    if "@" in term:
        email = normalize_email(term)
        return Q(email_normalized__startswith=email)
    if looks_like_phone(term):
        digits = phone_query(term)
        return (
            Q(phone_normalized=digits)
            if len(digits) >= 11
            else Q(phone_normalized__contains=digits)
        )
    return Q(search_text__contains=search_term(term))


def _deal_text_q(term: str) -> Q:
    """Deal title or client name; a phone or e-mail finds the client's deals."""
    term = term.strip()
    if "@" in term or looks_like_phone(term):
        client = _text_q(term)
        return Q(company__in=_clients("Company", client)) | Q(
            contact__in=_clients("Contact", client)
        )
    return Q(search_text__contains=search_term(term))


def _clients(model: str, cond: Q) -> QuerySet:
    from voronka.clients import models as client_models

    return getattr(client_models, model).objects.filter(cond).values("pk")


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
    source_id: int | None = None,
    overdue: bool = False,
    amount_min: Decimal | None = None,
    amount_max: Decimal | None = None,
    today: date | None = None,
) -> QuerySet[Deal]:
    """Visible deals matching the filters, with what a list row shows."""
    qs = deals_visible_to(user).select_related("stage", "owner", "company", "contact", "pipeline")
    if q:
        qs = qs.filter(_deal_text_q(q))
    if status:
        qs = qs.filter(status=status)
    if pipeline_id:
        qs = qs.filter(pipeline_id=pipeline_id)
    if stage_id:
        qs = qs.filter(stage_id=stage_id)
    if owner_id:
        qs = qs.filter(owner_id=owner_id)
    if team_id:
        qs = qs.filter(owner__team_id=team_id)
    if company_id:
        qs = qs.filter(company_id=company_id)
    if contact_id:
        qs = qs.filter(contact_id=contact_id)
    if source_id:
        qs = qs.filter(source_id=source_id)
    if overdue:
        qs = qs.filter(
            status=Deal.Status.OPEN, expected_close_date__lt=today or timezone.localdate()
        )
    if amount_min is not None:
        qs = qs.filter(amount__gte=amount_min)
    if amount_max is not None:
        qs = qs.filter(amount__lte=amount_max)
    return qs


def lead_list(
    user: Any,
    *,
    q: str = "",
    status: str = "",
    owner_id: int | None = None,
    source_id: int | None = None,
) -> QuerySet[Lead]:
    qs = leads_visible_to(user).select_related("owner", "source")
    if q:
        qs = qs.filter(_text_q(q))
    if status:
        qs = qs.filter(status=status)
    if owner_id:
        qs = qs.filter(owner_id=owner_id)
    if source_id:
        qs = qs.filter(source_id=source_id)
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


@dataclass
class BoardColumn:
    stage: Stage
    count: int
    total: Decimal
    deals: list[Deal]
    more: int


def board(
    user: Any,
    pipeline: Pipeline,
    *,
    per_column: int = 50,
    owner_id: int | None = None,
    q: str = "",
    show_closed: bool = False,
) -> list[BoardColumn]:
    """The kanban of one pipeline: per stage the count, sum and the newest cards.

    Counts and sums come from one grouped query; cards from one query per stage,
    each bounded, so a stage with 100 000 deals costs what one with 50 costs.
    """
    stages = list(pipeline.stages.order_by("position", "pk"))
    if not show_closed:
        stages = [s for s in stages if s.kind == "open"] + [s for s in stages if s.kind != "open"]
    qs = deal_list(user, pipeline_id=pipeline.pk, owner_id=owner_id, q=q)
    totals = {
        row["stage_id"]: row
        for row in qs.order_by()
        .values("stage_id")
        .annotate(n=Count("id"), total=Sum(F("amount") * F("exchange_rate")))
    }
    columns = []
    for stage in stages:
        agg = totals.get(stage.pk, {"n": 0, "total": Decimal("0")})
        limit = per_column if stage.kind == "open" or show_closed else min(per_column, 10)
        cards = list(qs.filter(stage=stage).order_by("-stage_entered_at", "-id")[:limit])
        columns.append(
            BoardColumn(
                stage=stage,
                count=agg["n"],
                total=(agg["total"] or Decimal("0")).quantize(Decimal("0.01")),
                deals=cards,
                more=max(agg["n"] - len(cards), 0),
            )
        )
    return columns


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
