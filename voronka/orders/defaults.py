"""The workflow and status settings a new installation starts with; the organisation
changes them on the orders settings page."""

from __future__ import annotations

# (from, to, only when paid)
TRANSITIONS: list[tuple[str, str, bool]] = [
    ("new", "confirmed", False),
    ("new", "cancelled", False),
    ("confirmed", "paid", False),
    ("confirmed", "assembled", False),
    ("confirmed", "cancelled", False),
    ("paid", "assembled", False),
    ("paid", "cancelled", False),
    ("assembled", "shipped", True),
    ("assembled", "cancelled", False),
    ("shipped", "delivered", False),
    ("shipped", "returned", False),
    ("delivered", "returned", False),
]

# status: (norm in hours or None, e-mail the client)
NORMS: dict[str, tuple[int | None, bool]] = {
    "new": (4, False),
    "confirmed": (48, True),
    "paid": (24, True),
    "assembled": (24, False),
    "shipped": (120, True),
    "delivered": (None, True),
    "cancelled": (None, True),
    "returned": (None, False),
}

SUBJECT_RU = "Заказ № {{ order.number }}: {{ status }}"
SUBJECT_EN = "Order {{ order.number }}: {{ status }}"

BODY_RU = {
    "confirmed": "Здравствуйте{% if client_name %}, {{ client_name }}{% endif %}!\n\n"
    "Мы приняли ваш заказ № {{ order.number }} на сумму {{ total }} и уже работаем над ним.",
    "paid": "Здравствуйте{% if client_name %}, {{ client_name }}{% endif %}!\n\n"
    "Оплата заказа № {{ order.number }} получена, спасибо. Заказ передан на сборку.",
    "shipped": "Здравствуйте{% if client_name %}, {{ client_name }}{% endif %}!\n\n"
    "Заказ № {{ order.number }} отгружен и едет к вам.",
    "delivered": "Здравствуйте{% if client_name %}, {{ client_name }}{% endif %}!\n\n"
    "Заказ № {{ order.number }} доставлен. Спасибо, что выбрали нас!",
    "cancelled": "Здравствуйте{% if client_name %}, {{ client_name }}{% endif %}!\n\n"
    "Заказ № {{ order.number }} отменён. Если это ошибка, ответьте на это письмо.",
}
BODY_EN = {
    "confirmed": "Hello{% if client_name %} {{ client_name }}{% endif %},\n\n"
    "We have confirmed your order {{ order.number }} for {{ total }} and are working on it.",
    "paid": "Hello{% if client_name %} {{ client_name }}{% endif %},\n\n"
    "We have received the payment for order {{ order.number }}, thank you.",
    "shipped": "Hello{% if client_name %} {{ client_name }}{% endif %},\n\n"
    "Order {{ order.number }} has been shipped and is on its way to you.",
    "delivered": "Hello{% if client_name %} {{ client_name }}{% endif %},\n\n"
    "Order {{ order.number }} has been delivered. Thank you for choosing us!",
    "cancelled": "Hello{% if client_name %} {{ client_name }}{% endif %},\n\n"
    "Order {{ order.number }} has been cancelled. If this is a mistake, reply to this e-mail.",
}
LINK_RU = "\n\nСтатус заказа: {{ link }}\n\n{{ organisation }}"
LINK_EN = "\n\nOrder status: {{ link }}\n\n{{ organisation }}"


def status_settings() -> list[dict[str, object]]:
    rows: list[dict[str, object]] = []
    for status, (norm, notify) in NORMS.items():
        rows.append({
            "status": status, "norm_hours": norm, "notify_client": notify,
            # A new order waits for a manager, who works working hours.
            "clock": "working" if status == "new" else "calendar",
            "subject_ru": SUBJECT_RU, "subject_en": SUBJECT_EN,
            "body_ru": BODY_RU.get(status, BODY_RU["confirmed"].split("\n\n")[0]
                                   + "\n\nЗаказ № {{ order.number }}: {{ status }}.") + LINK_RU,
            "body_en": BODY_EN.get(status, BODY_EN["confirmed"].split("\n\n")[0]
                                   + "\n\nOrder {{ order.number }}: {{ status }}.") + LINK_EN,
        })  # fmt: skip
    return rows


def install(
    sender: object = None, *, apps: object = None, using: str = "default", **_: object
) -> None:
    """Give the installation its workflow and status settings where it has none.

    Connected to ``post_migrate``, which also follows a ``flush``: a database emptied and
    migrated again gets the defaults back. Moves an administrator removed stay removed —
    transitions are added only when there are none at all.
    """
    from django.apps import apps as global_apps
    from django.db import DatabaseError

    registry = apps or global_apps
    try:
        Transition = registry.get_model("orders", "Transition")  # type: ignore[attr-defined]
        StatusSetting = registry.get_model("orders", "StatusSetting")  # type: ignore[attr-defined]
    except LookupError:  # migrating to a state before the orders app
        return
    try:
        if not Transition.objects.using(using).exists():
            Transition.objects.using(using).bulk_create(
                Transition(from_status=a, to_status=b, requires_payment=paid)
                for a, b, paid in TRANSITIONS
            )
        have = set(StatusSetting.objects.using(using).values_list("status", flat=True))
        StatusSetting.objects.using(using).bulk_create(
            StatusSetting(**row) for row in status_settings() if row["status"] not in have
        )
    except DatabaseError:  # the tables are not there (yet)
        return
