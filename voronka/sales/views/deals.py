"""Deal pages: the list, the card with its stage bar and product lines, the forms."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from voronka.activities.queries import next_task_due, next_task_title
from voronka.activities.views.timeline import timeline_context
from voronka.core import exporting, organisation
from voronka.core.errors import NotAllowed, StaleVersion
from voronka.core.exporting import choice, column, full_name, person
from voronka.core.forms import add_service_errors, service_errors
from voronka.core.history import entries_for
from voronka.core.money import cents
from voronka.core.pagination import BadCursor, keyset_page
from voronka.core.visibility import Family, can_write
from voronka.sales import queries, services
from voronka.sales.forms import (
    DealFilterForm,
    DealForm,
    DealLineForm,
    DealMoveForm,
    client_options,
    client_value,
)
from voronka.sales.models import Deal, LostReason, Stage, StageKind
from voronka.sales.views.common import (
    error_messages,
    int_param,
    is_htmx,
    refusal,
)

CLIENT_ALIASES = {"company": "client", "contact": "client"}


def _deal_or_404(user, pk: int) -> Deal:  # type: ignore[no-untyped-def]
    try:
        return queries.deal_card(user, pk)
    except Deal.DoesNotExist as exc:
        raise Http404 from exc


def _deal_for_change(user, pk: int) -> Deal:  # type: ignore[no-untyped-def]
    """The visible deal with only what a write needs loaded."""
    try:
        return (
            queries.deals_visible_to(user)
            .select_related("stage", "pipeline", "owner", "company", "contact")
            .get(pk=pk)
        )
    except Deal.DoesNotExist as exc:
        raise Http404 from exc


def _listed(request: HttpRequest) -> tuple[DealFilterForm, dict[str, Any], str]:
    """The list's filter form, the filters it gives and the sort key: the list and its
    export read the request alike."""
    form = DealFilterForm(request.GET or None, user=request.user)
    filters, sort = form.filters() if form.is_bound else ({}, "-created")
    return form, filters, sort


@login_required
@require_GET
def deal_list(request: HttpRequest) -> HttpResponse:
    user: Any = request.user
    form, filters, sort = _listed(request)
    qs = queries.deal_list(request.user, **filters).annotate(
        next_due=next_task_due("deal"), next_title=next_task_title("deal")
    )
    try:
        page = keyset_page(
            qs, ordering=queries.DEAL_SORTS[sort], cursor=request.GET.get("cursor") or None
        )
    except BadCursor:
        page = keyset_page(qs, ordering=queries.DEAL_SORTS[sort])
    context = {
        "form": form,
        "page": page,
        "sort": sort,
        "filtered": any(v for v in filters.values()),
        "today": timezone.localdate(),
        "now": timezone.now(),
        "may_create": can_write(user, Family.DEALS, user.pk),
    }
    if is_htmx(request) and not request.htmx.boosted:  # type: ignore[attr-defined]
        return render(request, "sales/deal_list.html#table", context)
    return render(request, "sales/deal_list.html", context)


def _amount_base(amount: Any, rate: Any) -> Any:
    return cents(amount * rate) if amount is not None and rate is not None else None


def deal_columns() -> list[exporting.Column]:
    """What a deal download holds, headers in the current language."""
    base = organisation.current().base_currency
    return [
        column(_("ID"), "pk", kind="int"),
        column(_("Title"), "title"),
        column(_("Pipeline"), "pipeline__name"),
        column(_("Stage"), "stage__name"),
        column(_("Status"), "status", convert=choice(Deal.Status.choices)),
        column(_("Amount"), "amount", kind="money"),
        column(_("Currency"), "currency"),
        column(
            _("Amount, %(currency)s") % {"currency": base},
            "amount",
            "exchange_rate",
            kind="money",
            convert=_amount_base,
        ),  # fmt: skip
        column(
            _("Responsible manager"),
            "owner__first_name",
            "owner__last_name",
            "owner__username",
            convert=person,
        ),  # fmt: skip
        column(_("Company"), "company__name"),
        column(
            _("Contact"),
            "contact__last_name",
            "contact__first_name",
            "contact__middle_name",
            convert=full_name,
        ),  # fmt: skip
        column(_("Source"), "source__name"),
        column(_("Expected close date"), "expected_close_date", kind="date"),
        column(_("Created"), "created_at", kind="datetime"),
        column(_("Closed"), "closed_at", kind="datetime"),
        column(_("Lost reason"), "lost_reason__name"),
        column(_("Next task due"), "next_due", kind="datetime"),
    ]


@login_required
@require_GET
def deal_export(request: HttpRequest, fmt: str) -> HttpResponseBase:
    """Every deal the list shows with its filters and sort, all pages, as CSV or XLSX."""
    exporting.ensure_format(fmt)
    _form, filters, sort = _listed(request)
    qs = (
        queries.deal_list(request.user, **filters)
        .annotate(next_due=next_task_due("deal"))
        .order_by(*queries.DEAL_SORTS[sort])
    )
    listing = exporting.Listing("deals", _("Deals"), deal_columns(), qs)
    return exporting.export_response(listing, fmt)


@login_required
@require_GET
def client_search(request: HttpRequest) -> HttpResponse:
    """Options of the client select, filtered as the person types."""
    q = request.GET.get("client_q", "").strip()
    options = client_options(request.user, q=q)
    selected = request.GET.get("client", "")
    # While the person types, the best match is chosen unless their choice is still listed.
    selected_found = not q or selected in dict(options)
    return render(
        request,
        "sales/partials/_client_options.html",
        {"options": options, "selected": selected, "selected_found": selected_found},
    )


def _form_page(request: HttpRequest, form: DealForm, deal: Deal | None, status: int = 200):  # type: ignore[no-untyped-def]
    return render(request, "sales/deal_form.html", {"form": form, "deal": deal}, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def deal_create(request: HttpRequest) -> HttpResponse:
    user: Any = request.user
    if not can_write(user, Family.DEALS, user.pk):
        raise PermissionDenied(_("You are not allowed to create deals."))
    if request.method == "GET":
        initial = {"owner": user.pk, "currency": "RUB", "exchange_rate": 1, "amount": 0}
        if request.GET.get("client"):
            initial["client"] = request.GET["client"]
        pipeline = queries.default_pipeline()
        if request.GET.get("pipeline"):
            initial["pipeline"] = request.GET["pipeline"]
        elif pipeline is not None:
            initial["pipeline"] = pipeline.pk
        return _form_page(request, DealForm(initial=initial, user=user), None)
    form = DealForm(request.POST, user=user)
    if form.is_valid():
        try:
            deal = services.deal_create(actor=user, data=form.service_data())
        except ValidationError as exc:
            add_service_errors(form, exc, CLIENT_ALIASES)
        except NotAllowed as exc:
            raise PermissionDenied(str(exc)) from exc
        else:
            messages.success(request, _("Deal created."))
            return redirect("sales:deal-detail", pk=deal.pk)
    return _form_page(request, form, None, status=422 if form.errors else 200)


@login_required
@require_GET
def deal_detail(request: HttpRequest, pk: int) -> HttpResponse:
    deal = _deal_or_404(request.user, pk)
    context = {**_card_context(request, deal), **timeline_context(request, "deal", deal)}
    return render(request, "sales/deal_detail.html", context)


def _card_context(request: HttpRequest, deal: Deal, line_form: DealLineForm | None = None) -> dict:
    user: Any = request.user
    may_edit = can_write(user, Family.DEALS, deal.owner_id)
    stages = list(deal.pipeline.stages.all())
    current = deal.stage
    open_stages = [s for s in stages if s.kind == StageKind.OPEN]
    return {
        "deal": deal,
        "open_stages": open_stages,
        "won_stages": [s for s in stages if s.kind == StageKind.WON],
        "lost_stages": [s for s in stages if s.kind == StageKind.LOST],
        "current_position": current.position,
        "lines": list(deal.lines.all()),
        "stage_history": list(deal.stage_history.all()),
        "history": entries_for(deal),
        "may_edit": may_edit,
        "line_form": line_form or (DealLineForm(user=request.user) if may_edit else None),
        "lost_reasons": LostReason.objects.filter(is_active=True),
        "today": timezone.localdate(),
    }


@login_required
@require_http_methods(["GET", "POST"])
def deal_edit(request: HttpRequest, pk: int) -> HttpResponse:
    user: Any = request.user
    deal = _deal_or_404(user, pk)
    if not can_write(user, Family.DEALS, deal.owner_id):
        raise PermissionDenied(_("You are not allowed to change this deal."))
    if request.method == "GET":
        initial = {
            "title": deal.title,
            "client": client_value(deal.client) if deal.client else "",
            "owner": deal.owner_id,
            "amount": deal.amount,
            "currency": deal.currency,
            "exchange_rate": deal.exchange_rate,
            "expected_close_date": deal.expected_close_date,
            "source": deal.source_id,
            "notes": deal.notes,
            "version": deal.version,
        }
        return _form_page(request, DealForm(initial=initial, user=user, deal=deal), deal)
    # A disabled field (the amount of a deal with lines) keeps its initial value.
    form = DealForm(request.POST, initial={"amount": deal.amount}, user=user, deal=deal)
    if form.is_valid():
        with service_errors(form, CLIENT_ALIASES):
            services.deal_update(
                actor=user,
                deal=deal,
                version=form.cleaned_data["version"],
                data=form.service_data(),
            )
            messages.success(request, _("Deal saved."))
            return redirect("sales:deal-detail", pk=deal.pk)
    return _form_page(request, form, deal, status=422 if form.errors else 200)


@login_required
@require_POST
def deal_delete(request: HttpRequest, pk: int) -> HttpResponse:
    deal = _deal_for_change(request.user, pk)
    try:
        services.deal_delete(
            actor=request.user, deal=deal, version=int_param(request.POST.get("version"))
        )
    except NotAllowed as exc:
        raise PermissionDenied(str(exc)) from exc
    except StaleVersion as exc:
        messages.error(request, str(exc.message))
        return redirect("sales:deal-detail", pk=deal.pk)
    messages.success(request, _("Deal «%(title)s» deleted.") % {"title": deal.title})
    return redirect("sales:deal-list")


@login_required
@require_POST
def deal_move(request: HttpRequest, pk: int) -> HttpResponse:
    """Move a deal to a stage: from the board (htmx, answers the card) or the card's bar."""
    user: Any = request.user
    htmx = is_htmx(request)
    deal = _deal_for_change(user, pk)
    form = DealMoveForm(request.POST)
    message, status = "", 200
    if not form.is_valid():
        message, status = " ".join(str(e) for errs in form.errors.values() for e in errs), 422
    else:
        stage = Stage.objects.filter(pk=form.cleaned_data["stage"]).first()
        if stage is None:
            message, status = _("No such stage."), 422
        else:
            try:
                deal = services.deal_move_stage(
                    actor=user,
                    deal=deal,
                    stage=stage,
                    version=form.cleaned_data["version"],
                    amount=form.cleaned_data["amount"],
                    lost_reason=form.cleaned_data["lost_reason"],
                    lost_comment=form.cleaned_data["lost_comment"],
                )
            except NotAllowed as exc:
                message, status = str(exc), 403
            except StaleVersion as exc:
                message, status = str(exc.message), 409
            except ValidationError as exc:
                message, status = " ".join(error_messages(exc)), 422
    if status == 403 and not htmx:
        raise PermissionDenied(message)
    if htmx:
        if status != 200:
            return refusal(message, status)
        return _board_move_answer(request, deal)
    if status == 200:
        messages.success(request, _("Stage: %(stage)s.") % {"stage": deal.stage.name})
    else:
        messages.error(request, message)
    return redirect("sales:deal-detail", pk=deal.pk)


def _board_move_answer(request: HttpRequest, deal: Deal) -> HttpResponse:
    """The moved card, and every column header of its board re-counted (out of band)."""
    from voronka.sales.views.board import card_facts

    owner_id = int_param(request.POST.get("owner"))
    columns = queries.board(request.user, deal.pipeline, per_column=0, owner_id=owner_id)
    deal = queries.deal_list(request.user).get(pk=deal.pk)
    card_facts(request.user, [deal])
    return render(request, "sales/partials/_board_move.html", {"deal": deal, "columns": columns})


def _lines_answer(
    request: HttpRequest, pk: int, line_form: DealLineForm | None = None, status: int = 200
) -> HttpResponse:
    deal = _deal_or_404(request.user, pk)
    context = _card_context(request, deal, line_form)
    if is_htmx(request):
        return render(request, "sales/partials/_deal_lines_answer.html", context, status=status)
    if status != 200:
        return render(request, "sales/deal_detail.html", context, status=status)
    return redirect("sales:deal-detail", pk=pk)


@login_required
@require_POST
def deal_line_add(request: HttpRequest, pk: int) -> HttpResponse:
    user: Any = request.user
    deal = _deal_for_change(user, pk)
    form = DealLineForm(request.POST, user=user)
    if form.is_valid():
        try:
            services.deal_line_add(
                actor=user, deal=deal, version=form.cleaned_data["version"], line=form.line()
            )
        except NotAllowed as exc:
            raise PermissionDenied(str(exc)) from exc
        except StaleVersion as exc:
            form.add_error(None, str(exc.message))
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            return _lines_answer(request, pk)
    return _lines_answer(request, pk, form, status=422)


@login_required
@require_POST
def deal_line_remove(request: HttpRequest, pk: int) -> HttpResponse:
    user: Any = request.user
    deal = _deal_for_change(user, pk)
    try:
        services.deal_line_remove(
            actor=user,
            deal=deal,
            version=int_param(request.POST.get("version")),
            line_id=int_param(request.POST.get("line")) or 0,
        )
    except NotAllowed as exc:
        raise PermissionDenied(str(exc)) from exc
    except (StaleVersion, ValidationError) as exc:
        text = str(exc.message) if isinstance(exc, StaleVersion) else " ".join(error_messages(exc))
        if is_htmx(request):
            return refusal(text, 409 if isinstance(exc, StaleVersion) else 422)
        messages.error(request, text)
    return _lines_answer(request, pk)
