"""Webhook pages: the list, the form, the card with its secret, the delivery log."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from voronka.automation import event_types, queries, services
from voronka.automation.forms import DeliveryFilterForm, WebhookForm
from voronka.automation.models import Webhook, WebhookDelivery
from voronka.core.errors import StaleVersion
from voronka.core.forms import service_errors
from voronka.core.pagination import BadCursor, keyset_page

RECENT_DELIVERIES = 5


def _admin(request: HttpRequest) -> Any:
    """The administrator making the request; anyone else is refused with a 403."""
    user: Any = request.user
    if not queries.may_manage_webhooks(user):
        raise PermissionDenied(_("Only an administrator manages webhooks."))
    return user


def _webhook_or_404(user: Any, pk: int) -> Webhook:
    try:
        return queries.webhooks_visible_to(user).get(pk=pk)
    except Webhook.DoesNotExist as exc:
        raise Http404 from exc


def _version(request: HttpRequest) -> int | None:
    try:
        return int(request.POST.get("version", ""))
    except ValueError:
        return None


@login_required
@require_GET
def webhook_list(request: HttpRequest) -> HttpResponse:
    user = _admin(request)
    webhooks = list(queries.webhook_list(user))
    for webhook in webhooks:
        pairs = [(event, event_types.label(event)) for event in webhook.events]
        webhook.event_pairs = pairs  # type: ignore[attr-defined]
    return render(request, "automation/webhook_list.html", {"webhooks": webhooks})


def _form_page(
    request: HttpRequest, form: WebhookForm, webhook: Webhook | None, status: int = 200
) -> HttpResponse:
    return render(
        request, "automation/webhook_form.html", {"form": form, "webhook": webhook}, status=status
    )


@login_required
@require_http_methods(["GET", "POST"])
def webhook_create(request: HttpRequest) -> HttpResponse:
    user = _admin(request)
    if request.method == "GET":
        return _form_page(request, WebhookForm(initial={"is_active": True}), None)
    form = WebhookForm(request.POST)
    if form.is_valid():
        with service_errors(form):
            webhook = services.webhook_create(actor=user, data=form.service_data())
            messages.success(
                request, _("Webhook created. Give its secret to the receiver to check signatures.")
            )
            return redirect("automation:webhook-detail", pk=webhook.pk)
    return _form_page(request, form, None, status=422)


@login_required
@require_http_methods(["GET", "POST"])
def webhook_edit(request: HttpRequest, pk: int) -> HttpResponse:
    user = _admin(request)
    webhook = _webhook_or_404(user, pk)
    if request.method == "GET":
        initial = {
            "name": webhook.name,
            "url": webhook.url,
            "events": webhook.events,
            "is_active": webhook.is_active,
            "version": webhook.version,
        }
        return _form_page(request, WebhookForm(initial=initial), webhook)
    form = WebhookForm(request.POST)
    if form.is_valid():
        with service_errors(form):
            services.webhook_update(
                actor=user,
                webhook=webhook,
                version=form.cleaned_data["version"],
                data=form.service_data(),
            )
            messages.success(request, _("Webhook saved."))
            return redirect("automation:webhook-detail", pk=webhook.pk)
    return _form_page(request, form, webhook, status=422)


@login_required
@require_GET
def webhook_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = _admin(request)
    webhook = _webhook_or_404(user, pk)
    recent = list(
        queries.deliveries_of(user, webhook).order_by(*queries.DELIVERY_ORDERING)[
            :RECENT_DELIVERIES
        ]
    )
    return render(
        request,
        "automation/webhook_detail.html",
        {
            "webhook": webhook,
            "event_labels": [event_types.label(e) for e in webhook.events],
            "recent": recent,
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def webhook_delete(request: HttpRequest, pk: int) -> HttpResponse:
    user = _admin(request)
    webhook = _webhook_or_404(user, pk)
    if request.method == "POST":
        try:
            services.webhook_delete(actor=user, webhook=webhook, version=_version(request))
        except StaleVersion as exc:
            messages.error(request, str(exc.message))
            return redirect("automation:webhook-detail", pk=webhook.pk)
        messages.success(request, _("Webhook deleted."))
        return redirect("automation:webhook-list")
    return render(request, "automation/webhook_delete.html", {"webhook": webhook})


@login_required
@require_POST
def webhook_regenerate_secret(request: HttpRequest, pk: int) -> HttpResponse:
    user = _admin(request)
    webhook = _webhook_or_404(user, pk)
    try:
        services.webhook_regenerate_secret(actor=user, webhook=webhook, version=_version(request))
    except StaleVersion as exc:
        messages.error(request, str(exc.message))
    else:
        messages.success(
            request, _("A new secret is made. Give it to the receiver: the old one is void.")
        )
    return redirect("automation:webhook-detail", pk=webhook.pk)


@login_required
@require_POST
def webhook_activate(request: HttpRequest, pk: int) -> HttpResponse:
    """Switch a webhook that was switched off back on, forgetting its failures."""
    user = _admin(request)
    webhook = _webhook_or_404(user, pk)
    try:
        services.webhook_update(
            actor=user, webhook=webhook, version=_version(request), data={"is_active": True}
        )
    except StaleVersion as exc:
        messages.error(request, str(exc.message))
    else:
        messages.success(request, _("Webhook switched on."))
    return redirect("automation:webhook-detail", pk=webhook.pk)


@login_required
@require_POST
def webhook_send_test(request: HttpRequest, pk: int) -> HttpResponse:
    user = _admin(request)
    webhook = _webhook_or_404(user, pk)
    delivery = services.webhook_send_test(actor=user, webhook=webhook)
    messages.success(request, _("A test event is on its way."))
    return redirect("automation:delivery-detail", pk=delivery.pk)


@login_required
@require_GET
def delivery_list(request: HttpRequest, pk: int) -> HttpResponse:
    """A webhook's deliveries, newest first, by status."""
    user = _admin(request)
    webhook = _webhook_or_404(user, pk)
    form = DeliveryFilterForm(request.GET or None)
    status = form.cleaned_data["status"] if form.is_valid() else ""
    qs = queries.deliveries_of(user, webhook, status=status)
    ordering = queries.DELIVERY_ORDERING
    try:
        page = keyset_page(qs, ordering=ordering, cursor=request.GET.get("cursor") or None)
    except BadCursor:
        page = keyset_page(qs, ordering=ordering)
    return render(
        request,
        "automation/delivery_list.html",
        {"webhook": webhook, "form": form, "page": page, "status": status},
    )


def _delivery_or_404(user: Any, pk: int) -> WebhookDelivery:
    try:
        return queries.delivery_card(user, pk)
    except WebhookDelivery.DoesNotExist as exc:
        raise Http404 from exc


@login_required
@require_GET
def delivery_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = _admin(request)
    delivery = _delivery_or_404(user, pk)
    return render(
        request,
        "automation/delivery_detail.html",
        {
            "delivery": delivery,
            "webhook": delivery.webhook,
            "event_label": event_types.label(delivery.event),
        },
    )


@login_required
@require_POST
def delivery_resend(request: HttpRequest, pk: int) -> HttpResponse:
    user = _admin(request)
    delivery = _delivery_or_404(user, pk)
    resent = services.delivery_resend(actor=user, delivery=delivery)
    messages.success(request, _("The event is sent again as a new delivery."))
    return redirect("automation:delivery-detail", pk=resent.pk)
