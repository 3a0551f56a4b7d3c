from decimal import Decimal

import pytest

from tests import factories
from voronka.core.errors import StaleVersion
from voronka.sales import services


def test_a_deal_moves_through_its_pipeline_and_remembers_each_stage(personas, stages):
    deal = factories.deal(personas.alice, amount=Decimal("5000"))
    deal = services.deal_move_stage(
        actor=personas.alice, deal=deal, stage=stages["won"], version=deal.version
    )
    assert deal.status == "won"
    assert [h.to_stage.name for h in deal.stage_history.order_by("moved_at", "pk")] == [
        "Новая",
        "Успешно реализовано",
    ]


def test_a_stale_version_is_refused(personas, stages):
    deal = factories.deal(personas.alice)
    services.deal_update(actor=personas.alice, deal=deal, version=1, data={"title": "Первая"})
    with pytest.raises(StaleVersion):
        services.deal_update(actor=personas.alice, deal=deal, version=1, data={"title": "Вторая"})
