"""The kanban board of a pipeline: columns per stage, cards moved by dragging."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from voronka.core.visibility import Family, can_write
from voronka.sales import queries
from voronka.sales.forms import people_filter_choices
from voronka.sales.models import Deal, LostReason
from voronka.sales.views.common import int_param, writable


def card_facts(user: Any, deals: Iterable[Deal]) -> None:
    """What a card shows beyond the row: days in the stage, whether it can be dragged."""
    now = timezone.now()
    today = timezone.localdate()
    for deal in deals:
        entered = deal.stage_entered_at or deal.created_at
        deal.days_in_stage = max((now - entered).days, 0) if entered else 0  # type: ignore[attr-defined]
        deal.movable = writable(user, deal)  # type: ignore[attr-defined]
        deal.overdue = bool(  # type: ignore[attr-defined]
            deal.is_open and deal.expected_close_date and deal.expected_close_date < today
        )


@login_required
@require_GET
def board(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    user: Any = request.user
    pipelines = list(queries.pipelines_visible_to(user))
    if pk is not None:
        pipeline = next((p for p in pipelines if p.pk == pk), None)
        if pipeline is None:
            raise Http404
    else:
        pipeline = next((p for p in pipelines if p.is_default), None) or (
            pipelines[0] if pipelines else None
        )
    owner_param = request.GET.get("owner", "")
    owner_id = user.pk if owner_param == "me" else int_param(owner_param)
    columns = queries.board(user, pipeline, owner_id=owner_id) if pipeline else []
    for column in columns:
        card_facts(user, column.deals)
    context = {
        "pipeline": pipeline,
        "pipelines": pipelines,
        "columns": columns,
        "owner_param": owner_param,
        "owner_id": owner_id,
        "people": people_filter_choices(),
        "lost_reasons": LostReason.objects.filter(is_active=True),
        "may_create": can_write(user, Family.DEALS, user.pk),
    }
    return render(request, "sales/board.html", context)
