"""How long an order may stay in a status: the organisation's norms per status."""

from __future__ import annotations

from datetime import datetime, timedelta

from voronka.orders.models import OPEN_STATUSES, StatusSetting


def due_at(status: str, entered_at: datetime) -> datetime | None:
    """When an order that entered ``status`` at ``entered_at`` becomes overdue; None
    when the status has no norm or is final (a delivered order is never late)."""
    if status not in OPEN_STATUSES:
        return None
    setting = StatusSetting.objects.filter(status=status).only("norm_hours", "clock").first()
    if setting is None or not setting.norm_hours:
        return None
    if setting.clock == StatusSetting.Clock.WORKING:
        from voronka.core import workcalendar

        return workcalendar.current().add(entered_at, setting.norm_hours * 60)
    return entered_at + timedelta(hours=setting.norm_hours)
