"""The pipeline board and moving deals on it (the htmx endpoint the drag posts to)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse

from tests import factories
from voronka.sales import services
from voronka.sales.models import Deal, StageHistory

BOARD = reverse("sales:board")
HTMX = {"HTTP_HX_REQUEST": "true"}


def login(client, user):
    client.force_login(user)
    return client


def move(client, deal, stage, version=None, **extra):
    data = {"stage": stage.pk, "version": deal.version if version is None else version, **extra}
    return client.post(reverse("sales:deal-move", args=[deal.pk]), data, **HTMX)


def snapshot(deal):
    row = Deal.all_objects.get(pk=deal.pk)
    return (row.stage_id, row.status, row.amount, row.version, row.lost_reason_id)


def test_the_board_has_a_column_per_stage_with_count_and_sum(client, personas, stages):
    factories.deal(personas.alice, title="Первая", amount=Decimal("1000"))
    second = factories.deal(personas.alice, title="Вторая", amount=Decimal("2500.50"))
    services.deal_move_stage(
        actor=personas.alice, deal=second, stage=stages["proposal"], version=second.version
    )
    factories.deal(personas.bob, title="Чужая", amount=Decimal("99999"))
    response = login(client, personas.alice).get(BOARD)
    columns = response.context["columns"]
    assert [(c.stage.name, c.count, c.total, [d.title for d in c.deals]) for c in columns] == [
        ("Новая", 1, Decimal("1000.00"), ["Первая"]),
        ("Квалификация", 0, Decimal("0.00"), []),
        ("Предложение", 1, Decimal("2500.50"), ["Вторая"]),
        ("Переговоры", 0, Decimal("0.00"), []),
        ("Успешно реализовано", 0, Decimal("0.00"), []),
        ("Закрыто и не реализовано", 0, Decimal("0.00"), []),
    ]
    body = response.content.decode()
    assert "2\xa0500,50\xa0₽" in body
    assert f'data-move-url="{reverse("sales:deal-move", args=[second.pk])}"' in body


def test_my_deals_and_the_manager_filter_narrow_the_board(client, personas, stages):
    factories.deal(personas.alice, title="Алисина")
    factories.deal(personas.lead, title="Льва")
    c = login(client, personas.lead)
    everything = c.get(BOARD).context["columns"][0].deals
    mine = c.get(BOARD, {"owner": "me"}).context["columns"][0].deals
    alices = c.get(BOARD, {"owner": personas.alice.pk}).context["columns"][0].deals
    assert sorted(d.title for d in everything) == ["Алисина", "Льва"]
    assert [d.title for d in mine] == ["Льва"]
    assert [d.title for d in alices] == ["Алисина"]


def test_the_pipeline_switcher_opens_another_pipeline(client, personas, stages):
    other = services.pipeline_create(
        actor=personas.admin, name="Опт", stages=[{"name": "Заявка"}, {"name": "Счёт"}]
    )
    response = login(client, personas.alice).get(reverse("sales:board-pipeline", args=[other.pk]))
    assert [c.stage.name for c in response.context["columns"]] == ["Заявка", "Счёт"]
    missing = client.get(reverse("sales:board-pipeline", args=[other.pk + 100]))
    assert missing.status_code == 404


def test_a_column_with_more_deals_than_shown_links_to_the_list(client, personas, stages):
    for _n in range(12):
        deal = factories.deal(personas.alice)
        services.deal_move_stage(
            actor=personas.alice, deal=deal, stage=stages["won"], version=deal.version
        )
    response = login(client, personas.alice).get(BOARD)
    won = response.context["columns"][4]
    assert (won.count, len(won.deals), won.more) == (12, 10, 2)
    expected = f"?pipeline={stages['won'].pipeline_id}&amp;stage={stages['won'].pk}"
    assert expected in response.content.decode()
    assert "и ещё 2" in response.content.decode()


def test_the_board_costs_the_same_queries_for_forty_deals(
    client, personas, stages, django_assert_max_num_queries
):
    for n in range(40):
        deal = factories.deal(personas.alice if n % 2 else personas.lead)
        if n % 4 == 0:
            services.deal_move_stage(
                actor=personas.lead, deal=deal, stage=stages["proposal"], version=deal.version
            )
    c = login(client, personas.lead)
    c.get(reverse("core:home"))  # the organisation's settings are read once and cached
    with django_assert_max_num_queries(17):  # including the header's unread-notice count
        response = c.get(BOARD)
    columns = response.context["columns"]
    # 30 deals in «Новая», 10 in «Предложение»; a column shows its newest 20 cards.
    assert [(len(col.deals), col.count, col.more) for col in columns[:3]] == [
        (20, 30, 10), (0, 0, 0), (10, 10, 0),
    ]  # fmt: skip


def test_a_moved_card_comes_back_with_fresh_column_counters(client, personas, stages):
    deal = factories.deal(personas.alice, amount=Decimal("3000"))
    response = move(login(client, personas.alice), deal, stages["qualification"])
    body = response.content.decode()
    assert response.status_code == 200
    assert snapshot(deal) == (stages["qualification"].pk, "open", Decimal("3000.00"), 2, None)
    assert body.startswith(f'<article class="board-card card movable" id="deal-card-{deal.pk}"')
    assert 'data-version="2"' in body
    new_head = f'id="board-head-{stages["new"].pk}" hx-swap-oob="true"'
    qual_head = f'id="board-head-{stages["qualification"].pk}" hx-swap-oob="true"'
    assert new_head in body and qual_head in body
    counts = [c.count for c in response.context["columns"]]
    assert counts == [0, 1, 0, 0, 0, 0]
    assert list(
        StageHistory.objects.filter(deal=deal).values_list("to_stage__name", flat=True)
    ) == ["Новая", "Квалификация"]


def test_dropping_on_won_sets_the_final_amount(client, personas, stages):
    deal = factories.deal(personas.alice, amount=Decimal("3000"))
    response = move(login(client, personas.alice), deal, stages["won"], amount="3500.00")
    assert response.status_code == 200
    assert snapshot(deal) == (stages["won"].pk, "won", Decimal("3500.00"), 2, None)


def test_dropping_on_lost_without_a_reason_is_refused(client, personas, stages):
    deal = factories.deal(personas.alice)
    before = snapshot(deal)
    response = move(login(client, personas.alice), deal, stages["lost"])
    assert response.status_code == 422
    assert response.content.decode() == "Укажите причину отказа."
    assert snapshot(deal) == before


def test_dropping_on_lost_with_a_reason_closes_the_deal(client, personas, stages, lost_reason):
    deal = factories.deal(personas.alice)
    response = move(login(client, personas.alice), deal, stages["lost"], lost_reason=lost_reason.pk)
    assert response.status_code == 200
    assert snapshot(deal) == (stages["lost"].pk, "lost", Decimal("10000.00"), 2, lost_reason.pk)


def test_a_move_with_a_stale_version_is_refused_with_409(client, personas, stages):
    deal = factories.deal(personas.alice)
    services.deal_update(actor=personas.alice, deal=deal, version=1, data={"title": "Другое"})
    before = snapshot(deal)
    response = move(login(client, personas.alice), deal, stages["proposal"], version=1)
    assert response.status_code == 409
    assert "изменил кто-то другой" in response.content.decode()
    assert snapshot(deal) == before


def test_a_deal_of_another_team_cannot_be_moved_and_is_not_found(client, personas, stages):
    deal = factories.deal(personas.alice)
    before = snapshot(deal)
    response = move(login(client, personas.bob), deal, stages["proposal"])
    assert response.status_code == 404
    assert snapshot(deal) == before


def test_support_sees_the_board_but_a_move_is_forbidden(client, personas, stages):
    deal = factories.deal(personas.alice)
    before = snapshot(deal)
    c = login(client, personas.support)
    board = c.get(BOARD)
    assert board.status_code == 200
    assert [d.movable for d in board.context["columns"][0].deals] == [False]
    response = move(c, deal, stages["proposal"])
    assert response.status_code == 403
    assert snapshot(deal) == before


def test_a_stage_of_another_pipeline_is_refused(client, personas, stages):
    other = services.pipeline_create(actor=personas.admin, name="Опт", stages=[{"name": "Заявка"}])
    deal = factories.deal(personas.alice)
    before = snapshot(deal)
    response = move(login(client, personas.alice), deal, other.stages.get())
    assert response.status_code == 422
    assert snapshot(deal) == before


@pytest.mark.parametrize("stage_name", ["qualification", "won"])
def test_the_card_stage_bar_moves_without_htmx_and_returns_to_the_card(
    client, personas, stages, stage_name
):
    deal = factories.deal(personas.alice)
    response = login(client, personas.alice).post(
        reverse("sales:deal-move", args=[deal.pk]),
        {"stage": stages[stage_name].pk, "version": deal.version},
    )
    assert response.status_code == 302
    assert response.url == reverse("sales:deal-detail", args=[deal.pk])
    assert snapshot(deal)[0] == stages[stage_name].pk
