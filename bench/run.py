"""Seed a fresh database, serve it with gunicorn on 127.0.0.1 and time the main pages.

    .venv/bin/python bench/run.py --database sqlite --deals 10000
    .venv/bin/python bench/run.py --database postgres --deals 100000
    .venv/bin/python bench/run.py --report        # only rewrite docs/performance.md

Results go to var/bench/results/<database>-<deals>.json and the table in
docs/performance.md is rebuilt from every result file. Every loop is bounded
(a fixed number of requests, a fixed number of seconds) and talks only to
127.0.0.1.
"""

from __future__ import annotations

import argparse
import html
import json
import os
import platform
import re
import shutil
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from datetime import UTC, datetime
from http.cookiejar import CookieJar
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VAR = ROOT / "var" / "bench"
RESULTS = VAR / "results"
DOC = ROOT / "docs" / "performance.md"
HOST = "127.0.0.1"
PG_DEFAULT = "postgres://postgres@127.0.0.1:5432"


# --- the database ----------------------------------------------------------------------


def database_url(kind: str, deals: int) -> str:
    if kind == "sqlite":
        return f"sqlite:///{VAR / f'voronka_{deals}.sqlite3'}"
    base = os.environ.get("BENCH_PG_URL") or PG_DEFAULT
    return f"{base.rstrip('/')}/voronka_bench_{deals}"


def fresh_database(kind: str, deals: int) -> None:
    if kind == "sqlite":
        for suffix in ("", "-wal", "-shm"):
            Path(f"{VAR / f'voronka_{deals}.sqlite3'}{suffix}").unlink(missing_ok=True)
        return
    import psycopg

    base = os.environ.get("BENCH_PG_URL") or PG_DEFAULT
    with psycopg.connect(f"{base.rstrip('/')}/postgres", autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS voronka_bench_{int(deals)} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE voronka_bench_{int(deals)}")


def server_env(url: str) -> dict[str, str]:
    env = dict(os.environ, DATABASE_URL=url)
    env.pop("DEBUG", None)
    env.setdefault("SECRET_KEY", "bench-only-not-secret")
    env["ALLOWED_HOSTS"] = HOST
    return env


def run_cli(env: dict[str, str], *args: str) -> float:
    started = time.monotonic()
    subprocess.run([sys.executable, "-m", "voronka.cli", *args], env=env, cwd=ROOT, check=True)  # noqa: S603
    return time.monotonic() - started


# --- HTTP ----------------------------------------------------------------------------


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


class Client:
    """urllib with a cookie jar or a bearer token; answers (status, body, seconds)."""

    def __init__(
        self, base: str, headers: dict[str, str] | None = None, jar: CookieJar | None = None
    ) -> None:
        self.base = base
        self.jar = jar if jar is not None else CookieJar()
        # A redirect (to the login page, say) must count as a failure, not be followed.
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(self.jar), NoRedirect()
        )
        self.headers = headers or {}

    def request(self, path: str, data: dict[str, str] | None = None) -> tuple[int, str, float]:
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        req = urllib.request.Request(self.base + path, data=body, headers=self.headers)  # noqa: S310
        if data is not None:
            req.add_header("Referer", self.base + path)
        started = time.perf_counter()
        try:
            with self.opener.open(req, timeout=120) as resp:
                text = resp.read().decode("utf-8", "replace")
                status = resp.status
        except urllib.error.HTTPError as exc:
            text, status = exc.read().decode("utf-8", "replace"), exc.code
        return status, text, time.perf_counter() - started

    def cookie(self, name: str) -> str | None:
        return next((c.value for c in self.jar if c.name == name), None)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def wait_until_up(base: str, server: subprocess.Popen, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit("gunicorn stopped; is the port taken?")
        try:
            urllib.request.urlopen(base + "/accounts/login/", timeout=2)  # noqa: S310
            return
        except urllib.error.HTTPError:
            return
        except OSError:
            time.sleep(0.3)
    raise SystemExit("gunicorn did not answer in time")


def log_in(
    base: str, info: dict, username: str = "rop", session: str | None = None
) -> tuple[Client, str]:
    """A session through the login page, or made directly if it is missing."""
    client = Client(base)
    status, text, _ = client.request("/accounts/login/")
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', text)
    if status == 200 and token:
        form = {
            "csrfmiddlewaretoken": token.group(1),
            "username": username,
            "password": "demo12345",
        }
        client.request("/accounts/login/", form)
        if client.cookie(info["session_cookie_name"]):
            return client, "login page"
    cookie = f"{info['session_cookie_name']}={session or info['session']}"
    return Client(base, {"Cookie": cookie}), "session made directly"


def next_link(text: str, api: bool) -> str | None:
    if api:
        try:
            return json.loads(text).get("next_cursor")
        except ValueError:
            return None
    m = re.search(r'rel="next" href="([^"]+)"', text)
    if not m:
        return None
    query = urllib.parse.parse_qs(urllib.parse.urlsplit(html.unescape(m.group(1))).query)
    cursors = query.get("cursor")
    return cursors[0] if cursors else None


def with_cursor(path: str, cursor: str) -> str:
    sep = "&" if "?" in path else "?"
    return f"{path}{sep}cursor={urllib.parse.quote(cursor)}"


def deep_path(client: Client, path: str, api: bool, pages: int) -> str | None:
    """Follow "next" ``pages`` times; the path of the page reached."""
    current = path
    for _ in range(pages):
        status, text, _ = client.request(current)
        cursor = next_link(text, api) if status == 200 else None
        if not cursor:
            return None
        current = with_cursor(path, cursor)
    return current


def measure(client: Client, path: str | None, n: int) -> dict:
    if path is None:
        return {"status": "n/a"}
    status, _, _ = client.request(path)  # warm-up
    if status != 200:
        return {"status": f"n/a ({status})", "path": path}
    times = []
    size = 0
    for _ in range(n):
        status, text, took = client.request(path)
        size = len(text)
        if status != 200:
            return {"status": f"n/a ({status})", "path": path}
        times.append(took * 1000)
    times.sort()
    p95 = times[min(len(times) - 1, round(0.95 * len(times) + 0.5) - 1)]
    return {
        "status": "ok",
        "path": path,
        "median_ms": round(statistics.median(times), 1),
        "p95_ms": round(p95, 1),
        "bytes": size,
    }


def throughput(client: Client, path: str, workers: int, seconds: float) -> dict:
    """``workers`` clients asking for ``path`` back to back for ``seconds``."""
    stop = time.monotonic() + seconds
    done: list[int] = []
    errors: list[int] = []

    def worker() -> None:
        ok = bad = 0
        local = Client(client.base, client.headers, client.jar)
        while time.monotonic() < stop:
            status, _, _ = local.request(path)
            if status == 200:
                ok += 1
            else:
                bad += 1
        done.append(ok)
        errors.append(bad)

    started = time.monotonic()
    threads = [threading.Thread(target=worker) for _ in range(workers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=seconds + 180)
    took = time.monotonic() - started
    return {
        "requests_per_s": round(sum(done) / took, 1),
        "requests": sum(done),
        "errors": sum(errors),
        "clients": workers,
        "seconds": round(took, 1),
    }


# --- one run -------------------------------------------------------------------------


def bench(args: argparse.Namespace) -> dict:
    VAR.mkdir(parents=True, exist_ok=True)
    url = database_url(args.database, args.deals)
    env = server_env(url)
    result: dict = {"database": args.database, "deals": args.deals}
    previous = RESULTS / f"{args.database}-{args.deals}.json"
    if args.reuse:
        if previous.exists():
            result["seed_seconds"] = json.loads(previous.read_text()).get("seed_seconds")
        run_cli(env, "migrate", "-v", "0")  # the code may have new migrations since the seed
    else:
        fresh_database(args.database, args.deals)
        run_cli(env, "migrate", "-v", "0")
        result["seed_seconds"] = round(run_cli(env, "seed", "--deals", str(args.deals)), 1)
        print(f"seeded {args.deals} deals in {result['seed_seconds']} s", flush=True)
    run_cli(env, "manage", "collectstatic", "--noinput", "-v", "0")
    prepared = subprocess.run(  # noqa: S603
        [sys.executable, str(ROOT / "bench" / "prepare.py"), *(["--explain"] * args.explain)],
        env=env, cwd=ROOT, check=True, capture_output=True, text=True,
    )  # fmt: skip
    if args.explain:
        explain_file = VAR / f"explain-{args.database}-{args.deals}.txt"
        explain_file.write_text(prepared.stderr)
        print(f"query plans: {explain_file}")
    info = json.loads(prepared.stdout.strip().splitlines()[-1])
    result["company_deals"] = info["company_deals"]
    kpis = kpi_engine(env, args, previous if args.reuse else None)
    result.update({k: kpis.get(k) for k in ("rollups", "kpi_count", "engine", "per_kpi")})
    port = args.port or free_port()
    base = f"http://{HOST}:{port}"
    server = subprocess.Popen(  # noqa: S603
        [sys.executable, "-m", "gunicorn", "voronka.wsgi:application",
         "--bind", f"{HOST}:{port}", "--workers", "2", "--log-level", "warning"],
        env=env, cwd=ROOT,
    )  # fmt: skip
    try:
        wait_until_up(base, server)
        web, how = log_in(base, info)
        result["login"] = how
        api = Client(base, {"Authorization": f"Bearer {info['token']}"})
        n = args.requests
        owner = info["manager_id"]
        filtered = f"?status=open&owner={owner}"
        name_q = urllib.parse.quote(info["name_query"])
        phone_q = urllib.parse.quote(info["phone_query"])
        plan: list[tuple[str, Client, str | tuple[str, str], bool]] = [
            ("Deal list, first page", web, "/sales/deals/", False),
            ("Deal list, open deals of one manager", web, f"/sales/deals/{filtered}", False),
            (f"Deal list, page {args.depth + 1} (cursor)", web, ("deep", "/sales/deals/"), False),
            ("API deals, first page", api, "/api/v1/deals", True),
            ("API deals, open deals of one manager", api, f"/api/v1/deals{filtered}", True),
            (f"API deals, page {args.depth + 1} (cursor)", api, ("deep", "/api/v1/deals"), True),
            ("Pipeline board", web, "/sales/board/", False),
            (
                f"Company card ({info['company_deals']} deals)",
                web, f"/clients/companies/{info['company_id']}/", False,
            ),
            (f"Search by name «{info['name_query']}»", web, f"/sales/deals/?q={name_q}", False),
            (f"Search by phone {info['phone_query']}", web, f"/sales/deals/?q={phone_q}", False),
            (f"Request queue ({info['requests']} requests)", web, "/service/", False),
            ("All requests, first page", web, "/service/requests/", False),
            ("API requests, first page", api, "/api/v1/requests", True),
            ("Request card (the longest thread)", web,
             f"/service/requests/{info['request_id']}/", False),
            ("Service dashboard, default period", web, "/service/dashboard/", False),
            (f"Order list ({info['orders']} orders), first page", web, "/orders/", False),
            ("Order list, overdue open orders", web, "/orders/?overdue=1", False),
            ("Order board", web, "/orders/board/", False),
            ("API orders, first page", api, "/api/v1/orders", True),
            ("Order card (the most lines and changes)", web,
             f"/orders/{info['order_id']}/", False),
        ]  # fmt: skip
        rows = []
        for label, client, where, is_api in plan:
            path = (
                deep_path(client, where[1], is_api, args.depth)
                if isinstance(where, tuple)
                else where
            )
            row = measure(client, path, n)
            row["label"] = label
            rows.append(row)
            shown = row.get("median_ms", row["status"])
            print(f"{label:55s} {shown} ms (p95 {row.get('p95_ms', '-')})", flush=True)
        result["measurements"] = rows
        manager, _ = log_in(base, info, kpis["manager_username"], kpis["manager_session"])
        result["kpi_measurements"] = kpi_pages(web, api, manager, kpis, n)
        first = rows[0]
        if first["status"] == "ok":
            result["throughput"] = throughput(web, "/sales/deals/", args.clients, args.seconds)
            print(f"throughput: {result['throughput']}", flush=True)
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
    result["requests_each"] = n
    result["date"] = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    result["machine"] = machine()
    # the command that reproduces the run from scratch
    argv = [a for a in sys.argv[1:] if a not in ("--reuse", "--explain")]
    result["command"] = " ".join([".venv/bin/python bench/run.py", *argv])
    RESULTS.mkdir(parents=True, exist_ok=True)
    previous.write_text(json.dumps(result, ensure_ascii=False, indent=2))
    return result


def kpi_engine(env: dict[str, str], args: argparse.Namespace, previous: Path | None) -> dict:
    """Fill the KPI rollups if empty and time the engine in-process, before gunicorn starts."""
    done = subprocess.run(  # noqa: S603
        [sys.executable, str(ROOT / "bench" / "kpis.py"), "--requests", str(args.requests),
         *(["--rebuild"] * args.rebuild)],
        env=env, cwd=ROOT, check=True, stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    kpis = json.loads(done.stdout.strip().splitlines()[-1])
    if not kpis["rollups"]["rebuilt"] and previous is not None and previous.exists():
        # a reused database keeps the rebuild time measured when its rollups were filled
        earlier = json.loads(previous.read_text()).get("rollups") or {}
        if earlier.get("seconds") is not None:
            kpis["rollups"]["seconds"] = earlier["seconds"]
    return kpis


def kpi_pages(web: Client, api: Client, manager: Client, kpis: dict, n: int) -> list[dict]:
    """The KPI API and the dashboards, timed like the other pages."""
    month_from, month_to = kpis["periods"]["this_month"]
    year_from, year_to = kpis["periods"]["last_12_months"]
    plan = [
        ("API KPIs, every KPI, this month", api,
         f"/api/v1/kpis?from={month_from}&to={month_to}"),
        ("API KPIs, every KPI, last 12 months", api,
         f"/api/v1/kpis?from={year_from}&to={year_to}"),
        ("API KPIs, every KPI, last 12 months, by manager", api,
         f"/api/v1/kpis?from={year_from}&to={year_to}&by=manager"),
        ("Dashboard of the head of sales, default filters", web, "/analytics/"),
        ("Dashboard of the head of sales, one team", web, f"/analytics/?team={kpis['team_id']}"),
        (f"Manager dashboard ({kpis['manager_username']})", manager, "/analytics/me/"),
    ]  # fmt: skip
    rows = []
    for label, client, path in plan:
        row = measure(client, path, n)
        row["label"] = label
        rows.append(row)
        shown = row.get("median_ms", row["status"])
        print(f"{label:55s} {shown} ms (p95 {row.get('p95_ms', '-')})", flush=True)
    return rows


def machine() -> str:
    model = ""
    if shutil.which("lscpu"):
        out = subprocess.run(["lscpu"], capture_output=True, text=True, check=False).stdout  # noqa: S607
        m = re.search(r"Model name:\s*(.+)", out)
        model = m.group(1).strip() if m else ""
    cores = os.cpu_count()
    mem = ""
    try:
        found = re.search(r"MemTotal:\s+(\d+)", Path("/proc/meminfo").read_text())
        if found:
            mem = f", {int(found.group(1)) / 1024 / 1024:.0f} GiB RAM"
    except OSError:
        pass
    return (
        f"{cores} cores, {model or platform.processor()}{mem}, Python {platform.python_version()}"
    )


# --- the report ----------------------------------------------------------------------


def _num(n: int) -> str:
    return f"{n:,}".replace(",", " ")


DB_NAMES = {"sqlite": "SQLite", "postgres": "PostgreSQL"}
RESULTS_BLOCK = r"<!-- results:begin.*?<!-- results:end -->"
KPIS_BLOCK = r"<!-- kpis:begin.*?<!-- kpis:end -->"
KPIS_SECTION = """## KPIs and dashboard

<!-- kpis:begin -->
<!-- kpis:end -->

"""


def _run_key(db_label: str, deals: str) -> tuple[bool, int]:
    return (db_label != "SQLite", int(re.sub(r"\D", "", deals)))


def _kept_runs(old_block: str, measured: set[tuple[bool, int]]) -> dict:
    """Runs in the document whose result files are gone (another machine, a cleaned var/):
    their summary row and their table stay until they are measured again."""
    kept: dict[tuple[bool, int], dict[str, str]] = {}
    for m in re.finditer(r"(?m)^\| (SQLite|PostgreSQL) \| ([\d  ]+) \|.*$", old_block):
        key = _run_key(m.group(1), m.group(2))
        if key not in measured:
            kept.setdefault(key, {})["row"] = m.group(0)
    for part in re.split(r"(?m)^(?=### )", old_block):
        heading = re.match(r"### (SQLite|PostgreSQL), ([\d  ]+) deals\n", part)
        if heading and _run_key(heading.group(1), heading.group(2)) not in measured:
            text = part.split("<!-- results:end")[0].rstrip("\n")
            kept.setdefault(_run_key(heading.group(1), heading.group(2)), {})["section"] = text
    return kept


def _results_block(results: list[dict], old_block: str) -> str:
    measured = {(r["database"] != "sqlite", r["deals"]) for r in results}
    kept = _kept_runs(old_block, measured)
    rows: dict[tuple[bool, int], str] = {k: v["row"] for k, v in kept.items() if "row" in v}
    sections = {k: v["section"] for k, v in kept.items() if "section" in v}
    for r in results:
        key = (r["database"] != "sqlite", r["deals"])
        by = {m["label"].split(" «")[0].split(" (")[0]: m for m in r.get("measurements", [])}

        def cell(label: str, by: dict = by) -> str:
            m = by.get(label, {})
            return str(m.get("median_ms", m.get("status", "n/a")))

        db = DB_NAMES[r["database"]]
        rps = (r.get("throughput") or {}).get("requests_per_s", "n/a")
        rows[key] = (
            f"| {db} | {_num(r['deals'])} | {r.get('seed_seconds', '?')} "
            f"| {cell('Deal list, first page')} | {cell('Pipeline board')} "
            f"| {cell('Search by name')} | {rps} |"
        )
        lines = [
            f"### {db}, {_num(r['deals'])} deals",
            "",
            f"Measured {r['date']} on {r['machine']}; seeding took "
            f"{r.get('seed_seconds', '?')} s; {r.get('requests_each')} requests each after a "
            f"warm-up, logged in as the head of sales ({r.get('login')}).",
            "",
            f"    {r['command']}",
            "",
            "| request | median, ms | p95, ms |",
            "|---|---:|---:|",
        ]
        for m in r.get("measurements", []):
            if m["status"] == "ok":
                lines.append(f"| {m['label']} | {m['median_ms']} | {m['p95_ms']} |")
            else:
                lines.append(f"| {m['label']} | {m['status']} | |")
        t = r.get("throughput")
        if t:
            lines += [
                "",
                f"Throughput of the deal list: **{t['requests_per_s']} requests/s** with "
                f"{t['clients']} concurrent clients for {t['seconds']} s "
                f"({t['requests']} answered, {t['errors']} errors).",
            ]
        sections[key] = "\n".join(lines)
    lines = ["<!-- results:begin (written by bench/run.py --report) -->", ""]
    if not rows and not sections:
        lines.append("No results yet.")
    else:
        lines += [
            "| database | deals | seed, s | deal list, ms | board, ms | search by name, ms "
            "| deal list, requests/s |",
            "|---|---:|---:|---:|---:|---:|---:|",
            *(rows[k] for k in sorted(rows)),
            "",
            "Medians; the full tables follow.",
            "",
        ]
        for k in sorted(sections):
            lines += [sections[k], ""]
    lines.append("<!-- results:end -->")
    return "\n".join(lines)


GROUPED = ("total", "manager", "month")


def _kpi_rows(r: dict) -> list[dict]:
    """Every KPI measurement of one run in one list: the engine first, then the requests."""
    rows = [{**m, "label": f"Engine: {m['label']}"} for m in r.get("engine", [])]
    return rows + r.get("kpi_measurements", [])


def _median(m: dict | None) -> str:
    if m is None:
        return ""
    return str(m["median_ms"]) if m.get("status") == "ok" else m.get("status", "n/a")


def _kpis_block(results: list[dict]) -> str:
    runs = [r for r in results if r.get("engine")]
    lines = ["<!-- kpis:begin (written by bench/run.py --report) -->", ""]
    if not runs:
        lines += ["No KPI results yet.", "", "<!-- kpis:end -->"]
        return "\n".join(lines)
    for database in DB_NAMES:
        same = sorted((r for r in runs if r["database"] == database), key=lambda r: r["deals"])
        if not same:
            continue
        sizes = [_num(r["deals"]) for r in same]
        growth = len(same) > 1
        head = ["request (median, ms)", *sizes] + (
            [f"× {sizes[-1]} ÷ {sizes[0]}"] if growth else []
        )
        lines += [
            f"### {DB_NAMES[database]}, side by side",
            "",
            "| " + " | ".join(head) + " |",
            "|---|" + "---:|" * (len(head) - 1),
        ]
        rebuilds = [str((r.get("rollups") or {}).get("seconds", "—")) for r in same]
        lines.append(
            "| Rebuild of the KPI rollups, s | "
            + " | ".join(rebuilds)
            + " |"
            + (" |" if growth else "")
        )
        labels = list(dict.fromkeys(m["label"] for r in same for m in _kpi_rows(r)))
        for label in labels:
            cells = [next((m for m in _kpi_rows(r) if m["label"] == label), None) for r in same]
            row = [label, *(_median(c) for c in cells)]
            if growth:
                first, last = cells[0], cells[-1]
                ratio = ""
                both = first and last and first.get("status") == last.get("status") == "ok"
                if both and first and last and first["median_ms"]:
                    ratio = f"{last['median_ms'] / first['median_ms']:.1f}"
                row.append(ratio)
            lines.append("| " + " | ".join(row) + " |")
        lines.append("")
    for r in sorted(runs, key=lambda r: (r["database"] != "sqlite", r["deals"])):
        rollups = r.get("rollups") or {}
        rebuilt = (
            f"the KPI rollups were rebuilt from the records in {rollups['seconds']} s "
            f"({rollups['rows']} rows)"
            if rollups.get("seconds") is not None
            else f"the KPI rollups were already filled ({rollups.get('rows', '?')} rows)"
        )
        lines += [
            f"### KPIs: {DB_NAMES[r['database']]}, {_num(r['deals'])} deals",
            "",
            f"Measured {r['date']} on {r['machine']}; {rebuilt}; "
            f"{r.get('kpi_count') or len(r.get('per_kpi') or [])} KPIs in the catalogue. "
            "The engine ran in-process "
            "before gunicorn started; the requests went through gunicorn, as the head of "
            "sales (the manager dashboard as a manager).",
            "",
            f"    {r['command']}",
            "",
            "| measured | median, ms | p95, ms | runs | SQL queries |",
            "|---|---:|---:|---:|---:|",
        ]
        for m in _kpi_rows(r):
            if m.get("status") == "ok":
                runs_n = m.get("runs", r.get("requests_each"))
                queries = m.get("queries", "")
                lines.append(
                    f"| {m['label']} | {m['median_ms']} | {m['p95_ms']} | {runs_n} | {queries} |"
                )
            else:
                lines.append(f"| {m['label']} | {m['status']} | | | |")
        slow = r.get("per_kpi") or []
        if slow:
            lines += [
                "",
                "The slowest KPIs, each computed alone for the last 12 months (median, ms):",
                "",
                "| KPI | total | by manager | by month |",
                "|---|---:|---:|---:|",
            ]
            for k in slow[:6]:
                timings = [k.get(g) or {} for g in GROUPED]
                medians = [str(t.get("error") or t.get("median_ms", "")) for t in timings]
                lines.append(f"| `{k['id']}` | " + " | ".join(medians) + " |")
        lines.append("")
    lines.append("<!-- kpis:end -->")
    return "\n".join(lines)


def report() -> None:
    """Rewrite the results and KPI sections of docs/performance.md from var/bench/results."""
    results = [json.loads(p.read_text()) for p in sorted(RESULTS.glob("*.json"))]
    results.sort(key=lambda r: (r["database"] != "sqlite", r["deals"]))
    text = (
        DOC.read_text()
        if DOC.exists()
        else "# Performance\n\n## Results\n\n<!-- results:begin -->\n<!-- results:end -->\n"
    )
    if not re.search(KPIS_BLOCK, text, flags=re.S):
        # the KPI section goes just before the page results
        at = text.find("## Results")
        at = at if at >= 0 else len(text)
        text = text[:at] + KPIS_SECTION + text[at:]
    old = re.search(RESULTS_BLOCK, text, flags=re.S)
    block = _results_block(results, old.group(0) if old else "")
    text = re.sub(RESULTS_BLOCK, lambda _: block, text, flags=re.S)
    kpis = _kpis_block(results)
    text = re.sub(KPIS_BLOCK, lambda _: kpis, text, flags=re.S)
    DOC.write_text(text)
    print(f"wrote {DOC}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--database", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--deals", type=int, default=10_000)
    parser.add_argument("--requests", type=int, default=30, help="timed requests per page")
    parser.add_argument("--depth", type=int, default=20, help="pages to follow for the deep page")
    parser.add_argument("--clients", type=int, default=8, help="concurrent clients")
    parser.add_argument("--seconds", type=float, default=10, help="throughput run length")
    parser.add_argument("--port", type=int, default=0, help="default: a free port")
    parser.add_argument("--reuse", action="store_true", help="keep the seeded database")
    parser.add_argument("--explain", action="store_true", help="save EXPLAIN of the queries")
    parser.add_argument(
        "--rebuild", action="store_true", help="time a rebuild of the KPI rollups even if full"
    )
    parser.add_argument("--report", action="store_true", help="only rebuild docs/performance.md")
    args = parser.parse_args()
    if not args.report:
        bench(args)
    report()


if __name__ == "__main__":
    main()
