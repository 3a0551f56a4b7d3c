"""Writes of leads, deals, pipelines and products: one function per business operation."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from voronka.analytics import facts as kpi_facts
from voronka.clients import services as client_services
from voronka.clients.models import Company, Contact
from voronka.core import events
from voronka.core import services as base
from voronka.core.errors import NotAllowed
from voronka.core.history import record_author
from voronka.core.locking import claim_version
from voronka.core.text import normalize_email, normalize_phone, search_text
from voronka.core.visibility import Family, can_write, may_own, sees_everything
from voronka.sales import queries, rollups
from voronka.sales.models import (
    Deal,
    DealLine,
    Lead,
    LeadSource,
    LostReason,
    Pipeline,
    Product,
    Stage,
    StageHistory,
    StageKind,
)

LEAD_FIELDS = {
    "title", "contact_name", "company_name", "phone", "email", "tax_id", "source", "status",
    "owner", "company", "contact", "external_id", "utm_source", "utm_medium", "utm_campaign",
    "utm_term", "utm_content", "notes",
}  # fmt: skip
DEAL_FIELDS = {
    "title", "pipeline", "stage", "company", "contact", "lead", "owner", "amount", "currency",
    "exchange_rate", "expected_close_date", "source", "notes",
}  # fmt: skip
PRODUCT_FIELDS = {
    "name", "sku", "category", "price", "currency", "is_active", "external_id", "unit", "stock",
    "vat_rate",
}  # fmt: skip


def _check_owner(actor: Any, owner: Any) -> None:
    if not may_own(actor, owner):
        raise ValidationError({"owner": _("You cannot make this user responsible.")})


def _check_client_visible(actor: Any, company: Company | None, contact: Contact | None) -> None:
    from voronka.clients.queries import companies_visible_to, contacts_visible_to

    if company is not None and not companies_visible_to(actor).filter(pk=company.pk).exists():
        raise ValidationError({"company": _("No such company.")})
    if contact is not None and not contacts_visible_to(actor).filter(pk=contact.pk).exists():
        raise ValidationError({"contact": _("No such contact.")})


# --- Leads ---------------------------------------------------------------------------


def _normalise_lead(lead: Lead) -> None:
    lead.phone_normalized = normalize_phone(lead.phone)
    lead.email_normalized = normalize_email(lead.email)
    lead.tax_id = (lead.tax_id or "").strip()
    lead.search_text = search_text(
        lead.title, lead.contact_name, lead.company_name, lead.email_normalized
    )


def link_known_client(lead: Lead) -> None:
    """De-duplication: a lead from a known company or contact is linked to it."""
    if lead.company_id is None and lead.tax_id:
        lead.company = Company.objects.filter(tax_id=lead.tax_id).order_by("pk").first()
    if lead.contact_id is None and (lead.email_normalized or lead.phone_normalized):
        from voronka.clients.queries import contact_duplicates

        lead.contact = (
            contact_duplicates(email=lead.email_normalized, phone=lead.phone_normalized)
            .order_by("pk")
            .first()
        )
        if lead.contact is not None and lead.company_id is None:
            lead.company_id = lead.contact.company_id


@transaction.atomic
def lead_create(*, actor: Any, data: Mapping[str, Any]) -> Lead:
    """Register a lead from any channel, linked to the client it comes from if known."""
    base.reject_unknown(data, LEAD_FIELDS)
    lead = Lead(**data)
    facts_before = kpi_facts.snapshot(lead=lead)
    if lead.owner_id is None and getattr(actor, "role", "") == "manager":
        lead.owner = actor
    if lead.owner_id is not None or not sees_everything(actor):
        _check_owner(actor, lead.owner)
    if lead.status not in (Lead.Status.NEW, Lead.Status.IN_PROGRESS):
        raise ValidationError({"status": _("Qualify or reject a lead with its own action.")})
    _normalise_lead(lead)
    base.validate(lead, exclude=["created_by"])
    link_known_client(lead)
    base.create(lead, actor=actor)
    kpi_facts.settle(facts_before, lead=lead)
    events.emit(events.LEAD_CREATED, lead_id=lead.pk, actor_id=getattr(actor, "pk", None))
    return lead


@transaction.atomic
def lead_update(*, actor: Any, lead: Lead, version: int | None, data: Mapping[str, Any]) -> Lead:
    base.reject_unknown(data, LEAD_FIELDS)
    base.ensure_can_write(actor, Family.LEADS, lead.owner_id)
    if (
        "status" in data
        and data["status"] != lead.status
        and data["status"]
        not in (
            Lead.Status.NEW,
            Lead.Status.IN_PROGRESS,
        )
    ):
        raise ValidationError({"status": _("Qualify or reject a lead with its own action.")})
    facts_before = kpi_facts.snapshot(lead=lead)
    changed = base.apply_changes(lead, data)
    if "owner" in changed:
        _check_owner(actor, lead.owner)
    _normalise_lead(lead)
    base.validate(lead, exclude=["created_by"])
    fields = [*changed, "phone_normalized", "email_normalized", "search_text", "tax_id"]
    base.save_changes(lead, actor=actor, version=version, fields=fields)
    kpi_facts.settle(facts_before, lead=lead)
    return lead


@transaction.atomic
def lead_delete(*, actor: Any, lead: Lead, version: int | None) -> Lead:
    base.ensure_can_write(actor, Family.LEADS, lead.owner_id)
    facts_before = kpi_facts.snapshot(lead=lead)
    base.soft_delete(lead, actor=actor, version=version)
    kpi_facts.settle(facts_before, lead=lead)
    return lead


@transaction.atomic
def lead_restore(*, actor: Any, lead: Lead) -> Lead:
    facts_before = kpi_facts.snapshot(lead=lead)
    base.restore(lead, actor=actor)
    kpi_facts.settle(facts_before, lead=lead)
    return lead


def _split_name(full: str) -> tuple[str, str, str]:
    """Russian order: last name, first name, patronymic."""
    parts = full.split()
    if len(parts) == 1:
        return parts[0], "", ""
    if len(parts) == 2:
        return parts[1], "", parts[0]
    return parts[1], " ".join(parts[2:]), parts[0]


@transaction.atomic
def lead_qualify(
    *,
    actor: Any,
    lead: Lead,
    version: int | None,
    pipeline: Pipeline | None = None,
    title: str = "",
    amount: Decimal | None = None,
    expected_close_date: Any = None,
    company: Company | None = None,
    contact: Contact | None = None,
) -> Deal:
    """Turn a lead into a deal in one step, creating or linking the client.

    The client is, in order: the company/contact given, the one the lead is
    linked to, or a new company and contact made from the lead's own fields.
    """
    base.ensure_can_write(actor, Family.LEADS, lead.owner_id)
    if not lead.is_open:
        raise ValidationError({"status": _("Only a new or in-progress lead can be qualified.")})
    pipeline = pipeline or queries.default_pipeline()
    if pipeline is None:
        raise ValidationError({"pipeline": _("Create a pipeline first.")})
    owner = lead.owner or actor
    company = company or lead.company
    contact = contact or lead.contact
    _check_client_visible(
        actor,
        company if company != lead.company else None,
        contact if contact != lead.contact else None,
    )
    if company is None and lead.company_name:
        company = client_services.company_create(
            actor=actor,
            data={
                "name": lead.company_name, "tax_id": lead.tax_id, "source": lead.source,
                "owner": owner, "lifecycle_stage": "negotiation",
            },
        )  # fmt: skip
    if contact is None and (lead.contact_name or company is None):
        first, middle, last = _split_name(lead.contact_name or lead.title)
        contact = client_services.contact_create(
            actor=actor,
            data={
                "first_name": first, "middle_name": middle, "last_name": last,
                "company": company, "phone": lead.phone, "email": lead.email,
                "source": lead.source, "owner": owner, "lifecycle_stage": "negotiation",
            },
        )  # fmt: skip
    deal = deal_create(
        actor=actor,
        data={
            "title": title or lead.title,
            "pipeline": pipeline,
            "company": company,
            "contact": contact,
            "lead": lead,
            "owner": owner,
            "amount": amount if amount is not None else Decimal("0"),
            "expected_close_date": expected_close_date,
            "source": lead.source,
        },
    )
    lead.status = Lead.Status.QUALIFIED
    lead.qualified_at = timezone.now()
    lead.company = company
    lead.contact = contact
    base.save_changes(
        lead,
        actor=actor,
        version=version,
        fields=["status", "qualified_at", "company", "contact"],
        reason="qualified",
    )
    events.emit(events.LEAD_QUALIFIED, lead_id=lead.pk, deal_id=deal.pk, actor_id=actor.pk)
    return deal


@transaction.atomic
def lead_reject(
    *,
    actor: Any,
    lead: Lead,
    version: int | None,
    reason: LostReason | None,
    comment: str = "",
) -> Lead:
    """Close a lead as not a client, with the reason why."""
    base.ensure_can_write(actor, Family.LEADS, lead.owner_id)
    if not lead.is_open:
        raise ValidationError({"status": _("Only a new or in-progress lead can be rejected.")})
    if reason is None:
        raise ValidationError({"reason": _("Say why the lead is rejected.")})
    lead.status = Lead.Status.REJECTED
    lead.rejected_at = timezone.now()
    lead.rejection_reason = reason
    lead.rejection_comment = comment.strip()
    base.save_changes(
        lead,
        actor=actor,
        version=version,
        fields=["status", "rejected_at", "rejection_reason", "rejection_comment"],
        reason="rejected",
    )
    events.emit(events.LEAD_REJECTED, lead_id=lead.pk, actor_id=actor.pk)
    return lead


# --- Deals ---------------------------------------------------------------------------


def _deal_search_text(deal: Deal) -> str:
    return search_text(
        deal.title,
        deal.company.name if deal.company else "",
        deal.contact.full_name if deal.contact else "",
    )


def _validate_deal(deal: Deal) -> None:
    errors: dict[str, str] = {}
    if deal.company_id is None and deal.contact_id is None:
        errors["company"] = _("A deal needs a client: a company or a contact.")
    if deal.stage_id and deal.pipeline_id and deal.stage.pipeline_id != deal.pipeline_id:
        errors["stage"] = _("This stage belongs to another pipeline.")
    contact = deal.contact if deal.contact_id else None
    if (
        contact is not None
        and deal.company_id
        and contact.company_id not in (None, deal.company_id)
    ):
        errors["contact"] = _("This contact works for another company.")
    if errors:
        raise ValidationError(errors)


def _enter_stage(deal: Deal, stage: Stage, *, from_stage: Stage | None) -> None:
    """Set the stage and what follows from it: status, time entered, time closed."""
    now = timezone.now()
    deal.stage = stage
    deal.stage_entered_at = now
    deal.status = stage.kind
    if stage.kind == StageKind.OPEN:
        deal.closed_at = None
    elif from_stage is None or from_stage.kind != stage.kind:
        deal.closed_at = now


def _record_stage_entry(deal: Deal, *, actor: Any, from_stage: Stage | None) -> None:
    StageHistory.objects.create(
        deal=deal,
        from_stage=from_stage,
        to_stage=deal.stage,
        moved_by=actor if getattr(actor, "pk", None) else None,
        moved_at=deal.stage_entered_at or timezone.now(),
    )


@transaction.atomic
def deal_create(
    *,
    actor: Any,
    data: Mapping[str, Any],
    lines: Iterable[Mapping[str, Any]] = (),
) -> Deal:
    """Open a deal in its pipeline's first stage (or the stage given)."""
    base.reject_unknown(data, DEAL_FIELDS)
    deal = Deal(**{k: v for k, v in data.items() if k != "stage"})
    facts_before = kpi_facts.snapshot(lead=deal.lead)
    if deal.owner_id is None and getattr(actor, "role", "") == "manager":
        deal.owner = actor
    if deal.owner_id is None:
        deal.owner = actor
    _check_owner(actor, deal.owner)
    _check_client_visible(actor, deal.company, deal.contact)
    if deal.pipeline_id is None:
        deal.pipeline = queries.default_pipeline()  # type: ignore[assignment]
        if deal.pipeline is None:
            raise ValidationError({"pipeline": _("Create a pipeline first.")})
    stage = data.get("stage") or deal.pipeline.stages.order_by("position", "pk").first()
    if stage is None:
        raise ValidationError({"stage": _("The pipeline has no stages.")})
    deal.stage = stage
    _validate_deal(deal)
    if stage.kind == StageKind.LOST:
        raise ValidationError({"stage": _("A new deal cannot start lost.")})
    deal.search_text = _deal_search_text(deal)
    _enter_stage(deal, stage, from_stage=None)
    base.validate(deal, exclude=["created_by"])
    base.create(deal, actor=actor)
    _record_stage_entry(deal, actor=actor, from_stage=None)
    for line in lines:
        _line_create(deal, line)
    if lines:
        _recalculate_amount(deal)
        Deal.all_objects.filter(pk=deal.pk).update(amount=deal.amount)
    rollups.board_apply(None, rollups.board_state(deal))
    kpi_facts.settle(facts_before, deal=deal)
    events.emit(events.DEAL_CREATED, deal_id=deal.pk, actor_id=actor.pk)
    return deal


@transaction.atomic
def deal_update(*, actor: Any, deal: Deal, version: int | None, data: Mapping[str, Any]) -> Deal:
    """Change a deal's fields. Stage changes go through :func:`deal_move_stage`."""
    base.reject_unknown(data, DEAL_FIELDS - {"stage", "pipeline", "lead"})
    base.ensure_can_write(actor, Family.DEALS, deal.owner_id)
    before = rollups.board_state(deal)
    facts_before = kpi_facts.snapshot(deal=deal)
    changed = base.apply_changes(deal, data)
    if "owner" in changed:
        _check_owner(actor, deal.owner)
    if "company" in changed or "contact" in changed:
        _check_client_visible(
            actor,
            deal.company if "company" in changed else None,
            deal.contact if "contact" in changed else None,
        )
    if "amount" in changed and deal.lines.exists():
        raise ValidationError({"amount": _("The amount is the sum of the product lines.")})
    _validate_deal(deal)
    deal.search_text = _deal_search_text(deal)
    base.validate(deal, exclude=["created_by"])
    base.save_changes(deal, actor=actor, version=version, fields=[*changed, "search_text"])
    rollups.board_apply(before, rollups.board_state(deal))
    kpi_facts.settle(facts_before, deal=deal)
    return deal


@transaction.atomic
def deal_move_stage(
    *,
    actor: Any,
    deal: Deal,
    stage: Stage,
    version: int | None,
    amount: Decimal | None = None,
    lost_reason: LostReason | None = None,
    lost_comment: str = "",
) -> Deal:
    """Move a deal to another stage of its pipeline and record the move.

    Winning may set the final amount; losing needs a reason. Moving a closed deal
    back to an open stage reopens it.
    """
    base.ensure_can_write(actor, Family.DEALS, deal.owner_id)
    if stage.pipeline_id != deal.pipeline_id:
        raise ValidationError({"stage": _("This stage belongs to another pipeline.")})
    if stage.pk == deal.stage_id:
        claim_version(deal, version)  # still refuse a stale move, even a no-op one
        return deal
    before = rollups.board_state(deal)
    facts_before = kpi_facts.snapshot(deal=deal)
    fields = ["stage", "stage_entered_at", "status", "closed_at"]
    if stage.kind == StageKind.LOST:
        if lost_reason is None:
            raise ValidationError({"lost_reason": _("Say why the deal was lost.")})
        deal.lost_reason = lost_reason
        deal.lost_comment = lost_comment.strip()
        fields += ["lost_reason", "lost_comment"]
    elif deal.lost_reason_id is not None:
        deal.lost_reason = None
        deal.lost_comment = ""
        fields += ["lost_reason", "lost_comment"]
    if stage.kind == StageKind.WON and amount is not None:
        if amount < 0:
            raise ValidationError({"amount": _("The amount cannot be negative.")})
        if deal.lines.exists() and amount != deal.amount:
            raise ValidationError({"amount": _("The amount is the sum of the product lines.")})
        deal.amount = amount
        fields.append("amount")
    from_stage = deal.stage
    claim_version(deal, version)
    _enter_stage(deal, stage, from_stage=from_stage)
    _record_stage_entry(deal, actor=actor, from_stage=from_stage)
    record_author(deal, actor, "stage")
    deal.save(update_fields=[*fields, "version", "updated_at"])
    rollups.board_apply(before, rollups.board_state(deal))
    kpi_facts.settle(facts_before, deal=deal)
    events.emit(
        events.DEAL_STAGE_CHANGED,
        deal_id=deal.pk,
        from_stage_id=from_stage.pk,
        to_stage_id=stage.pk,
        actor_id=actor.pk,
    )
    if stage.kind == StageKind.WON and from_stage.kind != StageKind.WON:
        events.emit(events.DEAL_WON, deal_id=deal.pk, actor_id=actor.pk)
    elif stage.kind == StageKind.LOST and from_stage.kind != StageKind.LOST:
        events.emit(events.DEAL_LOST, deal_id=deal.pk, actor_id=actor.pk)
    return deal


@transaction.atomic
def deal_delete(*, actor: Any, deal: Deal, version: int | None) -> Deal:
    base.ensure_can_write(actor, Family.DEALS, deal.owner_id)
    before = rollups.board_state(deal)
    facts_before = kpi_facts.snapshot(deal=deal)
    base.soft_delete(deal, actor=actor, version=version)
    rollups.board_apply(before, rollups.board_state(deal))
    kpi_facts.settle(facts_before, deal=deal)
    return deal


@transaction.atomic
def deal_restore(*, actor: Any, deal: Deal) -> Deal:
    before = rollups.board_state(deal)
    facts_before = kpi_facts.snapshot(deal=deal)
    base.restore(deal, actor=actor)
    rollups.board_apply(before, rollups.board_state(deal))
    kpi_facts.settle(facts_before, deal=deal)
    return deal


# --- Deal lines ----------------------------------------------------------------------


def _line_create(deal: Deal, data: Mapping[str, Any]) -> DealLine:
    base.reject_unknown(data, {"product", "quantity", "price", "discount_percent"})
    product = data["product"]
    line = DealLine(
        deal=deal,
        product=product,
        quantity=data.get("quantity") or Decimal("1"),
        price=data["price"] if data.get("price") is not None else product.price,
        discount_percent=data.get("discount_percent") or Decimal("0"),
    )
    line.full_clean(exclude=["deal"])
    line.save()
    return line


def _recalculate_amount(deal: Deal) -> None:
    # A fresh query, not deal.lines.all(): the caller's deal may carry prefetched lines.
    lines = DealLine.objects.filter(deal=deal)
    deal.amount = sum((line.total for line in lines), Decimal("0"))


@transaction.atomic
def deal_line_add(
    *, actor: Any, deal: Deal, version: int | None, line: Mapping[str, Any]
) -> DealLine:
    """Add a product line; the deal's amount becomes the sum of its lines."""
    base.ensure_can_write(actor, Family.DEALS, deal.owner_id)
    before = rollups.board_state(deal)
    facts_before = kpi_facts.snapshot(deal=deal)
    created = _line_create(deal, line)
    _recalculate_amount(deal)
    base.save_changes(deal, actor=actor, version=version, fields=["amount"], reason="lines")
    rollups.board_apply(before, rollups.board_state(deal))
    kpi_facts.settle(facts_before, deal=deal)
    return created


@transaction.atomic
def deal_line_remove(*, actor: Any, deal: Deal, version: int | None, line_id: int) -> None:
    base.ensure_can_write(actor, Family.DEALS, deal.owner_id)
    before = rollups.board_state(deal)
    facts_before = kpi_facts.snapshot(deal=deal)
    deleted, _n = deal.lines.filter(pk=line_id).delete()
    if not deleted:
        raise ValidationError({"line": _("No such line.")})
    _recalculate_amount(deal)
    base.save_changes(deal, actor=actor, version=version, fields=["amount"], reason="lines")
    rollups.board_apply(before, rollups.board_state(deal))
    kpi_facts.settle(facts_before, deal=deal)


# --- Catalogue: products, pipelines, stages, sources -------------------------------------


def _ensure_configurator(actor: Any) -> None:
    if not can_write(actor, Family.CATALOG, None):
        raise NotAllowed(_("Only an administrator or the head of sales changes this."))


@transaction.atomic
def product_create(*, actor: Any, data: Mapping[str, Any]) -> Product:
    _ensure_configurator(actor)
    base.reject_unknown(data, PRODUCT_FIELDS)
    product = Product(**data)
    base.validate(product, exclude=["created_by"])
    return base.create(product, actor=actor)


@transaction.atomic
def product_update(
    *, actor: Any, product: Product, version: int | None, data: Mapping[str, Any]
) -> Product:
    _ensure_configurator(actor)
    base.reject_unknown(data, PRODUCT_FIELDS)
    changed = base.apply_changes(product, data)
    base.validate(product, exclude=["created_by"])
    return base.save_changes(product, actor=actor, version=version, fields=changed)


@transaction.atomic
def product_delete(*, actor: Any, product: Product, version: int | None) -> Product:
    _ensure_configurator(actor)
    return base.soft_delete(product, actor=actor, version=version)


@transaction.atomic
def pipeline_create(
    *, actor: Any, name: str, stages: Iterable[Mapping[str, Any]] = (), is_default: bool = False
) -> Pipeline:
    """A pipeline with its stages in the given order."""
    _ensure_configurator(actor)
    pipeline = Pipeline(
        name=name.strip(),
        is_default=is_default,
        position=(Pipeline.objects.aggregate(m=Max("position"))["m"] or 0) + 1,
    )
    pipeline.full_clean()
    pipeline.save()
    for data in stages:
        stage_create(actor=actor, pipeline=pipeline, data=data)
    if is_default:
        Pipeline.objects.exclude(pk=pipeline.pk).update(is_default=False)
    return pipeline


@transaction.atomic
def pipeline_update(*, actor: Any, pipeline: Pipeline, data: Mapping[str, Any]) -> Pipeline:
    _ensure_configurator(actor)
    base.reject_unknown(data, {"name", "position", "is_default", "is_active"})
    for name, value in data.items():
        setattr(pipeline, name, value)
    pipeline.full_clean()
    pipeline.save()
    if pipeline.is_default:
        Pipeline.objects.exclude(pk=pipeline.pk).update(is_default=False)
    return pipeline


@transaction.atomic
def stage_create(*, actor: Any, pipeline: Pipeline, data: Mapping[str, Any]) -> Stage:
    _ensure_configurator(actor)
    base.reject_unknown(data, {"name", "position", "probability", "kind"})
    position = data.get("position")
    if position is None:
        position = (pipeline.stages.aggregate(m=Max("position"))["m"] or 0) + 1
    stage = Stage(pipeline=pipeline, **{**data, "position": position})
    stage.full_clean()
    stage.save()
    return stage


@transaction.atomic
def stage_update(*, actor: Any, stage: Stage, data: Mapping[str, Any]) -> Stage:
    _ensure_configurator(actor)
    base.reject_unknown(data, {"name", "position", "probability", "kind"})
    if "kind" in data and data["kind"] != stage.kind and stage.deals.exists():
        raise ValidationError({"kind": _("Move the deals out of this stage first.")})
    for name, value in data.items():
        setattr(stage, name, value)
    stage.full_clean()
    stage.save()
    return stage


@transaction.atomic
def stage_delete(*, actor: Any, stage: Stage) -> None:
    _ensure_configurator(actor)
    if (
        Deal.all_objects.filter(stage=stage).exists()
        or StageHistory.objects.filter(to_stage=stage).exists()
    ):
        raise ValidationError({"stage": _("Stages that deals have been in cannot be deleted.")})
    stage.delete()


@transaction.atomic
def lead_source_create(*, actor: Any, name: str, kind: str = LeadSource.Kind.OTHER) -> LeadSource:
    _ensure_configurator(actor)
    source = LeadSource(name=name.strip(), kind=kind)
    source.full_clean()
    source.save()
    return source
