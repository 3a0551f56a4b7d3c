"""A form's public address: posted to from other sites, and a hosted page of its own.

It takes ``application/x-www-form-urlencoded``, ``multipart/form-data`` and JSON. JSON
callers (and those asking for JSON in ``Accept``) get JSON answers; browsers get pages.
There is no CSRF token to check — other sites post here — so nothing here acts on
behalf of a logged-in user: a submission only ever makes a new lead or client request.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Mapping
from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from voronka.webforms import conf, queries, services
from voronka.webforms.models import (
    HONEYPOT_FIELD,
    REFERRER_FIELD,
    REFERRER_MAX_LENGTH,
    SUBMISSION_ID_FIELD,
    UTM_FIELDS,
    UTM_MAX_LENGTH,
    WebForm,
    WebFormSubmission,
)
from voronka.webforms.public import DEFAULT_SUCCESS, PublicForm, tracking

Result = WebFormSubmission.Result
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")
JSON_TYPE = "application/json"
PREFLIGHT_MAX_AGE = "86400"


def _json(data: Any, status: int = 200) -> JsonResponse:
    return JsonResponse(data, status=status, json_dumps_params={"ensure_ascii": False})


class BadBody(Exception):
    def __init__(self, items: list[dict[str, str]]) -> None:
        super().__init__(items)
        self.items = items


def _wants_json(request: HttpRequest) -> bool:
    if request.content_type == JSON_TYPE:
        return True
    accept = request.headers.get("Accept", "")
    return JSON_TYPE in accept and "text/html" not in accept


def _cors(response: HttpResponse, form: WebForm | None, request: HttpRequest) -> HttpResponse:
    """Let the form's allowed sites (any site, if none is listed) read the answer."""
    origin = request.headers.get("Origin", "")
    if form is None or not origin:
        return response
    if not form.allowed_origins:
        response["Access-Control-Allow-Origin"] = "*"
    elif services.origin_allowed(form, origin):
        response["Access-Control-Allow-Origin"] = origin
        response["Vary"] = "Origin"
    return response


def _client_ip(request: HttpRequest) -> str | None:
    header = conf.ip_header()
    raw = request.META.get(header, "") if header else ""
    # Behind a proxy the last address is the one the proxy itself added: the visitor's.
    address = raw.split(",")[-1].strip() if raw else request.META.get("REMOTE_ADDR", "")
    return address or None


def _visit(request: HttpRequest) -> services.Visit:
    return services.Visit(
        ip=_client_ip(request),
        user_agent=request.headers.get("User-Agent", ""),
        referrer=request.headers.get("Referer", ""),
        origin=request.headers.get("Origin", ""),
    )


def _json_body(request: HttpRequest) -> dict[str, str]:
    """A JSON object's values as text; anything else is refused naming what is wrong."""
    try:
        body = json.loads(request.body or b"{}")
    except (UnicodeDecodeError, ValueError) as exc:
        raise BadBody([{"field": "body", "message": _("The body is not valid JSON.")}]) from exc
    if not isinstance(body, dict):
        raise BadBody([{"field": "body", "message": _("Send the fields as a JSON object.")}])
    data: dict[str, str] = {}
    errors = []
    for name, value in body.items():
        if value is None:
            continue
        if isinstance(value, dict | list):
            errors.append({"field": str(name), "message": _("Send this field as text.")})
        else:
            data[str(name)] = str(value).lower() if isinstance(value, bool) else str(value)
    if errors:
        raise BadBody(errors)
    return data


def _body(request: HttpRequest) -> Mapping[str, Any]:
    if request.content_type == JSON_TYPE:
        return _json_body(request)
    if request.content_type in FORM_TYPES:
        return {name: request.POST.get(name, "") for name in request.POST}
    raise BadBody(
        [
            {
                "field": "body",
                "message": _("Send the form as JSON, urlencoded or multipart form data."),
            }
        ]
    )


def _hosted(
    request: HttpRequest,
    form: WebForm,
    fields: PublicForm,
    *,
    tracking: Mapping[str, str],
    status: int = 200,
    notice: str = "",
) -> HttpResponse:
    return render(
        request,
        "webforms/public_form.html",
        {
            "webform": form,
            "fields": fields,
            "tracking": tracking,
            "honeypot": HONEYPOT_FIELD,
            "notice": notice,
        },
        status=status,
    )


def _not_found(request: HttpRequest) -> HttpResponse:
    if _wants_json(request):
        return _json({"detail": _("This form does not exist or is switched off.")}, status=404)
    return render(request, "webforms/public_missing.html", status=404)


def _tracking_from_visit(request: HttpRequest) -> dict[str, str]:
    """The hosted page carries its own UTM tags and referrer along into the post."""
    track = {name: request.GET.get(name, "")[:UTM_MAX_LENGTH] for name in UTM_FIELDS}
    track[REFERRER_FIELD] = request.headers.get("Referer", "")[:REFERRER_MAX_LENGTH]
    track[SUBMISSION_ID_FIELD] = secrets.token_urlsafe(16)
    return track


@csrf_exempt
@require_http_methods(["GET", "POST", "OPTIONS"])
def public_form(request: HttpRequest, key: str) -> HttpResponse:
    form = queries.webform_by_key(key)
    if form is None:
        return _not_found(request)
    if request.method == "OPTIONS":
        response = HttpResponse(status=204)
        if services.origin_allowed(form, request.headers.get("Origin", "")):
            response["Access-Control-Allow-Methods"] = "POST, OPTIONS"
            response["Access-Control-Allow-Headers"] = "Content-Type, Accept, Accept-Language"
            response["Access-Control-Max-Age"] = PREFLIGHT_MAX_AGE
        return _cors(response, form, request)
    if request.method == "GET":
        return _hosted(request, form, PublicForm(form), tracking=_tracking_from_visit(request))
    return _cors(_submit(request, form), form, request)


def _submit(request: HttpRequest, form: WebForm) -> HttpResponse:
    wants_json = _wants_json(request)
    try:
        data = _body(request)
    except BadBody as exc:
        if wants_json:
            return _json({"detail": exc.items}, status=400)
        data = {}
    submission, checked = services.submission_receive(form=form, data=data, visit=_visit(request))
    result = submission.result
    if result == Result.RATE_LIMITED:
        return _too_many(request, form, data, wants_json)
    if result == Result.INVALID:
        status = 403 if "origin" in submission.errors else 400
        if wants_json:
            if status == 403:
                return _json({"detail": submission.errors["origin"][0]}, status=403)
            return _json({"detail": checked.error_items()}, status=400)
        if status == 403:
            refused = PublicForm(form, initial=dict(data))
            notice = submission.errors["origin"][0]
            return _hosted(
                request, form, refused, tracking=tracking(data), status=403, notice=notice
            )
        return _hosted(request, form, checked, tracking=tracking(data), status=400)
    # Created, attached, duplicate and spam all look the same from outside.
    message = form.success_message or str(DEFAULT_SUCCESS)
    if wants_json:
        return _json({"ok": True, "message": message, "redirect": form.redirect_url})
    if form.redirect_url:
        return redirect(form.redirect_url)
    return render(request, "webforms/public_thanks.html", {"webform": form, "message": message})


def _too_many(
    request: HttpRequest,
    form: WebForm,
    data: Mapping[str, Any],
    wants_json: bool,
) -> HttpResponse:
    message = _("Too many submissions from your address. Please wait a minute and try again.")
    response: HttpResponse
    if wants_json:
        response = _json({"detail": message}, status=429)
    else:
        again = PublicForm(form, initial=dict(data))
        response = _hosted(
            request, form, again, tracking=tracking(data), status=429, notice=message
        )
    response["Retry-After"] = str(conf.rate_window())
    return response
