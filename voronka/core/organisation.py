"""The organisation's settings, read once per process and refreshed on change."""

from __future__ import annotations

from dataclasses import dataclass
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.cache import cache

from voronka.core.models import Organisation

_CACHE_KEY = "voronka:organisation"


@dataclass(frozen=True)
class OrgSettings:
    name: str
    time_zone: str
    base_currency: str
    task_escalation_hours: int = 24

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
    value = OrgSettings(org.name, org.time_zone, org.base_currency, org.task_escalation_hours)
    cache.set(_CACHE_KEY, value, 60)
    return value


def forget() -> None:
    cache.delete(_CACHE_KEY)
