"""``voronka manage rebuild_kpi_rollups``: recompute the KPI rollups from the records.

Needed only after deals or leads were written around the services (a bulk load,
a change of the organisation's time zone); the services keep the rollups exact.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from voronka.analytics.facts import rebuild


class Command(BaseCommand):
    help = "Recompute the KPI rollups (deals, leads, funnel per day) from the records."

    def handle(self, *args: Any, **options: Any) -> None:
        rows = rebuild()
        self.stdout.write(f"KPI rollups rebuilt: {rows} rows.")
