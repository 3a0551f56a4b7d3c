"""Form building blocks every page shares: Bootstrap widgets, service errors, owners."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from django import forms
from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied, ValidationError
from django.db.models import Q, QuerySet

from voronka.core.errors import NotAllowed, StaleVersion
from voronka.core.visibility import led_team_ids, sees_everything


def _widget_class(widget: forms.Widget) -> str:
    if isinstance(widget, forms.CheckboxInput | forms.RadioSelect | forms.CheckboxSelectMultiple):
        return "form-check-input"
    if isinstance(widget, forms.Select | forms.SelectMultiple):
        return "form-select"
    return "form-control"


class BootstrapFormMixin:
    """Gives each widget Bootstrap's class and marks fields with errors as invalid.

    Errors may arrive after validation (a service refusing a value), so the
    invalid marker is set whenever an error is added, not only in ``clean``.
    """

    fields: dict[str, forms.Field]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[call-arg]
        self.style_fields()

    def style_fields(self) -> None:
        """Give every visible widget its Bootstrap class; call again after adding fields."""
        for field in self.fields.values():
            widget = field.widget
            if widget.is_hidden:
                continue
            css = _widget_class(widget)
            existing = widget.attrs.get("class", "")
            if css not in existing.split():
                widget.attrs["class"] = f"{existing} {css}".strip()

    def add_error(self, field: str | None, error: Any) -> None:
        super().add_error(field, error)  # type: ignore[misc]
        for name in self.errors:  # type: ignore[attr-defined]
            if name in self.fields and not self.fields[name].widget.is_hidden:
                attrs = self.fields[name].widget.attrs
                if "is-invalid" not in attrs.get("class", "").split():
                    attrs["class"] = f"{attrs.get('class', '')} is-invalid".strip()


def add_service_errors(
    form: forms.BaseForm, exc: ValidationError, aliases: Mapping[str, str] | None = None
) -> None:
    """Put a service's ValidationError next to the fields it names.

    ``aliases`` maps a service's field name to the form's where they differ. A
    message about a field the form does not show goes to the top of the form, so
    no refusal is ever silent.
    """
    aliases = aliases or {}
    if not hasattr(exc, "error_dict"):
        form.add_error(None, exc)
        return
    for name, errors in exc.error_dict.items():
        field = aliases.get(name, name)
        if field in form.fields and field != NON_FIELD_ERRORS:
            form.add_error(field, errors)
        else:
            form.add_error(None, errors)


def assignable_owners(actor: Any, *, current_id: int | None = None) -> QuerySet[Any]:
    """Users ``actor`` may make responsible (``visibility.may_own``), plus the current one.

    The current owner stays selectable so that editing other fields of a record
    does not force a change of its owner.
    """
    from voronka.accounts.models import User

    active = User.objects.filter(is_active=True)
    if sees_everything(actor):
        allowed = Q()
    elif getattr(actor, "role", "") == "manager":
        allowed = Q(pk=actor.pk)
        teams = led_team_ids(actor)
        if teams:
            allowed |= Q(team_id__in=teams)
    else:
        allowed = Q(pk__in=[])
    if current_id:
        allowed |= Q(pk=current_id)
    return active.filter(allowed).order_by("last_name", "first_name", "username")


def owner_filter_choices(user: Any) -> QuerySet[Any]:
    """Whom a list may be filtered by: everybody for those who see every record."""
    from voronka.accounts.models import User

    if sees_everything(user) or getattr(user, "role", "") == "support":
        return User.objects.filter(is_active=True).order_by("last_name", "first_name", "username")
    return assignable_owners(user)


@contextmanager
def service_errors(
    form: forms.BaseForm, aliases: Mapping[str, str] | None = None
) -> Iterator[None]:
    """Run a service call for a form: a refusal becomes the form's errors.

    Field errors go next to their fields, a stale version to the top of the form
    (the user's input stays), and "not yours to change" is a 403. Code after the
    service call inside the block runs only when the call succeeded::

        with service_errors(form):
            services.lead_update(...)
            return redirect(...)
        return render(..., status=422)
    """
    try:
        yield
    except ValidationError as exc:
        add_service_errors(form, exc, aliases)
    except StaleVersion as exc:
        form.add_error(None, str(exc.message))
    except NotAllowed as exc:
        raise PermissionDenied(str(exc)) from exc
