"""Who may do what to a record through the API, for every persona.

The records belong to alice (team North, led by ``lead``). Whoever must not see a
record gets 404 — the same as for a record that does not exist — and whoever sees it
but may not change it gets 403; in both cases the database is left as it was.
"""

from __future__ import annotations

import pytest

from tests import factories
from tests.api_client import ApiClient
from voronka.clients import services as client_services
from voronka.clients.models import Company, Contact
from voronka.sales import services as sales_services
from voronka.sales.models import Deal, Lead

RECORDS = {
    "company": ("/companies", Company),
    "contact": ("/contacts", Contact),
    "lead": ("/leads", Lead),
    "deal": ("/deals", Deal),
}

FULL = {"list": True, "view": 200, "edit": 200, "delete": 204}
READ_ONLY = {"list": True, "view": 200, "edit": 403, "delete": 403}
NOTHING = {"list": False, "view": 404, "edit": 404, "delete": 404}

EXPECTED = {
    "admin": dict.fromkeys(RECORDS, FULL),
    "head": dict.fromkeys(RECORDS, FULL),
    "lead": dict.fromkeys(RECORDS, FULL),
    "alice": dict.fromkeys(RECORDS, FULL),
    "bob": dict.fromkeys(RECORDS, NOTHING),
    "support": {"company": READ_ONLY, "contact": READ_ONLY, "lead": NOTHING, "deal": READ_ONLY},
    "outsider": dict.fromkeys(RECORDS, NOTHING),
}

# Restoring from the trash: administrator and head of sales only.
RESTORE = {
    "admin": dict.fromkeys(RECORDS, 200),
    "head": dict.fromkeys(RECORDS, 200),
    "lead": dict.fromkeys(RECORDS, 403),
    "alice": dict.fromkeys(RECORDS, 403),
    "bob": dict.fromkeys(RECORDS, 404),
    "support": {"company": 403, "contact": 403, "lead": 404, "deal": 403},
    "outsider": dict.fromkeys(RECORDS, 404),
}

CASES = [
    (persona, record, action, EXPECTED[persona][record][action])
    for persona in EXPECTED
    for record in RECORDS
    for action in ("list", "view", "edit", "delete")
]


def _alices_record(personas, kind: str):
    alice = personas.alice
    if kind == "company":
        return factories.company(alice)
    if kind == "contact":
        return factories.contact(alice)
    if kind == "lead":
        return factories.lead(alice)
    return factories.deal(alice)


def _row(model, pk: int) -> dict:
    return model.all_objects.filter(pk=pk).values().get()


@pytest.mark.parametrize(("persona", "record", "action", "expected"), CASES)
def test_each_persona_gets_what_the_visibility_rule_allows(
    personas, pipeline, persona, record, action, expected
):
    path, model = RECORDS[record]
    obj = _alices_record(personas, record)
    before = _row(model, obj.pk)
    api = ApiClient(getattr(personas, persona))

    if action == "list":
        response = api.get(path, limit=200)
        assert response.status_code == 200
        listed = obj.pk in [item["id"] for item in response.json()["items"]]
        assert listed is expected
        return

    if action == "view":
        response = api.get(f"{path}/{obj.pk}")
    elif action == "edit":
        response = api.patch(f"{path}/{obj.pk}", {"notes": "Изменено", "version": obj.version})
    else:
        response = api.delete(f"{path}/{obj.pk}", version=obj.version)

    assert response.status_code == expected
    after = _row(model, obj.pk)
    if expected == 200 and action == "view":
        assert response.json()["version"] == obj.version
        assert after == before
    elif expected == 200:
        assert after["notes"] == "Изменено"
        assert after["version"] == obj.version + 1
    elif expected == 204:
        assert after["deleted_at"] is not None
        assert after["version"] == obj.version + 1
    else:
        detail = response.json()["detail"]
        assert detail == ("Not found." if expected == 404 else "You are not allowed to do this.")
        assert after == before


@pytest.mark.parametrize(
    ("persona", "record", "expected"),
    [(p, r, RESTORE[p][r]) for p in RESTORE for r in RECORDS],
)
def test_only_the_administrator_and_the_head_of_sales_restore_from_the_trash(
    personas, pipeline, persona, record, expected
):
    path, model = RECORDS[record]
    obj = _alices_record(personas, record)
    delete = {
        "company": lambda: client_services.company_delete(actor=alice, company=obj, version=1),
        "contact": lambda: client_services.contact_delete(actor=alice, contact=obj, version=1),
        "lead": lambda: sales_services.lead_delete(actor=alice, lead=obj, version=1),
        "deal": lambda: sales_services.deal_delete(actor=alice, deal=obj, version=1),
    }
    alice = personas.alice
    delete[record]()
    before = _row(model, obj.pk)

    response = ApiClient(getattr(personas, persona)).post(f"{path}/{obj.pk}/restore")

    assert response.status_code == expected
    after = _row(model, obj.pk)
    if expected == 200:
        assert response.json()["id"] == obj.pk
        assert after["deleted_at"] is None
    else:
        assert after == before
