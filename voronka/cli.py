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
