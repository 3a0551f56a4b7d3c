"""``voronka seed``: realistic Russian demo data, from a demo to benchmark scale."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from voronka.core import seeding
from voronka.core.seeding.catalog import SIZES
from voronka.sales.models import Deal


class Command(BaseCommand):
    help = (
        "Generate demo data: users (admin, rop, manager1…, support; password demo12345), "
        "clients, leads, deals with stage history, orders. --size small≈1 000, medium≈10 000, "
        "large≈100 000 deals, or --deals N."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--size", choices=sorted(SIZES), default="small")
        parser.add_argument("--deals", type=int, default=None, help="exactly this many deals")
        parser.add_argument("--seed", type=int, default=42, help="random seed")
        parser.add_argument(
            "--if-empty", dest="if_empty", action="store_true", help="do nothing if deals exist"
        )

    def handle(self, *args: Any, **opts: Any) -> None:
        deals = opts.get("deals") or SIZES[opts.get("size") or "small"]
        if deals < 1:
            raise CommandError("deals: must be at least 1")
        if opts.get("if_empty") and Deal.all_objects.exists():
            self.stdout.write("There are deals already; no demo data added.")
            return
        seed = 42 if opts.get("seed") is None else opts["seed"]
        self.stdout.write(f"Seeding {deals} deals (seed {seed})…")
        summary = seeding.run(deals=deals, seed=seed, say=self.stdout.write)
        self.stdout.write(
            self.style.SUCCESS(
                f"Added {summary.deals} deals, {summary.leads} leads, "
                f"{summary.companies} companies, {summary.contacts} contacts, "
                f"{summary.orders} orders "
                f"({summary.rows} rows) in {summary.seconds:.1f} s. "
                "Log in as rop / demo12345 (head of sales), manager1 / demo12345, "
                "admin / demo12345 or support / demo12345."
            )
        )
