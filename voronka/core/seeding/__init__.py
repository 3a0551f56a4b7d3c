"""Realistic Russian demo data at any scale, from a 1 000-deal demo to millions.

``run(deals=N, seed=S)`` adds N deals with about N/5 companies, 1.5 contacts
per company, 1.5 leads per deal, product lines and the full stage history of
every deal, the interactions and tasks around deals and leads (see
``activities``) and the clients' service requests with their SLA and surveys
(see ``service``), and the orders of won deals and repeat orders, played through the
order workflow (see ``orders``). The same seed on the same day gives the same data.

The bulk rows bypass the services on purpose (a service call per row would
take hours at a million deals), so the generator fills every derived column
the services would: normalised phones and e-mails, search text, status,
``closed_at`` and ``stage_entered_at``, and one StageHistory row per stage entry.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from django.db import transaction

from voronka.activities.models import Activity, Task
from voronka.analytics.facts import rebuild as rebuild_kpi_rollups
from voronka.clients.models import Company, Contact
from voronka.core import organisation
from voronka.core.seeding import activities as activity_gen
from voronka.core.seeding import clients as client_gen
from voronka.core.seeding import deals as deal_gen
from voronka.core.seeding import leads as lead_gen
from voronka.core.seeding import orders as order_gen
from voronka.core.seeding import plans as plan_gen
from voronka.core.seeding import reference
from voronka.core.seeding import service as service_gen
from voronka.core.seeding.history import record_created
from voronka.core.seeding.pools import Pools
from voronka.core.seeding.timeline import DAY, Clock
from voronka.core.seeding.writer import RowWriter
from voronka.orders.models import ExportRun, Order, OrderLine, OverdueAlert, StatusChange
from voronka.sales.models import Deal, DealLine, Lead, StageHistory
from voronka.sales.rollups import rebuild_board_totals
from voronka.service.models import Message, Request, SlaAlert, Survey

CHUNK = 20_000
HISTORY_UP_TO = 10_000  # deals; above this "created" history rows are skipped for speed


@dataclass
class Summary:
    deals: int
    leads: int
    companies: int
    contacts: int
    rows: int
    seconds: float
    activities: int = 0
    tasks: int = 0
    requests: int = 0
    surveys: int = 0
    orders: int = 0


def _finish_clients(
    rows: list[dict],
    stats: deal_gen.ClientStats,
    rng: random.Random,
    clock: Clock,
    ref: reference.Reference,
    source_ids: list[int],
) -> None:
    """Owner, source, creation time and life-cycle stage from what the deals did."""
    for i, row in enumerate(rows):
        first = stats.first[i]
        if first == float("inf"):
            first = clock.moment()
        else:
            first = float(int(first - rng.uniform(0, 1800)))
        owner = stats.owner[i]
        if owner is None:
            owner = rng.randrange(len(ref.managers))
        source = stats.source[i]
        row["owner_id"] = ref.managers[owner].id
        row["created_by_id"] = row["owner_id"]
        row["source_id"] = source_ids[source] if source is not None else None
        row["created_at"] = row["updated_at"] = clock.as_dt(first)
        row["_first"] = first
        age = (clock.now - stats.last_won[i]) / DAY
        row["lifecycle_stage"] = client_gen.lifecycle(
            stats.won[i], stats.open[i], stats.lost[i], age
        )


def run(*, deals: int, seed: int, say: Callable[[str], None] = print) -> Summary:
    """Add ``deals`` deals and everything around them, in one transaction."""
    started = time.monotonic()
    rng = random.Random(seed)  # noqa: S311 - demo data, repeatable on purpose
    org = organisation.current()
    today = datetime.now(org.tz).date()

    def progress(what: str) -> None:
        say(f"[{time.monotonic() - started:7.1f} s] {what}")

    with transaction.atomic():
        ref = reference.ensure(deals, rng)
        desk = reference.ensure_service(ref.admin)
        order_gen.prepare_catalogue(ref)
        progress(f"users, pipelines, sources and {len(ref.products)} products ready")
        pools = Pools(rng, seed)
        clock = Clock(rng, org.time_zone, today)
        writer = RowWriter()
        firsts = {m: writer.next_id(m) for m in (Company, Contact, Lead, Deal, Request, Order)}
        clients = client_gen.build(
            pools, max(10, round(deals / 5)), firsts[Company], firsts[Contact], ref.tags
        )
        progress(f"{len(clients.companies)} companies, {len(clients.contacts)} contacts drawn")
        plan = lead_gen.plan(rng, clock, ref, round(deals * 1.5), deals)
        plan.base_id = firsts[Lead]
        specs = deal_gen.specs(rng, clock, plan, deals)
        # Its own generator, so interactions leave the deals and leads of a seed as they were.
        acts = activity_gen.Interactions(
            rng=random.Random(seed * 1_000_003 + 11),  # noqa: S311 - demo data
            clock=clock, ref=ref, clients=clients, deals_total=deals,
        )  # fmt: skip
        requests = service_gen.Requests(
            rng=random.Random(seed * 1_000_003 + 29),  # noqa: S311 - demo data
            clock=clock, ref=ref, desk=desk, clients=clients, base_id=firsts[Request],
            deals_total=deals,
        )  # fmt: skip
        orders = order_gen.Orders(
            rng=random.Random(seed * 1_000_003 + 41),  # noqa: S311 - demo data
            clock=clock, ref=ref, clients=clients, base_id=firsts[Order], deals_total=deals,
        )  # fmt: skip
        company_stats = deal_gen.ClientStats.empty(len(clients.companies))
        contact_stats = deal_gen.ClientStats.empty(len(clients.contacts))
        done = 0
        for batch in deal_gen.generate(
            rng=rng, clock=clock, ref=ref, clients=clients, leads=plan, plan=specs,
            base_id=firsts[Deal], company_stats=company_stats, contact_stats=contact_stats,
            chunk=CHUNK,
        ):  # fmt: skip
            activity_rows, task_rows = acts.for_deals(batch)  # also sets last_contact_at
            writer.write(Deal, batch.deals)
            writer.write(DealLine, batch.lines, with_id=False)
            writer.write(StageHistory, batch.history, with_id=False)
            writer.write(Activity, activity_rows, with_id=False)
            writer.write(Task, task_rows, with_id=False)
            service_rows = requests.for_deals(batch)
            writer.write(Request, service_rows.requests)
            writer.write(Message, service_rows.messages, with_id=False)
            writer.write(SlaAlert, service_rows.alerts, with_id=False)
            writer.write(Survey, service_rows.surveys, with_id=False)
            orders.remember(batch)
            done += len(batch.deals)
            progress(
                f"deals {done}/{deals}, {acts.activities} activities, {acts.tasks} tasks, "
                f"{requests.requests} requests"
            )
        writer.write(Task, acts.open_tasks(), with_id=False)
        progress(f"next steps of open deals: {acts.tasks} tasks in all")
        for order_rows in orders.build(CHUNK):
            writer.write(Order, order_rows.orders)
            writer.write(OrderLine, order_rows.lines, with_id=False)
            writer.write(StatusChange, order_rows.changes, with_id=False)
            writer.write(OverdueAlert, order_rows.alerts, with_id=False)
        writer.write(ExportRun, orders.export_runs(), with_id=False)
        progress(f"{orders.orders} orders")
        written = 0
        for lead_rows in lead_gen.rows(plan, pools, clock, ref, clients, CHUNK):
            written += writer.write(Lead, lead_rows)
            activity_rows, task_rows = acts.for_leads(lead_rows)
            writer.write(Activity, activity_rows, with_id=False)
            writer.write(Task, task_rows, with_id=False)
            progress(
                f"leads {written}/{len(plan)}, {acts.activities} activities, {acts.tasks} tasks"
            )
        source_ids = [ref.sources[s[0]].pk for s in lead_gen.catalog.SOURCES]
        _finish_clients(clients.companies, company_stats, rng, clock, ref, source_ids)
        _finish_clients(clients.contacts, contact_stats, rng, clock, ref, source_ids)
        for row in clients.contacts:
            company_id = row["company_id"]
            if company_id is not None:
                # a company's people share its owner and stage; they arrive with it
                company = clients.companies[company_id - firsts[Company]]
                for key in ("owner_id", "created_by_id", "source_id", "lifecycle_stage"):
                    row[key] = company[key]
                at = company["_first"] + rng.uniform(0, 60)
                row["created_at"] = row["updated_at"] = clock.as_dt(float(int(at)))
        acts.fill_last_contact(clients.companies, clients.contacts)
        follow_ups, low_scores = requests.surveys.finish(
            clients, clients.companies, clients.contacts, writer.next_id(Task)
        )
        writer.write(Task, follow_ups)
        writer.write(Survey, low_scores, with_id=False)
        progress(f"{requests.surveys.count} surveys, {len(follow_ups)} follow-ups of low scores")
        writer.write(Company, clients.companies)
        writer.write(Contact, clients.contacts)
        writer.write(
            Company.tags.through,
            [{"company_id": c, "tag_id": t} for c, t in clients.company_tags],
            with_id=False,
        )
        writer.write(
            Contact.tags.through,
            [{"contact_id": c, "tag_id": t} for c, t in clients.contact_tags],
            with_id=False,
        )
        progress("companies and contacts written")
        writer.reset_sequences([Company, Contact, Lead, Deal, Request, Task, Order])
        if deals <= HISTORY_UP_TO:
            n = record_created(
                [(m, firsts[m]) for m in (Company, Contact, Lead, Deal, Request, Order)]
            )
            progress(f"{n} history rows written")
    progress("committed")
    # Deals were written as plain rows, around the services that keep these totals.
    rebuild_board_totals()
    rebuild_kpi_rollups()
    progress("rollups rebuilt")
    progress(f"{plan_gen.write(today, rng)} monthly targets set")
    writer.analyze()
    progress(f"done: {writer.rows_written} rows")
    return Summary(
        deals=deals,
        leads=len(plan),
        companies=len(clients.companies),
        contacts=len(clients.contacts),
        rows=writer.rows_written,
        seconds=time.monotonic() - started,
        activities=acts.activities,
        tasks=acts.tasks + len(follow_ups),
        requests=requests.requests,
        surveys=requests.surveys.count,
        orders=orders.orders,
    )
