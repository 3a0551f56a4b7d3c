"""The user's own pages: profile, interface language and personal API tokens."""

from __future__ import annotations

from typing import Any, cast

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from voronka.accounts import services
from voronka.accounts.forms import ApiTokenForm, LanguageForm
from voronka.accounts.models import ApiToken, User
from voronka.core.errors import NotAllowed


def _me(request: HttpRequest) -> User:
    # Every view here is behind login_required.
    return cast(User, request.user)


def _own_tokens(user: Any) -> Any:
    # A person only ever sees their own tokens; revoked ones stay listed for the record.
    return ApiToken.objects.filter(user=user).order_by("revoked_at", "-created_at", "-pk")


def _profile_page(
    request: HttpRequest,
    *,
    token_form: ApiTokenForm | None = None,
    new_token: ApiToken | None = None,
    new_secret: str = "",
    status: int = 200,
) -> HttpResponse:
    user = _me(request)
    context = {
        "language_form": LanguageForm(initial={"language": user.language}),
        "token_form": token_form or ApiTokenForm(),
        "tokens": list(_own_tokens(user)),
        "new_token": new_token,
        "new_secret": new_secret,
        "browser_language": translation.get_language_from_request(request),
    }
    return render(request, "accounts/profile.html", context, status=status)


@login_required
def profile(request: HttpRequest) -> HttpResponse:
    return _profile_page(request)


def _safe_next(request: HttpRequest, fallback: str) -> str:
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return fallback


@login_required
@require_POST
def language(request: HttpRequest) -> HttpResponse:
    """Save the interface language; an empty choice follows the browser again."""
    form = LanguageForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose one of the offered languages."))
        return redirect("accounts:profile")
    code = form.cleaned_data["language"]
    try:
        services.user_set_language(actor=_me(request), language=code)
    except ValidationError:
        messages.error(request, _("Choose one of the offered languages."))
        return redirect("accounts:profile")
    # Speak the new language at once, in the confirmation too.
    translation.activate(code or translation.get_language_from_request(request))
    messages.success(request, _("Interface language saved."))
    response = redirect(_safe_next(request, "accounts:profile"))
    # The cookie keeps the choice on the login page after logging out; "as in the
    # browser" must forget it, or the old cookie would win over Accept-Language.
    if code:
        response.set_cookie(
            settings.LANGUAGE_COOKIE_NAME,
            code,
            max_age=settings.LANGUAGE_COOKIE_AGE,
            samesite="Lax",
            secure=settings.SESSION_COOKIE_SECURE,
        )
    else:
        response.delete_cookie(settings.LANGUAGE_COOKIE_NAME)
    return response


@login_required
@require_POST
def token_create(request: HttpRequest) -> HttpResponse:
    """Issue a token and show its secret once, on this response only."""
    form = ApiTokenForm(request.POST)
    if not form.is_valid():
        return _profile_page(request, token_form=form, status=422)
    token, secret = services.api_token_create(actor=_me(request), name=form.cleaned_data["name"])
    response = _profile_page(request, new_token=token, new_secret=secret)
    # The secret is in this page only: keep it out of every cache.
    response["Cache-Control"] = "no-store"
    return response


@login_required
@require_POST
def token_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    token = _own_tokens(request.user).filter(pk=pk).first()
    if token is None:
        raise Http404
    if token.revoked_at is None:
        try:
            services.api_token_revoke(actor=_me(request), token=token)
        except NotAllowed:
            raise PermissionDenied from None
        messages.success(request, _("Token «%(name)s» revoked.") % {"name": token.name})
    return redirect("accounts:profile")
