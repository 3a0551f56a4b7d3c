"""The organisation's settings, read once per process and refreshed on change."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.cache import cache

from voronka.core.models import Organisation

_CACHE_KEY = "voronka:organisation"
# The work calendar's exceptions (holidays, working weekends): read only where needed.
CALENDAR_CACHE_KEY = "voronka:calendar-exceptions"


@dataclass(frozen=True)
class OrgSettings:
    name: str
    time_zone: str
    base_currency: str
    task_escalation_hours: int = 24
    work_days: tuple[int, ...] = (0, 1, 2, 3, 4)
    work_starts: dt.time = dt.time(9, 0)
    work_ends: dt.time = dt.time(18, 0)
    surveys_enabled: bool = True
    survey_valid_days: int = 14
    survey_follow_up_max_score: int = 2
    orders_from_won_deals: bool = False
    order_prices_include_vat: bool = True
    order_vat_rate: Decimal = Decimal("22")

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.time_zone)


def current() -> OrgSettings:
    """The organisation's settings; creates the row with defaults on first use."""
    cached = cache.get(_CACHE_KEY)
    if cached is not None:
        return cached
    org = Organisation.objects.order_by("pk").first()
    if org is None:
        org = Organisation.objects.create(
            time_zone=settings.DEFAULT_ORG_TIME_ZONE, base_currency=settings.DEFAULT_ORG_CURRENCY
        )
    value = OrgSettings(
        org.name, org.time_zone, org.base_currency, org.task_escalation_hours,
        work_days=tuple(sorted(set(org.work_days or []))), work_starts=org.work_starts,
        work_ends=org.work_ends, surveys_enabled=org.surveys_enabled,
        survey_valid_days=org.survey_valid_days,
        survey_follow_up_max_score=org.survey_follow_up_max_score,
        orders_from_won_deals=org.orders_from_won_deals,
        order_prices_include_vat=org.order_prices_include_vat, order_vat_rate=org.order_vat_rate,
    )  # fmt: skip
    cache.set(_CACHE_KEY, value, 60)
    return value


def forget() -> None:
    cache.delete_many([_CACHE_KEY, CALENDAR_CACHE_KEY])
