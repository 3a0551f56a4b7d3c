from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from tests import factories
from voronka.core.errors import NotAllowed, StaleVersion
from voronka.sales import services
from voronka.sales.models import Deal, Lead, LostReason, StageHistory


def _reload(deal):
    return Deal.all_objects.get(pk=deal.pk)


def test_a_new_deal_starts_in_the_first_stage_with_one_history_entry(personas, stages):
    deal = factories.deal(personas.alice)
    assert (deal.stage, deal.status, deal.closed_at, deal.version) == (
        stages["new"],
        "open",
        None,
        1,
    )
    entry = StageHistory.objects.get(deal=deal)
    assert (entry.from_stage, entry.to_stage, entry.moved_by) == (
        None,
        stages["new"],
        personas.alice,
    )


def test_winning_sets_the_final_amount_and_the_close_time(personas, stages):
    deal = factories.deal(personas.alice, amount=Decimal("1000"))
    services.deal_move_stage(
        actor=personas.alice, deal=deal, stage=stages["won"], version=1, amount=Decimal("1250.50")
    )
    deal = _reload(deal)
    assert (deal.status, deal.amount, deal.version) == ("won", Decimal("1250.50"), 2)
    assert deal.closed_at == deal.stage_entered_at


def test_losing_needs_a_reason_and_saves_nothing_without_one(personas, stages, lost_reason):
    deal = factories.deal(personas.alice)
    with pytest.raises(ValidationError) as err:
        services.deal_move_stage(actor=personas.alice, deal=deal, stage=stages["lost"], version=1)
    assert "lost_reason" in err.value.message_dict
    fresh = _reload(deal)
    assert (fresh.stage_id, fresh.version) == (stages["new"].pk, 1)
    assert StageHistory.objects.filter(deal=deal).count() == 1


def test_a_reopened_deal_loses_its_close_time_and_reason(personas, stages, lost_reason):
    deal = factories.deal(personas.alice)
    services.deal_move_stage(
        actor=personas.alice, deal=deal, stage=stages["lost"], version=1, lost_reason=lost_reason
    )
    services.deal_move_stage(actor=personas.alice, deal=deal, stage=stages["proposal"], version=2)
    deal = _reload(deal)
    assert (deal.status, deal.closed_at, deal.lost_reason) == ("open", None, None)
    assert [h.to_stage.name for h in deal.stage_history.order_by("pk")] == [
        "Новая",
        "Закрыто и не реализовано",
        "Предложение",
    ]


def test_a_stage_of_another_pipeline_is_refused(personas, stages):
    other = services.pipeline_create(
        actor=personas.admin, name="Повторные", stages=[{"name": "Старт"}]
    )
    deal = factories.deal(personas.alice)
    with pytest.raises(ValidationError) as err:
        services.deal_move_stage(
            actor=personas.alice, deal=deal, stage=other.stages.get(), version=1
        )
    assert list(err.value.message_dict) == ["stage"]


def test_two_people_moving_the_same_deal_cannot_both_win(personas, stages):
    deal = factories.deal(personas.alice)
    copy_for_lead = Deal.objects.get(pk=deal.pk)
    services.deal_move_stage(actor=personas.alice, deal=deal, stage=stages["proposal"], version=1)
    with pytest.raises(StaleVersion) as err:
        services.deal_move_stage(
            actor=personas.lead, deal=copy_for_lead, stage=stages["negotiation"], version=1
        )
    assert err.value.current_version == 2
    assert _reload(deal).stage == stages["proposal"]


def test_a_manager_cannot_change_another_teams_deal(personas, stages):
    deal = factories.deal(personas.bob)
    with pytest.raises(NotAllowed):
        services.deal_update(actor=personas.alice, deal=deal, version=1, data={"title": "x"})
    with pytest.raises(NotAllowed):
        services.deal_move_stage(actor=personas.support, deal=deal, stage=stages["won"], version=1)
    assert _reload(deal).version == 1


def test_a_deal_without_a_client_is_refused(personas, pipeline):
    with pytest.raises(ValidationError) as err:
        services.deal_create(actor=personas.alice, data={"title": "Ничья", "amount": Decimal(1)})
    assert err.value.message_dict == {"company": ["A deal needs a client: a company or a contact."]}
    assert Deal.all_objects.count() == 0


def test_a_manager_cannot_give_a_deal_to_another_team(personas, pipeline):
    client = factories.company(personas.alice)
    with pytest.raises(ValidationError) as err:
        services.deal_create(
            actor=personas.alice, data={"title": "x", "company": client, "owner": personas.bob}
        )
    assert list(err.value.message_dict) == ["owner"]


def test_product_lines_make_the_amount(personas, pipeline):
    sofa = factories.product(personas.admin, name="Диван", price=Decimal("30000"))
    chair = factories.product(personas.admin, name="Стул", price=Decimal("2500"))
    deal = factories.deal(
        personas.alice,
        lines=[
            {"product": sofa, "quantity": Decimal("2"), "discount_percent": Decimal("10")},
            {"product": chair, "quantity": Decimal("4"), "price": Decimal("2000")},
        ],
    )
    assert _reload(deal).amount == Decimal("62000.00")  # 2×30000×0.9 + 4×2000
    services.deal_line_add(
        actor=personas.alice, deal=deal, version=1, line={"product": chair, "quantity": 1}
    )
    assert (_reload(deal).amount, _reload(deal).version) == (Decimal("64500.00"), 2)
    line = deal.lines.get(product=sofa)
    services.deal_line_remove(actor=personas.alice, deal=deal, version=2, line_id=line.pk)
    assert _reload(deal).amount == Decimal("10500.00")


def test_soft_deleted_deals_disappear_and_an_admin_brings_them_back(personas, pipeline):
    deal = factories.deal(personas.alice)
    services.deal_delete(actor=personas.alice, deal=deal, version=1)
    assert not Deal.objects.filter(pk=deal.pk).exists()
    with pytest.raises(NotAllowed):
        services.deal_restore(actor=personas.alice, deal=_reload(deal))
    services.deal_restore(actor=personas.head, deal=_reload(deal))
    assert Deal.objects.filter(pk=deal.pk).exists()
    reasons = list(
        deal.history.order_by("history_id").values_list("history_change_reason", flat=True)
    )
    assert reasons == [None, "deleted", "restored"]


def test_a_lead_is_qualified_into_a_new_client_and_deal_in_one_step(personas, pipeline, source):
    lead = factories.lead(
        personas.alice,
        title="Кухня на заказ",
        contact_name="Петров Пётр Петрович",
        company_name="ООО Кухни",
        phone="8 (912) 000-11-22",
        source=source,
    )
    deal = services.lead_qualify(
        actor=personas.alice, lead=lead, version=1, amount=Decimal("90000")
    )
    lead.refresh_from_db()
    assert lead.status == Lead.Status.QUALIFIED
    assert (deal.title, deal.amount, deal.lead, deal.owner, deal.source) == (
        "Кухня на заказ", Decimal("90000"), lead, personas.alice, source,
    )  # fmt: skip
    assert deal.company.name == "ООО Кухни"
    contact = deal.contact
    assert (contact.last_name, contact.first_name, contact.middle_name) == (
        "Петров",
        "Пётр",
        "Петрович",
    )
    assert (contact.company, contact.phone_normalized) == (deal.company, "79120001122")
    assert (lead.company, lead.contact) == (deal.company, contact)


def test_a_lead_from_a_known_contact_is_linked_to_it(personas, pipeline):
    known = factories.contact(personas.alice, phone="+7 912 000-11-22")
    lead = factories.lead(personas.alice, phone="89120001122")
    assert lead.contact == known
    deal = services.lead_qualify(actor=personas.alice, lead=lead, version=1)
    assert deal.contact == known


def test_a_rejected_lead_keeps_its_reason_and_cannot_be_qualified(personas, pipeline):
    reason = LostReason.objects.create(name="Спам")
    lead = factories.lead(personas.alice)
    services.lead_reject(actor=personas.alice, lead=lead, version=1, reason=reason, comment=" бот ")
    lead.refresh_from_db()
    assert (lead.status, lead.rejection_reason, lead.rejection_comment) == (
        "rejected",
        reason,
        "бот",
    )
    with pytest.raises(ValidationError):
        services.lead_qualify(actor=personas.alice, lead=lead, version=lead.version)
    assert Deal.all_objects.count() == 0


def test_only_admin_and_head_configure_pipelines_and_products(personas):
    with pytest.raises(NotAllowed):
        services.pipeline_create(actor=personas.lead, name="Своя")
    with pytest.raises(NotAllowed):
        factories.product(personas.alice)
    assert services.pipeline_create(actor=personas.head, name="Своя").name == "Своя"


def test_a_stage_deals_have_been_in_cannot_be_deleted(personas, stages):
    factories.deal(personas.alice)
    with pytest.raises(ValidationError):
        services.stage_delete(actor=personas.admin, stage=stages["new"])
    services.stage_delete(actor=personas.admin, stage=stages["qualification"])


def test_removing_a_line_from_a_card_loaded_deal_recounts_from_the_database(personas, pipeline):
    from voronka.sales.queries import deal_card

    sofa = factories.product(personas.admin, price=Decimal("100"))
    deal = factories.deal(
        personas.alice, lines=[{"product": sofa}, {"product": sofa, "quantity": 2}]
    )
    card = deal_card(personas.alice, deal.pk)  # lines are prefetched here
    services.deal_line_remove(
        actor=personas.alice, deal=card, version=1, line_id=card.lines.all()[0].pk
    )
    assert _reload(deal).amount == Decimal("200.00")


def test_a_negative_price_is_refused_naming_the_field(personas):
    from voronka.sales.models import Product

    with pytest.raises(ValidationError) as err:
        factories.product(personas.admin, price=Decimal("-1"))
    assert list(err.value.message_dict) == ["price"]
    assert Product.objects.count() == 0


def test_the_stage_order_field_reads_as_order_in_russian():
    from django.utils import translation

    from voronka.sales.models import Stage

    with translation.override("ru"):
        assert str(Stage._meta.get_field("position").verbose_name) == "порядок"
