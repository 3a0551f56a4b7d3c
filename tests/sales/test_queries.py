from decimal import Decimal

from django.utils import timezone

from tests import factories
from voronka.sales import queries, services


def test_deals_are_found_by_client_name_phone_and_email(personas, pipeline):
    ivanov = factories.contact(personas.alice, last_name="Иванов", phone="+7 (912) 345-67-89",
                               email="ivanov@mail.ru")  # fmt: skip
    factories.deal(personas.alice, client=ivanov, title="Окна")
    factories.deal(personas.alice, title="Двери")

    def found(q):
        return [d.title for d in queries.deal_list(personas.alice, q=q)]

    assert found("ива") == ["Окна"]
    assert found("ОКН") == ["Окна"]
    assert found("89123456789") == ["Окна"]
    assert found("345-67-89") == ["Окна"]
    assert found("IVANOV@mail.ru") == ["Окна"]
    assert found("Петров") == []


def test_overdue_means_open_and_past_its_expected_close_date(personas, stages, lost_reason):
    today = timezone.localdate()
    late = factories.deal(personas.alice, title="Просрочена",
                          expected_close_date=today - timezone.timedelta(days=1))  # fmt: skip
    factories.deal(personas.alice, title="В срок", expected_close_date=today)
    lost = factories.deal(personas.alice, title="Проиграна",
                          expected_close_date=today - timezone.timedelta(days=5))  # fmt: skip
    services.deal_move_stage(actor=personas.alice, deal=lost, stage=stages["lost"], version=1,
                             lost_reason=lost_reason)  # fmt: skip
    assert [d.pk for d in queries.deal_list(personas.alice, overdue=True)] == [late.pk]


def test_the_board_counts_and_sums_each_stage_and_bounds_the_cards(
    personas, stages, django_assert_max_num_queries
):
    client = factories.company(personas.alice)
    for i in range(5):
        factories.deal(personas.alice, client=client, amount=Decimal("100.10") * (i + 1))
    moved = factories.deal(personas.bob, amount=Decimal("7"))
    services.deal_move_stage(actor=personas.bob, deal=moved, stage=stages["proposal"], version=1)

    # Stages, the organisation (read and created once), two kinds of kept totals, and
    # one bounded card query per stage.
    with django_assert_max_num_queries(11):
        columns = queries.board(personas.head, stages["new"].pipeline, per_column=3)
    summary = [(c.stage.name, c.count, c.total, len(c.deals), c.more) for c in columns]
    assert summary == [
        ("Новая", 5, Decimal("1501.50"), 3, 2),
        ("Квалификация", 0, Decimal("0.00"), 0, 0),
        ("Предложение", 1, Decimal("7.00"), 1, 0),
        ("Переговоры", 0, Decimal("0.00"), 0, 0),
        ("Успешно реализовано", 0, Decimal("0.00"), 0, 0),
        ("Закрыто и не реализовано", 0, Decimal("0.00"), 0, 0),
    ]
    alice_board = queries.board(personas.alice, stages["new"].pipeline)
    assert [c.count for c in alice_board] == [5, 0, 0, 0, 0, 0]


def test_the_board_shows_deals_closed_in_the_last_thirty_days_only(personas, stages, lost_reason):
    from datetime import timedelta

    from voronka.sales.models import Deal
    from voronka.sales.rollups import rebuild_board_totals

    recent = factories.deal(personas.alice, amount=Decimal("100"))
    old = factories.deal(personas.alice, amount=Decimal("900"))
    for deal in (recent, old):
        services.deal_move_stage(actor=personas.alice, deal=deal, stage=stages["won"], version=1)
    Deal.objects.filter(pk=old.pk).update(closed_at=timezone.now() - timedelta(days=31))
    rebuild_board_totals()  # the deal was changed around the services, as a bulk load would

    won = queries.board(personas.alice, stages["won"].pipeline)[4]
    assert (won.stage.name, won.count, won.total) == ("Успешно реализовано", 1, Decimal("100.00"))
    assert [d.pk for d in won.deals] == [recent.pk]
    assert won.closed_since == timezone.localdate() - timedelta(days=30)
    listed = queries.deal_list(
        personas.alice, stage_id=stages["won"].pk, closed_since=won.closed_since
    )
    assert [d.pk for d in listed] == [recent.pk]
