"""The ``voronka`` command: run, set up and look after a Voronka installation.

Every subcommand reads the same environment settings as the web server
(DATABASE_URL, REDIS_URL, EMAIL_HOST, PORT, SECRET_KEY, DEBUG …).
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
from collections.abc import Sequence
from datetime import date
from typing import Any


def _django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "voronka.settings")
    import django

    django.setup()


def _call(name: str, *args: str, **options: object) -> None:
    from django.core.management import call_command

    call_command(name, *args, **options)


def cmd_migrate(args: argparse.Namespace) -> int:
    _django()
    _call("migrate", interactive=False, verbosity=args.verbosity)
    return 0


def cmd_seed(args: argparse.Namespace) -> int:
    _django()
    options: dict[str, object] = {"size": args.size, "seed": args.seed}
    if args.deals:
        options["deals"] = args.deals
    if args.if_empty:
        options["if_empty"] = True
    _call("seed", **options)
    return 0


def cmd_createuser(args: argparse.Namespace) -> int:
    _django()
    _call(
        "createuser",
        args.username,
        role=args.role,
        team=args.team or "",
        email=args.email or "",
        password=args.password or "",
        first_name=args.first_name or "",
        last_name=args.last_name or "",
    )
    return 0


def cmd_worker(args: argparse.Namespace) -> int:
    _django()
    _call("run_huey")
    return 0


def _collectstatic() -> None:
    _call("collectstatic", interactive=False, verbosity=0)


def _gunicorn_argv(port: int, workers: int) -> list[str]:
    return [
        sys.executable, "-m", "gunicorn", "voronka.wsgi:application",
        "--bind", f"127.0.0.1:{port}", "--workers", str(workers), "--threads", "4",
        "--access-logfile", "-", "--graceful-timeout", "5",
        # One shared control socket per user would make two servers on one machine collide.
        "--no-control-socket",
    ]  # fmt: skip


def cmd_serve(args: argparse.Namespace) -> int:
    _django()
    from django.conf import settings

    _collectstatic()
    port = args.port or settings.PORT
    os.execv(sys.executable, _gunicorn_argv(port, args.workers))  # noqa: S606 - our own server
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    """Migrate, load demo data once, and run the web server with the worker beside it."""
    _django()
    from django.conf import settings

    _call("migrate", interactive=False, verbosity=0)
    _call("seed", size="small", if_empty=True)
    _collectstatic()
    port = args.port or settings.PORT
    worker = subprocess.Popen([sys.executable, "-m", "voronka.cli", "worker"])  # noqa: S603
    web = subprocess.Popen(_gunicorn_argv(port, 2))  # noqa: S603
    print(
        f"\nVoronka is running: http://127.0.0.1:{port}/\n"
        "  head of sales: rop / demo12345    manager: manager1 / demo12345\n"
        "  admin: admin / demo12345          Ctrl+C stops the server and the worker.\n",
        flush=True,
    )

    def stop(*_: object) -> None:
        for proc in (web, worker):
            if proc.poll() is None:
                proc.terminate()

    signal.signal(signal.SIGTERM, stop)
    try:
        web.wait()
    except KeyboardInterrupt:
        pass
    finally:
        stop()
        for proc in (web, worker):
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
    return 0


def cmd_manage(args: argparse.Namespace) -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "voronka.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(["voronka manage", *args.rest])
    return 0


# --- voronka kpi ---------------------------------------------------------------------------------


def cmd_kpi(args: argparse.Namespace) -> int:
    """Print a KPI report: a readable table, or with ``--json`` exactly what the API answers."""
    _django()
    import json

    from django.conf import settings
    from django.core.management.base import CommandError
    from django.utils import translation
    from ninja.responses import NinjaJSONEncoder

    from voronka.analytics import engine
    from voronka.analytics.api import (
        BadInput,
        check_filters,
        check_grouping,
        check_period,
        parse_ids,
    )

    # Refusals read like every other error of the command: in English, naming the option.
    with translation.override("en"):
        try:
            start = _date_option("--from", args.date_from)
            end = _date_option("--to", args.date_to)
            user = _kpi_actor(args.as_user)
            ids = parse_ids([args.ids] if args.ids is not None else None)
            period = check_period(start, end)
            by = check_grouping(args.by)
            filters = check_filters(
                user,
                {
                    "team": _id_option("--team", args.team),
                    "manager": _manager_option(args.manager),
                    "pipeline": _id_option("--pipeline", args.pipeline),
                    "source": _id_option("--source", args.source),
                    "product": _id_option("--product", args.product),
                },
            )
        except BadInput as error:
            raise CommandError(f"--{error.field}: {error.message}") from error
    language = args.lang or getattr(user, "language", "") or settings.LANGUAGE_CODE
    with translation.override(language):
        report = engine.compute(actor=user, ids=ids, period=period, by=by, filters=filters)
        if args.json:
            print(json.dumps(report.as_json(), cls=NinjaJSONEncoder, ensure_ascii=False, indent=2))
        else:
            print("\n".join(_kpi_table(report)))
    return 0


def _date_option(option: str, value: str | None) -> date:
    from django.core.management.base import CommandError

    if not value:
        raise CommandError(f"{option}: required, a date as YYYY-MM-DD")
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise CommandError(f"{option}: not a date (YYYY-MM-DD): {value!r}") from None


def _id_option(option: str, value: str | None) -> int | None:
    from django.core.management.base import CommandError

    if value is None:
        return None
    if not value.isdigit() or not 1 <= int(value) <= 2**63 - 1:
        raise CommandError(f"{option}: not an id: {value!r}")
    return int(value)


def _kpi_actor(username: str | None) -> Any:
    """Whom the report is for: ``--as`` a user, or else the head of sales, who sees everything."""
    from django.core.management.base import CommandError
    from django.db.models import Case, IntegerField, Q, When

    from voronka.accounts.models import Role, User

    active = User.objects.filter(is_active=True)
    if username is not None:
        user = active.filter(username=username).first()
        if user is None:
            raise CommandError(f"--as: no active user named {username!r}")
        return user
    # Any of these sees every record; a head of sales first, as the report is theirs.
    rank = Case(
        When(role=Role.HEAD_OF_SALES, then=0), When(role=Role.ADMIN, then=1), default=2,
        output_field=IntegerField(),
    )  # fmt: skip
    everyone = Q(role__in=[Role.HEAD_OF_SALES, Role.ADMIN]) | Q(is_superuser=True)
    head = active.filter(everyone).order_by(rank, "pk").first()
    if head is None:
        raise CommandError("--as: there is no head of sales or administrator yet; name a user")
    return head


def _manager_option(value: str | None) -> int | None:
    """A manager by id or by username."""
    from django.core.management.base import CommandError

    from voronka.accounts.models import User

    if value is None:
        return None
    if value.isdigit():
        return _id_option("--manager", value)
    pk = User.objects.filter(username=value).values_list("pk", flat=True).first()
    if pk is None:
        raise CommandError(f"--manager: no user named {value!r}")
    return pk


def _kpi_table(report: Any) -> list[str]:
    from voronka.analytics import engine

    rows: list[tuple[str, str]] = []
    for kpi_id, found in report.results.items():
        kpi = engine.KPIS[kpi_id]
        rows.append((str(kpi.label), _kpi_value(kpi.unit, found.total)))
        rows += [("  " + label, text) for label, text in _kpi_details(found.total)]
        for group in found.groups or ():
            rows.append(("  " + group.label, _kpi_value(kpi.unit, group.value)))
    width = max((len(label) for label, _text in rows), default=0)
    return [f"{label.ljust(width)}  {text}".rstrip() for label, text in rows]


def _kpi_value(unit: str, value: Any) -> str:
    """One value as a person reads it, in the active language's number format."""
    from decimal import ROUND_HALF_UP, Decimal

    from django.utils.formats import number_format
    from django.utils.translation import gettext as _

    def number(x: Any, places: int | None = None) -> str:
        # number_format cuts extra decimals off; a report rounds them (0.1667 → 16.67 %).
        if places is not None:
            x = Decimal(str(x)).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
        return number_format(x, places, use_l10n=True, force_grouping=True)

    if value.value is None:
        return f"— ({value.reason})" if value.reason else "—"
    if unit == "money":
        return number(value.value, 2)
    if unit == "ratio":
        text = number(Decimal(str(value.value)) * 100, 2) + "%"
        if value.numerator is not None and value.denominator is not None:
            text += f" ({number(value.numerator)} / {number(value.denominator)})"
        return text
    if unit == "days":
        if value.median is None:
            return _("%(mean)s d (n=%(count)s)") % {
                "mean": number(value.mean, 1),
                "count": value.count,
            }
        return _("%(mean)s d (median %(median)s d, n=%(count)s)") % {
            "mean": number(value.mean, 1),
            "median": number(value.median, 1),
            "count": value.count,
        }
    if unit in ("hours", "minutes"):
        parts = {"mean": number(value.mean, 1), "count": value.count}
        if value.median is not None:
            parts["median"] = number(value.median, 1)
        if unit == "hours" and value.median is None:
            return _("%(mean)s h (n=%(count)s)") % parts
        if unit == "hours":
            return _("%(mean)s h (median %(median)s h, n=%(count)s)") % parts
        if value.median is None:
            return _("%(mean)s min (n=%(count)s)") % parts
        return _("%(mean)s min (median %(median)s min, n=%(count)s)") % parts
    if unit == "score":
        share = Decimal(str(value.extra.get("share_satisfied", 0))) * 100
        return _("%(mean)s (%(share)s%% satisfied, n=%(count)s)") % {
            "mean": number(value.value, 2), "share": number(share, 2),
            "count": value.denominator,
        }  # fmt: skip
    return number(value.value)


def _kpi_details(value: Any) -> list[tuple[str, str]]:
    """The rows of a table KPI: a funnel's stages, clients per life-cycle stage, orders per
    status."""
    from django.utils.formats import number_format
    from django.utils.translation import gettext as _

    from voronka.analytics.values import Value
    from voronka.clients.models import LifecycleStage

    statuses = value.extra.get("statuses")
    if isinstance(statuses, list):
        return [(str(s["label"]), number_format(s["value"], use_l10n=True)) for s in statuses]
    stages = value.extra.get("stages")
    if isinstance(stages, dict):
        names = dict(LifecycleStage.choices)
        in_order = [name for name in names if name in stages] + [
            name for name in stages if name not in names
        ]
        return [
            (str(names.get(name, name)), number_format(stages[name], use_l10n=True))
            for name in in_order
        ]
    if not isinstance(stages, list):
        return []
    rows = []
    for stage in stages:
        text = _("%(reached)s reached") % {"reached": stage["reached"]}
        step = stage.get("conversion_to_next")
        if step and step.get("value") is not None:
            percent = _kpi_value("ratio", Value(step["value"]))
            text += ", " + _("%(percent)s to the next stage") % {"percent": percent}
        rows.append((str(stage["label"]), text))
    if "lost" in value.extra:
        rows.append((_("Lost"), str(value.extra["lost"])))
    return rows


# --- voronka export ------------------------------------------------------------------------------


def cmd_export(args: argparse.Namespace) -> int:
    """Everything to a ZIP of CSV files, as the "Export everything" page makes it."""
    _django()
    from pathlib import Path

    from django.core.management.base import CommandError
    from django.utils.formats import number_format
    from django.utils.translation import override

    from voronka.core.full_export import Progress, write_full_export

    out = Path(args.out)
    if not out.parent.is_dir():
        raise CommandError(f"--out: no such folder: {str(out.parent)!r}")
    partial = out.with_name(f".{out.name}.part")

    def report(step: Progress) -> None:
        with override("en"):
            done = number_format(step.done, force_grouping=True)
            total = number_format(step.total, force_grouping=True)
            print(f"[{step.number}/{step.files}] {step.table.file_name}: {done} of {total}",
                  file=sys.stderr, flush=True)  # fmt: skip

    try:
        manifest = write_full_export(partial, progress=report)
        os.replace(partial, out)
    finally:
        partial.unlink(missing_ok=True)
    rows = sum(manifest["counts"].values())
    print(f"Wrote {out}: {len(manifest['counts'])} files, {rows} rows")
    return 0


# --- voronka import ------------------------------------------------------------------------------


def _import_actor(username: str | None) -> Any:
    from django.core.management.base import CommandError

    from voronka.accounts.models import Role, User

    if username:
        user = User.objects.filter(username=username, is_active=True).first()
        if user is None:
            raise CommandError(f"--as: no active user {username!r}")
        return user
    # Records need an author; on a fresh installation there may be nobody yet.
    return User.objects.filter(role=Role.ADMIN, is_active=True).order_by("pk").first()


def _say_outcome(name: str, outcome: Any, *, dry_run: bool) -> None:
    verb = "would be" if dry_run else ""
    if outcome.failed:
        print(f"{name}: not imported: {outcome.failed}", file=sys.stderr)
        return
    counts = ", ".join(
        f"{n} {label}" for n, label in (
            (outcome.created, "created"), (outcome.updated, "updated"),
            (outcome.skipped, "skipped"), (outcome.rejected, "rejected"),
        )
    )  # fmt: skip
    print(f"{name}: {outcome.rows} rows: {counts}{' (' + verb + ')' if verb else ''}")
    for notice in outcome.notices:
        print(f"  note: {notice}")
    shown = 0
    for line, result, _id, column, reason in outcome.sample:
        if result == "rejected" and shown < 10:
            where = f", column {column!r}" if column else ""
            print(f"  line {line}{where}: {reason}")
            shown += 1
    if outcome.rejected > shown:
        print(f"  … and {outcome.rejected - shown} more rejected rows (see --report)")


def cmd_import(args: argparse.Namespace) -> int:
    """Import a file with a mapping, or a multi-file source with its plan."""
    _django()
    from pathlib import Path

    from django.core.management.base import CommandError
    from django.utils import translation

    from voronka.imports.engine import import_file
    from voronka.imports.plans import run_plan
    from voronka.imports.spec import SpecError, load_mapping, load_plan

    actor = _import_actor(args.as_user)
    reports = Path(args.report) if args.report else None
    # The reasons for rejected rows, in the reports too, are in --lang (English by default,
    # like the rest of the command's output).
    translation.activate(args.lang or "en")
    try:
        if args.plan:
            if args.file or args.mapping:
                raise CommandError("give either --plan with --data-dir, or FILE with --mapping")
            if not args.data_dir:
                raise CommandError("--data-dir: the folder with the plan's files is needed")
            plan = load_plan(Path(args.plan))
            data_dir = Path(args.data_dir)
            if not data_dir.is_dir():
                raise CommandError(f"--data-dir: no such folder: {str(data_dir)!r}")
            results = run_plan(plan, data_dir, actor=actor, dry_run=args.dry_run,
                               reports_dir=reports)  # fmt: skip
            for r in results:
                _say_outcome(r.step.file, r.outcome, dry_run=args.dry_run)
            if args.dry_run:
                print("Dry run: nothing was saved.")
            if any(r.outcome.failed for r in results):
                return 2
            return 1 if any(r.outcome.rejected for r in results) else 0
        if not args.file or not args.mapping:
            raise CommandError("give FILE with --mapping MAPPING.json (or --plan and --data-dir)")
        mapping = load_mapping(Path(args.mapping), entity=args.entity)
    except SpecError as error:
        raise CommandError(str(error)) from None
    path = Path(args.file)
    report = rejected = None
    if reports is not None:
        reports.mkdir(parents=True, exist_ok=True)
        report = (reports / f"{path.stem}.report.csv").open("w", encoding="utf-8", newline="")
        rejected = (reports / f"{path.stem}.rejected.csv").open("w", encoding="utf-8", newline="")
    try:
        outcome = import_file(path, mapping, actor=actor, dry_run=args.dry_run,
                              all_or_nothing=args.all_or_nothing, report_to=report,
                              rejected_to=rejected)  # fmt: skip
    finally:
        for f in (report, rejected):
            if f is not None:
                f.close()
    _say_outcome(path.name, outcome, dry_run=args.dry_run)
    if outcome.failed:
        return 2
    return 1 if outcome.rejected else 0


# --- voronka orders-export / catalogue-import / catalogue-export ----------------------------------


def _exchange_actor(username: str | None) -> Any:
    """``--user``, or the first active administrator (or head of sales), who sees everything."""
    from django.core.management.base import CommandError

    from voronka.accounts.models import Role, User

    active = User.objects.filter(is_active=True)
    if username:
        user = active.filter(username=username).first()
        if user is None:
            raise CommandError(f"--user: no active user {username!r}")
        return user
    user = active.filter(role__in=[Role.ADMIN, Role.HEAD_OF_SALES]).order_by("pk").first()
    if user is None:
        raise CommandError("--user: there is no administrator or head of sales yet; name a user")
    return user


def _write_out(value: str, write: Any) -> Any:
    """``write(file)`` into ``--out``, which appears only once complete."""
    from pathlib import Path

    from django.core.management.base import CommandError

    out = Path(value)
    if not out.parent.is_dir():
        raise CommandError(f"--out: no such folder: {str(out.parent)!r}")
    partial = out.with_name(f".{out.name}.part")
    try:
        with partial.open("wb") as target:
            write(target)
        os.replace(partial, out)
    finally:
        partial.unlink(missing_ok=True)
    return out


def _refused(error: Exception, options: dict[str, str]) -> Any:
    """A service's refusal as one line naming the option."""
    from django.core.exceptions import ValidationError
    from django.core.management.base import CommandError

    if isinstance(error, ValidationError) and hasattr(error, "error_dict"):
        name, messages = next(iter(error.message_dict.items()))
        return CommandError(f"{options.get(name, name)}: {messages[0]}")
    return CommandError(str(error))


def _in_english(command: Any) -> Any:
    """The command's messages, headers and refusals in English, like the rest of its output."""

    def run(args: argparse.Namespace) -> int:
        _django()
        from django.utils import translation

        with translation.override("en"):
            return int(command(args))

    return run


@_in_english
def cmd_orders_export(args: argparse.Namespace) -> int:
    """Orders of a period, or only the new ones, to a CSV, XLSX or CommerceML file."""
    from django.core.exceptions import ValidationError

    from voronka.core.errors import NotAllowed
    from voronka.orders import exchange

    user = _exchange_actor(args.as_user)
    try:
        wanted = exchange.export_request(fmt=args.format, date_from=args.date_from,
                                         date_to=args.date_to, only_new=args.only_new,
                                         mark=args.mark)  # fmt: skip
        runs: list[Any] = []
        out = _write_out(args.out, lambda target: runs.append(
            exchange.orders_export(actor=user, request=wanted, target=target)))  # fmt: skip
    except (ValidationError, NotAllowed) as error:
        raise _refused(error, {"format": "--format", "from": "--from", "to": "--to"}) from None
    marked = ", marked as exported" if wanted.mark else ""
    print(f"Wrote {out}: {runs[0].count} orders ({runs[0].get_format_display()}){marked}")
    return 0


@_in_english
def cmd_catalogue_import(args: argparse.Namespace) -> int:
    """Products, prices and stock from CSV/XLSX or CommerceML files; prints the report."""
    from pathlib import Path

    from django.core.exceptions import ValidationError
    from django.core.management.base import CommandError

    from voronka.core.errors import NotAllowed
    from voronka.orders import catalogue

    files = []
    for name in args.files:
        path = Path(name)
        if not path.is_file():
            raise CommandError(f"{name}: no such file")
        files.append((path.name, path.read_bytes()))
    user = _exchange_actor(args.as_user)
    try:
        report = catalogue.catalogue_import(actor=user, files=files, dry_run=args.dry_run,
                                            skip_bad_rows=args.skip_bad_rows)  # fmt: skip
    except NotAllowed:
        raise CommandError(f"--user: {user.username} may not change the catalogue "
                           "(administrator or head of sales only)") from None  # fmt: skip
    except ValidationError as error:
        raise _refused(error, {}) from None
    counts = report.counts
    print(f"{', '.join(args.files)}: {len(report.rows)} rows: {counts['created']} created, "
          f"{counts['updated']} updated, {counts['unchanged']} unchanged, "
          f"{counts['rejected']} rejected")  # fmt: skip
    for notice in report.notices:
        print(f"  note: {notice}")
    for line in catalogue.describe(report.rejected):
        print(f"  {line}")
    if args.dry_run:
        print("Dry run: nothing was saved.")
    elif not report.applied:
        print("Nothing was saved: some rows have errors (--skip-bad-rows applies the others).")
    return 1 if report.rejected else 0


@_in_english
def cmd_catalogue_export(args: argparse.Namespace) -> int:
    """The catalogue to CSV, XLSX or CommerceML (a ZIP of import.xml and offers.xml)."""
    from voronka.orders import catalogue

    products = catalogue.catalogue_products(_exchange_actor(args.as_user))
    out = _write_out(args.out, lambda t: catalogue.write_catalogue(args.format, products, t))
    print(f"Wrote {out}: {len(products)} products")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="voronka", description="Voronka CRM")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("migrate", help="create or update the database tables")
    p.add_argument("-v", "--verbosity", type=int, default=1)
    p.set_defaults(func=cmd_migrate)

    p = sub.add_parser("seed", help="generate realistic demo data")
    p.add_argument("--size", choices=["small", "medium", "large"], default="small")
    p.add_argument("--deals", type=int, help="exactly this many deals (overrides --size)")
    p.add_argument("--seed", type=int, default=42, help="random seed, for repeatable data")
    p.add_argument("--if-empty", action="store_true", help="do nothing if there are deals")
    p.set_defaults(func=cmd_seed)

    p = sub.add_parser("createuser", help="create a user")
    p.add_argument("username")
    p.add_argument(
        "--role", choices=["admin", "head_of_sales", "manager", "support"], default="manager"
    )
    p.add_argument("--team", help="team name (created if missing)")
    p.add_argument("--email")
    p.add_argument("--first-name")
    p.add_argument("--last-name")
    p.add_argument("--password", help="asked for when not given")
    p.set_defaults(func=cmd_createuser)

    p = sub.add_parser("serve", help="run the web server (gunicorn) on 127.0.0.1:PORT")
    p.add_argument("--port", type=int)
    p.add_argument("--workers", type=int, default=2)
    p.set_defaults(func=cmd_serve)

    p = sub.add_parser("worker", help="run the background worker (Huey consumer)")
    p.set_defaults(func=cmd_worker)

    p = sub.add_parser("demo", help="migrate, load demo data, run server and worker")
    p.add_argument("--port", type=int)
    p.set_defaults(func=cmd_demo)

    p = sub.add_parser(
        "kpi",
        help="print sales KPIs for a period (everything, or what --as may see)",
        description="KPIs of a period, both days included. Ids: see GET /api/v1/kpis/catalogue.",
    )
    # Dates and ids are checked by the command itself, so that a mistake is one line naming
    # the option (argparse would print its usage too).
    p.add_argument("--from", dest="date_from", metavar="YYYY-MM-DD", help="first day")
    p.add_argument("--to", dest="date_to", metavar="YYYY-MM-DD", help="last day, included")
    p.add_argument("--ids", help="KPI ids, comma separated (default: all)")
    p.add_argument("--by", help="group by manager, team, source, product, pipeline, stage, "
                   "client, category, day, week, month or quarter")  # fmt: skip
    p.add_argument("--team", metavar="ID")
    p.add_argument("--manager", metavar="ID|USERNAME")
    p.add_argument("--pipeline", metavar="ID")
    p.add_argument("--source", metavar="ID")
    p.add_argument("--product", metavar="ID")
    p.add_argument("--as", dest="as_user", metavar="USERNAME", help="only what this user may see")
    p.add_argument("--lang", choices=["ru", "en"], help="language of the table (default: the "
                   "user's, else the installation's)")  # fmt: skip
    p.add_argument("--json", action="store_true", help="print the API's JSON")
    p.set_defaults(func=cmd_kpi)

    p = sub.add_parser(
        "export",
        help="export all data to a ZIP of CSV files (deleted records included, no passwords)",
    )
    p.add_argument("--out", required=True, metavar="FILE.zip", help="the ZIP file to write")
    p.set_defaults(func=cmd_export)

    p = sub.add_parser(
        "import",
        help="import a CSV/XLSX file with a mapping, or a multi-file source with its plan",
        description="voronka import FILE --entity deals --mapping MAPPING.json, or "
        "voronka import --plan PLAN.json --data-dir DIR. Exit status: 0 all rows in, "
        "1 some rows rejected, 2 nothing imported (the error says why).",
    )
    p.add_argument("file", nargs="?", help="the CSV or XLSX file")
    p.add_argument("--entity", choices=["companies", "contacts", "leads", "deals", "products",
                                        "teams", "users", "activities"])  # fmt: skip
    p.add_argument("--mapping", metavar="MAPPING.json")
    p.add_argument("--plan", metavar="PLAN.json")
    p.add_argument("--data-dir", metavar="DIR", help="where the plan's files are")
    p.add_argument("--dry-run", action="store_true", help="check everything, save nothing")
    p.add_argument("--all-or-nothing", action="store_true",
                   help="one rejected row keeps the whole file out")  # fmt: skip
    p.add_argument("--report", metavar="DIR", help="write every row's result and the "
                   "rejected rows as CSV files into DIR")  # fmt: skip
    p.add_argument(
        "--as",
        dest="as_user",
        metavar="USERNAME",
        help="the person the records are created by (default: the first admin)",
    )
    p.add_argument("--lang", choices=["ru", "en"],
                   help="language of the reasons for rejected rows (default: en)")  # fmt: skip
    p.set_defaults(func=cmd_import)

    p = sub.add_parser(
        "orders-export",
        help="export orders to CSV, XLSX or CommerceML 2 (a period, or only new ones)",
        description="voronka orders-export --format commerceml --from 2026-11-01 --to "
        "2026-11-30 --out orders.xml, or --only-new (marks them exported; --no-mark does not).",
    )
    p.add_argument("--format", choices=["csv", "xlsx", "commerceml"], required=True)
    p.add_argument("--from", dest="date_from", metavar="YYYY-MM-DD", help="first day received")
    p.add_argument("--to", dest="date_to", metavar="YYYY-MM-DD", help="last day, included")
    p.add_argument("--only-new", action="store_true", help="orders not exported before")
    p.add_argument("--mark", action=argparse.BooleanOptionalAction, default=None,
                   help="mark the orders as exported (default: with --only-new)")  # fmt: skip
    p.add_argument("--out", required=True, metavar="FILE")
    p.add_argument("--user", "--as", dest="as_user", metavar="USERNAME",
                   help="only the orders this user may see (default: the first admin)")  # fmt: skip
    p.set_defaults(func=cmd_orders_export)

    p = sub.add_parser(
        "catalogue-import",
        help="import products, prices and stock from CSV/XLSX or CommerceML (import.xml, "
        "offers.xml, or their ZIP)",
        description="Exit status: 0 all rows fine, 1 some rows rejected (nothing saved "
        "without --skip-bad-rows), 2 the files cannot be read.",
    )
    p.add_argument("files", nargs="+", metavar="FILE")
    p.add_argument("--dry-run", action="store_true", help="check and report, save nothing")
    p.add_argument("--skip-bad-rows", action="store_true",
                   help="apply the good rows even if some rows have errors")  # fmt: skip
    p.add_argument("--user", "--as", dest="as_user", metavar="USERNAME",
                   help="an administrator or head of sales (default: the first admin)")  # fmt: skip
    p.set_defaults(func=cmd_catalogue_import)

    p = sub.add_parser("catalogue-export", help="export the catalogue to CSV, XLSX or "
                       "CommerceML (a ZIP of import.xml and offers.xml)")  # fmt: skip
    p.add_argument("--format", choices=["csv", "xlsx", "commerceml"], required=True)
    p.add_argument("--out", required=True, metavar="FILE")
    p.add_argument("--user", "--as", dest="as_user", metavar="USERNAME")
    p.set_defaults(func=cmd_catalogue_export)

    p = sub.add_parser("manage", help="any Django management command")
    p.add_argument("rest", nargs=argparse.REMAINDER)
    p.set_defaults(func=cmd_manage)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except Exception as exc:  # a clear one-line error instead of a traceback
        from django.core.management.base import CommandError

        if isinstance(exc, CommandError):
            print(f"voronka {args.command}: error: {exc}", file=sys.stderr)
            return 2
        raise


if __name__ == "__main__":
    sys.exit(main())
