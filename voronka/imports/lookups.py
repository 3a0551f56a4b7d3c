"""Finding the records a row refers to: a user by name or e-mail, a company by name or
tax id, a product by name (or one of its other spellings), a lead by its external id.

Small tables (people, teams, sources, stages, products …) are read once per import;
large ones (companies, contacts, leads, deals) are looked up a batch of rows at a time.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterable
from functools import cached_property
from typing import Any

from django.db.models import Model
from django.utils.text import slugify

from voronka.accounts.models import Role, Team, User
from voronka.clients.models import Company, Contact
from voronka.core.text import normalize_email, normalize_phone
from voronka.imports.models import ExternalKey
from voronka.sales.models import (
    Deal,
    Lead,
    LeadSource,
    LostReason,
    Pipeline,
    Product,
    ProductCategory,
    Stage,
)


def fold(value: Any) -> str:
    return " ".join(str(value).split()).casefold().replace("ё", "е")


class NotFound(LookupError):
    pass


class Named:
    """A small table looked up by name (case and extra spaces ignored)."""

    def __init__(self, model: type[Model], *, extra: dict[str, Any] | None = None) -> None:
        self.model = model
        self.extra = extra or {}
        self.by_name: dict[str, int] = {}
        manager = getattr(model, "all_objects", model._default_manager)
        for pk, name in manager.order_by("-pk").values_list("pk", "name"):
            self.by_name[fold(name)] = pk

    def find(self, name: str, *, create: bool, created: list[Model]) -> int:
        key = fold(name)
        if key in self.by_name:
            return self.by_name[key]
        if not create:
            raise NotFound(name)
        obj = self.model._default_manager.create(name=" ".join(name.split()), **self.extra)
        created.append(obj)
        self.by_name[key] = obj.pk
        return obj.pk


class People:
    """Users by username, e-mail or full name ("First Last" or "Last First")."""

    def __init__(self) -> None:
        self.index: dict[str, int] = {}
        self.users: dict[int, User] = {}
        for user in User.objects.order_by("-pk"):
            self._add(user)

    def _add(self, user: User) -> None:
        self.users[user.pk] = user
        for key in (
            user.username, user.email, f"{user.first_name} {user.last_name}",
            f"{user.last_name} {user.first_name}",
        ):  # fmt: skip
            if key.strip():
                self.index[fold(key)] = user.pk

    def find(self, value: str, *, create: bool, created: list[Model], team_id: int | None = None,
             role: str = Role.MANAGER) -> int:  # fmt: skip
        key = fold(value)
        if key in self.index:
            return self.index[key]
        if not create:
            raise NotFound(value)
        user = self.create(value, team_id=team_id, role=role)
        created.append(user)
        return user.pk

    def create(self, full_name: str, *, email: str = "", team_id: int | None = None,
               role: str = Role.MANAGER, username: str = "") -> User:  # fmt: skip
        """A person named in the file: can't log in until an administrator sets a password."""
        parts = full_name.split()
        first, last = (parts[0], " ".join(parts[1:])) if parts else ("", "")
        user = User(
            username=username or self.free_username(email.split("@")[0] if email else full_name),
            first_name=first[:150], last_name=last[:150], email=email, role=role,
            team_id=team_id,
        )  # fmt: skip
        user.set_unusable_password()
        user.save()
        self._add(user)
        return user

    def free_username(self, hint: str) -> str:
        base = re.sub(r"[^\w.@+-]", "", slugify(hint, allow_unicode=False).replace("-", "."))
        base = (base or "user")[:140]
        name = base
        while fold(name) in self.index or User.objects.filter(username__iexact=name).exists():
            name = f"{base}.{secrets.randbelow(10_000)}"
        return name


def external_ids(entity: str, system: str, keys: Iterable[str]) -> dict[str, int]:
    keys = list({k for k in keys if k})
    found: dict[str, int] = {}
    for i in range(0, len(keys), 500):
        found.update(
            ExternalKey.objects.filter(entity=entity, system=system, key__in=keys[i : i + 500])
            .values_list("key", "object_id")
        )  # fmt: skip
    return found


def _first_by(qs: Any, field: str, values: Iterable[str]) -> dict[str, int]:
    """{value: lowest id} for records whose ``field`` is one of ``values``."""
    values = list({v for v in values if v})
    found: dict[str, int] = {}
    for i in range(0, len(values), 500):
        for pk, value in qs.filter(**{f"{field}__in": values[i : i + 500]}).order_by("-pk").values_list("pk", field):  # fmt: skip  # noqa: E501
            found[value] = pk
    return found


class Lookups:
    """Every lookup one import needs, with what it created along the way."""

    def __init__(self, system: str) -> None:
        self.system = system
        self.created: list[Model] = []
        self.people = People()
        self.teams = Named(Team)
        self.sources = Named(LeadSource, extra={"kind": LeadSource.Kind.IMPORT})
        self.reasons = Named(LostReason)
        self.categories = Named(ProductCategory)
        self.pipelines = Named(Pipeline)
        self.stages: dict[tuple[int, str], Stage] = {
            (s.pipeline_id, fold(s.name)): s for s in Stage.objects.order_by("-pk")
        }
        self.products: dict[str, int] = {}
        self.product_prices: dict[int, Any] = {}
        for pk, name, sku, price in Product.objects.order_by("-pk").values_list(
            "pk", "name", "sku", "price"
        ):
            self.products[fold(name)] = pk
            if sku:
                self.products.setdefault(fold(sku), pk)
            self.product_prices[pk] = price

    def stage(self, pipeline_id: int, name: str) -> Stage:
        try:
            return self.stages[(pipeline_id, fold(name))]
        except KeyError:
            raise NotFound(name) from None

    def product(
        self, name: str, *, create: bool = False, created: list[Model] | None = None
    ) -> int:
        key = fold(name)
        if key in self.products:
            return self.products[key]
        if not create:
            raise NotFound(name)
        from voronka.core import organisation

        product = Product.objects.create(
            name=" ".join(name.split())[:200], currency=organisation.current().base_currency
        )
        self.products[key] = product.pk
        self.product_prices[product.pk] = product.price
        (self.created if created is None else created).append(product)
        return product.pk

    @cached_property
    def request_categories(self) -> Named:
        """Categories of client requests, read only by an import that needs them."""
        from voronka.service.models import Category

        return Named(Category)

    def batch(self, entity: str, lookup: str, values: Iterable[str]) -> dict[str, int]:
        """{value as written: id} for one batch of rows; values not found are left out."""
        values = [v for v in set(values) if v]
        if not values:
            return {}
        if lookup == "external_id":
            found = external_ids(entity, self.system, values)
            if entity == "leads":
                missing = [v for v in values if v not in found]
                found.update(_first_by(Lead.objects, "external_id", missing))
            return found
        if lookup == "id":
            ids = {v: int(v) for v in values if v.isdigit()}
            model = {"companies": Company, "contacts": Contact, "leads": Lead, "deals": Deal}[
                entity
            ]
            alive = set(model.objects.filter(pk__in=ids.values()).values_list("pk", flat=True))
            return {v: pk for v, pk in ids.items() if pk in alive}
        if entity == "companies":
            if lookup == "name":
                # Names join verbatim; a name with extra spaces in the file still finds its
                # company written with single ones.
                tidy = {v: " ".join(v.split()) for v in values}
                by = _first_by(Company.objects, "name", [*values, *tidy.values()])
                return {v: by.get(v) or by[tidy[v]] for v in values if v in by or tidy[v] in by}
            if lookup == "tax_id":
                return _first_by(Company.objects, "tax_id", values)
        if entity in ("companies", "contacts"):
            model = Company if entity == "companies" else Contact
            if lookup == "email":
                by = _first_by(model.objects, "email_normalized", [normalize_email(v) for v in values])  # fmt: skip  # noqa: E501
                return {v: by[normalize_email(v)] for v in values if normalize_email(v) in by}
            if lookup == "phone":
                by = _first_by(model.objects, "phone_normalized", [normalize_phone(v) for v in values])  # fmt: skip  # noqa: E501
                return {v: by[normalize_phone(v)] for v in values if normalize_phone(v) in by}
        if entity == "contacts" and lookup == "full_name":
            found = {}
            for v in values:
                parts = v.split()
                if len(parts) >= 2:
                    pk = (
                        Contact.objects.filter(first_name=parts[0], last_name=" ".join(parts[1:]))
                        .order_by("pk").values_list("pk", flat=True).first()
                    )  # fmt: skip
                    if pk is not None:
                        found[v] = pk
            return found
        raise NotFound(f"{entity} cannot be found by {lookup}")
