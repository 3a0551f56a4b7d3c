"""Turning cells into values: text, numbers, dates, yes/no, e-mails, phones.

Each reader takes what the file holds (text from CSV; text, numbers or dates from
XLSX) and returns the value or raises :class:`CellError` with a reason a person can
act on ("not a date like 2024-03-31").
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time
from decimal import Decimal, InvalidOperation
from typing import Any
from zoneinfo import ZoneInfo

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.translation import gettext as _

ISO_FORMATS = ("%Y-%m-%d", "%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S",
               "%Y/%m/%d %H:%M:%S.%f", "%Y/%m/%d %H:%M:%S", "%Y/%m/%d",
               "%d.%m.%Y", "%d.%m.%Y %H:%M", "%d.%m.%Y %H:%M:%S")  # fmt: skip
TRUE = {"1", "true", "yes", "y", "да", "д", "истина", "+", "x", "✓"}
FALSE = {"0", "false", "no", "n", "нет", "н", "ложь", "-", ""}


_THOUSANDS = re.compile(r"^[-+]?\d{1,3},\d{3}$")


class CellError(ValueError):
    pass


def is_blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def text(value: Any, max_length: int | None = None) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # XLSX keeps 12345 as 12345.0
    result = " ".join(str(value).split()) if max_length and max_length <= 300 else str(value)
    result = result.strip()
    if max_length is not None and len(result) > max_length:
        raise CellError(
            _("%(n)s characters; at most %(max)s") % {"n": len(result), "max": max_length}
        )
    return result


def decimal(value: Any, *, comma: bool = False) -> Decimal:
    if isinstance(value, bool):
        raise CellError(_("not a number"))
    if isinstance(value, int | Decimal):
        return Decimal(value)
    if isinstance(value, float):
        return Decimal(repr(value))
    raw = str(value).strip().replace("\u00a0", "").replace(" ", "")
    if comma:
        raw = raw.replace(".", "").replace(",", ".")
    elif "," in raw and "." not in raw and raw.count(",") == 1 and not _THOUSANDS.match(raw):
        raw = raw.replace(",", ".")  # "1234,50": a decimal comma; "1,000" is a thousand
    else:
        raw = raw.replace(",", "")
    try:
        number = Decimal(raw)
    except InvalidOperation:
        raise CellError(_("not a number: %(value)r") % {"value": str(value)[:40]}) from None
    if not number.is_finite():
        raise CellError(_("not a number: %(value)r") % {"value": str(value)[:40]})
    return number


def integer(value: Any) -> int:
    number = decimal(value)
    if number != number.to_integral_value():
        raise CellError(_("not a whole number: %(value)r") % {"value": str(value)[:40]})
    return int(number)


def boolean(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    raw = str(value).strip().casefold()
    if raw in TRUE:
        return True
    if raw in FALSE:
        return False
    raise CellError(_("not yes or no: %(value)r") % {"value": str(value)[:40]})


def _parse(value: Any, fmt: str | None) -> datetime:
    if isinstance(value, datetime):
        return value
    if isinstance(value, date):
        return datetime.combine(value, time())
    raw = str(value).strip()
    for candidate in (fmt,) if fmt else ISO_FORMATS:
        try:
            return datetime.strptime(raw, candidate)  # noqa: DTZ007 - made aware below
        except ValueError:
            continue
    example = datetime(2024, 3, 31, 14, 30, tzinfo=UTC).strftime(fmt) if fmt else "2024-03-31"
    raise CellError(
        _("not a date like %(example)s: %(value)r") % {"example": example, "value": raw[:40]}
    )


def moment(value: Any, fmt: str | None, tz: ZoneInfo) -> datetime:
    """A date and time; a date alone is midnight; local to the organisation's time zone."""
    parsed = _parse(value, fmt)
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=tz)
    return parsed


def day(value: Any, fmt: str | None) -> date:
    return _parse(value, fmt).date()


def email(value: Any) -> str:
    raw = text(value, 254)
    try:
        validate_email(raw)
    except ValidationError:
        raise CellError(_("not an e-mail address: %(value)r") % {"value": raw[:60]}) from None
    return raw


def split(value: Any, separator: str) -> list[str]:
    return [part.strip() for part in str(value).split(separator) if part.strip()]
