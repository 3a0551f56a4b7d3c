"""Normalising phones, e-mails and names so search and de-duplication agree.

SQLite's LIKE folds case only for ASCII, so every searchable record keeps a
lower-cased copy of its searchable text and searches compare against it: the
same on SQLite and PostgreSQL, and «ива» finds «Иван».
"""

from __future__ import annotations

import re

import phonenumbers

_NON_DIGIT = re.compile(r"\D+")
DEFAULT_REGION = "RU"


def normalize_phone(raw: str | None) -> str:
    """E.164 digits without '+': '+7 (912) 345-67-89' and '89123456789' → '79123456789'.

    Numbers that cannot be parsed keep their digits, so they still match themselves.
    """
    if not raw:
        return ""
    raw = raw.strip()
    digits = _NON_DIGIT.sub("", raw)
    if not digits:
        return ""
    # Russian habit: 8 in place of +7 for an 11-digit number.
    if len(digits) == 11 and digits.startswith("8") and not raw.startswith("+"):
        digits = "7" + digits[1:]
        raw = "+" + digits
    try:
        parsed = phonenumbers.parse(raw if raw.startswith("+") else raw, DEFAULT_REGION)
    except phonenumbers.NumberParseException:
        return digits
    if not phonenumbers.is_possible_number(parsed):
        return digits
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164).lstrip("+")


def phone_query(raw: str) -> str:
    """Digits to look for when someone types part of a phone number."""
    digits = _NON_DIGIT.sub("", raw or "")
    if len(digits) == 11 and digits.startswith("8"):
        digits = "7" + digits[1:]
    return digits


def normalize_email(raw: str | None) -> str:
    return (raw or "").strip().lower()


def search_text(*parts: object) -> str:
    """One lower-cased string of the given parts, for the *_search columns."""
    text = " ".join(str(p) for p in parts if p not in (None, ""))
    return " ".join(text.split()).casefold().replace("ё", "е")


def search_term(raw: str | None) -> str:
    return search_text(raw or "")


def looks_like_phone(raw: str) -> bool:
    digits = _NON_DIGIT.sub("", raw or "")
    return len(digits) >= 5 and len(digits) >= len(raw.replace(" ", "")) * 0.6
