"""Webhook settings: a Django setting of the same name wins, then the environment
variable, then the default here (tests set the settings: zero delays)."""

from __future__ import annotations

import os
from typing import Any

from django.conf import settings

# Waits before the 2nd, 3rd … attempt of a delivery, in seconds: 1 min, 5 min, 30 min,
# 2 h, 6 h. After the last one fails the delivery has failed for good.
DEFAULT_RETRY_DELAYS = [60, 300, 1800, 7200, 21600]
DEFAULT_DISABLE_AFTER = 10  # deliveries failed for good in a row
DEFAULT_TIMEOUT = 10  # seconds per attempt
# A delivery still "sending" this long after its claim was left by a worker that died.
DEFAULT_STUCK_AFTER = 300  # seconds
RESPONSE_BODY_LIMIT = 2048  # bytes of the receiver's answer that are kept


def _value(name: str, default: Any) -> Any:
    value = getattr(settings, name, None)
    if value is None:
        value = os.environ.get(name)
    return default if value is None else value


def retry_delays() -> list[int]:
    """``VORONKA_WEBHOOK_RETRY_DELAYS``: a list, or "60,300,1800" in the environment."""
    value = _value("VORONKA_WEBHOOK_RETRY_DELAYS", DEFAULT_RETRY_DELAYS)
    if isinstance(value, str):
        value = [part for part in value.replace(" ", "").split(",") if part]
    return [max(0, int(seconds)) for seconds in value]


def disable_after() -> int:
    return max(1, int(_value("VORONKA_WEBHOOK_DISABLE_AFTER", DEFAULT_DISABLE_AFTER)))


def timeout() -> float:
    return float(_value("VORONKA_WEBHOOK_TIMEOUT", DEFAULT_TIMEOUT))


def stuck_after() -> int:
    return int(_value("VORONKA_WEBHOOK_STUCK_AFTER", DEFAULT_STUCK_AFTER))
