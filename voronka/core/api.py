"""What every API router shares: authentication, error answers, list pages, references.

Errors have one shape whatever raised them, so a client handles them once:

* 422 ``{"detail": [{"loc": ["body", field], "msg": ..., "type": ...}]}`` — bad input,
  from pydantic (ninja) or from a service's ``ValidationError``;
* 409 ``{"detail": ..., "current_version": n}`` — the record changed meanwhile;
* 403 ``{"detail": ...}`` — visible, but not yours to change (or no CSRF token);
* 404 ``{"detail": "Not found."}`` — missing, deleted, or not visible to you;
* 400 ``{"detail": ...}`` — a list cursor that is not one we issued;
* 401 ``{"detail": "Unauthorized"}`` — no valid token and no session.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Annotated, Any

from django.conf import settings
from django.core.exceptions import NON_FIELD_ERRORS, ObjectDoesNotExist, ValidationError
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import gettext_lazy as _
from ninja import Field, NinjaAPI, Schema
from ninja.errors import ValidationError as NinjaValidationError
from ninja.security import HttpBearer
from ninja.security.apikey import APIKeyCookie
from pydantic import AfterValidator, BeforeValidator

from voronka.accounts.services import api_token_authenticate
from voronka.core.errors import NotAllowed, StaleVersion
from voronka.core.pagination import BadCursor, Page, keyset_page

NOT_FOUND = "Not found."
MAX_ID = 2**63 - 1  # bigint: larger ids would overflow the database driver
MAX_LIMIT = 200


# --- Authentication ----------------------------------------------------------------


class TokenAuth(HttpBearer):
    """``Authorization: Bearer vrk_…`` — a personal API token, stored only as a hash."""

    def authenticate(self, request: HttpRequest, token: str) -> Any:
        return api_token_authenticate(token)


class SessionAuth(APIKeyCookie):
    """The browser's login session, with Django's CSRF check on unsafe methods."""

    param_name = settings.SESSION_COOKIE_NAME

    def __init__(self) -> None:
        super().__init__(csrf=True)

    def _get_key(self, request: HttpRequest) -> str | None:
        # Without a login there is nothing to protect: answer 401, not a CSRF 403.
        if not request.user.is_authenticated:
            return None
        return super()._get_key(request)

    def authenticate(self, request: HttpRequest, key: str | None) -> Any:
        user = request.user
        return user if user.is_authenticated and user.is_active else None


def actor(request: HttpRequest) -> Any:
    """The user an authenticated API request acts for."""
    return request.auth  # type: ignore[attr-defined]


# --- Error answers ---------------------------------------------------------------------


class ErrorOut(Schema):
    detail: str


class ConflictOut(Schema):
    detail: str
    current_version: int | None


class ErrorItem(Schema):
    loc: list[str | int]
    msg: str
    type: str


class ValidationErrorOut(Schema):
    detail: list[ErrorItem]


_ERROR_SCHEMAS: dict[int, Any] = {
    400: ErrorOut,
    401: ErrorOut,
    403: ErrorOut,
    404: ErrorOut,
    409: ConflictOut,
    422: ValidationErrorOut,
}


def responses(success: Mapping[int, Any], *codes: int) -> dict[int, Any]:
    """The ``response=`` of an operation: its success plus every error it can answer.

    401 (no credentials) and 422 (input that does not parse) can happen anywhere.
    """
    answer = dict(success)
    for code in (401, 422, *codes):
        answer[code] = _ERROR_SCHEMAS[code]
    return answer


def _field_errors(exc: ValidationError) -> list[dict[str, Any]]:
    if hasattr(exc, "error_dict"):
        items = []
        for name, messages in exc.message_dict.items():
            loc = ["body"] if name == NON_FIELD_ERRORS else ["body", name]
            items += [{"loc": loc, "msg": str(m), "type": "value_error"} for m in messages]
        return items
    return [{"loc": ["body"], "msg": str(m), "type": "value_error"} for m in exc.messages]


def _without_param_name(errors: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """``["body", "payload", "name"]`` → ``["body", "name"]``, as service errors say it."""
    for error in errors:
        loc = list(error.get("loc", ()))
        if loc[:2] == ["body", "payload"]:
            error["loc"] = ["body", *loc[2:]]
    return errors


def install_error_handlers(api: NinjaAPI) -> None:
    def answer(request: HttpRequest, body: dict[str, Any], status: int) -> HttpResponse:
        return api.create_response(request, body, status=status)

    handlers: dict[type[Exception], Any] = {
        ValidationError: lambda r, e: answer(r, {"detail": _field_errors(e)}, 422),
        NinjaValidationError: lambda r, e: answer(
            r, {"detail": _without_param_name(e.errors)}, 422
        ),
        StaleVersion: lambda r, e: answer(
            r, {"detail": str(e.message), "current_version": e.current_version}, 409
        ),
        NotAllowed: lambda r, e: answer(r, {"detail": str(e)}, 403),
        ObjectDoesNotExist: lambda r, e: answer(r, {"detail": NOT_FOUND}, 404),
        Http404: lambda r, e: answer(r, {"detail": NOT_FOUND}, 404),
        BadCursor: lambda r, e: answer(r, {"detail": str(e)}, 400),
    }
    for exc_class, handler in handlers.items():
        api.add_exception_handler(exc_class, handler)


# --- Input and output types ------------------------------------------------------------


def _storable(value: str) -> str:
    # PostgreSQL refuses NUL and unpaired surrogates in text: bad input, not a failed save.
    if "\x00" in value:
        raise ValueError("must not contain the NUL character")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise ValueError("must be valid Unicode text") from exc
    return value


Text = Annotated[str, AfterValidator(_storable)]
Id = Annotated[int, Field(ge=1, le=MAX_ID)]
Version = Annotated[int, Field(ge=1, le=2**31 - 1, description="The version you read.")]


def _decimal_text(value: Any) -> Any:
    return str(value) if isinstance(value, Decimal) else value


# Money and quantities go out as strings ("10000.00"): no float rounding on the way.
DecimalStr = Annotated[str, BeforeValidator(_decimal_text)]


def _no_default(schema: dict[str, Any]) -> None:
    schema.pop("default", None)


def optional() -> Any:
    """A field a PATCH may leave out; ``null`` stays invalid unless the type allows it."""
    return Field(default=None, json_schema_extra=_no_default)


class Ref(Schema):
    """Any related record by id and the name people know it by."""

    id: int
    name: str

    @staticmethod
    def resolve_name(obj: Any) -> str:
        return str(obj)


# --- Lists -------------------------------------------------------------------------------


class ListParams(Schema):
    cursor: str | None = Field(None, max_length=2000)
    limit: int = Field(settings.VORONKA_PAGE_SIZE, ge=1, le=MAX_LIMIT)


class PageOut(Schema):
    next_cursor: str | None
    prev_cursor: str | None
    count: int
    count_capped: bool


def page(qs: QuerySet, *, ordering: list[str], params: ListParams) -> dict[str, Any]:
    """One keyset page of ``qs`` in the shape every list answers with."""
    result: Page = keyset_page(qs, ordering=ordering, cursor=params.cursor, limit=params.limit)
    return {
        "items": result.items,
        "next_cursor": result.next_cursor,
        "prev_cursor": result.prev_cursor,
        "count": result.total,
        "count_capped": result.total_capped,
    }


# --- Foreign keys in input ----------------------------------------------------------------

_NO_SUCH = {
    "company": _("No such company."),
    "contact": _("No such contact."),
    "owner": _("No such user."),
    "source": _("No such source."),
    "pipeline": _("No such pipeline."),
    "stage": _("No such stage."),
    "product": _("No such product."),
    "category": _("No such category."),
    "lost_reason": _("No such reason."),
    "reason": _("No such reason."),
}


def resolve_refs(data: Mapping[str, Any], **querysets: QuerySet) -> dict[str, Any]:
    """Replace ids in ``data`` by records found in the given (visibility-scoped) querysets.

    An id the actor may not see is answered as if it did not exist: 422 naming the
    field, never a hint that the record is there.
    """
    resolved = dict(data)
    errors: dict[str, Any] = {}
    for name, qs in querysets.items():
        pk = resolved.get(name)
        if pk is None:
            continue
        found = qs.filter(pk=pk).first()
        if found is None:
            errors[name] = _NO_SUCH.get(name, _("No such record."))
        resolved[name] = found
    if errors:
        raise ValidationError(errors)
    return resolved


def resolve_one(name: str, pk: int | None, qs: QuerySet) -> Any:
    """One id resolved as :func:`resolve_refs` does; ``None`` stays ``None``."""
    return resolve_refs({name: pk}, **{name: qs})[name]
