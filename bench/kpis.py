"""Inside the benchmark database: fill the KPI rollups if they are empty, time the KPI engine.

Run by ``bench/run.py`` with the benchmark's DATABASE_URL, before gunicorn starts, so
the engine has the two cores to itself; prints one JSON object on its last line
(progress goes to stderr).

    DATABASE_URL=... .venv/bin/python bench/kpis.py --requests 30

A database seeded before the rollups existed has empty rollup tables: they are rebuilt
here, as an operator would run ``voronka manage rebuild_kpi_rollups``, and the rebuild is
timed. The seed fills the rollups itself, so ``--rebuild`` rebuilds them anyway to time it.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from collections.abc import Callable
from typing import Any

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "voronka.settings")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY  # noqa: E402
from django.db import connection  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from voronka.accounts.models import User  # noqa: E402
from voronka.analytics import engine, facts  # noqa: E402
from voronka.analytics.models import DealDayTotal, FunnelDayTotal, LeadDayTotal  # noqa: E402
from voronka.analytics.periods import Period, preset  # noqa: E402
from voronka.sales.models import Deal  # noqa: E402

ROLLUPS = (DealDayTotal, LeadDayTotal, FunnelDayTotal)
PERIODS = ("this_month", "last_quarter", "last_12_months")
# The manager whose own dashboard is measured: not a team lead, so /analytics/me/ shows
# one person's numbers (manager1..3 lead the seeded teams).
MANAGER = "manager4"
TEAM_LEAD = "manager1"


def say(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def summary(times_ms: list[float]) -> dict[str, Any]:
    """Median and 95th percentile, computed as bench/run.py does for the pages."""
    times = sorted(times_ms)
    p95 = times[min(len(times) - 1, round(0.95 * len(times) + 0.5) - 1)]
    return {
        "median_ms": round(statistics.median(times), 1),
        "p95_ms": round(p95, 1),
        "runs": len(times),
    }


def timed(call: Callable[[], object], runs: int, budget_s: float) -> dict[str, Any]:
    """One warm-up (counting its queries), then ``runs`` timed calls.

    At a million deals a slow call may take seconds; after ``budget_s`` the loop stops
    early (at least five timed runs) and the row says how many runs it has.
    """
    with CaptureQueriesContext(connection) as queries:
        call()
    times: list[float] = []
    deadline = time.monotonic() + budget_s
    for i in range(runs):
        started = time.perf_counter()
        call()
        times.append((time.perf_counter() - started) * 1000)
        if i >= 4 and time.monotonic() > deadline:
            break
    return {**summary(times), "queries": len(queries)}


# --- the rollups ------------------------------------------------------------------------------


def rollup_rows() -> int:
    return sum(model.objects.count() for model in ROLLUPS)


def analyze_rollups() -> None:
    """Fresh statistics for the just-filled tables, as autovacuum (PostgreSQL) or
    ``migrate`` (SQLite) would give a database whose rollups grew with its deals."""
    with connection.cursor() as cursor:
        for model in ROLLUPS:
            cursor.execute(f"ANALYZE {connection.ops.quote_name(model._meta.db_table)}")


def fill_rollups(force: bool) -> dict[str, Any]:
    """Rebuild the rollups when they are empty (or when asked to, to time it)."""
    rows = rollup_rows()
    if (rows and not force) or not Deal.objects.exists():
        say(f"KPI rollups: {rows} rows already there, no rebuild")
        return {"rebuilt": False, "rows": rows}
    say(f"KPI rollups ({rows} rows): rebuilding them from the records ...")
    started = time.monotonic()
    written = facts.rebuild()
    took = time.monotonic() - started
    analyze_rollups()
    say(f"KPI rollups rebuilt: {written} rows in {took:.1f} s")
    return {"rebuilt": True, "rows": written, "seconds": round(took, 1)}


# --- who asks ---------------------------------------------------------------------------------


def session_cookie(user: User) -> str:
    """A logged-in session made directly, for when the login page is not there."""
    from importlib import import_module

    store = import_module(settings.SESSION_ENGINE).SessionStore()
    store[SESSION_KEY] = str(user.pk)
    store[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    store[HASH_SESSION_KEY] = user.get_session_auth_hash()
    store.create()
    return store.session_key or ""


# --- the engine -------------------------------------------------------------------------------


def engine_timings(head: User, runs: int, budget_s: float) -> list[dict[str, Any]]:
    every = list(engine.KPIS)
    year = preset("last_12_months")
    cases: list[tuple[str, list[str], Period, str | None, bool]] = [
        ("every KPI, this month", every, preset("this_month"), None, False),
        ("every KPI, last quarter", every, preset("last_quarter"), None, False),
        ("every KPI, last 12 months", every, year, None, False),
        ("every KPI, last 12 months, by manager", every, year, "manager", False),
        ("every KPI, last 12 months, by month", every, year, "month", False),
        ("won revenue by manager, 12 months, from the rollups", ["won_revenue"], year,
         "manager", False),
        ("won revenue by manager, 12 months, direct scan of the deals", ["won_revenue"], year,
         "manager", True),
    ]  # fmt: skip
    rows = []
    for label, ids, period, by, direct in cases:

        def call(ids: list[str] = ids, period: Period = period, by: str | None = by,
                 direct: bool = direct) -> object:  # fmt: skip
            return engine.compute(actor=head, ids=ids, period=period, by=by, direct=direct)

        try:
            row = {"label": label, "status": "ok", **timed(call, runs, budget_s)}
        except Exception as exc:
            # a KPI being worked on must not stop the measurement of the others
            rows.append({"label": label, "status": f"error ({type(exc).__name__})"})
            say(f"  {label:62s} {type(exc).__name__}: {exc}")
            continue
        rows.append(row)
        say(f"  {label:62s} {row['median_ms']} ms (p95 {row['p95_ms']}, {row['queries']} q)")
    return rows


def per_kpi_timings(head: User, runs: int, budget_s: float) -> list[dict[str, Any]]:
    """Each KPI alone over the last 12 months, ungrouped, by manager and by month."""
    year = preset("last_12_months")
    rows = []
    for kpi_id in engine.KPIS:
        row: dict[str, Any] = {"id": kpi_id}
        for by in (None, "manager", "month"):

            def call(kpi_id: str = kpi_id, by: str | None = by) -> object:
                return engine.compute(actor=head, ids=[kpi_id], period=year, by=by)

            try:
                row[by or "total"] = timed(call, runs, budget_s)
            except Exception as exc:
                say(f"  {kpi_id} by {by}: {type(exc).__name__}: {exc}")
                row[by or "total"] = {"median_ms": -1.0, "error": type(exc).__name__}
        rows.append(row)
    rows.sort(key=lambda r: -max(r[g]["median_ms"] for g in ("total", "manager", "month")))
    for r in rows[:5]:
        say(
            f"  slowest: {r['id']:28s} {r['total']['median_ms']} ms, "
            f"by manager {r['manager']['median_ms']}, by month {r['month']['median_ms']}"
        )
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--requests", type=int, default=30, help="timed runs per case")
    parser.add_argument("--kpi-runs", type=int, default=5, help="timed runs per single KPI")
    parser.add_argument("--budget", type=float, default=60, help="seconds per case, at most")
    parser.add_argument("--rebuild", action="store_true", help="rebuild the rollups even if full")
    args = parser.parse_args()

    out: dict[str, Any] = {"rollups": fill_rollups(args.rebuild)}
    head = User.objects.get(username="rop")
    manager = User.objects.get(username=MANAGER)
    lead = User.objects.get(username=TEAM_LEAD)
    out["periods"] = {
        name: [p.start.isoformat(), p.end.isoformat()]
        for name, p in ((name, preset(name)) for name in PERIODS)
    }
    out["team_id"] = lead.team_id
    out["manager_username"] = MANAGER
    out["manager_session"] = session_cookie(manager)
    say("KPI engine, as the head of sales:")
    out["kpi_count"] = len(engine.KPIS)
    out["engine"] = engine_timings(head, args.requests, args.budget)
    out["per_kpi"] = per_kpi_timings(head, args.kpi_runs, args.budget / 4)
    print(json.dumps(out, ensure_ascii=False))


if __name__ == "__main__":
    main()
