from decimal import Decimal

import pytest

from tests import factories
from voronka.core.pagination import BadCursor, keyset_page
from voronka.sales.models import Deal


@pytest.fixture
def deals(personas, pipeline):
    client = factories.company(personas.alice)
    amounts = [5, 3, 5, 1, 9, 3, 7]
    return [
        factories.deal(personas.alice, client=client, title=f"D{i}", amount=Decimal(a))
        for i, a in enumerate(amounts)
    ]


def _titles(page):
    return [d.title for d in page.items]


def test_pages_follow_each_other_without_gaps_or_repeats(deals):
    qs = Deal.objects.all()
    first = keyset_page(qs, ordering=["-amount", "-id"], limit=3)
    second = keyset_page(qs, ordering=["-amount", "-id"], cursor=first.next_cursor, limit=3)
    third = keyset_page(qs, ordering=["-amount", "-id"], cursor=second.next_cursor, limit=3)
    assert _titles(first) == ["D4", "D6", "D2"]
    assert _titles(second) == ["D0", "D5", "D1"]
    assert _titles(third) == ["D3"]
    assert third.next_cursor is None
    assert (first.total, first.total_capped) == (7, False)


def test_the_previous_cursor_leads_back_to_the_page_before(deals):
    qs = Deal.objects.all()
    first = keyset_page(qs, ordering=["-amount", "-id"], limit=3)
    second = keyset_page(qs, ordering=["-amount", "-id"], cursor=first.next_cursor, limit=3)
    back = keyset_page(qs, ordering=["-amount", "-id"], cursor=second.prev_cursor, limit=3)
    assert _titles(back) == _titles(first)
    assert first.prev_cursor is None


def test_the_count_stops_at_the_limit(deals, settings):
    settings.VORONKA_COUNT_LIMIT = 5
    page = keyset_page(Deal.objects.all(), ordering=["-id"], limit=2)
    assert (page.total, page.total_capped, page.total_label) == (5, True, "5+")


def test_a_tampered_cursor_is_refused(deals):
    with pytest.raises(BadCursor):
        keyset_page(Deal.objects.all(), ordering=["-id"], cursor="bm90LWpzb24")


def test_rows_created_within_one_millisecond_are_neither_skipped_nor_repeated(personas, pipeline):
    from datetime import timedelta

    from django.utils import timezone

    client = factories.company(personas.alice)
    base = timezone.now().replace(microsecond=500_000)
    ids = []
    for i in range(6):
        deal = factories.deal(personas.alice, client=client, title=f"M{i}")
        Deal.objects.filter(pk=deal.pk).update(created_at=base + timedelta(microseconds=i * 100))
        ids.append(deal.pk)
    seen, cursor = [], None
    while True:
        page = keyset_page(
            Deal.objects.all(), ordering=["-created_at", "-id"], cursor=cursor, limit=2
        )
        seen += [d.pk for d in page.items]
        if not (cursor := page.next_cursor):
            break
    assert seen == list(reversed(ids))
