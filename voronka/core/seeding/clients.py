"""Companies and contacts, built in memory and written once the deals tell their story.

A client's owner, source, life-cycle stage and creation time follow from its
deals, so the rows are completed after the deals are generated.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Any

from voronka.core.seeding import catalog
from voronka.core.seeding.pools import Person, Pools, inn, phone, translit
from voronka.core.text import normalize_email, normalize_phone, search_text


@dataclass
class Clients:
    companies: list[dict[str, Any]]
    contacts: list[dict[str, Any]]
    company_contacts: list[list[int]]  # contact ids per company index
    individuals: list[int]  # contacts without a company (indexes into contacts)
    company_base: int
    contact_base: int
    company_tags: list[tuple[int, int]] = field(default_factory=list)
    contact_tags: list[tuple[int, int]] = field(default_factory=list)


def _contact(
    pools: Pools, person: Person, cid: int, company_id: int | None, domain: str | None
) -> dict[str, Any]:
    rng = pools.rng
    tel = phone(rng) if rng.random() < 0.92 else ""
    email = pools.person_email(person, domain) if rng.random() < 0.85 else ""
    row = {
        "id": cid,
        "first_name": person.first,
        "middle_name": person.middle,
        "last_name": person.last,
        "company_id": company_id,
        "position": rng.choice(catalog.POSITIONS) if company_id else "",
        "phone": tel,
        "phone_normalized": normalize_phone(tel),
        "email": email,
        "email_normalized": normalize_email(email),
        "full_name": " ".join(p for p in (person.last, person.first, person.middle) if p),
    }
    # the same arguments as clients.services._normalise
    row["search_text"] = search_text(
        row["last_name"], row["first_name"], row["middle_name"], row["email_normalized"]
    )
    return row


def build(
    pools: Pools, n_companies: int, company_base: int, contact_base: int, tags: list[int]
) -> Clients:
    rng: random.Random = pools.rng
    companies: list[dict[str, Any]] = []
    contacts: list[dict[str, Any]] = []
    company_contacts: list[list[int]] = []
    taken_inn: set[str] = set()
    company_tags: list[tuple[int, int]] = []
    contact_tags: list[tuple[int, int]] = []
    for i in range(n_companies):
        cid = company_base + i
        name, short, person = pools.company_name()
        tax_id = inn(rng, person)
        while tax_id in taken_inn:
            tax_id = inn(rng, person)
        taken_inn.add(tax_id)
        city = pools.city()
        slug = translit(short) or f"company{cid}"
        domain = (
            f"{slug}{rng.choice(('', '', '-' + translit(city)[:3], str(rng.randrange(10, 99))))}"
        )
        domain += rng.choice((".ru", ".ru", ".ru", ".com", ".su"))
        tel = phone(rng, pools.area[city]) if rng.random() < 0.7 else phone(rng)
        email = f"{rng.choice(('info', 'sales', 'office', 'zakaz', 'mail'))}@{domain}"
        if person or rng.random() < 0.1:
            email = ""
        row = {
            "id": cid,
            "name": name,
            "short": short,
            "tax_id": tax_id,
            "website": "" if person else f"https://{domain}",
            "industry": rng.choice(catalog.INDUSTRIES),
            "phone": tel,
            "phone_normalized": normalize_phone(tel),
            "email": email,
            "email_normalized": normalize_email(email),
            "address": pools.address(city),
        }
        # the same arguments as clients.services._normalise
        row["search_text"] = search_text(row["name"], row["tax_id"], row["email_normalized"])
        companies.append(row)
        ids = []
        for _ in range(rng.choices((1, 2, 3), (65, 25, 10))[0]):
            contact = _contact(pools, pools.person(), contact_base + len(contacts), cid, domain)
            contacts.append(contact)
            ids.append(len(contacts) - 1)
        company_contacts.append(ids)
        if tags and rng.random() < 0.35:
            for tag in rng.sample(tags, rng.choice((1, 1, 2))):
                company_tags.append((cid, tag))
    individuals = []
    for _ in range(max(1, n_companies // 10)):
        contact = _contact(pools, pools.person(), contact_base + len(contacts), None, None)
        contacts.append(contact)
        individuals.append(len(contacts) - 1)
    for contact in contacts:
        if tags and rng.random() < 0.12:
            contact_tags.append((contact["id"], rng.choice(tags)))
    return Clients(
        companies,
        contacts,
        company_contacts,
        individuals,
        company_base,
        contact_base,
        company_tags,
        contact_tags,
    )


def lifecycle(won: int, open_: int, lost: int, last_won_age_days: float) -> str:
    """Where a client stands, from its deals."""
    if won >= 2:
        return "repeat_customer" if last_won_age_days < 365 else "churned"
    if won == 1:
        return "customer" if last_won_age_days < 365 else "churned"
    if open_:
        return "negotiation"
    if lost:
        return "first_contact"
    return "lead"
