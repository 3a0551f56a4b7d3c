"""API: leads, deals, products, pipelines with their stages, sources and lost reasons."""

from __future__ import annotations

from typing import Any

from django.http import Http404, HttpRequest
from ninja import Query, Router, Status

from voronka.accounts.queries import users_visible_to
from voronka.clients.queries import companies_visible_to, contacts_visible_to
from voronka.core.api import (
    Id,
    ListParams,
    Version,
    actor,
    page,
    resolve_one,
    resolve_refs,
    responses,
)
from voronka.sales import queries, services
from voronka.sales.schemas import (
    DealFilters,
    DealIn,
    DealLineAddIn,
    DealMoveIn,
    DealOut,
    DealPage,
    DealPatch,
    LeadFilters,
    LeadIn,
    LeadOut,
    LeadPage,
    LeadPatch,
    LeadQualifyIn,
    LeadRejectIn,
    LeadSourcePage,
    LostReasonPage,
    PipelineIn,
    PipelineOut,
    PipelinePage,
    PipelinePatch,
    ProductIn,
    ProductOut,
    ProductPage,
    ProductPatch,
    StageIn,
    StagePatch,
)

router = Router(tags=["sales"])

VERSION_DOC = "The version you read; a stale one answers 409 and changes nothing."
ADMIN_ONLY = "Administrator and head of sales only."


def _client_refs(user: Any) -> dict[str, Any]:
    return {
        "owner": users_visible_to(user),
        "company": companies_visible_to(user),
        "contact": contacts_visible_to(user),
        "source": queries.lead_sources_visible_to(user),
    }


# --- Leads -------------------------------------------------------------------------------


@router.get("/leads", response=responses({200: LeadPage}, 400))
def lead_list(request: HttpRequest, filters: Query[LeadFilters]) -> Any:
    qs = queries.lead_list(
        actor(request),
        q=filters.q,
        status=filters.status or "",
        owner_id=filters.owner,
        source_id=filters.source,
    ).select_related("company", "contact", "rejection_reason")
    return page(qs, ordering=queries.LEAD_SORTS[filters.sort], params=filters)


@router.post("/leads", response=responses({201: LeadOut}, 400, 403))
def lead_create(request: HttpRequest, payload: LeadIn) -> Any:
    user = actor(request)
    data = resolve_refs(payload.model_dump(exclude_unset=True), **_client_refs(user))
    lead = services.lead_create(actor=user, data=data)
    return Status(201, queries.lead_card(user, lead.pk))


@router.get("/leads/{lead_id}", response=responses({200: LeadOut}, 404))
def lead_read(request: HttpRequest, lead_id: Id) -> Any:
    return queries.lead_card(actor(request), lead_id)


@router.patch(
    "/leads/{lead_id}",
    response=responses({200: LeadOut}, 400, 403, 404, 409),
    description=VERSION_DOC,
)
def lead_update(request: HttpRequest, lead_id: Id, payload: LeadPatch) -> Any:
    user = actor(request)
    lead = queries.leads_visible_to(user).get(pk=lead_id)
    data = payload.model_dump(exclude_unset=True, exclude={"version"})
    data = resolve_refs(data, **_client_refs(user))
    services.lead_update(actor=user, lead=lead, version=payload.version, data=data)
    return queries.lead_card(user, lead_id)


@router.delete(
    "/leads/{lead_id}",
    response=responses({204: None}, 403, 404, 409),
    description="Moves the lead to the trash. " + VERSION_DOC,
)
def lead_delete(request: HttpRequest, lead_id: Id, version: Version) -> Any:
    user = actor(request)
    lead = queries.leads_visible_to(user).get(pk=lead_id)
    services.lead_delete(actor=user, lead=lead, version=version)
    return Status(204, None)


@router.post(
    "/leads/{lead_id}/restore",
    response=responses({200: LeadOut}, 403, 404),
    description="Brings a deleted lead back. " + ADMIN_ONLY,
)
def lead_restore(request: HttpRequest, lead_id: Id) -> Any:
    user = actor(request)
    lead = queries.leads_visible_to(user, deleted=True).get(pk=lead_id)
    services.lead_restore(actor=user, lead=lead)
    return queries.lead_card(user, lead_id)


@router.post(
    "/leads/{lead_id}/qualify",
    response=responses({201: DealOut}, 400, 403, 404, 409),
    description="Turns the lead into a deal and answers with the deal. " + VERSION_DOC,
)
def lead_qualify(request: HttpRequest, lead_id: Id, payload: LeadQualifyIn) -> Any:
    user = actor(request)
    lead = queries.leads_visible_to(user).get(pk=lead_id)
    refs = resolve_refs(
        payload.model_dump(include={"pipeline", "company", "contact"}),
        pipeline=queries.pipelines_visible_to(user),
        company=companies_visible_to(user),
        contact=contacts_visible_to(user),
    )
    deal = services.lead_qualify(
        actor=user,
        lead=lead,
        version=payload.version,
        title=payload.title,
        amount=payload.amount,
        expected_close_date=payload.expected_close_date,
        **refs,
    )
    return Status(201, queries.deal_card(user, deal.pk))


@router.post(
    "/leads/{lead_id}/reject",
    response=responses({200: LeadOut}, 400, 403, 404, 409),
    description="Closes the lead as not a client, with a lost reason. " + VERSION_DOC,
)
def lead_reject(request: HttpRequest, lead_id: Id, payload: LeadRejectIn) -> Any:
    user = actor(request)
    lead = queries.leads_visible_to(user).get(pk=lead_id)
    reason = resolve_one("reason", payload.reason, queries.lost_reasons_visible_to(user))
    services.lead_reject(
        actor=user, lead=lead, version=payload.version, reason=reason, comment=payload.comment
    )
    return queries.lead_card(user, lead_id)


# --- Deals -------------------------------------------------------------------------------


@router.get("/deals", response=responses({200: DealPage}, 400))
def deal_list(request: HttpRequest, filters: Query[DealFilters]) -> Any:
    qs = (
        queries.deal_list(
            actor(request),
            q=filters.q,
            status=filters.status or "",
            pipeline_id=filters.pipeline,
            stage_id=filters.stage,
            owner_id=filters.owner,
            team_id=filters.team,
            company_id=filters.company,
            contact_id=filters.contact,
            source_id=filters.source,
            overdue=filters.overdue,
            amount_min=filters.amount_min,
            amount_max=filters.amount_max,
        )
        .select_related("lost_reason", "source")
        .prefetch_related("lines__product")
    )
    return page(qs, ordering=queries.DEAL_SORTS[filters.sort], params=filters)


@router.post("/deals", response=responses({201: DealOut}, 400, 403))
def deal_create(request: HttpRequest, payload: DealIn) -> Any:
    user = actor(request)
    data = resolve_refs(
        payload.model_dump(exclude_unset=True, exclude={"lines"}),
        pipeline=queries.pipelines_visible_to(user),
        stage=queries.stages_visible_to(user),
        **_client_refs(user),
    )
    products = queries.products_visible_to(user)
    lines = [
        resolve_refs(line.model_dump(exclude_none=True), product=products) for line in payload.lines
    ]
    deal = services.deal_create(actor=user, data=data, lines=lines)
    return Status(201, queries.deal_card(user, deal.pk))


@router.get("/deals/{deal_id}", response=responses({200: DealOut}, 404))
def deal_read(request: HttpRequest, deal_id: Id) -> Any:
    return queries.deal_card(actor(request), deal_id)


@router.patch(
    "/deals/{deal_id}",
    response=responses({200: DealOut}, 400, 403, 404, 409),
    description="Changes the deal's fields; move it between stages with …/move. " + VERSION_DOC,
)
def deal_update(request: HttpRequest, deal_id: Id, payload: DealPatch) -> Any:
    user = actor(request)
    deal = queries.deals_visible_to(user).get(pk=deal_id)
    data = payload.model_dump(exclude_unset=True, exclude={"version"})
    data = resolve_refs(data, **_client_refs(user))
    services.deal_update(actor=user, deal=deal, version=payload.version, data=data)
    return queries.deal_card(user, deal_id)


@router.delete(
    "/deals/{deal_id}",
    response=responses({204: None}, 403, 404, 409),
    description="Moves the deal to the trash. " + VERSION_DOC,
)
def deal_delete(request: HttpRequest, deal_id: Id, version: Version) -> Any:
    user = actor(request)
    deal = queries.deals_visible_to(user).get(pk=deal_id)
    services.deal_delete(actor=user, deal=deal, version=version)
    return Status(204, None)


@router.post(
    "/deals/{deal_id}/restore",
    response=responses({200: DealOut}, 403, 404),
    description="Brings a deleted deal back. " + ADMIN_ONLY,
)
def deal_restore(request: HttpRequest, deal_id: Id) -> Any:
    user = actor(request)
    deal = queries.deals_visible_to(user, deleted=True).get(pk=deal_id)
    services.deal_restore(actor=user, deal=deal)
    return queries.deal_card(user, deal_id)


@router.post(
    "/deals/{deal_id}/move",
    response=responses({200: DealOut}, 400, 403, 404, 409),
    description=(
        "Moves the deal to another stage of its pipeline. Winning may set the final amount; "
        "losing needs a lost reason. " + VERSION_DOC
    ),
)
def deal_move(request: HttpRequest, deal_id: Id, payload: DealMoveIn) -> Any:
    user = actor(request)
    deal = queries.deals_visible_to(user).get(pk=deal_id)
    refs = resolve_refs(
        payload.model_dump(include={"stage", "lost_reason"}),
        stage=queries.stages_visible_to(user),
        lost_reason=queries.lost_reasons_visible_to(user),
    )
    services.deal_move_stage(
        actor=user,
        deal=deal,
        version=payload.version,
        amount=payload.amount,
        lost_comment=payload.lost_comment,
        **refs,
    )
    return queries.deal_card(user, deal_id)


@router.post(
    "/deals/{deal_id}/lines",
    response=responses({201: DealOut}, 400, 403, 404, 409),
    description="Adds a product line; the amount becomes the sum of the lines. " + VERSION_DOC,
)
def deal_line_add(request: HttpRequest, deal_id: Id, payload: DealLineAddIn) -> Any:
    user = actor(request)
    deal = queries.deals_visible_to(user).get(pk=deal_id)
    line = resolve_refs(
        payload.model_dump(exclude_none=True, exclude={"version"}),
        product=queries.products_visible_to(user),
    )
    services.deal_line_add(actor=user, deal=deal, version=payload.version, line=line)
    return Status(201, queries.deal_card(user, deal_id))


@router.delete(
    "/deals/{deal_id}/lines/{line_id}",
    response=responses({200: DealOut}, 403, 404, 409),
    description="Removes a product line and answers with the deal. " + VERSION_DOC,
)
def deal_line_remove(request: HttpRequest, deal_id: Id, line_id: Id, version: Version) -> Any:
    user = actor(request)
    # Not deal_card: its prefetched lines would keep the removed line in the new amount.
    deal = queries.deals_visible_to(user).get(pk=deal_id)
    if not deal.lines.filter(pk=line_id).exists():
        raise Http404
    services.deal_line_remove(actor=user, deal=deal, version=version, line_id=line_id)
    return queries.deal_card(user, deal_id)


# --- Products ----------------------------------------------------------------------------


def _products(user: Any) -> Any:
    return queries.products_visible_to(user).select_related("category")


def _product_data(user: Any, payload: Any) -> dict[str, Any]:
    data = payload.model_dump(exclude_unset=True, exclude={"version"})
    return resolve_refs(data, category=queries.product_categories_visible_to(user))


@router.get("/products", response=responses({200: ProductPage}, 400))
def product_list(request: HttpRequest, params: Query[ListParams]) -> Any:
    return page(_products(actor(request)), ordering=["name", "id"], params=params)


@router.post("/products", response=responses({201: ProductOut}, 400, 403), description=ADMIN_ONLY)
def product_create(request: HttpRequest, payload: ProductIn) -> Any:
    user = actor(request)
    product = services.product_create(actor=user, data=_product_data(user, payload))
    return Status(201, _products(user).get(pk=product.pk))


@router.get("/products/{product_id}", response=responses({200: ProductOut}, 404))
def product_read(request: HttpRequest, product_id: Id) -> Any:
    return _products(actor(request)).get(pk=product_id)


@router.patch(
    "/products/{product_id}",
    response=responses({200: ProductOut}, 400, 403, 404, 409),
    description=ADMIN_ONLY + " " + VERSION_DOC,
)
def product_update(request: HttpRequest, product_id: Id, payload: ProductPatch) -> Any:
    user = actor(request)
    product = _products(user).get(pk=product_id)
    services.product_update(
        actor=user, product=product, version=payload.version, data=_product_data(user, payload)
    )
    return _products(user).get(pk=product_id)


@router.delete(
    "/products/{product_id}",
    response=responses({204: None}, 403, 404, 409),
    description=ADMIN_ONLY + " " + VERSION_DOC,
)
def product_delete(request: HttpRequest, product_id: Id, version: Version) -> Any:
    user = actor(request)
    product = _products(user).get(pk=product_id)
    services.product_delete(actor=user, product=product, version=version)
    return Status(204, None)


# --- Pipelines and stages ----------------------------------------------------------------


def _pipelines(user: Any) -> Any:
    return queries.pipelines_in_settings_for(user).prefetch_related("stages")


@router.get("/pipelines", response=responses({200: PipelinePage}, 400))
def pipeline_list(request: HttpRequest, params: Query[ListParams]) -> Any:
    return page(_pipelines(actor(request)), ordering=["position", "id"], params=params)


@router.post("/pipelines", response=responses({201: PipelineOut}, 400, 403), description=ADMIN_ONLY)
def pipeline_create(request: HttpRequest, payload: PipelineIn) -> Any:
    user = actor(request)
    pipeline = services.pipeline_create(
        actor=user,
        name=payload.name,
        is_default=payload.is_default,
        stages=[stage.model_dump(exclude_unset=True) for stage in payload.stages],
    )
    return Status(201, _pipelines(user).get(pk=pipeline.pk))


@router.get("/pipelines/{pipeline_id}", response=responses({200: PipelineOut}, 404))
def pipeline_read(request: HttpRequest, pipeline_id: Id) -> Any:
    return _pipelines(actor(request)).get(pk=pipeline_id)


@router.patch(
    "/pipelines/{pipeline_id}",
    response=responses({200: PipelineOut}, 400, 403, 404),
    description=ADMIN_ONLY,
)
def pipeline_update(request: HttpRequest, pipeline_id: Id, payload: PipelinePatch) -> Any:
    user = actor(request)
    pipeline = queries.pipelines_in_settings_for(user).get(pk=pipeline_id)
    services.pipeline_update(
        actor=user, pipeline=pipeline, data=payload.model_dump(exclude_unset=True)
    )
    return _pipelines(user).get(pk=pipeline_id)


@router.post(
    "/pipelines/{pipeline_id}/stages",
    response=responses({201: PipelineOut}, 400, 403, 404),
    description="Adds a stage and answers with the pipeline. " + ADMIN_ONLY,
)
def stage_create(request: HttpRequest, pipeline_id: Id, payload: StageIn) -> Any:
    user = actor(request)
    pipeline = queries.pipelines_in_settings_for(user).get(pk=pipeline_id)
    services.stage_create(
        actor=user, pipeline=pipeline, data=payload.model_dump(exclude_unset=True)
    )
    return Status(201, _pipelines(user).get(pk=pipeline_id))


@router.patch(
    "/pipelines/{pipeline_id}/stages/{stage_id}",
    response=responses({200: PipelineOut}, 400, 403, 404),
    description="Changes a stage and answers with the pipeline. " + ADMIN_ONLY,
)
def stage_update(request: HttpRequest, pipeline_id: Id, stage_id: Id, payload: StagePatch) -> Any:
    user = actor(request)
    stage = queries.stages_visible_to(user).get(pk=stage_id, pipeline_id=pipeline_id)
    services.stage_update(actor=user, stage=stage, data=payload.model_dump(exclude_unset=True))
    return _pipelines(user).get(pk=pipeline_id)


# --- Lead sources and lost reasons -------------------------------------------------------


@router.get("/lead-sources", response=responses({200: LeadSourcePage}, 400))
def lead_source_list(request: HttpRequest, params: Query[ListParams]) -> Any:
    qs = queries.lead_sources_visible_to(actor(request))
    return page(qs, ordering=["name", "id"], params=params)


@router.get("/lost-reasons", response=responses({200: LostReasonPage}, 400))
def lost_reason_list(request: HttpRequest, params: Query[ListParams]) -> Any:
    qs = queries.lost_reasons_visible_to(actor(request))
    return page(qs, ordering=["name", "id"], params=params)
