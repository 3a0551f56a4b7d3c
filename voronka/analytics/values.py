"""What a KPI returns, in the one JSON shape of the KPI catalogue.

``value`` is the headline number: a count, a sum of money, a ratio or a mean.
Ratios carry their numerator and denominator, durations their mean, median and
count; an undefined value is ``None`` with a reason a person can read.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

CENT = Decimal("0.01")
RATIO_PLACES = 4
DURATION_PLACES = 4


@dataclass(frozen=True)
class Value:
    value: int | Decimal | float | None
    reason: str = ""
    numerator: int | Decimal | None = None
    denominator: int | Decimal | None = None
    mean: float | None = None
    median: float | None = None
    count: int | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def is_null(self) -> bool:
        return self.value is None

    def as_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"value": _number(self.value)}
        if self.value is None:
            out["reason"] = str(self.reason)
        for name in ("numerator", "denominator", "mean", "median", "count"):
            part = getattr(self, name)
            if part is not None or (name in ("mean", "median") and self.count is not None):
                out[name] = _number(part)
        out.update(self.extra)
        return out


@dataclass(frozen=True)
class Group:
    key: str | None
    label: str
    value: Value

    def as_json(self) -> dict[str, Any]:
        return {"key": self.key, "label": self.label, **self.value.as_json()}


@dataclass(frozen=True)
class Result:
    total: Value
    groups: list[Group] | None = None

    def as_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"total": self.total.as_json()}
        if self.groups is not None:
            out["groups"] = [g.as_json() for g in self.groups]
        return out


def _number(x: Any) -> Any:
    if isinstance(x, Decimal):
        # Money: a JSON number with at most two decimals.
        return float(x.quantize(CENT, rounding=ROUND_HALF_UP))
    return x


def null(reason: object) -> Value:
    return Value(None, reason=str(reason))


def count(n: int) -> Value:
    return Value(int(n))


def money(amount: Decimal | None) -> Value:
    return Value((amount or Decimal("0")).quantize(CENT, rounding=ROUND_HALF_UP))


def ratio(numerator: int | Decimal, denominator: int | Decimal, reason: object) -> Value:
    """``numerator ÷ denominator``, or null with ``reason`` when there is nothing to divide by."""
    if not denominator:
        return Value(None, reason=str(reason), numerator=numerator, denominator=denominator)
    value = round(float(Decimal(numerator) / Decimal(denominator)), RATIO_PLACES)
    return Value(value, numerator=numerator, denominator=denominator)


def mean_money(total: Decimal, n: int, reason: object) -> Value:
    if not n:
        return Value(None, reason=str(reason), numerator=total, denominator=n)
    value = (total / n).quantize(CENT, rounding=ROUND_HALF_UP)
    return Value(value, numerator=total, denominator=n)


def duration(mean: float | None, median: float | None, n: int, reason: object) -> Value:
    """A duration already in its unit (days, hours or minutes)."""
    if not n or mean is None:
        return Value(None, reason=str(reason), count=0)
    mean = round(mean, DURATION_PLACES)
    med = None if median is None else round(median, DURATION_PLACES)
    return Value(mean, mean=mean, median=med, count=n)
