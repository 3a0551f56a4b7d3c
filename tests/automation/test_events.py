"""Every domain event can be subscribed to, and each one's data is the record it is about."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from tests import factories
from tests.automation.conftest import make_webhook
from voronka.activities import services as activity_services
from voronka.automation import subscribers
from voronka.automation.event_types import event_types, label
from voronka.automation.models import WebhookDelivery
from voronka.core import events
from voronka.sales import services as sales_services

ALL_EVENTS = [
    "deal.created", "deal.stage_changed", "deal.won", "deal.lost", "lead.created",
    "lead.qualified", "lead.rejected", "client.created", "activity.logged", "task.completed",
    "task.overdue",
]  # fmt: skip


def test_every_event_constant_of_the_core_has_a_webhook_subscriber_and_a_label():
    constants = {v for k, v in vars(events).items() if k.isupper() and isinstance(v, str)}
    assert set(event_types()) == constants
    assert set(ALL_EVENTS) <= constants
    for event in constants:
        handlers = [h for h in events._handlers[event] if h.__module__ == subscribers.__name__]
        assert len(handlers) == 1, event
        assert label(event) != event


def test_a_whole_sale_reaches_a_webhook_subscribed_to_everything_in_order(
    personas, stages, source, lost_reason, receiver, django_capture_on_commit_callbacks
):
    make_webhook(personas.admin, receiver.url, ALL_EVENTS, receiver)
    alice = personas.alice
    run = django_capture_on_commit_callbacks
    with run(execute=True):
        lead = factories.lead(alice, title="Станки", contact_name="Сидоров Пётр", source=source)
    with run(execute=True):
        deal = sales_services.lead_qualify(actor=alice, lead=lead, version=lead.version)
    with run(execute=True):
        deal = sales_services.deal_move_stage(
            actor=alice, deal=deal, stage=stages["proposal"], version=deal.version
        )
    with run(execute=True):
        sales_services.deal_move_stage(
            actor=alice, deal=deal, stage=stages["lost"], version=deal.version,
            lost_reason=lost_reason,
        )  # fmt: skip
    with run(execute=True):
        activity = activity_services.activity_log(
            actor=alice, data={"kind": "call", "subject": "Отказ", "deal": deal}
        )
    with run(execute=True):
        task = activity_services.task_create(
            actor=alice,
            data={"title": "Вернуться через год", "due_at": datetime(2031, 1, 1, tzinfo=UTC),
                  "deal": deal},
        )  # fmt: skip
        activity_services.task_complete(actor=alice, task=task)
    with run(execute=True):
        other = factories.lead(alice, title="Спам")
        sales_services.lead_reject(
            actor=alice, lead=other, version=other.version, reason=lost_reason
        )

    got = [(r.headers["X-Voronka-Event"], r.signature_ok) for r in receiver.requests]
    assert got == [
        ("lead.created", True),
        ("client.created", True),
        ("deal.created", True),
        ("lead.qualified", True),
        ("deal.stage_changed", True),
        ("deal.stage_changed", True),
        ("deal.lost", True),
        ("activity.logged", True),
        ("task.completed", True),
        ("lead.created", True),
        ("lead.rejected", True),
    ]
    data = {}
    for request in receiver.requests:
        data.setdefault(request.json["event"], request.json["data"])
    contact = data["client.created"]
    assert {k: contact[k] for k in ("type", "name", "first_name", "last_name", "owner")} == {
        "type": "contact", "name": "Сидоров Пётр", "first_name": "Пётр",
        "last_name": "Сидоров", "owner": {"id": alice.pk, "name": "Алиса Иванова",
                                          "email": "alice@example.com"},
    }  # fmt: skip
    assert data["lead.qualified"]["status"] == "qualified"
    assert data["lead.qualified"]["deal"]["id"] == deal.pk
    assert data["lead.qualified"]["deal"]["contact"] == {
        "id": contact["id"],
        "name": "Сидоров Пётр",
    }
    moved = data["deal.stage_changed"]
    assert (moved["from_stage"], moved["stage"]) == (
        {"id": stages["new"].pk, "name": "Новая", "kind": "open"},
        {"id": stages["proposal"].pk, "name": "Предложение", "kind": "open"},
    )
    assert data["deal.lost"]["lost_reason"] == {"id": lost_reason.pk, "name": "Дорого"}
    assert data["deal.lost"]["status"] == "lost"
    logged = data["activity.logged"]
    assert (logged["id"], logged["kind"], logged["subject"], logged["deal"]) == (
        activity.pk, "call", "Отказ", {"id": deal.pk, "name": "Станки"},
    )  # fmt: skip
    done = data["task.completed"]
    assert (done["id"], done["status"], done["due_at"], done["completed_by"]["id"]) == (
        task.pk, "done", "2031-01-01T00:00:00+00:00", alice.pk,
    )  # fmt: skip
    assert done["url"] == f"https://crm.example.com/activities/tasks/{task.pk}/"
    assert data["lead.rejected"]["rejection_reason"] == {"id": lost_reason.pk, "name": "Дорого"}


def test_an_overdue_task_is_sent_once_when_its_overdue_notice_is_first_made(
    personas, receiver, django_capture_on_commit_callbacks
):
    make_webhook(personas.admin, receiver.url, ["task.overdue"], receiver)
    due = datetime(2030, 3, 10, 12, 0, tzinfo=UTC)
    task = activity_services.task_create(
        actor=personas.alice, data={"title": "Перезвонить", "due_at": due}
    )
    for minutes in (1, 2, 60):
        with django_capture_on_commit_callbacks(execute=True):
            activity_services.task_deadlines_run(now=due + timedelta(minutes=minutes))

    [request] = receiver.requests
    body = request.json
    assert (body["event"], body["data"]["id"], body["data"]["status"]) == (
        "task.overdue", task.pk, "open",
    )  # fmt: skip
    assert body["data"]["assignee"] == {
        "id": personas.alice.pk, "name": "Алиса Иванова", "email": "alice@example.com",
    }  # fmt: skip
    assert WebhookDelivery.objects.get().status == "delivered"


def test_a_deal_deleted_for_good_before_the_send_still_goes_out_with_its_id(personas):
    from voronka.automation.payloads import build

    assert build("deal.won", {"deal_id": 987654, "actor_id": 1}) == {"id": 987654}
    assert build("client.created", {"company_id": 5, "actor_id": 1}) == {
        "type": "company", "id": 5,
    }  # fmt: skip
    assert build("order.shipped", {"order_id": 7, "actor_id": 1}) == {"order_id": 7}


def test_money_goes_out_as_a_string_with_two_decimals(personas, stages):
    from voronka.automation.payloads import deal_data

    deal = factories.deal(personas.alice, amount=Decimal("1234567.5"))
    assert deal_data(deal.pk)["amount"] == "1234567.50"
