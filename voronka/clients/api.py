"""API: companies and contacts."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Query, Router, Status

from voronka.accounts.queries import users_visible_to
from voronka.clients import queries, services
from voronka.clients.schemas import (
    COMPANY_SORTS,
    CONTACT_SORTS,
    CompanyFilters,
    CompanyIn,
    CompanyOut,
    CompanyPage,
    CompanyPatch,
    ContactFilters,
    ContactIn,
    ContactOut,
    ContactPage,
    ContactPatch,
)
from voronka.core.api import Id, Version, actor, page, resolve_refs, responses
from voronka.sales.queries import lead_sources_visible_to

router = Router(tags=["clients"])

VERSION_DOC = "The version you read; a stale one answers 409 and changes nothing."


def _client_data(user: Any, payload: Any, **extra_refs: Any) -> dict[str, Any]:
    data = payload.model_dump(exclude_unset=True, exclude={"version", "tags"})
    return resolve_refs(
        data,
        owner=users_visible_to(user),
        source=lead_sources_visible_to(user),
        **extra_refs,
    )


# --- Companies ---------------------------------------------------------------------------


@router.get("/companies", response=responses({200: CompanyPage}, 400))
def company_list(request: HttpRequest, filters: Query[CompanyFilters]) -> Any:
    qs = queries.company_list(
        actor(request),
        q=filters.q,
        owner_id=filters.owner,
        lifecycle_stage=filters.lifecycle_stage or "",
        source_id=filters.source,
        tag=filters.tag,
    ).prefetch_related("tags")
    return page(qs, ordering=COMPANY_SORTS[filters.sort], params=filters)


@router.post("/companies", response=responses({201: CompanyOut}, 400, 403))
def company_create(request: HttpRequest, payload: CompanyIn) -> Any:
    user = actor(request)
    company = services.company_create(
        actor=user, data=_client_data(user, payload), tags=payload.tags
    )
    return Status(201, queries.company_card(user, company.pk))


@router.get("/companies/{company_id}", response=responses({200: CompanyOut}, 404))
def company_read(request: HttpRequest, company_id: Id) -> Any:
    return queries.company_card(actor(request), company_id)


@router.patch(
    "/companies/{company_id}",
    response=responses({200: CompanyOut}, 400, 403, 404, 409),
    description=VERSION_DOC,
)
def company_update(request: HttpRequest, company_id: Id, payload: CompanyPatch) -> Any:
    user = actor(request)
    company = queries.companies_visible_to(user).get(pk=company_id)
    services.company_update(
        actor=user,
        company=company,
        version=payload.version,
        data=_client_data(user, payload),
        tags=payload.tags,
    )
    return queries.company_card(user, company_id)


@router.delete(
    "/companies/{company_id}",
    response=responses({204: None}, 403, 404, 409),
    description="Moves the company to the trash. " + VERSION_DOC,
)
def company_delete(request: HttpRequest, company_id: Id, version: Version) -> Any:
    user = actor(request)
    company = queries.companies_visible_to(user).get(pk=company_id)
    services.company_delete(actor=user, company=company, version=version)
    return Status(204, None)


@router.post(
    "/companies/{company_id}/restore",
    response=responses({200: CompanyOut}, 403, 404),
    description="Brings a deleted company back (administrator and head of sales).",
)
def company_restore(request: HttpRequest, company_id: Id) -> Any:
    user = actor(request)
    company = queries.companies_visible_to(user, deleted=True).get(pk=company_id)
    services.company_restore(actor=user, company=company)
    return queries.company_card(user, company_id)


# --- Contacts ----------------------------------------------------------------------------


def _contact_data(user: Any, payload: Any) -> dict[str, Any]:
    return _client_data(user, payload, company=queries.companies_visible_to(user))


@router.get("/contacts", response=responses({200: ContactPage}, 400))
def contact_list(request: HttpRequest, filters: Query[ContactFilters]) -> Any:
    qs = queries.contact_list(
        actor(request),
        q=filters.q,
        owner_id=filters.owner,
        company_id=filters.company,
        lifecycle_stage=filters.lifecycle_stage or "",
        source_id=filters.source,
    ).prefetch_related("tags")
    return page(qs, ordering=CONTACT_SORTS[filters.sort], params=filters)


@router.post("/contacts", response=responses({201: ContactOut}, 400, 403))
def contact_create(request: HttpRequest, payload: ContactIn) -> Any:
    user = actor(request)
    contact = services.contact_create(
        actor=user, data=_contact_data(user, payload), tags=payload.tags
    )
    return Status(201, queries.contact_card(user, contact.pk))


@router.get("/contacts/{contact_id}", response=responses({200: ContactOut}, 404))
def contact_read(request: HttpRequest, contact_id: Id) -> Any:
    return queries.contact_card(actor(request), contact_id)


@router.patch(
    "/contacts/{contact_id}",
    response=responses({200: ContactOut}, 400, 403, 404, 409),
    description=VERSION_DOC,
)
def contact_update(request: HttpRequest, contact_id: Id, payload: ContactPatch) -> Any:
    user = actor(request)
    contact = queries.contacts_visible_to(user).get(pk=contact_id)
    services.contact_update(
        actor=user,
        contact=contact,
        version=payload.version,
        data=_contact_data(user, payload),
        tags=payload.tags,
    )
    return queries.contact_card(user, contact_id)


@router.delete(
    "/contacts/{contact_id}",
    response=responses({204: None}, 403, 404, 409),
    description="Moves the contact to the trash. " + VERSION_DOC,
)
def contact_delete(request: HttpRequest, contact_id: Id, version: Version) -> Any:
    user = actor(request)
    contact = queries.contacts_visible_to(user).get(pk=contact_id)
    services.contact_delete(actor=user, contact=contact, version=version)
    return Status(204, None)


@router.post(
    "/contacts/{contact_id}/restore",
    response=responses({200: ContactOut}, 403, 404),
    description="Brings a deleted contact back (administrator and head of sales).",
)
def contact_restore(request: HttpRequest, contact_id: Id) -> Any:
    user = actor(request)
    contact = queries.contacts_visible_to(user, deleted=True).get(pk=contact_id)
    services.contact_restore(actor=user, contact=contact)
    return queries.contact_card(user, contact_id)
