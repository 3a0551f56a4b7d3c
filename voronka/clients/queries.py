"""Reads of companies and contacts, scoped by who is asking."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from voronka.clients.models import Company, Contact
from voronka.core.search import contact_point_q
from voronka.core.visibility import Family, owner_q


def companies_visible_to(
    user: Any, *, write: bool = False, deleted: bool = False
) -> QuerySet[Company]:
    """Companies ``user`` may see (or change, with ``write``); with ``deleted``, the deleted."""
    manager = Company.all_objects if deleted else Company.objects
    qs = manager.filter(owner_q(user, Family.CLIENTS, write=write))
    return qs.filter(deleted_at__isnull=False) if deleted else qs


def contacts_visible_to(
    user: Any, *, write: bool = False, deleted: bool = False
) -> QuerySet[Contact]:
    manager = Contact.all_objects if deleted else Contact.objects
    qs = manager.filter(owner_q(user, Family.CLIENTS, write=write))
    return qs.filter(deleted_at__isnull=False) if deleted else qs


def no_contact_q(days: int | None, *, now: datetime | None = None) -> Q:
    """Records nobody has been in touch with for ``days`` days: never counts as not in touch."""
    if not days:
        return Q()
    since = (now or timezone.now()) - timedelta(days=days)
    return Q(last_contact_at__isnull=True) | Q(last_contact_at__lt=since)


def company_list(
    user: Any,
    *,
    q: str = "",
    owner_id: int | None = None,
    lifecycle_stage: str = "",
    source_id: int | None = None,
    tag: str = "",
    no_contact_days: int | None = None,
    now: datetime | None = None,
) -> QuerySet[Company]:
    """Visible companies matching the filters; ``no_contact_days`` keeps those with no
    interaction logged in that many days (or ever)."""
    qs = companies_visible_to(user).select_related("owner", "source")
    if no_contact_days:
        qs = qs.filter(no_contact_q(no_contact_days, now=now))
    if q:
        qs = qs.filter(contact_point_q(q) | Q(tax_id=q.strip()))
    if owner_id:
        qs = qs.filter(owner_id=owner_id)
    if lifecycle_stage:
        qs = qs.filter(lifecycle_stage=lifecycle_stage)
    if source_id:
        qs = qs.filter(source_id=source_id)
    if tag:
        qs = qs.filter(tags__name=tag)
    return qs


def contact_list(
    user: Any,
    *,
    q: str = "",
    owner_id: int | None = None,
    company_id: int | None = None,
    lifecycle_stage: str = "",
    source_id: int | None = None,
    tag: str = "",
    no_contact_days: int | None = None,
    now: datetime | None = None,
) -> QuerySet[Contact]:
    """Visible contacts matching the filters (``no_contact_days`` as in :func:`company_list`)."""
    qs = contacts_visible_to(user).select_related("owner", "company", "source")
    if no_contact_days:
        qs = qs.filter(no_contact_q(no_contact_days, now=now))
    if tag:
        qs = qs.filter(tags__name=tag)
    if q:
        qs = qs.filter(contact_point_q(q))
    if owner_id:
        qs = qs.filter(owner_id=owner_id)
    if company_id:
        qs = qs.filter(company_id=company_id)
    if lifecycle_stage:
        qs = qs.filter(lifecycle_stage=lifecycle_stage)
    if source_id:
        qs = qs.filter(source_id=source_id)
    return qs


def company_card(user: Any, pk: int) -> Company:
    """One visible company with what its card needs; raises DoesNotExist otherwise."""
    return (
        companies_visible_to(user)
        .select_related("owner", "source", "created_by")
        .prefetch_related("tags")
        .annotate(deal_count=Count("deals", filter=Q(deals__deleted_at__isnull=True)))
        .get(pk=pk)
    )


def contact_card(user: Any, pk: int) -> Contact:
    return (
        contacts_visible_to(user)
        .select_related("owner", "source", "company", "created_by")
        .prefetch_related("tags")
        .get(pk=pk)
    )


def company_duplicates(*, tax_id: str = "", exclude_pk: int | None = None) -> QuerySet[Company]:
    """Live companies with the same tax id: de-duplication ignores visibility."""
    if not tax_id:
        return Company.objects.none()
    return Company.objects.filter(tax_id=tax_id).exclude(pk=exclude_pk or 0)


def contact_duplicates(
    *, email: str = "", phone: str = "", exclude_pk: int | None = None
) -> QuerySet[Contact]:
    cond = Q(pk__in=[])
    if email:
        cond |= Q(email_normalized=email)
    if phone:
        cond |= Q(phone_normalized=phone)
    return Contact.objects.filter(cond).exclude(pk=exclude_pk or 0)
