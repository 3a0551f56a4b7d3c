"""People and configuration the generated records refer to.

These are few, so they go through the real services (or get_or_create for the
plain lookup tables) and are reused when the seed runs a second time.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field
from decimal import Decimal

from voronka.accounts.models import Role, Team, User
from voronka.accounts.services import user_create
from voronka.clients.models import Tag
from voronka.core import organisation
from voronka.core.models import CalendarDay
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


# --- The service desk -------------------------------------------------------------------------

# username, first name, last name: agents beside catalog.STAFF's «support»
SUPPORT_AGENTS = [("support2", "Кирилл", "Лебедев"), ("support3", "Алина", "Жукова")]
# The senior agent takes the most requests.
SUPPORT_WEIGHTS = {"support": 0.45, "support2": 0.3, "support3": 0.25}

_GOODS = ("Оборудование", "Расходные материалы")
_SOFTWARE = ("Программное обеспечение",)
_WORKS = ("Внедрение и интеграция", "Обучение", "Сервис и поддержка")


@dataclass(frozen=True)
class RequestCategory:
    name: str
    products: tuple[str, ...] | None  # the catalog.PRODUCTS categories it is about; None: any
    handling: int  # working minutes from the first response to the resolution, median
    spread: float  # of the handling time (lognormal sigma)
    at_once: float  # share resolved by the first reply
    third_party: float  # share waiting for a warehouse, carrier, vendor or service centre


# In the order the forms offer them.
REQUEST_CATEGORIES = [
    RequestCategory("Доставка", _GOODS, 420, 0.7, 0.1, 0.3),
    RequestCategory("Оплата и счета", None, 240, 0.8, 0.35, 0.0),
    RequestCategory("Качество товара", _GOODS, 600, 0.7, 0.0, 0.5),
    # warranty repairs take what the manufacturer's service centre takes
    RequestCategory("Гарантия и возврат", _GOODS[:1], 2400, 0.6, 0.15, 0.8),
    RequestCategory("Консультация", None, 120, 0.8, 0.55, 0.0),
    RequestCategory("Технические вопросы", (*_GOODS[:1], *_SOFTWARE, *_WORKS[::2]), 300, 0.9,
                    0.2, 0.15),
    RequestCategory("Лицензии и доступы", _SOFTWARE, 200, 0.8, 0.3, 0.3),
    RequestCategory("Закрывающие документы", None, 360, 0.8, 0.3, 0.15),
    RequestCategory("Качество работ и услуг", _WORKS, 600, 0.7, 0.1, 0.0),
]  # fmt: skip

WORKING_DAY = 9 * 60  # minutes from 9:00 to 18:00
# name, kind, priority, first response, resolution (minutes), clock, warn before (minutes).
# The most specific policy wins (sla.policy_for), so complaints and order problems of
# normal priority get their own targets while urgent and high ones follow the priority.
SLA_POLICIES = [
    ("Срочные обращения", "", "urgent", 30, 4 * 60, "working", 10),
    ("Высокий приоритет", "", "high", 60, 8 * 60, "working", 15),
    ("Обычные обращения", "", "normal", 4 * 60, 2 * WORKING_DAY, "working", 60),
    ("Жалобы", "complaint", "normal", 2 * 60, WORKING_DAY, "working", 30),
    # orders are shipped on weekends too: their problems are counted round the clock
    ("Проблемы с заказом (круглосуточно)", "order_problem", "normal", 2 * 60, 24 * 60,
     "calendar", 60),
    ("Прочие обращения", "", "", 8 * 60, 5 * WORKING_DAY, "working", 120),
]  # fmt: skip

_NEW_YEAR = "Новогодние каникулы"
_MOVED = "Перенос выходного дня"
# Russia's production calendar (Government decrees No. 1335 of 4.10.2024 and No. 1466 of
# 24.09.2025): (day, name, is a working day). Holidays that fall on a weekend change
# nothing and are left out, except the New Year holidays, listed whole.
CALENDAR_EXCEPTIONS: list[tuple[dt.date, str, bool]] = [
    *[(dt.date(2025, 1, d), _NEW_YEAR, False) for d in (1, 2, 3, 4, 5, 6, 8)],
    (dt.date(2025, 1, 7), "Рождество Христово", False),
    (dt.date(2025, 5, 1), "Праздник Весны и Труда", False),
    (dt.date(2025, 5, 2), f"{_MOVED} с 4 января", False),
    (dt.date(2025, 5, 8), f"{_MOVED} с 23 февраля", False),
    (dt.date(2025, 5, 9), "День Победы", False),
    (dt.date(2025, 6, 12), "День России", False),
    (dt.date(2025, 6, 13), f"{_MOVED} с 8 марта", False),
    (dt.date(2025, 11, 1), "Рабочая суббота (выходной перенесён на 3 ноября)", True),
    (dt.date(2025, 11, 3), f"{_MOVED} с 1 ноября", False),
    (dt.date(2025, 11, 4), "День народного единства", False),
    (dt.date(2025, 12, 31), f"{_MOVED} с 5 января", False),
    *[(dt.date(2026, 1, d), _NEW_YEAR, False) for d in (1, 2, 3, 4, 5, 6, 8)],
    (dt.date(2026, 1, 7), "Рождество Христово", False),
    (dt.date(2026, 1, 9), f"{_MOVED} с 3 января", False),
    (dt.date(2026, 2, 23), "День защитника Отечества", False),
    (dt.date(2026, 3, 9), "Международный женский день (перенос с 8 марта)", False),
    (dt.date(2026, 5, 1), "Праздник Весны и Труда", False),
    (dt.date(2026, 5, 11), "День Победы (перенос с 9 мая)", False),
    (dt.date(2026, 6, 12), "День России", False),
    (dt.date(2026, 11, 4), "День народного единства", False),
    (dt.date(2026, 12, 31), f"{_MOVED} с 4 января", False),
]
SURVEY_VALID_DAYS = 14
SURVEY_FOLLOW_UP_MAX_SCORE = 2


@dataclass
class ServiceDesk:
    agents: list[int]  # support agents' ids
    agent_weights: list[float]
    categories: dict[str, tuple[int, RequestCategory]]  # name → (id, facts)
    survey_valid_days: int
    follow_up_max_score: int
    surveys_enabled: bool


def _support_agents() -> list[User]:
    """The demo's support agents; the extra ones share the first agent's password hash.

    Hashing the demo password costs almost a second a user (Argon2), and the demo must
    start quickly; the hash of the same password verifies for any user.
    """
    first = User.objects.get(username="support")
    agents = [first]
    for username, first_name, last_name in SUPPORT_AGENTS:
        user = User.objects.filter(username=username).first()
        if user is None:
            user = User(
                username=username, role=Role.SUPPORT, first_name=first_name,
                last_name=last_name, email=f"{username}@voronka.example", password=first.password,
            )  # fmt: skip
            user.full_clean(exclude=["password"])
            user.save()
        agents.append(user)
    return agents


def _desk_settings(admin: User) -> None:
    """The working week and its holidays, survey options and SLA policies, the first time
    only: a second seed leaves what an administrator may have changed since."""
    from voronka.service import settings_services
    from voronka.service.models import SlaPolicy
    from voronka.service.services import policy_create

    if SlaPolicy.all_objects.exists():
        return
    settings_services.work_calendar_save(
        actor=admin, work_days=[0, 1, 2, 3, 4], work_starts=dt.time(9), work_ends=dt.time(18)
    )
    taken = set(CalendarDay.objects.values_list("day", flat=True))
    for day, name, working in CALENDAR_EXCEPTIONS:
        if day not in taken:
            settings_services.calendar_day_add(actor=admin, day=day, name=name, is_working=working)
    settings_services.survey_settings_save(
        actor=admin, surveys_enabled=True, survey_valid_days=SURVEY_VALID_DAYS,
        survey_follow_up_max_score=SURVEY_FOLLOW_UP_MAX_SCORE,
    )  # fmt: skip
    for name, kind, priority, first, resolution, clock, warn in SLA_POLICIES:
        policy_create(
            actor=admin,
            data={
                "name": name, "kind": kind, "priority": priority,
                "first_response_minutes": first, "resolution_minutes": resolution,
                "clock": clock, "warn_minutes_before": warn,
            },
        )  # fmt: skip


def ensure_service(admin: User) -> ServiceDesk:
    """Create (or find) the support agents, request categories, SLA policies, the work
    calendar's holidays and the survey settings."""
    from voronka.service.models import Category
    from voronka.service.services import category_save

    agents = _support_agents()
    _desk_settings(admin)
    categories = {}
    for position, facts in enumerate(REQUEST_CATEGORIES, start=1):
        category = Category.objects.filter(name=facts.name).first() or category_save(
            actor=admin, category=None, data={"name": facts.name, "position": position}
        )
        categories[facts.name] = (category.pk, facts)
    org = organisation.current()
    return ServiceDesk(
        agents=[a.pk for a in agents],
        agent_weights=[SUPPORT_WEIGHTS.get(a.username, 0.25) for a in agents],
        categories=categories,
        survey_valid_days=org.survey_valid_days,
        follow_up_max_score=org.survey_follow_up_max_score,
        surveys_enabled=org.surveys_enabled,
    )
