"""Time the import of a generated deals file of N rows into a fresh database.

    .venv/bin/python bench/imports.py --database sqlite --rows 10000
    .venv/bin/python bench/imports.py --database postgres --rows 1000000

The database gets the demo seed of 1,000 deals first (people, pipelines, companies),
then a CSV of N deals is written (ids, titles, Russian stage names translated by the
mapping, existing companies by name, managers by full name, amounts with a decimal
comma, dates as DD.MM.YYYY) and imported with the same code the page and the CLI use.
The same file is then imported a second time (every row found, nothing changed).
Results: var/bench/results/import-<database>-<rows>.json, and a line to paste into
docs/performance.md.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VAR = ROOT / "var" / "bench"
PG_DEFAULT = "postgres://postgres@127.0.0.1:5432"

MAPPING = {
    "entity": "deals",
    "system": "bench",
    "external_id": "Номер",
    "date_format": "%d.%m.%Y",
    "decimal_comma": True,
    "fields": {
        "title": "Название",
        "stage": {"column": "Этап", "values": {}},
        "company": {"column": "Клиент"},
        "owner": {"column": "Ответственный", "lookup": "full_name"},
        "amount": "Сумма",
        "created_at": "Создана",
        "closed_at": "Закрыта",
    },
}


def prepare_database(kind: str, rows: int) -> str:
    if kind == "sqlite":
        path = VAR / f"import_{rows}.sqlite3"
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        return f"sqlite:///{path}"
    import psycopg

    base = os.environ.get("BENCH_PG_URL") or PG_DEFAULT
    with psycopg.connect(f"{base.rstrip('/')}/postgres", autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS voronka_import_{int(rows)} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE voronka_import_{int(rows)}")
    return f"{base.rstrip('/')}/voronka_import_{rows}"


def write_file(path: Path, rows: int, seed: int = 7) -> dict[str, str]:
    """The deals file; returns the stage translation for the mapping."""
    from voronka.accounts.models import User
    from voronka.clients.models import Company
    from voronka.sales.models import Stage
    from voronka.sales.queries import default_pipeline

    rng = random.Random(seed)
    pipeline = default_pipeline()
    assert pipeline is not None  # noqa: S101 - the seed made one
    stages = list(Stage.objects.filter(pipeline=pipeline).order_by("position"))
    words = ["Новая", "Квалификация", "КП отправлено", "Переговоры", "Выиграна", "Проиграна"]
    translate = {}
    open_words = []
    for stage in stages:
        if stage.kind == "won":
            translate["Выиграна"] = stage.name
        elif stage.kind == "lost":
            translate["Проиграна"] = stage.name
        else:
            word = words[len(open_words)] if len(open_words) < 4 else stage.name
            translate[word] = stage.name
            open_words.append(word)
    managers = [u.get_full_name() for u in User.objects.filter(role="manager")]
    companies = list(Company.objects.values_list("name", flat=True)[:5000])
    start = datetime(2024, 1, 1, tzinfo=UTC)
    with path.open("w", encoding="utf-8", newline="") as f:
        w = csv.writer(f, delimiter=";")
        w.writerow(["Номер", "Название", "Этап", "Клиент", "Ответственный", "Сумма",
                    "Создана", "Закрыта"])  # fmt: skip
        for i in range(rows):
            created = start + timedelta(minutes=rng.randrange(0, 2 * 365 * 24 * 60))
            roll = rng.random()
            stage = (
                "Выиграна" if roll < 0.3 else "Проиграна" if roll < 0.55 else rng.choice(open_words)
            )
            closed = created + timedelta(days=rng.randrange(1, 120)) if roll < 0.55 else None
            amount = f"{rng.randrange(5_000, 3_000_000)},{rng.randrange(100):02d}"
            w.writerow([
                f"B-{i + 1:07d}", f"Поставка №{i + 1}", stage, rng.choice(companies),
                rng.choice(managers), amount, created.strftime("%d.%m.%Y"),
                closed.strftime("%d.%m.%Y") if closed else "",
            ])  # fmt: skip
    return translate


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--database", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--rows", type=int, default=10_000)
    args = parser.parse_args()
    VAR.mkdir(parents=True, exist_ok=True)
    (VAR / "results").mkdir(exist_ok=True)
    os.environ["DATABASE_URL"] = prepare_database(args.database, args.rows)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "voronka.settings")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command

    from voronka.accounts.models import User
    from voronka.core import seeding
    from voronka.imports.engine import import_file
    from voronka.imports.spec import parse_mapping

    call_command("migrate", verbosity=0)
    seeding.run(deals=1000, seed=3, say=lambda _: None)
    path = VAR / f"import_{args.rows}.csv"
    started = time.monotonic()
    MAPPING["fields"]["stage"]["values"] = write_file(path, args.rows)  # type: ignore[index]
    written = time.monotonic() - started
    actor = User.objects.get(username="admin")
    mapping = parse_mapping(MAPPING)
    timings = {}
    outcomes = {}
    for label in ("first", "again"):
        started = time.monotonic()
        outcome = import_file(path, mapping, actor=actor)
        timings[label] = round(time.monotonic() - started, 1)
        outcomes[label] = outcome.as_dict()
        print(f"{label}: {timings[label]} s {outcome.as_dict()}", flush=True)
    result = {
        "database": args.database, "rows": args.rows,
        "file_mb": round(path.stat().st_size / 2**20, 1),
        "write_file_s": round(written, 1), "import_s": timings["first"],
        "reimport_s": timings["again"], "rows_per_s": round(args.rows / timings["first"]),
        "outcomes": outcomes, "measured": datetime.now(UTC).isoformat(timespec="seconds"),
    }  # fmt: skip
    out = VAR / "results" / f"import-{args.database}-{args.rows}.json"
    out.write_text(json.dumps(result, indent=2, ensure_ascii=False))
    print(
        f"| {args.database} | {args.rows:,} | {timings['first']} s "
        f"({result['rows_per_s']:,} rows/s) | {timings['again']} s |"
    )


if __name__ == "__main__":
    main()
