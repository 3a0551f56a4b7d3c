"""The API describes itself: an OpenAPI schema and interactive documentation."""

from __future__ import annotations

from django.test import Client

EXPECTED_PATHS = {
    "/api/v1/kpis": {"get"},
    "/api/v1/kpis/catalogue": {"get"},
    "/api/v1/me": {"get"},
    "/api/v1/tokens": {"get", "post"},
    "/api/v1/tokens/{token_id}": {"delete"},
    "/api/v1/companies": {"get", "post"},
    "/api/v1/companies/{company_id}": {"get", "patch", "delete"},
    "/api/v1/companies/{company_id}/restore": {"post"},
    "/api/v1/contacts": {"get", "post"},
    "/api/v1/contacts/{contact_id}": {"get", "patch", "delete"},
    "/api/v1/contacts/{contact_id}/restore": {"post"},
    "/api/v1/leads": {"get", "post"},
    "/api/v1/leads/{lead_id}": {"get", "patch", "delete"},
    "/api/v1/leads/{lead_id}/restore": {"post"},
    "/api/v1/leads/{lead_id}/qualify": {"post"},
    "/api/v1/leads/{lead_id}/reject": {"post"},
    "/api/v1/deals": {"get", "post"},
    "/api/v1/deals/{deal_id}": {"get", "patch", "delete"},
    "/api/v1/deals/{deal_id}/restore": {"post"},
    "/api/v1/deals/{deal_id}/move": {"post"},
    "/api/v1/deals/{deal_id}/lines": {"post"},
    "/api/v1/deals/{deal_id}/lines/{line_id}": {"delete"},
    "/api/v1/products": {"get", "post"},
    "/api/v1/products/{product_id}": {"get", "patch", "delete"},
    "/api/v1/pipelines": {"get", "post"},
    "/api/v1/pipelines/{pipeline_id}": {"get", "patch"},
    "/api/v1/pipelines/{pipeline_id}/stages": {"post"},
    "/api/v1/pipelines/{pipeline_id}/stages/{stage_id}": {"patch"},
    "/api/v1/lead-sources": {"get"},
    "/api/v1/lost-reasons": {"get"},
    "/api/v1/activities": {"get", "post"},
    "/api/v1/activities/{activity_id}": {"get", "delete"},
    "/api/v1/timeline": {"get"},
    "/api/v1/tasks": {"get", "post"},
    "/api/v1/tasks/my-day": {"get"},
    "/api/v1/tasks/team": {"get"},
    "/api/v1/tasks/{task_id}": {"get", "patch"},
    "/api/v1/tasks/{task_id}/complete": {"post"},
    "/api/v1/tasks/{task_id}/status": {"post"},
    "/api/v1/notifications": {"get"},
    "/api/v1/notifications/unread-count": {"get"},
    "/api/v1/notifications/read-all": {"post"},
    "/api/v1/notifications/preferences": {"get", "put"},
    "/api/v1/notifications/{notification_id}/read": {"post"},
    "/api/v1/webhooks": {"get", "post"},
    "/api/v1/webhooks/{webhook_id}": {"get", "patch", "delete"},
    "/api/v1/webhooks/{webhook_id}/deliveries": {"get"},
    "/api/v1/requests": {"get", "post"},
    "/api/v1/requests/{request_id}": {"get", "patch", "delete"},
    "/api/v1/requests/{request_id}/status": {"post"},
    "/api/v1/requests/{request_id}/messages": {"get"},
    "/api/v1/requests/{request_id}/replies": {"post"},
    "/api/v1/requests/{request_id}/client-messages": {"post"},
    "/api/v1/requests/{request_id}/notes": {"post"},
    "/api/v1/request-categories": {"get"},
    "/api/v1/sla-policies": {"get", "post"},
    "/api/v1/sla-policies/{policy_id}": {"get", "patch"},
    "/api/v1/orders": {"get", "post"},
    "/api/v1/orders/{order_id}": {"get", "patch", "delete"},
    "/api/v1/orders/{order_id}/lines": {"put"},
    "/api/v1/orders/{order_id}/status": {"post"},
    "/api/v1/orders/{order_id}/payment": {"post"},
    "/api/v1/deals/{deal_id}/order": {"post"},
    "/api/v1/order-workflow": {"get"},
    "/api/v1/orders/export": {"get"},
    "/api/v1/catalogue/import": {"post"},
    "/api/v1/catalogue/export": {"get"},
}


def _schema(db) -> dict:
    response = Client().get("/api/v1/openapi.json")
    assert response.status_code == 200
    return response.json()


def test_the_schema_loads_and_lists_every_operation(db):
    schema = _schema(db)

    assert schema["openapi"].startswith("3.")
    assert schema["info"]["title"] == "Voronka API"
    assert {path: set(ops) for path, ops in schema["paths"].items()} == EXPECTED_PATHS


def test_every_operation_declares_the_errors_it_can_answer(db):
    schema = _schema(db)

    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            codes = set(operation["responses"])
            assert {"401", "422"} <= codes, (method, path)
            if method != "get":
                assert "403" in codes, (method, path)  # CSRF, or not yours to change
            if "{" in path:
                assert "404" in codes, (method, path)
            takes_cursor = any(p["name"] == "cursor" for p in operation.get("parameters", []))
            if takes_cursor:
                assert "400" in codes, (method, path)  # a bad cursor


def test_every_operation_asks_for_a_token_or_a_session(db):
    schema = _schema(db)

    assert schema["components"]["securitySchemes"] == {
        "TokenAuth": {"type": "http", "scheme": "bearer"},
        "SessionAuth": {"type": "apiKey", "in": "cookie", "name": "sessionid"},
    }
    for operations in schema["paths"].values():
        for operation in operations.values():
            assert operation["security"] == [{"TokenAuth": []}, {"SessionAuth": []}]


def test_the_interactive_documentation_opens(db):
    response = Client().get("/api/v1/docs")

    assert response.status_code == 200
    assert b"/api/v1/openapi.json" in response.content


def test_the_choices_the_api_accepts_are_the_models_choices():
    from typing import get_args

    from voronka.clients.models import LifecycleStage
    from voronka.clients.schemas import LifecycleStageName
    from voronka.sales.models import Deal, Lead, StageKind
    from voronka.sales.schemas import DealStatus, LeadStatus, StageKindName

    assert list(get_args(LifecycleStageName)) == LifecycleStage.values
    assert list(get_args(LeadStatus)) == Lead.Status.values
    assert list(get_args(DealStatus)) == Deal.Status.values
    assert list(get_args(StageKindName)) == StageKind.values
