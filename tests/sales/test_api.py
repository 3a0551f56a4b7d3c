"""The leads, deals, products, pipelines and catalogue API."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from tests import factories
from tests.api_client import ApiClient, errors
from voronka.clients.models import Company, Contact
from voronka.sales import services
from voronka.sales.models import Deal, DealLine, Lead, LostReason, Pipeline, Product, Stage


def _row(model, pk):
    return model.all_objects.filter(pk=pk).values().get()


def _without_times(data: dict, *names: str) -> dict:
    hidden = {"created_at", "updated_at", "stage_entered_at", *names}
    return {k: v for k, v in data.items() if k not in hidden}


# --- Deals -------------------------------------------------------------------------------


def test_a_deal_is_created_with_product_lines_and_answers_in_full(personas, stages):
    alice = personas.alice
    company = factories.company(alice, name="ООО Лютик")
    product = factories.product(personas.admin, name="Стол", price=Decimal("1500.00"))

    response = ApiClient(alice).post(
        "/deals",
        {
            "title": "Столы для офиса",
            "company": company.pk,
            "expected_close_date": "2026-11-26",
            "lines": [{"product": product.pk, "quantity": "2", "discount_percent": "10"}],
        },
    )

    assert response.status_code == 201
    deal = Deal.objects.get()
    line = DealLine.objects.get()
    assert _without_times(response.json()) == {
        "id": deal.pk,
        "title": "Столы для офиса",
        "pipeline": {"id": stages["new"].pipeline_id, "name": "Продажи"},
        "stage": {"id": stages["new"].pk, "name": "Новая", "kind": "open"},
        "status": "open",
        "company": {"id": company.pk, "name": "ООО Лютик"},
        "contact": None,
        "client_name": "ООО Лютик",
        "owner": {"id": alice.pk, "name": "Алиса Иванова"},
        "amount": "2700.00",
        "currency": "RUB",
        "exchange_rate": "1.000000",
        "expected_close_date": "2026-11-26",
        "closed_at": None,
        "lost_reason": None,
        "lost_comment": "",
        "source": None,
        "lead_id": None,
        "notes": "",
        "lines": [
            {
                "id": line.pk,
                "product": {"id": product.pk, "name": "Стол"},
                "quantity": "2.000",
                "price": "1500.00",
                "discount_percent": "10.00",
                "total": "2700.00",
            }
        ],
        "version": 1,
    }
    assert deal.amount == Decimal("2700.00")


def test_a_deal_for_a_client_of_another_team_is_refused_without_a_leak(personas, stages):
    bobs = factories.company(personas.bob)

    response = ApiClient(personas.alice).post("/deals", {"title": "Чужая", "company": bobs.pk})

    assert response.status_code == 422
    assert errors(response) == {"company": ["No such company."]}
    assert Deal.all_objects.count() == 0


def test_a_deal_without_a_client_or_with_an_unknown_stage_names_the_field(personas, stages):
    api = ApiClient(personas.alice)

    no_client = api.post("/deals", {"title": "Без клиента"})
    no_stage = api.post(
        "/deals", {"title": "Х", "company": factories.company(personas.alice).pk, "stage": 999999}
    )

    assert no_client.status_code == 422
    assert errors(no_client) == {"company": ["A deal needs a client: a company or a contact."]}
    assert no_stage.status_code == 422
    assert errors(no_stage) == {"stage": ["No such stage."]}
    assert Deal.all_objects.count() == 0


def test_an_amount_or_quantity_out_of_range_is_refused_naming_the_field(personas, stages):
    company = factories.company(personas.alice)

    api = ApiClient(personas.alice)

    words = api.post("/deals", {"title": "Х", "company": company.pk, "amount": "много"})
    negative = api.post("/deals", {"title": "Х", "company": company.pk, "amount": "-5"})
    no_quantity = api.post(
        "/deals",
        {"title": "Х", "company": company.pk, "lines": [{"product": 1, "quantity": "0"}]},
    )

    assert [r.status_code for r in (words, negative, no_quantity)] == [422] * 3
    assert words.json()["detail"][0]["loc"] == ["body", "amount"]
    assert negative.json()["detail"][0]["loc"] == ["body", "amount"]
    assert no_quantity.json()["detail"][0]["loc"] == ["body", "lines", 0, "quantity"]
    assert Deal.all_objects.count() == 0


def test_a_deal_patch_changes_its_fields_and_version(personas, stages):
    deal = factories.deal(personas.alice, title="Старое", amount=Decimal("100"))

    response = ApiClient(personas.alice).patch(
        f"/deals/{deal.pk}", {"title": "Новое", "amount": "250.50", "version": 1}
    )

    assert response.status_code == 200
    assert (response.json()["title"], response.json()["amount"]) == ("Новое", "250.50")
    assert response.json()["version"] == 2
    row = _row(Deal, deal.pk)
    assert (row["title"], row["amount"], row["version"]) == ("Новое", Decimal("250.50"), 2)


def test_a_deal_is_won_with_its_final_amount(personas, stages):
    deal = factories.deal(personas.alice, amount=Decimal("1000"))

    response = ApiClient(personas.alice).post(
        f"/deals/{deal.pk}/move", {"stage": stages["won"].pk, "version": 1, "amount": "1200"}
    )

    assert response.status_code == 200
    data = response.json()
    assert (data["stage"], data["status"], data["amount"], data["version"]) == (
        {"id": stages["won"].pk, "name": "Успешно реализовано", "kind": "won"}, "won",
        "1200.00", 2,
    )  # fmt: skip
    assert data["closed_at"] is not None
    assert list(
        Deal.objects.get(pk=deal.pk).stage_history.values_list("to_stage__name", flat=True)
    ) == ["Новая", "Успешно реализовано"]


def test_losing_a_deal_needs_a_reason(personas, stages, lost_reason):
    deal = factories.deal(personas.alice)
    api = ApiClient(personas.alice)

    without = api.post(f"/deals/{deal.pk}/move", {"stage": stages["lost"].pk, "version": 1})
    with_reason = api.post(
        f"/deals/{deal.pk}/move",
        {"stage": stages["lost"].pk, "version": 1, "lost_reason": lost_reason.pk,
         "lost_comment": "Нашли дешевле"},
    )  # fmt: skip

    assert without.status_code == 422
    assert errors(without) == {"lost_reason": ["Say why the deal was lost."]}
    assert with_reason.status_code == 200
    assert with_reason.json()["lost_reason"] == {"id": lost_reason.pk, "name": "Дорого"}
    assert with_reason.json()["lost_comment"] == "Нашли дешевле"


def test_a_stage_of_another_pipeline_is_refused(personas, stages):
    other = services.pipeline_create(
        actor=personas.admin, name="Опт", stages=[{"name": "Первый контакт"}]
    )
    deal = factories.deal(personas.alice)

    response = ApiClient(personas.alice).post(
        f"/deals/{deal.pk}/move", {"stage": other.stages.get().pk, "version": 1}
    )

    assert response.status_code == 422
    assert errors(response) == {"stage": ["This stage belongs to another pipeline."]}
    assert _row(Deal, deal.pk)["stage_id"] == stages["new"].pk


def test_a_stale_move_answers_409_and_the_deal_stays_where_it_was(personas, stages):
    deal = factories.deal(personas.alice)
    api = ApiClient(personas.alice)
    api.patch(f"/deals/{deal.pk}", {"notes": "позвонить", "version": 1})
    before = _row(Deal, deal.pk)

    response = api.post(f"/deals/{deal.pk}/move", {"stage": stages["proposal"].pk, "version": 1})

    assert response.status_code == 409
    assert response.json()["current_version"] == 2
    assert _row(Deal, deal.pk) == before
    assert Deal.objects.get(pk=deal.pk).stage_history.count() == 1


def test_product_lines_are_added_and_removed_and_the_amount_follows(personas, stages):
    deal = factories.deal(personas.alice, amount=Decimal("0"))
    product = factories.product(personas.admin, price=Decimal("300.00"))
    api = ApiClient(personas.alice)

    added = api.post(
        f"/deals/{deal.pk}/lines", {"product": product.pk, "quantity": "3", "version": 1}
    )
    line_id = added.json()["lines"][0]["id"]
    removed = api.delete(f"/deals/{deal.pk}/lines/{line_id}", version=2)
    unknown = api.delete(f"/deals/{deal.pk}/lines/{line_id}", version=3)

    assert added.status_code == 201
    assert (added.json()["amount"], added.json()["version"]) == ("900.00", 2)
    assert removed.status_code == 200
    assert (removed.json()["amount"], removed.json()["lines"], removed.json()["version"]) == (
        "0.00", [], 3,
    )  # fmt: skip
    assert unknown.status_code == 404
    assert _row(Deal, deal.pk)["version"] == 3


def test_a_line_of_an_unknown_product_names_the_field(personas, stages):
    deal = factories.deal(personas.alice)

    response = ApiClient(personas.alice).post(
        f"/deals/{deal.pk}/lines", {"product": 999999, "version": 1}
    )

    assert response.status_code == 422
    assert errors(response) == {"product": ["No such product."]}
    assert DealLine.objects.count() == 0
    assert _row(Deal, deal.pk)["version"] == 1


@pytest.mark.parametrize("persona", ["bob", "outsider"])
def test_another_teams_deal_is_not_found_and_stays_as_it_was(personas, stages, persona):
    deal = factories.deal(personas.alice)
    before = _row(Deal, deal.pk)
    api = ApiClient(getattr(personas, persona))

    answers = [
        api.get(f"/deals/{deal.pk}"),
        api.patch(f"/deals/{deal.pk}", {"title": "Захвачено", "version": 1}),
        api.post(f"/deals/{deal.pk}/move", {"stage": stages["won"].pk, "version": 1}),
        api.post(f"/deals/{deal.pk}/lines", {"product": 1, "version": 1}),
        api.delete(f"/deals/{deal.pk}", version=1),
    ]

    assert [r.status_code for r in answers] == [404] * 5
    assert _row(Deal, deal.pk) == before
    assert DealLine.objects.count() == 0


def test_support_reads_a_deal_but_cannot_move_it(personas, stages):
    deal = factories.deal(personas.alice)
    before = _row(Deal, deal.pk)
    api = ApiClient(personas.support)

    read = api.get(f"/deals/{deal.pk}")
    move = api.post(f"/deals/{deal.pk}/move", {"stage": stages["won"].pk, "version": 1})

    assert read.status_code == 200
    assert move.status_code == 403
    assert _row(Deal, deal.pk) == before


def test_the_deal_list_filters_and_sorts(personas, stages):
    alice = personas.alice
    small = factories.deal(alice, title="Малая", amount=Decimal("100"))
    big = factories.deal(alice, title="Большая", amount=Decimal("9000"))
    late = factories.deal(
        alice, title="Просроченная", amount=Decimal("500"),
        expected_close_date=timezone.localdate() - datetime.timedelta(days=3),
    )  # fmt: skip
    services.deal_move_stage(actor=alice, deal=small, stage=stages["won"], version=1)
    factories.deal(personas.bob, title="Чужая", amount=Decimal("99999"))
    api = ApiClient(alice)

    def titles(**params):
        response = api.get("/deals", **params)
        assert response.status_code == 200
        return [d["title"] for d in response.json()["items"]]

    assert titles(sort="-amount") == ["Большая", "Просроченная", "Малая"]
    assert titles(sort="amount", status="open") == ["Просроченная", "Большая"]
    assert titles(amount_min="400", amount_max="600") == ["Просроченная"]
    assert titles(overdue="true") == ["Просроченная"]
    assert titles(stage=stages["won"].pk) == ["Малая"]
    assert titles(company=big.company_id) == ["Большая"]
    assert titles(q="больш") == ["Большая"]
    assert titles(team=personas.alice.team_id, sort="title") == [
        "Большая", "Малая", "Просроченная",
    ]  # fmt: skip
    assert late.pk


def test_an_unknown_sort_is_refused(personas):
    response = ApiClient(personas.alice).get("/deals", sort="-secret")

    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["query", "sort"]


def test_the_deal_list_costs_the_same_for_30_deals(personas, stages, django_assert_max_num_queries):
    product = factories.product(personas.admin)
    company = factories.company(personas.alice)
    for _ in range(30):
        factories.deal(personas.alice, client=company, lines=[{"product": product}])
    api = ApiClient(personas.lead)
    api.get("/me")

    with django_assert_max_num_queries(7):
        response = api.get("/deals", limit=200)

    assert response.json()["count"] == 30
    assert {len(d["lines"]) for d in response.json()["items"]} == {1}


# --- Leads -------------------------------------------------------------------------------


def test_a_lead_is_created_from_the_api(personas, source):
    response = ApiClient(personas.alice).post(
        "/leads",
        {"title": "Заявка с сайта", "contact_name": "Сидоров Пётр", "phone": "89123456789",
         "source": source.pk, "utm_source": "yandex"},
    )  # fmt: skip

    assert response.status_code == 201
    lead = Lead.objects.get()
    assert _without_times(response.json()) == {
        "id": lead.pk,
        "title": "Заявка с сайта",
        "status": "new",
        "contact_name": "Сидоров Пётр",
        "company_name": "",
        "phone": "89123456789",
        "email": "",
        "tax_id": "",
        "source": {"id": source.pk, "name": "Сайт"},
        "owner": {"id": personas.alice.pk, "name": "Алиса Иванова"},
        "company": None,
        "contact": None,
        "rejection_reason": None,
        "rejection_comment": "",
        "qualified_at": None,
        "rejected_at": None,
        "external_id": "",
        "utm_source": "yandex",
        "utm_medium": "",
        "utm_campaign": "",
        "utm_term": "",
        "utm_content": "",
        "notes": "",
        "version": 1,
    }
    assert lead.phone_normalized == "79123456789"


def test_a_lead_cannot_be_qualified_by_editing_its_status(personas):
    lead = factories.lead(personas.alice)

    response = ApiClient(personas.alice).patch(
        f"/leads/{lead.pk}", {"status": "qualified", "version": 1}
    )

    assert response.status_code == 422
    assert errors(response) == {"status": ["Qualify or reject a lead with its own action."]}
    assert _row(Lead, lead.pk)["status"] == "new"


def test_qualifying_a_lead_answers_with_the_new_deal(personas, stages):
    lead = factories.lead(
        personas.alice, title="Заявка", contact_name="Сидоров Пётр", company_name="ООО Лютик"
    )

    response = ApiClient(personas.alice).post(
        f"/leads/{lead.pk}/qualify", {"version": 1, "amount": "5000"}
    )

    assert response.status_code == 201
    data = response.json()
    deal = Deal.objects.get()
    assert (data["id"], data["title"], data["amount"], data["lead_id"]) == (
        deal.pk, "Заявка", "5000.00", lead.pk,
    )  # fmt: skip
    assert data["company"] == {"id": Company.objects.get().pk, "name": "ООО Лютик"}
    assert data["contact"] == {"id": Contact.objects.get().pk, "name": "Сидоров Пётр"}
    assert (_row(Lead, lead.pk)["status"], _row(Lead, lead.pk)["version"]) == ("qualified", 2)


def test_a_lead_is_rejected_with_a_reason(personas, lost_reason):
    lead = factories.lead(personas.alice)
    api = ApiClient(personas.alice)

    without = api.post(f"/leads/{lead.pk}/reject", {"version": 1})
    unknown = api.post(f"/leads/{lead.pk}/reject", {"version": 1, "reason": 999999})
    rejected = api.post(
        f"/leads/{lead.pk}/reject", {"version": 1, "reason": lost_reason.pk, "comment": "Спам"}
    )

    assert without.status_code == 422
    assert errors(without) == {"reason": ["Say why the lead is rejected."]}
    assert unknown.status_code == 422
    assert errors(unknown) == {"reason": ["No such reason."]}
    assert rejected.status_code == 200
    assert (rejected.json()["status"], rejected.json()["rejection_comment"]) == ("rejected", "Спам")
    assert rejected.json()["rejection_reason"] == {"id": lost_reason.pk, "name": "Дорого"}


def test_a_stale_lead_patch_answers_409_and_changes_nothing(personas):
    lead = factories.lead(personas.alice)
    api = ApiClient(personas.alice)
    api.patch(f"/leads/{lead.pk}", {"notes": "перезвонить", "version": 1})
    before = _row(Lead, lead.pk)

    response = api.patch(f"/leads/{lead.pk}", {"title": "Другая", "version": 1})

    assert response.status_code == 409
    assert response.json()["current_version"] == 2
    assert _row(Lead, lead.pk) == before


@pytest.mark.parametrize("persona", ["bob", "outsider", "support"])
def test_a_lead_that_is_not_yours_to_see_is_not_found(personas, stages, lost_reason, persona):
    lead = factories.lead(personas.alice)
    before = _row(Lead, lead.pk)
    api = ApiClient(getattr(personas, persona))

    answers = [
        api.get(f"/leads/{lead.pk}"),
        api.patch(f"/leads/{lead.pk}", {"title": "Захвачено", "version": 1}),
        api.post(f"/leads/{lead.pk}/qualify", {"version": 1}),
        api.post(f"/leads/{lead.pk}/reject", {"version": 1, "reason": lost_reason.pk}),
        api.delete(f"/leads/{lead.pk}", version=1),
    ]

    assert [r.status_code for r in answers] == [404] * 5
    assert _row(Lead, lead.pk) == before
    assert Deal.all_objects.count() == 0


def test_the_lead_list_filters_by_status(personas, lost_reason):
    factories.lead(personas.alice, title="Открытая")
    closed = factories.lead(personas.alice, title="Отказ")
    services.lead_reject(actor=personas.alice, lead=closed, version=1, reason=lost_reason)

    response = ApiClient(personas.alice).get("/leads", status="rejected")

    assert [lead["title"] for lead in response.json()["items"]] == ["Отказ"]


def test_the_lead_list_costs_the_same_for_30_leads(personas, source, django_assert_max_num_queries):
    for _ in range(30):
        factories.lead(personas.alice, source=source)
    api = ApiClient(personas.lead)
    api.get("/me")

    with django_assert_max_num_queries(5):
        response = api.get("/leads", limit=200)

    assert response.json()["count"] == 30


# --- Products ----------------------------------------------------------------------------


def test_the_administrator_keeps_the_product_catalogue(personas):
    api = ApiClient(personas.admin)

    created = api.post("/products", {"name": "Стол", "sku": "T-1", "price": "1500.5"})
    product = Product.objects.get()
    changed = api.patch(f"/products/{product.pk}", {"price": "1600", "version": 1})
    deleted = api.delete(f"/products/{product.pk}", version=2)

    assert created.status_code == 201
    assert _without_times(created.json()) == {
        "id": product.pk, "name": "Стол", "sku": "T-1", "category": None, "price": "1500.50",
        "currency": "RUB", "is_active": True, "version": 1,
    }  # fmt: skip
    assert (changed.status_code, changed.json()["price"]) == (200, "1600.00")
    assert deleted.status_code == 204
    assert _row(Product, product.pk)["deleted_at"] is not None


def test_a_manager_reads_products_but_cannot_change_them(personas):
    product = factories.product(personas.admin, name="Стол")
    before = _row(Product, product.pk)
    api = ApiClient(personas.alice)

    read = api.get(f"/products/{product.pk}")
    create = api.post("/products", {"name": "Стул"})
    change = api.patch(f"/products/{product.pk}", {"name": "Стул", "version": 1})

    assert read.status_code == 200
    assert (create.status_code, change.status_code) == (403, 403)
    assert create.json() == {"detail": "Only an administrator or the head of sales changes this."}
    assert Product.all_objects.count() == 1
    assert _row(Product, product.pk) == before


def test_the_product_list_costs_the_same_for_30_products(personas, django_assert_max_num_queries):
    for _ in range(30):
        factories.product(personas.admin)
    api = ApiClient(personas.alice)
    api.get("/me")

    with django_assert_max_num_queries(5):
        response = api.get("/products", limit=200)

    assert response.json()["count"] == 30


# --- Pipelines, stages, sources, reasons -------------------------------------------------


def test_everyone_reads_the_pipelines_with_their_stages(personas, stages):
    response = ApiClient(personas.support).get("/pipelines")

    assert response.status_code == 200
    (pipeline,) = response.json()["items"]
    assert (pipeline["name"], pipeline["is_default"]) == ("Продажи", True)
    assert [(s["name"], s["probability"], s["kind"]) for s in pipeline["stages"]] == [
        ("Новая", "10.00", "open"),
        ("Квалификация", "25.00", "open"),
        ("Предложение", "50.00", "open"),
        ("Переговоры", "75.00", "open"),
        ("Успешно реализовано", "100.00", "won"),
        ("Закрыто и не реализовано", "0.00", "lost"),
    ]


def test_the_head_of_sales_sets_up_a_pipeline_and_its_stages(personas):
    api = ApiClient(personas.head)

    created = api.post(
        "/pipelines",
        {"name": "Опт", "stages": [{"name": "Заявка", "probability": "10"},
                                   {"name": "Сделка", "probability": "100", "kind": "won"}]},
    )  # fmt: skip
    pipeline_id = created.json()["id"]
    added = api.post(f"/pipelines/{pipeline_id}/stages", {"name": "Счёт", "probability": "60"})
    stage_id = Stage.objects.get(name="Счёт").pk
    changed = api.patch(f"/pipelines/{pipeline_id}/stages/{stage_id}", {"probability": "70"})
    renamed = api.patch(f"/pipelines/{pipeline_id}", {"name": "Оптовые продажи"})

    assert created.status_code == 201
    assert [s["name"] for s in created.json()["stages"]] == ["Заявка", "Сделка"]
    assert added.status_code == 201
    assert [s["name"] for s in added.json()["stages"]] == ["Заявка", "Сделка", "Счёт"]
    assert changed.status_code == 200
    assert [s["probability"] for s in changed.json()["stages"]] == ["10.00", "100.00", "70.00"]
    assert (renamed.status_code, renamed.json()["name"]) == (200, "Оптовые продажи")


def test_a_stage_probability_above_100_names_the_field(personas, stages):
    response = ApiClient(personas.admin).patch(
        f"/pipelines/{stages['new'].pipeline_id}/stages/{stages['new'].pk}",
        {"probability": "150"},
    )

    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "probability"]
    assert Stage.objects.get(pk=stages["new"].pk).probability == Decimal("10.00")


def test_a_manager_cannot_change_pipelines(personas, stages):
    api = ApiClient(personas.alice)
    pipeline_id = stages["new"].pipeline_id

    create = api.post("/pipelines", {"name": "Моя"})
    rename = api.patch(f"/pipelines/{pipeline_id}", {"name": "Моя"})
    add_stage = api.post(f"/pipelines/{pipeline_id}/stages", {"name": "Моя"})
    change_stage = api.patch(f"/pipelines/{pipeline_id}/stages/{stages['new'].pk}", {"name": "Моя"})

    assert [r.status_code for r in (create, rename, add_stage, change_stage)] == [403] * 4
    assert list(Pipeline.objects.values_list("name", flat=True)) == ["Продажи"]
    assert Stage.objects.count() == 6
    assert Stage.objects.get(pk=stages["new"].pk).name == "Новая"


def test_a_stage_of_another_pipeline_is_not_found_under_this_one(personas, stages):
    other = services.pipeline_create(actor=personas.admin, name="Опт", stages=[{"name": "А"}])

    response = ApiClient(personas.admin).patch(
        f"/pipelines/{other.pk}/stages/{stages['new'].pk}", {"name": "Б"}
    )

    assert response.status_code == 404
    assert Stage.objects.get(pk=stages["new"].pk).name == "Новая"


def test_lead_sources_and_lost_reasons_are_listed(personas, source, lost_reason):
    LostReason.objects.create(name="Выбрали конкурента")
    api = ApiClient(personas.alice)

    sources = api.get("/lead-sources")
    reasons = api.get("/lost-reasons")

    assert sources.json()["items"] == [
        {"id": source.pk, "name": "Сайт", "kind": "web_form", "is_active": True}
    ]
    assert [r["name"] for r in reasons.json()["items"]] == ["Выбрали конкурента", "Дорого"]
    assert reasons.json()["count"] == 2


@pytest.mark.parametrize("path", ["/pipelines", "/lead-sources", "/lost-reasons"])
def test_catalogue_lists_cost_the_same_for_30_entries(
    personas, path, django_assert_max_num_queries
):
    for n in range(30):
        services.pipeline_create(actor=personas.admin, name=f"Воронка {n}", stages=[{"name": "А"}])
        services.lead_source_create(actor=personas.admin, name=f"Источник {n}")
        LostReason.objects.create(name=f"Причина {n}")
    api = ApiClient(personas.alice)
    api.get("/me")

    with django_assert_max_num_queries(5):
        response = api.get(path, limit=200)

    assert response.json()["count"] == 30


def test_a_switched_off_pipeline_is_hidden_from_managers_and_can_be_switched_back_on(
    personas, stages
):
    pipeline_id = stages["new"].pipeline_id
    head = ApiClient(personas.head)

    off = head.patch(f"/pipelines/{pipeline_id}", {"is_active": False})
    seen_by_alice = ApiClient(personas.alice).get("/pipelines").json()["items"]
    seen_by_head = head.get("/pipelines").json()["items"]
    on = head.patch(f"/pipelines/{pipeline_id}", {"is_active": True})

    assert (off.status_code, off.json()["is_active"]) == (200, False)
    assert seen_by_alice == []
    assert [(p["id"], p["is_active"]) for p in seen_by_head] == [(pipeline_id, False)]
    assert (on.status_code, on.json()["is_active"]) == (200, True)
    assert Pipeline.objects.get().is_active is True
