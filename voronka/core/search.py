"""One meaning of "search" for every record that has a name, a phone and an e-mail."""

from __future__ import annotations

from django.db.models import Q

from voronka.core.text import looks_like_phone, normalize_email, phone_query, search_term


def contact_point_q(term: str) -> Q:
    """A name fragment, a phone in any format (whole or in part), or an e-mail's start.

    Compares the normalised columns the services fill (``search_text``,
    ``phone_normalized``, ``email_normalized``), so it behaves the same on SQLite
    and PostgreSQL; a whole phone number is an exact, indexed match.
    """
    term = term.strip()
    if "@" in term:
        return Q(email_normalized__startswith=normalize_email(term))
    if looks_like_phone(term):
        digits = phone_query(term)
        if len(digits) >= 11:
            return Q(phone_normalized=digits)
        return Q(phone_normalized__contains=digits)
    return Q(search_text__contains=search_term(term))
