"""The status workflow grid of the orders' settings: the organisation's allowed moves
with "only when paid", saved whole or refused whole when a status could no longer be
left or reached."""

from __future__ import annotations

import pytest
from django.contrib.admin.models import LogEntry
from django.urls import reverse

from tests.orders.conftest import walk
from voronka.core.errors import NotAllowed
from voronka.orders import defaults, settings_services
from voronka.orders.models import PaymentStatus, Status, Transition
from voronka.orders.services import order_set_status

DEFAULT = {(a, b): paid for a, b, paid in defaults.TRANSITIONS}


def table() -> dict[tuple[str, str], bool]:
    return {(t.from_status, t.to_status): t.requires_payment for t in Transition.objects.all()}


def grid(moves: dict[tuple[str, str], bool]) -> dict[str, str]:
    """The POST of the grid with ``moves`` ticked."""
    data = {}
    for (a, b), paid in moves.items():
        data[f"move-{a}-{b}"] = "on"
        if paid:
            data[f"paid-{a}-{b}"] = "on"
    return data


def ticked(initial: dict[str, bool]) -> dict[tuple[str, str], bool]:
    """The moves a grid's initial values tick, each with its "only when paid"."""
    return {
        (a, b): bool(initial.get(f"paid-{a}-{b}"))
        for key, on in initial.items()
        for kind, a, b in [key.split("-")]
        if kind == "move" and on
    }


@pytest.fixture
def head(client, personas):
    from voronka.accounts.models import User

    User.objects.filter(pk=personas.head.pk).update(language="en")
    client.force_login(personas.head)
    return client


def save(client, moves, **extra):
    return client.post(reverse("orders:settings-workflow"), {**grid(moves), **extra})


def test_the_grid_shows_the_workflow_in_use(head):
    response = head.get(reverse("orders:settings-workflow"))
    form = response.context["form"]
    assert ticked(form.initial) == DEFAULT
    html = response.content.decode()
    assert 'name="move-assembled-shipped" id="id_move-assembled-shipped" aria-label=' in html
    assert html.count('type="checkbox"') == 2 * 8 * 7  # every pair but a status to itself


def test_a_changed_grid_is_saved_and_logged(head, personas):
    moves = dict(DEFAULT)
    del moves[("paid", "cancelled")]
    moves[("confirmed", "shipped")] = True
    moves[("assembled", "shipped")] = False

    response = save(head, moves)

    assert (response.status_code, response["Location"]) == (302, "/orders/settings/workflow/")
    assert table() == moves
    entry = LogEntry.objects.get()
    assert entry.user == personas.head
    assert entry.change_message == (
        "allowed: Confirmed → Shipped; no longer allowed: Paid → Cancelled; "
        "paid or not: Assembled → Shipped"
    )


def test_only_when_paid_without_the_move_is_ignored(head):
    response = save(head, DEFAULT, **{"paid-new-delivered": "on"})
    assert response.status_code == 302
    assert table() == DEFAULT
    assert LogEntry.objects.count() == 0


def test_the_new_workflow_rules_the_next_moves(head, personas, alices_order):
    moves = {**DEFAULT, ("assembled", "shipped"): False}
    save(head, moves)
    order = walk(alices_order, personas.alice, Status.CONFIRMED, Status.ASSEMBLED)
    assert order.payment_status == PaymentStatus.UNPAID
    order = order_set_status(actor=personas.alice, order=order, to_status=Status.SHIPPED,
                             version=order.version)  # fmt: skip
    assert order.status == Status.SHIPPED


@pytest.mark.parametrize(
    ("removed", "added", "problems"),
    [
        (
            [("new", "confirmed"), ("new", "cancelled")], [],
            ["«New» has no way out: an order in it could never move on.",
             "«Confirmed» cannot be reached from «New».",
             "«Paid» cannot be reached from «New».",
             "«Assembled» cannot be reached from «New».",
             "«Shipped» cannot be reached from «New».",
             "«Delivered» cannot be reached from «New».",
             "«Cancelled» cannot be reached from «New».",
             "«Returned» cannot be reached from «New»."],
        ),
        (
            [("shipped", "delivered"), ("shipped", "returned")], [],
            ["«Shipped» has no way out: an order in it could never move on.",
             "«Delivered» cannot be reached from «New».",
             "«Returned» cannot be reached from «New»."],
        ),
        (
            [("shipped", "returned"), ("delivered", "returned")], [],
            ["«Returned» cannot be reached from «New»."],
        ),
        (
            [("confirmed", "assembled"), ("confirmed", "cancelled"), ("paid", "assembled"),
             ("paid", "cancelled")],
            [("paid", "confirmed")],
            ["From «Confirmed» an order can never be delivered, cancelled or returned.",
             "From «Paid» an order can never be delivered, cancelled or returned.",
             "«Assembled» cannot be reached from «New».",
             "«Shipped» cannot be reached from «New».",
             "«Delivered» cannot be reached from «New».",
             "«Returned» cannot be reached from «New»."],
        ),
    ],
)  # fmt: skip
def test_a_workflow_that_strands_orders_is_refused_naming_the_status(
    head, removed, added, problems
):
    moves = {m: p for m, p in DEFAULT.items() if m not in removed}
    moves.update(dict.fromkeys(added, False))

    response = save(head, moves)

    assert response.status_code == 422
    assert list(response.context["form"].non_field_errors()) == problems
    assert table() == DEFAULT
    assert LogEntry.objects.count() == 0
    assert 'id="workflow-errors"' in response.content.decode()


def test_a_manager_cannot_change_the_workflow_through_the_service(personas):
    with pytest.raises(NotAllowed):
        settings_services.workflow_save(actor=personas.alice, moves={})
    assert table() == DEFAULT


def test_the_service_refuses_an_unknown_status(personas):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as refused:
        settings_services.workflow_save(actor=personas.admin,
                                        moves={**DEFAULT, ("new", "lost"): False})  # fmt: skip
    assert refused.value.message_dict == {"transitions": ["Unknown move new → lost."]}
    assert table() == DEFAULT
