"""The web forms' tunables: each from the Django settings, else the environment, else a default.

``WEBFORMS_RATE_LIMIT``        submissions one IP address may send to one form per window (5);
``WEBFORMS_RATE_WINDOW``       that window, seconds (60);
``WEBFORMS_DUPLICATE_WINDOW``  the same answers again within this many seconds are a duplicate
                               (600);
``WEBFORMS_IP_HEADER``         where the visitor's address is when Voronka runs behind a proxy,
                               e.g. ``HTTP_X_FORWARDED_FOR`` (the last address in it, the one the
                               proxy added, is used); empty: the connection's own address;
``WEBFORMS_KEEP_DAYS``         spam, invalid and refused submissions are forgotten after this many
                               days (90); those that made a lead or a request are kept.
"""

from __future__ import annotations

import os

from django.conf import settings


def _value(name: str, default: str) -> str:
    return str(getattr(settings, name, os.environ.get(name, default)))


def rate_limit() -> int:
    return int(_value("WEBFORMS_RATE_LIMIT", "5"))


def rate_window() -> int:
    return int(_value("WEBFORMS_RATE_WINDOW", "60"))


def duplicate_window() -> int:
    return int(_value("WEBFORMS_DUPLICATE_WINDOW", "600"))


def ip_header() -> str:
    return _value("WEBFORMS_IP_HEADER", "").strip()


def keep_days() -> int:
    return int(_value("WEBFORMS_KEEP_DAYS", "90"))
