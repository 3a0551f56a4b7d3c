from tests import factories
from voronka.clients.queries import companies_visible_to
from voronka.core.visibility import Family, can_restore, can_write, may_own
from voronka.sales.queries import deals_visible_to, leads_visible_to


def _titles(qs):
    return sorted(qs.values_list("title", flat=True))


def test_each_role_sees_exactly_the_deals_the_rule_allows(personas, pipeline):
    factories.deal(personas.alice, title="A")
    factories.deal(personas.lead, title="L")
    factories.deal(personas.bob, title="B")
    factories.deal(personas.head, actor=personas.head, title="H")

    assert _titles(deals_visible_to(personas.admin)) == ["A", "B", "H", "L"]
    assert _titles(deals_visible_to(personas.head)) == ["A", "B", "H", "L"]
    assert _titles(deals_visible_to(personas.lead)) == ["A", "L"]
    assert _titles(deals_visible_to(personas.alice)) == ["A"]
    assert _titles(deals_visible_to(personas.bob)) == ["B"]
    assert _titles(deals_visible_to(personas.support)) == ["A", "B", "H", "L"]
    assert _titles(deals_visible_to(personas.outsider)) == []


def test_support_reads_clients_and_deals_but_not_leads_and_writes_nothing(personas, pipeline):
    deal = factories.deal(personas.alice)
    factories.lead(personas.alice)
    assert companies_visible_to(personas.support).count() == 1
    assert leads_visible_to(personas.support).count() == 0
    assert deals_visible_to(personas.support, write=True).count() == 0
    assert not can_write(personas.support, Family.DEALS, deal.owner_id)


def test_an_inactive_or_anonymous_user_sees_nothing(personas, pipeline):
    from django.contrib.auth.models import AnonymousUser

    factories.deal(personas.alice)
    personas.alice.is_active = False
    assert deals_visible_to(personas.alice).count() == 0
    assert deals_visible_to(AnonymousUser()).count() == 0


def test_a_team_lead_writes_for_the_team_and_assigns_within_it(personas):
    assert can_write(personas.lead, Family.DEALS, personas.alice.pk)
    assert not can_write(personas.lead, Family.DEALS, personas.bob.pk)
    assert not can_write(personas.alice, Family.DEALS, personas.lead.pk)
    assert may_own(personas.lead, personas.alice)
    assert not may_own(personas.lead, personas.bob)
    assert not may_own(personas.alice, personas.bob)
    assert may_own(personas.head, personas.bob)


def test_only_admin_and_head_of_sales_restore(personas):
    assert [name for name, p in personas.all().items() if can_restore(p)] == ["admin", "head"]
