"""Leads: when they arrive, from where, which become deals and which are rejected."""

from __future__ import annotations

import math
import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from voronka.core.seeding import catalog
from voronka.core.seeding.clients import Clients
from voronka.core.seeding.pools import Pools, phone
from voronka.core.seeding.reference import Reference
from voronka.core.seeding.timeline import DAY, Clock
from voronka.core.text import normalize_email, normalize_phone, search_text

# Sources whose leads arrive by themselves, with no manager typing them in.
_SELF_ARRIVING = {"web_form", "advertising", "import", "email"}


@dataclass
class LeadPlan:
    base_id: int
    created: list[float]
    source: list[int]  # index into catalog.SOURCES
    owner: list[int]  # index into Reference.managers
    qualified_at: list[float | None]
    # lead index → (deal id, company index or -1, contact index or -1)
    deal_of: dict[int, tuple[int, int, int]] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.created)


def plan(rng: random.Random, clock: Clock, ref: Reference, n_leads: int, n_deals: int) -> LeadPlan:
    """Arrival times, sources and owners; which leads qualify and when.

    At most 80 % of the deals come from leads, so repeat and direct sales
    still have their share; surplus qualifying leads are rejected instead.
    """
    created = sorted(clock.moment() for _ in range(n_leads))
    source = rng.choices(range(len(catalog.SOURCES)), [s[2] for s in catalog.SOURCES], k=n_leads)
    owner = rng.choices(range(len(ref.managers)), [m.weight for m in ref.managers], k=n_leads)
    qualified: list[float | None] = [None] * n_leads
    for i in range(n_leads):
        conv = catalog.SOURCES[source[i]][3] * (0.75 + 0.25 * ref.managers[owner[i]].skill)
        if rng.random() < conv:
            at = created[i] + rng.lognormvariate(math.log(1.0), 0.9) * DAY
            if at <= clock.now:
                qualified[i] = float(int(at))
    chosen = [i for i in range(n_leads) if qualified[i] is not None]
    cap = int(n_deals * 0.8)
    if len(chosen) > cap:
        for i in rng.sample(chosen, len(chosen) - cap):
            qualified[i] = None
    return LeadPlan(0, created, source, owner, qualified)


def _utm(rng: random.Random, kind: str) -> dict[str, str]:
    if kind not in catalog.UTM:
        return {}
    src, medium = rng.choice(catalog.UTM[kind])
    organic = medium == "organic"
    return {
        "utm_source": src,
        "utm_medium": medium,
        "utm_campaign": "" if organic else rng.choice(catalog.UTM_CAMPAIGNS),
        "utm_term": "" if organic else rng.choice(catalog.UTM_TERMS),
        "utm_content": "" if organic or rng.random() < 0.5 else f"banner_{rng.randrange(1, 9)}",
    }


def rows(
    plan_: LeadPlan,
    pools: Pools,
    clock: Clock,
    ref: Reference,
    clients: Clients,
    chunk: int,
) -> Iterator[list[dict[str, Any]]]:
    """Lead rows in arrival order, ``chunk`` at a time."""
    rng = pools.rng
    source_ids = [ref.sources[s[0]].pk for s in catalog.SOURCES]
    reject_ids = [r for r, _ in ref.reject_reasons]
    reject_w = [w for _, w in ref.reject_reasons]
    batch: list[dict[str, Any]] = []
    for i in range(len(plan_)):
        kind = catalog.SOURCES[plan_.source[i]][1]
        created = plan_.created[i]
        owner_id: int | None = ref.managers[plan_.owner[i]].id
        row: dict[str, Any] = {"id": plan_.base_id + i, "source_id": source_ids[plan_.source[i]]}
        link = plan_.deal_of.get(i)
        updated = created
        if link is not None:
            _deal_id, ci, ki = link
            company = clients.companies[ci] if ci >= 0 else None
            contact = clients.contacts[ki] if ki >= 0 else None
            row["company_id"] = company["id"] if company else None
            row["contact_id"] = contact["id"] if contact else None
            row["contact_name"] = contact["full_name"] if contact else ""
            row["company_name"] = company["name"] if company else ""
            row["phone"] = (contact and contact["phone"]) or (company and company["phone"]) or ""
            row["email"] = (contact and contact["email"]) or (company and company["email"]) or ""
            row["tax_id"] = company["tax_id"] if company and rng.random() < 0.5 else ""
            who = company["short"] if company else contact["last_name"]  # type: ignore[index]
            row["status"] = "qualified"
            row["qualified_at"] = clock.as_dt(plan_.qualified_at[i])  # type: ignore[arg-type]
            updated = plan_.qualified_at[i]  # type: ignore[assignment]
        else:
            person = pools.person()
            company_name, short, _ = pools.company_name() if rng.random() < 0.6 else ("", "", 0)
            row["contact_name"] = person.full
            row["company_name"] = company_name
            tel = phone(rng) if rng.random() < 0.85 else ""
            row["phone"] = tel
            row["email"] = pools.person_email(person, None) if rng.random() < 0.6 else ""
            who = short or person.last
            rejected = created + rng.lognormvariate(math.log(3.0), 1.0) * DAY
            if rejected <= clock.now and rng.random() < 0.97:
                row["status"] = "rejected"
                row["rejected_at"] = clock.as_dt(float(int(rejected)))
                row["rejection_reason_id"] = rng.choices(reject_ids, reject_w)[0]
                updated = float(int(rejected))
            else:
                fresh = clock.now - created < 2 * DAY
                row["status"] = "new" if fresh or rng.random() < 0.3 else "in_progress"
                if row["status"] == "new" and kind in _SELF_ARRIVING and rng.random() < 0.25:
                    owner_id = None  # nobody has picked it up yet
        row["title"] = f"{catalog.LEAD_TITLES[kind]}: {who}"
        row["owner_id"] = owner_id
        row["created_by_id"] = None if kind in _SELF_ARRIVING else owner_id
        row["external_id"] = f"import-{plan_.base_id + i}" if kind == "import" else ""
        row.update(_utm(rng, kind))
        # the same arguments as sales.services._normalise_lead
        row["phone_normalized"] = normalize_phone(row["phone"])
        row["email_normalized"] = normalize_email(row["email"])
        row["search_text"] = search_text(
            row["title"], row["contact_name"], row["company_name"], row["email_normalized"]
        )
        row["created_at"] = clock.as_dt(created)
        row["updated_at"] = clock.as_dt(updated)
        row["version"] = 1 if row["status"] in ("new", "in_progress") else 2
        batch.append(row)
        if len(batch) >= chunk:
            yield batch
            batch = []
    if batch:
        yield batch
