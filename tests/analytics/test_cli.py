"""``voronka kpi``, run as a real process against its own SQLite database.

The data (March 2026, Moscow time), made once for the module through the services:
alice (North) wins 100 (2 → 4 March) and 200 (3 → 7 March), bob (South) wins 1 234 567.89
(1 → 7 March) and loses 50 (2 → 10 March). By hand: won revenue 1 234 867.89, 3 won of 4
closed (75 %), average check 1 234 867.89 / 3 = 411 622.63, sales cycle (2 + 4 + 6) / 3 = 4 days,
median 4. Alice alone: 300.00, 2 of 2 (100 %), cycle 3 days.
"""

from __future__ import annotations

import json
import os

import pytest

from tests.cli import voronka

pytestmark = pytest.mark.xdist_group("cli")

MARCH = ("--from", "2026-03-01", "--to", "2026-03-31")

MAKE_DATA = """
from datetime import datetime
from decimal import Decimal
from unittest import mock
from zoneinfo import ZoneInfo

from voronka.accounts.models import Team
from voronka.accounts.services import user_create
from voronka.clients.services import company_create
from voronka.sales import services
from voronka.sales.models import LostReason

MSK = ZoneInfo("Europe/Moscow")
north = Team.objects.create(name="North")
south = Team.objects.create(name="South")
head = user_create(username="head", password="long-enough-1", role="head_of_sales",
                   first_name="Olga", last_name="Head")
alice = user_create(username="alice", password="long-enough-1", team=north,
                    first_name="Alice", last_name="North")
bob = user_create(username="bob", password="long-enough-1", team=south,
                  first_name="Bob", last_name="South")
pipeline = services.pipeline_create(actor=head, name="Sales", stages=[
    {"name": "New"}, {"name": "Offer"}, {"name": "Won", "kind": "won"},
    {"name": "Lost", "kind": "lost"},
])
won = pipeline.stages.get(kind="won")
lost = pipeline.stages.get(kind="lost")
reason = LostReason.objects.create(name="Price")


def at(day):
    return mock.patch("django.utils.timezone.now",
                      return_value=datetime(2026, 3, day, 12, tzinfo=MSK))


def deal(owner, amount, created, closed, stage):
    with at(created):
        company = company_create(actor=head, data={"name": f"Client {amount}", "owner": owner})
        made = services.deal_create(actor=head, data={
            "title": f"Deal {amount}", "company": company, "owner": owner,
            "amount": Decimal(amount),
        })
    with at(closed):
        extra = {"lost_reason": reason} if stage == lost else {}
        services.deal_move_stage(actor=head, deal=made, stage=stage, version=made.version,
                                 **extra)


deal(alice, "100", 2, 4, won)
deal(alice, "200", 3, 7, won)
deal(bob, "1234567.89", 1, 7, won)
deal(bob, "50", 2, 10, lost)
print(alice.pk, bob.pk)
"""

# The API's answer for the same data, asked in the same database by the head of sales.
ASK_API = """
from django.test import Client
from voronka.accounts.models import User

client = Client(headers={"Accept-Language": "en"})
client.force_login(User.objects.get(username="head"))
answer = client.get("/api/v1/kpis", {
    "ids": "won_revenue,win_rate,avg_deal_size,sales_cycle_days,funnel",
    "from": "2026-03-01", "to": "2026-03-31", "by": "manager",
})
assert answer.status_code == 200, answer.content
print(answer.content.decode())
"""


@pytest.fixture(scope="module")
def env(tmp_path_factory) -> dict[str, str]:
    """One database with the March data for every test of the module (migrating is slow)."""
    tmp = tmp_path_factory.mktemp("kpi-cli")
    environ = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_", "REDIS_"))}
    environ.update(
        VORONKA_VAR_DIR=str(tmp),
        DATABASE_URL=f"sqlite:///{tmp / 'crm.sqlite3'}",
        VORONKA_TESTING="0",
        HUEY_IMMEDIATE="0",
        SECRET_KEY="cli-test-key",
    )
    voronka(environ, "migrate", "-v", "0")
    ids = voronka(environ, "manage", "shell", "-c", MAKE_DATA).stdout.splitlines()[-1].split()
    environ["ALICE_ID"], environ["BOB_ID"] = ids
    return environ


def test_json_is_exactly_what_the_api_answers(env):
    api = json.loads(voronka(env, "manage", "shell", "-c", ASK_API).stdout.splitlines()[-1])

    out = voronka(env, "kpi", *MARCH, "--by", "manager", "--json", "--lang", "en",
                  "--ids", "won_revenue,win_rate,avg_deal_size,sales_cycle_days,funnel")  # fmt: skip

    assert json.loads(out.stdout) == api
    assert api["kpis"]["won_revenue"]["total"] == {"value": 1234867.89}
    assert api["kpis"]["win_rate"]["total"] == {"value": 0.75, "numerator": 3, "denominator": 4}


def test_the_table_shows_each_kpi_formatted_for_people(env):
    out = voronka(env, "kpi", *MARCH, "--lang", "en",
                  "--ids", "won_revenue,deals_won,win_rate,avg_deal_size,sales_cycle_days")  # fmt: skip

    assert out.stdout.splitlines() == [
        "Won revenue        1,234,867.89",
        "Deals won          3",
        "Win rate           75.00% (3 / 4)",
        "Average check      411,622.63",
        "Sales cycle, days  4.0 d (median 4.0 d, n=3)",
    ]
    assert out.stderr == ""


def test_with_by_every_group_has_an_indented_row(env):
    out = voronka(env, "kpi", *MARCH, "--lang", "en", "--ids", "won_revenue,win_rate",
                  "--by", "manager")  # fmt: skip

    assert out.stdout.splitlines() == [
        "Won revenue    1,234,867.89",
        "  Bob South    1,234,567.89",
        "  Alice North  300.00",
        "Win rate       75.00% (3 / 4)",
        "  Alice North  100.00% (2 / 2)",
        "  Bob South    50.00% (1 / 2)",
    ]


def test_as_a_manager_the_report_holds_only_her_deals(env):
    out = voronka(env, "kpi", *MARCH, "--lang", "en", "--as", "alice",
                  "--ids", "won_revenue,win_rate,sales_cycle_days")  # fmt: skip

    assert out.stdout.splitlines() == [
        "Won revenue        300.00",
        "Win rate           100.00% (2 / 2)",
        "Sales cycle, days  3.0 d (median 3.0 d, n=2)",
    ]


def test_a_manager_may_be_named_by_username_or_id(env):
    by_name = voronka(env, "kpi", *MARCH, "--ids", "won_revenue", "--manager", "bob", "--json")
    by_id = voronka(env, "kpi", *MARCH, "--ids", "won_revenue", "--manager", env["BOB_ID"],
                    "--json")  # fmt: skip

    assert json.loads(by_name.stdout) == json.loads(by_id.stdout)
    assert json.loads(by_name.stdout)["filters"]["manager"] == int(env["BOB_ID"])
    assert json.loads(by_name.stdout)["kpis"]["won_revenue"] == {"total": {"value": 1234567.89}}


def test_an_undefined_value_is_a_dash_with_its_reason(env):
    out = voronka(env, "kpi", "--from", "2026-01-01", "--to", "2026-01-31", "--lang", "en",
                  "--ids", "won_revenue,win_rate")  # fmt: skip

    assert out.stdout.splitlines() == [
        "Won revenue  0.00",
        "Win rate     — (no deals closed in the period)",
    ]


def test_russian_numbers_use_the_russian_separators(env):
    out = voronka(env, "kpi", *MARCH, "--lang", "ru", "--ids", "won_revenue,win_rate")

    lines = out.stdout.splitlines()
    assert lines[0].endswith("1\xa0234\xa0867,89")
    assert lines[1].endswith("75,00% (3 / 4)")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--from", "2026-13-01", "--to", "2026-03-31"),
         "--from: not a date (YYYY-MM-DD): '2026-13-01'"),
        (("--to", "2026-03-31"), "--from: required, a date as YYYY-MM-DD"),
        ((*MARCH[:2], "--to", "9999-12-31"),
         "--to: The date must be between 1900-01-01 and 2999-12-31."),
        (("--from", "2026-03-31", "--to", "2026-03-01"),
         "--to: The period ends before it starts."),
        (("--from", "2020-01-01", "--to", "2026-03-01"),
         "--to: The period is longer than 1830 days."),
        ((*MARCH, "--by", "weekday"), "--by: Unknown grouping: weekday. Valid: manager, team, "
         "source, product, pipeline, stage, client, category, day, week, month, quarter."),
        ((*MARCH, "--team", "North"), "--team: not an id: 'North'"),
        ((*MARCH, "--team", "999"), "--team: No such team."),
        ((*MARCH, "--product", "999"), "--product: No such product."),
        ((*MARCH, "--manager", "nobody"), "--manager: no user named 'nobody'"),
        ((*MARCH, "--as", "nobody"), "--as: no active user named 'nobody'"),
    ],
)  # fmt: skip
def test_bad_input_is_one_line_naming_the_option_and_exit_code_2(env, args, message):
    out = voronka(env, "kpi", *args, check=False)

    assert out.returncode == 2
    assert out.stderr == f"voronka kpi: error: {message}\n"
    assert out.stdout == ""


def test_an_unknown_kpi_is_refused_listing_the_valid_ids(env):
    out = voronka(env, "kpi", *MARCH, "--ids", "won_revenue,nonsense", check=False)

    assert out.returncode == 2
    assert out.stderr.startswith(
        "voronka kpi: error: --ids: Unknown KPI: nonsense. Valid ids: leads_new, "
    )
    assert len(out.stderr.splitlines()) == 1
