"""API shapes of leads, deals, products, pipelines and the sales catalogue."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from ninja import Field, Schema

from voronka.core.api import DecimalStr, Id, ListParams, PageOut, Ref, Text, Version, optional
from voronka.sales.queries import DEAL_SORTS, LEAD_SORTS

# Spelled out for type checkers; a test keeps them equal to the models' choices.
LeadStatus = Literal["new", "in_progress", "qualified", "rejected"]
DealStatus = Literal["open", "won", "lost"]
StageKindName = Literal["open", "won", "lost"]
# JSON strings ("1500.50") or numbers. The bounds repeat the models' constraints so that
# a bad value is answered naming its field rather than the constraint.
Money = Annotated[Decimal, Field(ge=0, max_digits=16, decimal_places=2)]
Quantity = Annotated[Decimal, Field(gt=0, max_digits=12, decimal_places=3)]
Percent = Annotated[Decimal, Field(ge=0, le=100, max_digits=5, decimal_places=2)]
Position = Annotated[int, Field(ge=0, le=2**31 - 1)]

# --- Catalogue ---------------------------------------------------------------------------


class StageRef(Schema):
    id: int
    name: str
    kind: str


class StageOut(Schema):
    id: int
    name: str
    position: int
    probability: DecimalStr
    kind: str


class PipelineOut(Schema):
    id: int
    name: str
    position: int
    is_default: bool
    is_active: bool
    stages: list[StageOut]


class PipelinePage(PageOut):
    items: list[PipelineOut]


class StageFields(Schema):
    name: Text = optional()
    position: Position = optional()
    probability: Percent = optional()
    kind: StageKindName = optional()


class StageIn(StageFields):
    name: Text


class StagePatch(StageFields):
    pass


class PipelineIn(Schema):
    name: Text
    is_default: bool = False
    stages: list[StageIn] = Field(default_factory=list)


class PipelinePatch(Schema):
    name: Text = optional()
    position: Position = optional()
    is_default: bool = optional()
    is_active: bool = optional()


class LeadSourceOut(Schema):
    id: int
    name: str
    kind: str
    is_active: bool


class LeadSourcePage(PageOut):
    items: list[LeadSourceOut]


class LostReasonOut(Schema):
    id: int
    name: str
    is_active: bool


class LostReasonPage(PageOut):
    items: list[LostReasonOut]


# --- Products ----------------------------------------------------------------------------


class ProductOut(Schema):
    id: int
    name: str
    sku: str
    category: Ref | None
    price: DecimalStr
    currency: str
    is_active: bool
    created_at: datetime
    updated_at: datetime
    version: int


class ProductPage(PageOut):
    items: list[ProductOut]


class ProductFields(Schema):
    name: Text = optional()
    sku: Text = optional()
    category: Id | None = optional()
    price: Money = optional()
    currency: Text = optional()
    is_active: bool = optional()


class ProductIn(ProductFields):
    name: Text


class ProductPatch(ProductFields):
    version: Version


# --- Leads -------------------------------------------------------------------------------


class LeadOut(Schema):
    id: int
    title: str
    status: str
    contact_name: str
    company_name: str
    phone: str
    email: str
    tax_id: str
    source: Ref | None
    owner: Ref | None
    company: Ref | None
    contact: Ref | None
    rejection_reason: Ref | None
    rejection_comment: str
    qualified_at: datetime | None
    rejected_at: datetime | None
    external_id: str
    utm_source: str
    utm_medium: str
    utm_campaign: str
    utm_term: str
    utm_content: str
    notes: str
    created_at: datetime
    updated_at: datetime
    version: int


class LeadPage(PageOut):
    items: list[LeadOut]


class LeadFields(Schema):
    title: Text = optional()
    contact_name: Text = optional()
    company_name: Text = optional()
    phone: Text = optional()
    email: Text = optional()
    tax_id: Text = optional()
    source: Id | None = optional()
    status: LeadStatus = optional()
    owner: Id | None = optional()
    company: Id | None = optional()
    contact: Id | None = optional()
    external_id: Text = optional()
    utm_source: Text = optional()
    utm_medium: Text = optional()
    utm_campaign: Text = optional()
    utm_term: Text = optional()
    utm_content: Text = optional()
    notes: Text = optional()


class LeadIn(LeadFields):
    title: Text


class LeadPatch(LeadFields):
    version: Version


class LeadQualifyIn(Schema):
    version: Version
    pipeline: Id | None = Field(None, description="Default: the default pipeline.")
    title: Text = Field("", description="Default: the lead's title.")
    amount: Money | None = None
    expected_close_date: date | None = None
    company: Id | None = Field(None, description="Default: the lead's, or one made from it.")
    contact: Id | None = Field(None, description="Default: the lead's, or one made from it.")


class LeadRejectIn(Schema):
    version: Version
    reason: Id | None = Field(None, description="A lost reason's id (required).")
    comment: Text = ""


class LeadFilters(ListParams):
    q: Text = Field("", max_length=200, description="Title, name, phone or e-mail.")
    status: LeadStatus | None = None
    owner: Id | None = None
    source: Id | None = None
    sort: Literal[tuple(LEAD_SORTS)] = "-created"  # type: ignore[valid-type]


# --- Deals -------------------------------------------------------------------------------


class DealLineOut(Schema):
    id: int
    product: Ref
    quantity: DecimalStr
    price: DecimalStr
    discount_percent: DecimalStr
    total: DecimalStr


class DealOut(Schema):
    id: int
    title: str
    pipeline: Ref
    stage: StageRef
    status: str
    company: Ref | None
    contact: Ref | None
    client_name: str
    owner: Ref
    amount: DecimalStr
    currency: str
    exchange_rate: DecimalStr
    expected_close_date: date | None
    closed_at: datetime | None
    stage_entered_at: datetime | None
    lost_reason: Ref | None
    lost_comment: str
    source: Ref | None
    lead_id: int | None
    notes: str
    lines: list[DealLineOut]
    created_at: datetime
    updated_at: datetime
    version: int

    @staticmethod
    def resolve_client_name(obj: Any) -> str:
        client = obj.company or obj.contact
        return str(client) if client is not None else ""


class DealPage(PageOut):
    items: list[DealOut]


class DealLineIn(Schema):
    product: Id
    quantity: Quantity | None = Field(None, description="Default 1.")
    price: Money | None = Field(None, description="Default: the product's price.")
    discount_percent: Percent | None = Field(None, description="Default 0.")


class DealFields(Schema):
    title: Text = optional()
    company: Id | None = optional()
    contact: Id | None = optional()
    owner: Id = optional()
    amount: Money = optional()
    currency: Text = optional()
    exchange_rate: Decimal = optional()
    expected_close_date: date | None = optional()
    source: Id | None = optional()
    notes: Text = optional()


class DealIn(DealFields):
    title: Text
    pipeline: Id | None = Field(None, description="Default: the default pipeline.")
    stage: Id | None = Field(None, description="Default: the pipeline's first stage.")
    lines: list[DealLineIn] = Field(default_factory=list)


class DealPatch(DealFields):
    version: Version


class DealMoveIn(Schema):
    stage: Id
    version: Version
    amount: Money | None = Field(None, description="The final amount, when winning.")
    lost_reason: Id | None = Field(None, description="Required when the stage is a lost one.")
    lost_comment: Text = ""


class DealLineAddIn(DealLineIn):
    version: Version


class DealFilters(ListParams):
    q: Text = Field("", max_length=200, description="Title or client; phone or e-mail.")
    status: DealStatus | None = None
    pipeline: Id | None = None
    stage: Id | None = None
    owner: Id | None = None
    team: Id | None = None
    company: Id | None = None
    contact: Id | None = None
    source: Id | None = None
    overdue: bool = False
    amount_min: Decimal | None = Field(None, ge=0, max_digits=16, decimal_places=2)
    amount_max: Decimal | None = Field(None, ge=0, max_digits=16, decimal_places=2)
    sort: Literal[tuple(DEAL_SORTS)] = "-created"  # type: ignore[valid-type]
