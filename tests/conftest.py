"""Shared fixtures: the persona set and a sales pipeline.

Personas (every view and API test uses them):
  admin    — administrator
  head     — head of sales (sees everything)
  lead     — manager who leads team North
  alice    — manager in team North (lead's team)
  bob      — manager in team South
  support  — support agent (reads clients and deals, changes nothing)
  outsider — manager in team West, who owns nothing anyone else owns
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass

import pytest

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@dataclass
class Personas:
    admin: object
    head: object
    lead: object
    alice: object
    bob: object
    support: object
    outsider: object

    def all(self) -> dict[str, object]:
        return dict(self.__dict__)


PASSWORD = "correct-horse-42"


@pytest.fixture
def personas(db) -> Personas:
    from voronka.accounts.models import Team
    from voronka.accounts.services import user_create

    north = Team.objects.create(name="North")
    south = Team.objects.create(name="South")
    west = Team.objects.create(name="West")

    def make(username: str, role: str, team=None, first="", last=""):
        return user_create(
            username=username, password=PASSWORD, role=role, team=team,
            first_name=first, last_name=last, email=f"{username}@example.com",
        )  # fmt: skip

    people = Personas(
        admin=make("admin", "admin", first="Админ", last="Админов"),
        head=make("head", "head_of_sales", first="Ольга", last="Руководова"),
        lead=make("lead", "manager", north, "Лев", "Лидов"),
        alice=make("alice", "manager", north, "Алиса", "Иванова"),
        bob=make("bob", "manager", south, "Борис", "Петров"),
        support=make("support", "support", first="Софья", last="Саппортова"),
        outsider=make("outsider", "manager", west, "Олег", "Посторонний"),
    )
    north.lead = people.lead
    north.save()
    return people


@pytest.fixture
def pipeline(db, personas):
    """«Продажи»: four open stages, won and lost."""
    from voronka.sales.services import pipeline_create

    return pipeline_create(
        actor=personas.admin,
        name="Продажи",
        is_default=True,
        stages=[
            {"name": "Новая", "probability": 10},
            {"name": "Квалификация", "probability": 25},
            {"name": "Предложение", "probability": 50},
            {"name": "Переговоры", "probability": 75},
            {"name": "Успешно реализовано", "probability": 100, "kind": "won"},
            {"name": "Закрыто и не реализовано", "probability": 0, "kind": "lost"},
        ],
    )


@pytest.fixture
def stages(pipeline):
    """The pipeline's stages by short name: new, qualification, proposal, negotiation, won, lost."""
    names = ["new", "qualification", "proposal", "negotiation", "won", "lost"]
    return dict(zip(names, pipeline.stages.order_by("position"), strict=True))


@pytest.fixture
def lost_reason(db):
    from voronka.sales.models import LostReason

    return LostReason.objects.create(name="Дорого")


@pytest.fixture
def source(db):
    from voronka.sales.models import LeadSource

    return LeadSource.objects.create(name="Сайт", kind="web_form")


def chromium_path() -> str | None:
    for name in ("chromium", "chromium-browser"):
        found = shutil.which(name)
        if found:
            return found
    return None


@pytest.fixture
def needs_postgres():
    """Skip on SQLite: its writers take turns, so nothing would run at once."""
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: run with DATABASE_URL=postgres://… (CI does)")


def postgres_reachable() -> bool:
    from django.db import connection

    return connection.vendor == "postgresql"


@pytest.fixture(autouse=True)
def _fresh_organisation_cache():
    """The organisation's settings are cached per process; each test starts without."""
    from voronka.core import organisation

    organisation.forget()
    yield
    organisation.forget()


@pytest.fixture(autouse=True)
def _english_outside_requests():
    """Service messages are asserted in English; pages pick their language per request."""
    from django.utils import translation

    with translation.override("en"):
        yield
