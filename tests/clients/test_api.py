"""The companies and contacts API."""

from __future__ import annotations

import pytest

from tests import factories
from tests.api_client import ApiClient, errors
from voronka.clients.models import Company, Contact


def _row(model, pk):
    return model.all_objects.filter(pk=pk).values().get()


def _without_times(data: dict) -> dict:
    return {k: v for k, v in data.items() if k not in ("created_at", "updated_at")}


# --- Companies ------------------------------------------------------------------------


def test_a_manager_creates_a_company_that_is_theirs(personas, source):
    alice = personas.alice
    response = ApiClient(alice).post(
        "/companies",
        {
            "name": "ООО Ромашка",
            "tax_id": "7701234567",
            "phone": "+7 (912) 345-67-89",
            "email": "Info@Romashka.ru",
            "source": source.pk,
            "tags": ["розница", "опт"],
        },
    )

    assert response.status_code == 201
    data = response.json()
    company = Company.objects.get()
    assert _without_times(data) == {
        "id": company.pk,
        "name": "ООО Ромашка",
        "tax_id": "7701234567",
        "website": "",
        "industry": "",
        "phone": "+7 (912) 345-67-89",
        "email": "Info@Romashka.ru",
        "address": "",
        "source": {"id": source.pk, "name": "Сайт"},
        "lifecycle_stage": "lead",
        "owner": {"id": alice.pk, "name": "Алиса Иванова"},
        "notes": "",
        "tags": ["опт", "розница"],
        "version": 1,
    }
    assert company.owner == alice
    assert company.phone_normalized == "79123456789"
    assert company.created_by == alice


def test_a_company_without_a_name_is_refused_naming_the_field(personas):
    response = ApiClient(personas.alice).post("/companies", {"tax_id": "7701234567"})

    assert response.status_code == 422
    assert response.json()["detail"] == [
        {"loc": ["body", "name"], "msg": "Field required", "type": "missing"}
    ]
    assert Company.all_objects.count() == 0


def test_a_bad_e_mail_and_a_taken_tax_id_are_refused_with_their_field_names(personas):
    factories.company(personas.bob, tax_id="7701234567")
    api = ApiClient(personas.alice)

    bad_email = api.post("/companies", {"name": "Ромашка", "email": "not-an-email"})
    taken = api.post("/companies", {"name": "Ромашка", "tax_id": "7701234567"})

    assert bad_email.status_code == 422
    assert bad_email.json()["detail"] == [
        {"loc": ["body", "email"], "msg": "Enter a valid email address.",
         "type": "value_error"},
    ]  # fmt: skip
    assert taken.status_code == 422
    assert list(errors(taken)) == ["tax_id"]
    assert Company.all_objects.count() == 1


def test_a_manager_cannot_make_someone_from_another_team_responsible(personas):
    api = ApiClient(personas.alice)

    response = api.post("/companies", {"name": "Ромашка", "owner": personas.bob.pk})
    missing = api.post("/companies", {"name": "Ромашка", "owner": 999999})

    assert response.status_code == 422
    assert errors(response) == {"owner": ["You cannot make this user responsible."]}
    assert missing.status_code == 422
    assert errors(missing) == {"owner": ["No such user."]}
    assert Company.all_objects.count() == 0


def test_reading_a_company_returns_its_version(personas):
    company = factories.company(personas.alice, name="ООО Лютик")

    response = ApiClient(personas.alice).get(f"/companies/{company.pk}")

    assert response.status_code == 200
    assert response.json()["name"] == "ООО Лютик"
    assert response.json()["version"] == 1


def test_a_patch_changes_only_the_fields_sent_and_moves_the_version_on(personas):
    company = factories.company(personas.alice, name="ООО Лютик", industry="Опт")

    response = ApiClient(personas.alice).patch(
        f"/companies/{company.pk}",
        {"name": "ООО Лютик и Ко", "lifecycle_stage": "customer", "tags": ["vip"], "version": 1},
    )

    assert response.status_code == 200
    data = response.json()
    assert (data["name"], data["industry"], data["lifecycle_stage"], data["tags"]) == (
        "ООО Лютик и Ко", "Опт", "customer", ["vip"],
    )  # fmt: skip
    assert data["version"] == 2
    row = _row(Company, company.pk)
    assert (row["name"], row["industry"], row["version"]) == ("ООО Лютик и Ко", "Опт", 2)


def test_a_patch_without_a_version_is_refused(personas):
    company = factories.company(personas.alice)

    response = ApiClient(personas.alice).patch(f"/companies/{company.pk}", {"name": "Другое"})

    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "version"]
    assert _row(Company, company.pk)["version"] == 1


def test_a_stale_version_answers_409_and_changes_nothing(personas):
    company = factories.company(personas.alice, name="ООО Лютик")
    api = ApiClient(personas.alice)
    assert (
        api.patch(f"/companies/{company.pk}", {"notes": "первая", "version": 1}).status_code == 200
    )
    before = _row(Company, company.pk)

    response = api.patch(f"/companies/{company.pk}", {"name": "Вторая", "version": 1})

    assert response.status_code == 409
    assert response.json() == {
        "detail": (
            "This record was changed by someone else while you were editing it. "
            "Reload it to see their changes; your changes were not saved."
        ),
        "current_version": 2,
    }
    assert _row(Company, company.pk) == before


@pytest.mark.parametrize("persona", ["bob", "outsider"])
def test_another_teams_company_is_not_found_and_stays_as_it_was(personas, persona):
    company = factories.company(personas.alice)
    before = _row(Company, company.pk)
    api = ApiClient(getattr(personas, persona))

    answers = [
        api.get(f"/companies/{company.pk}"),
        api.patch(f"/companies/{company.pk}", {"name": "Захвачено", "version": 1}),
        api.delete(f"/companies/{company.pk}", version=1),
    ]

    assert [r.status_code for r in answers] == [404, 404, 404]
    assert {r.json()["detail"] for r in answers} == {"Not found."}
    assert _row(Company, company.pk) == before


def test_a_deleted_company_goes_to_the_trash_and_the_head_brings_it_back(personas):
    company = factories.company(personas.alice)
    alice = ApiClient(personas.alice)

    deleted = alice.delete(f"/companies/{company.pk}", version=1)
    gone = alice.get(f"/companies/{company.pk}")
    restored = ApiClient(personas.head).post(f"/companies/{company.pk}/restore")

    assert (deleted.status_code, deleted.content) == (204, b"")
    assert gone.status_code == 404
    assert restored.status_code == 200
    assert restored.json()["version"] == 3
    assert _row(Company, company.pk)["deleted_at"] is None


def test_deleting_needs_the_version(personas):
    company = factories.company(personas.alice)

    missing = ApiClient(personas.alice).delete(f"/companies/{company.pk}")
    stale = ApiClient(personas.alice).delete(f"/companies/{company.pk}", version=7)

    assert missing.status_code == 422
    assert missing.json()["detail"][0]["loc"] == ["query", "version"]
    assert stale.status_code == 409
    assert stale.json()["current_version"] == 1
    assert _row(Company, company.pk)["deleted_at"] is None


def test_the_company_list_filters_sorts_and_pages(personas):
    alice = personas.alice
    factories.company(alice, name="Бета", lifecycle_stage="customer")
    factories.company(alice, name="Альфа", lifecycle_stage="customer")
    factories.company(alice, name="Гамма", lifecycle_stage="churned")
    factories.company(personas.bob, name="Альфа Боба", lifecycle_stage="customer")
    api = ApiClient(alice)

    first = api.get("/companies", lifecycle_stage="customer", sort="name", limit=1)
    second = api.get("/companies", lifecycle_stage="customer", sort="name", limit=1,
                     cursor=first.json()["next_cursor"])  # fmt: skip
    search = api.get("/companies", q="альф")

    assert first.status_code == 200
    assert [c["name"] for c in first.json()["items"]] == ["Альфа"]
    assert (first.json()["count"], first.json()["count_capped"]) == (2, False)
    assert first.json()["prev_cursor"] is None
    assert [c["name"] for c in second.json()["items"]] == ["Бета"]
    assert second.json()["next_cursor"] is None
    assert second.json()["prev_cursor"] is not None
    assert [c["name"] for c in search.json()["items"]] == ["Альфа"]


def test_a_company_list_filters_by_tag(personas):
    tagged = factories.company(personas.alice, name="С тегом")
    ApiClient(personas.alice).patch(f"/companies/{tagged.pk}", {"tags": ["опт"], "version": 1})
    factories.company(personas.alice, name="Без тега")

    response = ApiClient(personas.alice).get("/companies", tag="опт")

    assert [c["name"] for c in response.json()["items"]] == ["С тегом"]


def test_a_cursor_that_was_not_issued_answers_400(personas):
    response = ApiClient(personas.alice).get("/companies", cursor="not-a-cursor")

    assert response.status_code == 400
    assert response.json() == {"detail": "cursor is not valid"}


def test_a_limit_above_200_is_refused(personas):
    response = ApiClient(personas.alice).get("/companies", limit=201)

    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["query", "limit"]


def test_the_company_list_costs_the_same_for_30_companies(personas, django_assert_max_num_queries):
    for n in range(30):
        company = factories.company(personas.lead if n % 2 else personas.alice)
        company.tags.set([])
    api = ApiClient(personas.lead)

    with django_assert_max_num_queries(8):
        response = api.get("/companies", limit=200)

    assert response.json()["count"] == 30


# --- Contacts -------------------------------------------------------------------------


def test_a_contact_is_created_at_a_visible_company(personas):
    company = factories.company(personas.alice, name="ООО Лютик")

    response = ApiClient(personas.alice).post(
        "/contacts",
        {"first_name": "Пётр", "last_name": "Сидоров", "company": company.pk,
         "email": "petr@example.com", "position": "Закупщик"},
    )  # fmt: skip

    assert response.status_code == 201
    data = response.json()
    contact = Contact.objects.get()
    assert _without_times(data) == {
        "id": contact.pk,
        "first_name": "Пётр",
        "middle_name": "",
        "last_name": "Сидоров",
        "full_name": "Сидоров Пётр",
        "company": {"id": company.pk, "name": "ООО Лютик"},
        "position": "Закупщик",
        "phone": "",
        "email": "petr@example.com",
        "address": "",
        "source": None,
        "lifecycle_stage": "lead",
        "owner": {"id": personas.alice.pk, "name": "Алиса Иванова"},
        "notes": "",
        "tags": [],
        "version": 1,
    }


def test_a_contact_at_a_company_of_another_team_is_refused_without_a_leak(personas):
    bobs = factories.company(personas.bob)

    response = ApiClient(personas.alice).post(
        "/contacts", {"first_name": "Пётр", "company": bobs.pk}
    )

    assert response.status_code == 422
    assert errors(response) == {"company": ["No such company."]}
    assert Contact.all_objects.count() == 0


def test_a_contact_patch_with_a_stale_version_changes_nothing(personas):
    contact = factories.contact(personas.alice, first_name="Пётр")
    api = ApiClient(personas.alice)
    api.patch(f"/contacts/{contact.pk}", {"position": "Директор", "version": 1})
    before = _row(Contact, contact.pk)

    response = api.patch(f"/contacts/{contact.pk}", {"first_name": "Павел", "version": 1})

    assert response.status_code == 409
    assert response.json()["current_version"] == 2
    assert _row(Contact, contact.pk) == before


def test_the_contact_list_filters_by_company(personas):
    company = factories.company(personas.alice)
    factories.contact(personas.alice, first_name="Пётр", company=company)
    factories.contact(personas.alice, first_name="Павел")

    response = ApiClient(personas.alice).get("/contacts", company=company.pk)

    assert [c["first_name"] for c in response.json()["items"]] == ["Пётр"]


def test_the_contact_list_costs_the_same_for_30_contacts(personas, django_assert_max_num_queries):
    company = factories.company(personas.alice)
    for _ in range(30):
        factories.contact(personas.alice, company=company)
    api = ApiClient(personas.alice)

    with django_assert_max_num_queries(8):
        response = api.get("/contacts", limit=200)

    assert response.json()["count"] == 30
    assert len(response.json()["items"]) == 30
