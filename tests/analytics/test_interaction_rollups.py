"""Interactions logged per author and day, and the spells in which a client is active.

Both are kept by the services; a rebuild from the records must write the same rows, and
the KPIs read from them must equal the KPIs read from the records
(``conftest.report`` compares the two paths on every call).
"""

from __future__ import annotations

from datetime import date, timedelta

from tests import factories
from tests.analytics.conftest import assert_rollups_exact, fresh, groups, kpi, msk
from voronka.activities import services as activity_services
from voronka.analytics.models import ClientSpell
from voronka.analytics.scope import Filters
from voronka.clients.models import Contact


def log(world, author, when, **links):
    world.at(when)
    return activity_services.activity_log(
        actor=author, data={"kind": "call", "occurred_at": when, **links}
    )


def test_interactions_logged_are_counted_per_author_and_local_day(world):
    p = world.people
    company = factories.company(p.alice)
    log(world, p.alice, msk(2026, 3, 2, 10), company=company)
    log(world, p.alice, msk(2026, 3, 2, 23, 30), company=company)  # 20:30 UTC, still the 2nd
    late = log(world, p.alice, msk(2026, 3, 31, 23, 50), company=company)
    log(world, p.bob, msk(2026, 3, 10), company=factories.company(p.bob))

    march = kpi(p.head, "activities_logged", date(2026, 3, 1), date(2026, 3, 31), by="manager")
    assert march.total.value == 4
    assert groups(march) == {str(p.alice.pk): 3, str(p.bob.pk): 1}
    assert kpi(p.alice, "activities_logged", date(2026, 3, 1), date(2026, 3, 31)).total.value == 3

    world.at(msk(2026, 4, 1, 9))
    activity_services.activity_delete(actor=p.alice, activity=fresh(late), version=None)
    assert kpi(p.head, "activities_logged", date(2026, 3, 1), date(2026, 3, 31)).total.value == 3
    assert_rollups_exact()


def test_active_clients_come_from_the_spells_of_each_client(world):
    p = world.people
    today = msk(2026, 6, 30, 12)
    near = factories.company(p.alice)  # a call 10 days ago
    far = factories.company(p.alice)  # a call 120 days ago only
    moved = factories.company(p.bob)  # a deal created long ago, moved 30 days ago
    person = Contact.objects.get(pk=factories.contact(p.bob).pk)  # no company: a client too
    log(world, p.alice, today - timedelta(days=10), company=near)
    log(world, p.alice, today - timedelta(days=120), company=far)
    deal = world.deal(p.bob, today - timedelta(days=200), company=moved)
    world.move(deal, "qualification", today - timedelta(days=30))
    log(world, p.bob, today - timedelta(days=5), contact=person)
    world.at(today)

    active = kpi(p.head, "active_clients", date(2026, 6, 1), date(2026, 6, 30), now=today)
    assert active.total.value == 3  # near, moved, person
    # Each reader sees the clients touched by the people they may see (through spells too).
    june = (date(2026, 6, 1), date(2026, 6, 30))
    assert kpi(p.alice, "active_clients", *june, now=today).total.value == 1  # near
    assert kpi(p.bob, "active_clients", *june, now=today).total.value == 2  # moved, person
    assert kpi(p.lead, "active_clients", *june, now=today).total.value == 1  # alice's near
    south = Filters(team=p.bob.team_id)
    assert kpi(p.head, "active_clients", *june, filters=south, now=today).total.value == 2
    # One spell a client, but two for "moved": its deal's creation and its move are 170 days
    # apart, more than the 90 days a spell lasts. Each client was touched by one person, so
    # the rows merging everyone's interactions repeat them.
    assert ClientSpell.objects.filter(person__isnull=False).count() == 5
    assert ClientSpell.objects.filter(person__isnull=True).count() == 5
    # As of the end of March (window 1 January – 31 March) only the far call, on 2 March.
    march = kpi(p.head, "active_clients", date(2026, 3, 1), date(2026, 3, 31), now=today)
    assert march.total.value == 1

    assert_rollups_exact()


def test_deleting_and_restoring_a_deal_moves_its_clients_last_touch(world):
    p = world.people
    today = msk(2026, 6, 30, 12)
    company = factories.company(p.bob)
    log(world, p.bob, today - timedelta(days=150), company=company)
    deal = world.deal(p.bob, today - timedelta(days=20), company=company)
    world.at(today)
    june = (date(2026, 6, 1), date(2026, 6, 30))
    assert kpi(p.head, "active_clients", *june, now=today).total.value == 1

    world.delete(deal, today)
    assert kpi(p.head, "active_clients", *june, now=today).total.value == 0
    spell = ClientSpell.objects.get(company=company, person=p.bob)
    assert (spell.after, spell.until) == (today - timedelta(days=150), today - timedelta(days=60))
    assert_rollups_exact()

    world.restore(fresh(deal), today)
    assert kpi(p.head, "active_clients", *june, now=today).total.value == 1
    assert_rollups_exact()


def test_an_interaction_dated_in_the_future_does_not_hide_earlier_ones(world):
    p = world.people
    today = msk(2026, 6, 30, 12)
    company = factories.company(p.alice)
    log(world, p.alice, today - timedelta(days=3), company=company)
    log(world, p.alice, today + timedelta(days=7), company=company)  # a meeting logged ahead
    world.at(today)

    active = kpi(p.head, "active_clients", date(2026, 6, 1), date(2026, 6, 30), now=today)
    assert active.total.value == 1


def test_a_client_touched_by_two_people_counts_once(world):
    p = world.people
    today = msk(2026, 6, 30, 12)
    shared = factories.company(p.alice)
    log(world, p.alice, today - timedelta(days=100), company=shared)
    world.deal(p.bob, today - timedelta(days=40), company=shared)
    world.at(today)
    june = (date(2026, 6, 1), date(2026, 6, 30))

    assert kpi(p.head, "active_clients", *june, now=today).total.value == 1
    assert kpi(p.bob, "active_clients", *june, now=today).total.value == 1
    assert kpi(p.alice, "active_clients", *june, now=today).total.value == 0  # 100 days ago
    # Alice's spell ended 10 days ago; merged with Bob's deal the client stays active since.
    merged = ClientSpell.objects.get(company=shared, person__isnull=True)
    assert (merged.after, merged.until) == (
        today - timedelta(days=100),
        today - timedelta(days=40) + timedelta(days=90),
    )
    assert_rollups_exact()
