"""Writes of companies and contacts: one function per business operation."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from voronka.clients import queries
from voronka.clients.models import Company, Contact, LifecycleStage, Tag
from voronka.core import events
from voronka.core import services as base
from voronka.core.text import normalize_email, normalize_phone, search_text
from voronka.core.visibility import Family, may_own

COMPANY_FIELDS = {
    "name", "tax_id", "website", "industry", "phone", "email", "address", "source",
    "lifecycle_stage", "owner", "notes",
}  # fmt: skip
CONTACT_FIELDS = {
    "first_name", "middle_name", "last_name", "company", "position", "phone", "email",
    "address", "source", "lifecycle_stage", "owner", "notes",
}  # fmt: skip


def _normalise(client: Company | Contact) -> None:
    client.phone_normalized = normalize_phone(client.phone)
    client.email_normalized = normalize_email(client.email)
    if isinstance(client, Company):
        client.tax_id = (client.tax_id or "").strip()
        client.search_text = search_text(client.name, client.tax_id, client.email_normalized)
    else:
        client.search_text = search_text(
            client.last_name, client.first_name, client.middle_name, client.email_normalized
        )


def _check_owner(actor: Any, owner: Any) -> None:
    if not may_own(actor, owner):
        raise ValidationError({"owner": _("You cannot make this user responsible.")})


def _check_company_unique(company: Company) -> None:
    duplicate = queries.company_duplicates(tax_id=company.tax_id, exclude_pk=company.pk).first()
    if duplicate is not None:
        raise ValidationError(
            {"tax_id": _("Company «%(name)s» already has this tax id.") % {"name": duplicate.name}}
        )


def _check_contact_unique(contact: Contact) -> None:
    if not contact.email_normalized:
        return
    duplicate = queries.contact_duplicates(
        email=contact.email_normalized, exclude_pk=contact.pk
    ).first()
    if duplicate is not None:
        raise ValidationError(
            {"email": _("Contact «%(name)s» already has this e-mail.") % {"name": duplicate}}
        )


def _set_tags(client: Company | Contact, tags: Iterable[str] | None) -> None:
    if tags is None:
        return
    names = sorted({t.strip() for t in tags if t and t.strip()})
    objs = [Tag.objects.get_or_create(name=name)[0] for name in names]
    client.tags.set(objs)


@transaction.atomic
def company_create(
    *, actor: Any, data: Mapping[str, Any], tags: Iterable[str] | None = None
) -> Company:
    """Create a company; the actor is responsible unless someone else is named."""
    base.reject_unknown(data, COMPANY_FIELDS)
    company = Company(**data)
    if company.owner_id is None and getattr(actor, "role", "") == "manager":
        company.owner = actor
    _check_owner(actor, company.owner)
    _normalise(company)
    base.validate(company, exclude=["created_by"])
    _check_company_unique(company)
    base.create(company, actor=actor)
    _set_tags(company, tags)
    events.emit(events.CLIENT_CREATED, company_id=company.pk, actor_id=actor.pk)
    return company


@transaction.atomic
def company_update(
    *,
    actor: Any,
    company: Company,
    version: int | None,
    data: Mapping[str, Any],
    tags: Iterable[str] | None = None,
) -> Company:
    """Change a company if ``version`` is still current."""
    base.reject_unknown(data, COMPANY_FIELDS)
    base.ensure_can_write(actor, Family.CLIENTS, company.owner_id)
    changed = base.apply_changes(company, data)
    if "owner" in changed:
        _check_owner(actor, company.owner)
    _normalise(company)
    base.validate(company, exclude=["created_by"])
    if "tax_id" in changed:
        _check_company_unique(company)
    fields = [*changed, "phone_normalized", "email_normalized", "search_text"]
    base.save_changes(company, actor=actor, version=version, fields=fields)
    _set_tags(company, tags)
    return company


@transaction.atomic
def company_delete(*, actor: Any, company: Company, version: int | None) -> Company:
    base.ensure_can_write(actor, Family.CLIENTS, company.owner_id)
    return base.soft_delete(company, actor=actor, version=version)


@transaction.atomic
def company_restore(*, actor: Any, company: Company) -> Company:
    return base.restore(company, actor=actor)


@transaction.atomic
def contact_create(
    *, actor: Any, data: Mapping[str, Any], tags: Iterable[str] | None = None
) -> Contact:
    """Create a contact, optionally of a company the actor can see."""
    base.reject_unknown(data, CONTACT_FIELDS)
    contact = Contact(**data)
    if contact.owner_id is None and getattr(actor, "role", "") == "manager":
        contact.owner = actor
    _check_owner(actor, contact.owner)
    _check_company_visible(actor, contact.company_id)
    _normalise(contact)
    base.validate(contact, exclude=["created_by"])
    _check_contact_unique(contact)
    base.create(contact, actor=actor)
    _set_tags(contact, tags)
    events.emit(events.CLIENT_CREATED, contact_id=contact.pk, actor_id=actor.pk)
    return contact


def _check_company_visible(actor: Any, company_id: int | None) -> None:
    if company_id and not queries.companies_visible_to(actor).filter(pk=company_id).exists():
        raise ValidationError({"company": _("No such company.")})


@transaction.atomic
def contact_update(
    *,
    actor: Any,
    contact: Contact,
    version: int | None,
    data: Mapping[str, Any],
    tags: Iterable[str] | None = None,
) -> Contact:
    base.reject_unknown(data, CONTACT_FIELDS)
    base.ensure_can_write(actor, Family.CLIENTS, contact.owner_id)
    changed = base.apply_changes(contact, data)
    if "owner" in changed:
        _check_owner(actor, contact.owner)
    if "company" in changed:
        _check_company_visible(actor, contact.company_id)
    _normalise(contact)
    base.validate(contact, exclude=["created_by"])
    if "email" in changed:
        _check_contact_unique(contact)
    fields = [*changed, "phone_normalized", "email_normalized", "search_text"]
    base.save_changes(contact, actor=actor, version=version, fields=fields)
    _set_tags(contact, tags)
    return contact


@transaction.atomic
def contact_delete(*, actor: Any, contact: Contact, version: int | None) -> Contact:
    base.ensure_can_write(actor, Family.CLIENTS, contact.owner_id)
    return base.soft_delete(contact, actor=actor, version=version)


@transaction.atomic
def contact_restore(*, actor: Any, contact: Contact) -> Contact:
    return base.restore(contact, actor=actor)


def lifecycle_after_purchases(current: str, won: int) -> str:
    """Purchases only ever move a client forward: customer, then repeat customer."""
    if won >= 2:
        return LifecycleStage.REPEAT_CUSTOMER
    if won == 1 and current != LifecycleStage.REPEAT_CUSTOMER:
        return LifecycleStage.CUSTOMER
    return current


@transaction.atomic
def client_refresh_lifecycle(*, company_id: int | None, contact_id: int | None) -> None:
    """Set the life-cycle stage of a deal's client from its won deals (a system change)."""
    from voronka.sales.models import Deal

    targets: list[tuple[Any, str]] = []
    if company_id:
        targets += [(c, "company") for c in Company.objects.filter(pk=company_id)]
    if contact_id:
        targets += [(c, "contact") for c in Contact.objects.filter(pk=contact_id)]
    for client, field in targets:
        won = Deal.objects.filter(**{field: client}, status=Deal.Status.WON).count()
        stage = lifecycle_after_purchases(client.lifecycle_stage, won)
        if stage != client.lifecycle_stage:
            client.lifecycle_stage = stage
            base.save_changes(
                client, actor=None, version=client.version, fields=["lifecycle_stage"],
                reason="purchase",
            )  # fmt: skip
