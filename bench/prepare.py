"""Inside the benchmark database: who logs in, what to look for, and query plans.

Run by ``bench/run.py`` with the benchmark's DATABASE_URL; prints one JSON
object. ``--explain`` also prints EXPLAIN of the measured queries to stderr.
"""

from __future__ import annotations

import json
import os
import sys
from datetime import timedelta

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "voronka.settings")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY  # noqa: E402
from django.db import connection  # noqa: E402
from django.db.models import Count, Q  # noqa: E402
from django.utils import timezone  # noqa: E402

from voronka.accounts.models import User  # noqa: E402
from voronka.accounts.services import api_token_create  # noqa: E402
from voronka.clients.models import Company, Contact  # noqa: E402
from voronka.core.pagination import _after, _row_values, keyset_page  # noqa: E402
from voronka.sales import queries  # noqa: E402
from voronka.sales.models import Deal  # noqa: E402


def session_cookie(user: User) -> str:
    """A logged-in session made directly, for when the login page is not there."""
    from importlib import import_module

    store = import_module(settings.SESSION_ENGINE).SessionStore()
    store[SESSION_KEY] = str(user.pk)
    store[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    store[HASH_SESSION_KEY] = user.get_session_auth_hash()
    store.create()
    return store.session_key or ""


def targets() -> dict[str, object]:
    rop = User.objects.get(username="rop")
    manager = User.objects.get(username="manager1")
    top = (
        Deal.objects.values("company_id")
        .exclude(company_id=None)
        .annotate(n=Count("id"))
        .order_by("-n")
        .first()
    )
    company = Company.objects.get(pk=top["company_id"])
    # a name someone would type: a word of a company in the middle of the table
    named = Company.objects.filter(name__contains="«").order_by("pk")
    middle = named[named.count() // 2]
    word = middle.name.split("«")[-1].rstrip("»").split()[0]
    contact = Contact.objects.exclude(phone="").order_by("pk")[Contact.objects.count() // 3]
    _token, raw = api_token_create(actor=rop, name="bench")
    from voronka.service.models import Request

    # the request with the longest thread: its card is the heaviest
    busiest = (
        Request.objects.annotate(n=Count("messages")).order_by("-n", "pk").values("pk").first()
    )
    from voronka.orders.models import Order

    # the order with the most lines and status changes: its card is the heaviest
    biggest = (
        Order.objects.annotate(n=Count("lines", distinct=True) + Count("changes", distinct=True))
        .order_by("-n", "pk")
        .values("pk")
        .first()
    )
    return {
        "order_id": biggest["pk"] if biggest else None,
        "orders": Order.objects.count(),
        "request_id": busiest["pk"] if busiest else None,
        "requests": Request.objects.count(),
        "deals": Deal.objects.count(),
        "head_id": rop.pk,
        "manager_id": manager.pk,
        "company_id": company.pk,
        "company_deals": top["n"],
        "name_query": word,
        "phone_query": contact.phone,
        "token": raw,
        "session": session_cookie(rop),
        "session_cookie_name": settings.SESSION_COOKIE_NAME,
    }


def explain(info: dict[str, object]) -> None:
    rop = User.objects.get(pk=info["head_id"])
    ordering = queries.DEAL_SORTS["-created"]
    cases = {
        "deal list, first page": queries.deal_list(rop),
        "deal list, open deals of one manager": queries.deal_list(
            rop, status="open", owner_id=info["manager_id"]
        ),
        "deal list, search by name": queries.deal_list(rop, q=str(info["name_query"])),
        "deal list, search by phone": queries.deal_list(rop, q=str(info["phone_query"])),
        "deals of the busiest company": queries.deals_of_client(
            rop, company=Company.objects.get(pk=info["company_id"])
        ),
    }
    limit = settings.VORONKA_COUNT_LIMIT
    for label, qs in cases.items():
        rows = qs.order_by(*ordering)
        print(f"\n=== {label} ===\n--- first page ---", file=sys.stderr)
        print(rows[:51].explain(), file=sys.stderr)
        page = keyset_page(qs, ordering=ordering, limit=1000, count=False)
        if page.next_cursor:
            after = _after(Deal, page.ordering, _row_values(page.items[-1], page.ordering), False)
            print(f"--- page after {len(page.items)} rows ---", file=sys.stderr)
            print(rows.filter(after)[:51].explain(), file=sys.stderr)
        print("--- bounded count ---", file=sys.stderr)
        print(qs.order_by().values("pk")[: limit + 1].explain(), file=sys.stderr)
    pipeline = queries.default_pipeline()
    board_qs = queries.deal_list(rop, pipeline_id=pipeline.pk)
    # as queries.board: open deals and those closed in the last weeks
    since = timezone.now() - timedelta(days=queries.BOARD_CLOSED_DAYS)
    on_board = board_qs.filter(Q(status="open") | Q(closed_at__gte=since))
    print("\n=== board: totals per stage ===", file=sys.stderr)
    print(on_board.order_by().values("stage_id").annotate(n=Count("id")).explain(), file=sys.stderr)
    for stage in pipeline.stages.order_by("position"):
        print(f"=== board: cards of «{stage.name}» ===", file=sys.stderr)
        cards = board_qs.filter(stage=stage)
        if stage.kind != "open":
            cards = cards.filter(closed_at__gte=since)
        print(cards.order_by("-stage_entered_at", "-id")[:50].explain(), file=sys.stderr)
    print(f"\n(vendor: {connection.vendor})", file=sys.stderr)


if __name__ == "__main__":
    info = targets()
    if "--explain" in sys.argv:
        explain(info)
    print(json.dumps(info))
