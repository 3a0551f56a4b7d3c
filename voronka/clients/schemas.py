"""API shapes of companies and contacts."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from ninja import Field, Schema

from voronka.core.api import Id, ListParams, PageOut, Ref, Text, Version, optional

TagName = Annotated[Text, Field(max_length=80)]
# Spelled out for type checkers; a test keeps them equal to the model's choices.
LifecycleStageName = Literal[
    "lead", "first_contact", "negotiation", "customer", "repeat_customer", "churned"
]

COMPANY_SORTS = {"-created": ["-created_at", "-id"], "name": ["name", "id"]}
CONTACT_SORTS = {"-created": ["-created_at", "-id"], "name": ["last_name", "first_name", "id"]}


class ClientOut(Schema):
    id: int
    phone: str
    email: str
    address: str
    source: Ref | None
    lifecycle_stage: str
    owner: Ref | None
    notes: str
    tags: list[str]
    created_at: datetime
    updated_at: datetime
    version: int

    @staticmethod
    def resolve_tags(obj: Any) -> list[str]:
        return [tag.name for tag in obj.tags.all()]


class CompanyOut(ClientOut):
    name: str
    tax_id: str
    website: str
    industry: str


class ContactOut(ClientOut):
    first_name: str
    middle_name: str
    last_name: str
    full_name: str
    company: Ref | None
    position: str


class CompanyPage(PageOut):
    items: list[CompanyOut]


class ContactPage(PageOut):
    items: list[ContactOut]


class ClientFields(Schema):
    """What companies and contacts take; everything may be left out of a PATCH."""

    phone: Text = optional()
    email: Text = optional()
    address: Text = optional()
    source: Id | None = optional()
    lifecycle_stage: LifecycleStageName = optional()
    owner: Id | None = optional()
    notes: Text = optional()
    tags: list[TagName] | None = Field(None, description="Tag names; replaces the record's tags.")


class CompanyFields(ClientFields):
    name: Text = optional()
    tax_id: Text = optional()
    website: Text = optional()
    industry: Text = optional()


class CompanyIn(CompanyFields):
    name: Text


class CompanyPatch(CompanyFields):
    version: Version


class ContactFields(ClientFields):
    first_name: Text = optional()
    middle_name: Text = optional()
    last_name: Text = optional()
    company: Id | None = optional()
    position: Text = optional()


class ContactIn(ContactFields):
    first_name: Text


class ContactPatch(ContactFields):
    version: Version


class CompanyFilters(ListParams):
    q: Text = Field("", max_length=200, description="Name, tax id, phone or e-mail.")
    owner: Id | None = None
    lifecycle_stage: LifecycleStageName | None = None
    source: Id | None = None
    tag: Text = Field("", max_length=80)
    sort: Literal[tuple(COMPANY_SORTS)] = "-created"  # type: ignore[valid-type]


class ContactFilters(ListParams):
    q: Text = Field("", max_length=200, description="Name, phone or e-mail.")
    owner: Id | None = None
    company: Id | None = None
    lifecycle_stage: LifecycleStageName | None = None
    source: Id | None = None
    sort: Literal[tuple(CONTACT_SORTS)] = "-created"  # type: ignore[valid-type]
