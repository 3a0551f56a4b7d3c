"""Real concurrent writers, each on its own database connection (PostgreSQL only)."""

from __future__ import annotations

import threading

import pytest
from django.db import connection, connections

from tests import factories
from voronka.core.errors import StaleVersion
from voronka.sales import services
from voronka.sales.models import Deal, StageHistory

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _needs_postgres():
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: run with DATABASE_URL=postgres://… (CI does)")


def _race(n: int, work) -> list[str]:
    results: list[str] = []
    barrier = threading.Barrier(n)
    lock = threading.Lock()

    def run(i: int) -> None:
        try:
            barrier.wait()
            outcome = work(i)
        except StaleVersion:
            outcome = "stale"
        finally:
            connections.close_all()
        with lock:
            results.append(outcome)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    return results


def test_of_eight_simultaneous_edits_of_one_version_exactly_one_is_saved(personas, pipeline):
    deal = factories.deal(personas.alice, title="Исходная")

    def edit(i: int) -> str:
        copy = Deal.objects.get(pk=deal.pk)
        services.deal_update(actor=personas.alice, deal=copy, version=1, data={"title": f"T{i}"})
        return f"T{i}"

    results = _race(8, edit)
    winners = [r for r in results if r != "stale"]
    assert (len(winners), results.count("stale")) == (1, 7)
    fresh = Deal.objects.get(pk=deal.pk)
    assert (fresh.title, fresh.version) == (winners[0], 2)
    assert fresh.history.count() == 2  # created + the one edit that won


def test_simultaneous_board_moves_record_exactly_one_stage_entry(personas, stages):
    deal = factories.deal(personas.alice)
    targets = [stages["qualification"], stages["proposal"], stages["negotiation"]] * 2

    def move(i: int) -> str:
        copy = Deal.objects.get(pk=deal.pk)
        services.deal_move_stage(actor=personas.lead, deal=copy, stage=targets[i], version=1)
        return targets[i].name

    results = _race(len(targets), move)
    winners = [r for r in results if r != "stale"]
    assert len(winners) == 1
    assert StageHistory.objects.filter(deal=deal).count() == 2
    assert Deal.objects.get(pk=deal.pk).stage.name == winners[0]
