"""``voronka manage rebuild_board_totals``: recount the board's open-deal totals.

Needed only after deals were written around the services (a bulk load); the
services keep the totals right themselves.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from voronka.sales.rollups import rebuild_board_totals


class Command(BaseCommand):
    help = "Recount the board's open-deal totals per stage and manager from the deals."

    def handle(self, *args: Any, **options: Any) -> None:
        rows = rebuild_board_totals()
        self.stdout.write(f"Board totals rebuilt: {rows} stage/manager rows.")
