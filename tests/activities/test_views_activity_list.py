"""The list of logged interactions, and the drill-down from "interactions logged" to it."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from django.urls import reverse

from tests import factories
from voronka.activities import services
from voronka.analytics import engine
from voronka.analytics.drill import drill_url
from voronka.analytics.periods import Period
from voronka.analytics.scope import Filters

URL = reverse("activities:activity-list")
MOSCOW = ZoneInfo("Europe/Moscow")


def log(author, company, when, subject):
    return services.activity_log(
        actor=author,
        data={"kind": "call", "company": company, "occurred_at": when, "subject": subject},
    )


def page(client, user, params=None):
    client.force_login(user)
    return client.get(URL, params or {}, headers={"Accept-Language": "en"})


def test_it_lists_the_interactions_a_person_may_see_newest_first(client, personas):
    alice_co, bob_co = factories.company(personas.alice), factories.company(personas.bob)
    log(personas.alice, alice_co, datetime(2026, 3, 2, 10, tzinfo=MOSCOW), "Первый звонок")
    log(personas.alice, alice_co, datetime(2026, 3, 5, 10, tzinfo=MOSCOW), "Второй звонок")
    log(personas.bob, bob_co, datetime(2026, 3, 3, 10, tzinfo=MOSCOW), "Звонок Боба")

    head = page(client, personas.head)
    assert [a.subject for a in head.context["page"].items] == [
        "Второй звонок", "Звонок Боба", "Первый звонок",
    ]  # fmt: skip
    alice = page(client, personas.alice)
    assert [a.subject for a in alice.context["page"].items] == ["Второй звонок", "Первый звонок"]
    assert "Звонок Боба" not in alice.content.decode()
    outsider = page(client, personas.outsider)
    assert list(outsider.context["page"].items) == []
    assert "No interactions logged yet" in outsider.content.decode()


def test_filters_by_author_and_days(client, personas):
    company = factories.company(personas.alice)
    log(personas.alice, company, datetime(2026, 3, 2, 10, tzinfo=MOSCOW), "Март")
    log(personas.alice, company, datetime(2026, 4, 2, 10, tzinfo=MOSCOW), "Апрель")
    log(personas.head, company, datetime(2026, 4, 3, 10, tzinfo=MOSCOW), "Апрель, руководитель")

    found = page(client, personas.head, {
        "author": personas.alice.pk, "from": "2026-04-01", "to": "2026-04-30",
    })  # fmt: skip
    assert [a.subject for a in found.context["page"].items] == ["Апрель"]
    bad = page(client, personas.head, {"from": "2026-05-01", "to": "2026-04-01"})
    assert bad.status_code == 200
    assert "The end of the range is before its start." in bad.content.decode()


def test_it_reads_a_fixed_number_of_queries(client, personas, django_assert_max_num_queries):
    company = factories.company(personas.alice)
    for day in range(1, 21):
        log(personas.alice, company, datetime(2026, 3, day, 10, tzinfo=MOSCOW), f"Звонок {day}")
    client.force_login(personas.head)
    with django_assert_max_num_queries(8):
        response = client.get(URL)
    assert len(response.context["page"].items) == 20


def test_interactions_logged_drill_down_to_exactly_the_counted_ones(client, personas):
    company = factories.company(personas.alice)
    for day in (2, 9, 30):
        log(personas.alice, company, datetime(2026, 3, day, 23, 30, tzinfo=MOSCOW), f"{day}")
    log(personas.alice, company, datetime(2026, 4, 1, 0, 30, tzinfo=MOSCOW), "апрель")
    march = Period(date(2026, 3, 1), date(2026, 3, 31))
    report = engine.compute(
        actor=personas.head, ids=["activities_logged"], period=march, by="manager"
    )
    assert report["activities_logged"].total.value == 3
    url = drill_url("activities_logged", march, Filters())
    client.force_login(personas.head)
    listed = client.get(url)
    assert [a.subject for a in listed.context["page"].items] == ["30", "9", "2"]
    row = drill_url("activities_logged", march, Filters(), by="manager", key=str(personas.alice.pk))
    assert len(client.get(row).context["page"].items) == 3
