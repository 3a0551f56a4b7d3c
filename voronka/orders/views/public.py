"""The client's public page of their order: where it is on its way, without a login.

The signed token in the address is the only key (``voronka.orders.links``), so the page
shows that one order and only what the client may read — its number and date, the
status and its history, the lines and totals, the delivery, the organisation and the
manager's first name; never notes, internal ids or anyone's contacts. It is kept out of
search engines (``X-Robots-Tag: noindex``), out of shared caches (``never_cache``) and
out of ``Referer`` headers (``Referrer-Policy: no-referrer``: the page has no form to
post, so the CSRF check that needs an ``Origin`` does not come into it).

* a forged link (bad signature, a changed id) — **400**, "this link does not work";
* a link whose order was deleted, or whose secret was replaced (revoked) — **404**.

The page speaks the order's language (the one its e-mails are written in); the switch
at the top (``?lang=en``) picks another. Three queries: the order with its manager,
the lines, the status changes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.conf import settings
from django.core import signing
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import path
from django.utils import timezone, translation
from django.utils.crypto import constant_time_compare
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from voronka.core import organisation
from voronka.orders import links
from voronka.orders.models import FLOW, Order, Status, StatusChange

REFERRER_POLICY = "no-referrer"
# The steps of an order's way to the client; cancelled and returned end it elsewhere.
WAY = tuple(status for status in FLOW if status not in (Status.CANCELLED, Status.RETURNED))


class Forged(Exception):
    pass


class Gone(Exception):
    pass


@dataclass(frozen=True)
class Step:
    status: str
    label: str
    state: str  # done, current, skipped, todo; "stopped" for cancelled and returned
    at: datetime | None


def _order_for(token: str) -> Order:
    """The order the link names, with its manager, in one query.

    The same check as ``links.order_from_token``, told apart: a bad signature is a
    forged link, a missing order or a replaced secret a revoked one.
    """
    try:
        pk, nonce = signing.loads(token, salt=links.SALT)
    except (signing.BadSignature, ValueError, TypeError) as exc:
        raise Forged from exc
    if not isinstance(pk, int) or not isinstance(nonce, str):
        raise Forged
    order = Order.objects.select_related("owner").filter(pk=pk).first()
    if order is None or not constant_time_compare(nonce, order.public_nonce):
        raise Gone
    return order


def steps(order: Order, changes: list[StatusChange]) -> list[Step]:
    """The way's steps with the date each was (last) entered; a step passed over by the
    workflow (e.g. assembled before paid) is "skipped"; a cancelled or returned order
    ends with that step."""
    entered: dict[str, datetime] = {}
    for change in changes:
        entered[change.to_status] = change.changed_at
    stopped = order.status not in WAY
    reached = [i for i, status in enumerate(WAY) if status in entered or status == order.status]
    furthest = max(reached, default=0)
    out = []
    for i, status in enumerate(WAY):
        if status == order.status:
            state = "current"
        elif status in entered:
            state = "done"
        elif i < furthest:
            state = "skipped"
        else:
            state = "todo"
        out.append(Step(status, str(Status(status).label), state, entered.get(status)))
    if stopped:
        end = order.status
        out.append(Step(end, str(Status(end).label), "stopped", entered.get(end)))
    return out


def _language(request: HttpRequest, order: Order | None) -> str:
    """The visitor's pick from the switch, else the order's language, else Russian."""
    codes = {code for code, _name in settings.LANGUAGES}
    asked = request.GET.get("lang") or ""
    if asked in codes:
        return asked
    if order is not None and order.language in codes:
        return order.language
    return settings.LANGUAGE_CODE


def _render(
    request: HttpRequest, template: str, language: str, context: dict[str, Any], status: int
) -> HttpResponse:
    org = organisation.current()
    with translation.override(language), timezone.override(org.tz):
        context = {"language": language, "org_name": org.name, **context}
        response = render(request, template, context, status=status)
    response["X-Robots-Tag"] = "noindex, nofollow"
    response["Referrer-Policy"] = REFERRER_POLICY
    response["Content-Language"] = language
    return response


@never_cache
@require_GET
def public_status(request: HttpRequest, token: str) -> HttpResponse:
    try:
        order = _order_for(token)
    except (Forged, Gone) as refusal:
        reason = "forged" if isinstance(refusal, Forged) else "gone"
        return _render(request, "orders/public_refused.html", _language(request, None),
                       {"reason": reason}, 400 if reason == "forged" else 404)  # fmt: skip
    lines = list(order.lines.only("name", "quantity", "unit", "total", "position", "order_id"))
    changes = list(
        order.changes.only("to_status", "changed_at", "order_id").order_by("changed_at", "pk")
    )
    context = {
        "order": order, "lines": lines, "changes": changes, "steps": steps(order, changes),
        "manager": order.owner.first_name, "stopped": order.status not in WAY,
    }  # fmt: skip
    return _render(request, "orders/public_status.html", _language(request, order), context, 200)


urlpatterns = [path("status/<str:token>/", public_status, name="public-status")]
