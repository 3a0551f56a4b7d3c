"""People and configuration the generated records refer to.

These are few, so they go through the real services (or get_or_create for the
plain lookup tables) and are reused when the seed runs a second time.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from decimal import Decimal

from voronka.accounts.models import Role, Team, User
from voronka.accounts.services import user_create
from voronka.clients.models import Tag
from voronka.core.seeding import catalog
from voronka.sales import services as sales_services
from voronka.sales.models import (
    LeadSource,
    LostReason,
    Pipeline,
    Product,
    ProductCategory,
    Stage,
)


@dataclass
class Manager:
    id: int
    team_id: int
    skill: float  # multiplies the chance to win; the leaderboard spreads out
    weight: float  # share of new work


@dataclass
class Reference:
    admin: User
    managers: list[Manager]
    sources: dict[str, LeadSource]
    lost_reasons: list[tuple[int, int]]  # (id, weight)
    reject_reasons: list[tuple[int, int]]
    pipelines: dict[str, tuple[Pipeline, list[Stage]]]
    products: list[tuple[Product, str, int]]  # (product, category name, typical quantity)
    tags: list[int] = field(default_factory=list)


def manager_count(deals: int) -> int:
    """Eight managers for a demo; more for big data, as a bigger company has."""
    return max(8, min(20, deals // 5000))


def _user(username: str, role: str, first: str, last: str, team: Team | None) -> User:
    existing = User.objects.filter(username=username).first()
    if existing is not None:
        return existing
    return user_create(
        username=username,
        password=catalog.DEMO_PASSWORD,
        role=role,
        team=team,
        first_name=first,
        last_name=last,
        email=f"{username}@voronka.example",
    )


def _people(deals: int, rng: random.Random) -> tuple[User, list[Manager]]:
    staff = {u: _user(u, role, f, last, None) for u, role, f, last in catalog.STAFF}
    teams = [Team.objects.get_or_create(name=name)[0] for name in catalog.TEAMS]
    managers: list[Manager] = []
    n = manager_count(deals)
    for i in range(n):
        team = teams[i % len(teams)]
        first, last = catalog.MANAGER_NAMES[i % len(catalog.MANAGER_NAMES)]
        user = _user(f"manager{i + 1}", Role.MANAGER, first, last, team)
        if team.lead_id is None:
            # manager1, manager2 and manager3 lead the three teams
            Team.objects.filter(pk=team.pk).update(lead=user)
            team.lead = user
        # manager1 is the star; the rest spread from weak to strong
        skill = 1.35 if i == 0 else rng.uniform(0.6, 1.25)
        managers.append(Manager(user.pk, team.pk, skill, rng.uniform(0.6, 1.4)))
    return staff["admin"], managers


def _pipeline(admin: User, spec: tuple, is_default: bool) -> tuple[Pipeline, list[Stage]]:
    name, stages = spec
    pipeline = Pipeline.objects.filter(name=name).first()
    if pipeline is None:
        pipeline = sales_services.pipeline_create(
            actor=admin,
            name=name,
            is_default=is_default,
            stages=[
                {"name": s, "probability": Decimal(p), "kind": kind, "position": i + 1}
                for i, (s, p, kind) in enumerate(stages)
            ],
        )
    return pipeline, list(pipeline.stages.order_by("position", "pk"))


def _reasons(specs: list[tuple[str, int]]) -> list[tuple[int, int]]:
    return [(LostReason.objects.get_or_create(name=n)[0].pk, w) for n, w in specs]


def _products(admin: User) -> list[tuple[Product, str, int]]:
    out = []
    for category_name, items in catalog.PRODUCTS.items():
        category = ProductCategory.objects.get_or_create(name=category_name)[0]
        for i, (name, price, qty) in enumerate(items):
            product = Product.objects.filter(name=name).first()
            if product is None:
                product = sales_services.product_create(
                    actor=admin,
                    data={
                        "name": name,
                        "category": category,
                        "price": Decimal(price),
                        "sku": f"{category.pk:02d}-{i + 1:03d}",
                    },
                )
            out.append((product, category_name, qty))
    return out


def ensure(deals: int, rng: random.Random) -> Reference:
    """Create (or find) the users, teams, sources, reasons, pipelines, products, tags."""
    admin, managers = _people(deals, rng)
    sources = {}
    for name, kind, _share, _conv in catalog.SOURCES:
        source = LeadSource.objects.filter(name=name).first()
        sources[name] = source or sales_services.lead_source_create(
            actor=admin, name=name, kind=kind
        )
    sales = _pipeline(admin, catalog.SALES_PIPELINE, is_default=True)
    repeat = _pipeline(admin, catalog.REPEAT_PIPELINE, is_default=False)
    tags = [Tag.objects.get_or_create(name=n, defaults={"kind": k})[0].pk for n, k in catalog.TAGS]
    return Reference(
        admin=admin,
        managers=managers,
        sources=sources,
        lost_reasons=_reasons(catalog.LOST_REASONS),
        reject_reasons=_reasons(catalog.LEAD_REJECT_REASONS),
        pipelines={"sales": sales, "repeat": repeat},
        products=_products(admin),
        tags=tags,
    )
