from tests import factories
from voronka.clients import queries


def test_companies_are_found_by_unicode_name_fragment_phone_email_and_tax_id(personas):
    factories.company(personas.alice, name="ООО Иванов и партнёры", phone="8 912 345 67 89",
                      email="office@ivanov.ru", tax_id="7707083893")  # fmt: skip
    factories.company(personas.alice, name="АО Сидоров")

    def found(q):
        return [c.name for c in queries.company_list(personas.alice, q=q)]

    for q in [
        "ива",
        "ИВАНОВ",
        "партнеры",
        "+7 (912) 345-67-89",
        "89123456789",
        "Office@",
        "7707083893",
    ]:
        assert found(q) == ["ООО Иванов и партнёры"], q


def test_a_search_never_reaches_past_visibility(personas):
    factories.company(personas.bob, name="ООО Борис")
    assert list(queries.company_list(personas.alice, q="борис")) == []
    assert [c.name for c in queries.company_list(personas.head, q="борис")] == ["ООО Борис"]


def test_the_trash_holds_only_deleted_clients(personas):
    from voronka.clients import services

    gone = factories.company(personas.alice, name="Удалённая")
    factories.company(personas.alice, name="Живая")
    services.company_delete(actor=personas.alice, company=gone, version=1)
    assert [c.name for c in queries.companies_visible_to(personas.head, deleted=True)] == [
        "Удалённая"
    ]
    assert [c.name for c in queries.companies_visible_to(personas.alice)] == ["Живая"]
