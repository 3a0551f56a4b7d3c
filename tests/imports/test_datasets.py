"""The two real CRM datasets imported with their shipped plans: record counts and KPIs
agree with figures computed straight from the raw CSV files."""

from __future__ import annotations

import csv
from collections import Counter
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from statistics import fmean
from zoneinfo import ZoneInfo

import pytest

from tests.analytics.conftest import report
from voronka.core import organisation
from voronka.imports.plans import run_plan
from voronka.imports.spec import load_plan

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT.parent / "shared" / "data"
EXAMPLES = ROOT / "examples" / "import"
MAVEN = DATA / "maven-crm-sales-opportunities"
OLIST = DATA / "olist-marketing-funnel"

pytestmark = [
    pytest.mark.skipif(not DATA.is_dir(), reason=f"the shared datasets are not at {DATA}"),
    pytest.mark.xdist_group("datasets"),
]


def raw(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def run(name: str, data_dir: Path, actor: object) -> dict[str, object]:
    plan = load_plan(EXAMPLES / name / "plan.json")
    results = run_plan(plan, data_dir, actor=actor, say=lambda _: None)
    for r in results:
        assert not r.outcome.failed, (r.step.file, r.outcome.failed)
        assert r.outcome.rejected == 0, (r.step.file, r.outcome.sample[:5])
    return {f"{r.step.file}:{r.step.mapping.entity}": r.outcome for r in results}  # type: ignore[union-attr]


def test_maven_crm_sales_opportunities_import_with_the_figures_of_the_raw_files(personas):
    from voronka.accounts.models import Team, User
    from voronka.clients.models import Company
    from voronka.sales.models import Deal, DealLine, Product

    pipeline_rows = raw(MAVEN / "sales_pipeline.csv")
    teams_rows = raw(MAVEN / "sales_teams.csv")
    won = [r for r in pipeline_rows if r["deal_stage"] == "Won"]
    lost = [r for r in pipeline_rows if r["deal_stage"] == "Lost"]
    engaging = [r for r in pipeline_rows if r["deal_stage"] == "Engaging"]
    users_before = User.objects.count()

    outcomes = run("maven-crm-sales-opportunities", MAVEN, personas.admin)

    assert organisation.current().base_currency == "USD"
    people = {r["sales_agent"] for r in teams_rows} | {r["manager"] for r in teams_rows}
    assert User.objects.count() - users_before == len(people)
    assert Team.objects.filter(name__contains=": ").count() == len(
        {(r["regional_office"], r["manager"]) for r in teams_rows}
    )
    anna = User.objects.get(first_name="Anna", last_name="Snelling")
    assert anna.team.name == "Central: Dustin Brinkmann"
    assert anna.team.lead.get_full_name() == "Dustin Brinkmann"
    assert not anna.has_usable_password()
    assert Product.objects.count() == len(raw(MAVEN / "products.csv"))
    accounts = raw(MAVEN / "accounts.csv")
    assert Company.objects.count() == len(accounts) + 1  # + "account not given"
    assert Company.objects.filter(industry="technolgy").count() == 0
    assert Company.objects.filter(industry="technology").count() == sum(
        1 for a in accounts if a["sector"] == "technolgy"
    ) + sum(1 for a in accounts if a["sector"] == "technology")
    assert Deal.objects.count() == len(pipeline_rows)
    blank_accounts = sum(1 for r in pipeline_rows if not r["account"])
    assert Deal.objects.filter(company__name="MavenTech: account not given").count() == (
        blank_accounts
    )
    gtx_pro = sum(1 for r in pipeline_rows if r["product"] == "GTXPro")
    assert DealLine.objects.filter(product__name="GTX Pro").count() == gtx_pro
    assert Deal.objects.filter(status="won").count() == len(won)

    # KPIs, from the rollups and from the records alike (``report`` checks both).
    tz = organisation.current().tz
    result = report(
        personas.admin,
        ["deals_won", "deals_lost", "won_revenue", "win_rate", "avg_deal_size",
         "sales_cycle_days", "open_deals"],
        date(2016, 10, 1), date(2017, 12, 31),
    )  # fmt: skip
    revenue = sum(Decimal(r["close_value"]) for r in won)
    assert result["deals_won"].total.value == len(won)
    assert result["deals_lost"].total.value == len(lost)
    assert result["won_revenue"].total.value == revenue
    assert result["win_rate"].total.numerator == len(won)
    assert result["win_rate"].total.denominator == len(won) + len(lost)
    assert result["avg_deal_size"].total.value == (revenue / len(won)).quantize(Decimal("0.01"))
    cycle = fmean(
        (date.fromisoformat(r["close_date"]) - date.fromisoformat(r["engage_date"])).days
        for r in won
    )
    assert result["sales_cycle_days"].total.mean == pytest.approx(
        cycle, abs=5e-4
    )  # shown to 3 places
    assert result["open_deals"].total.value == len(engaging)
    assert tz == ZoneInfo(organisation.current().time_zone)

    # The same plan again changes nothing and creates no duplicates.
    again = run("maven-crm-sales-opportunities", MAVEN, personas.admin)
    assert [o.created for o in again.values()] == [0, 0, 0, 0]  # type: ignore[attr-defined]
    assert [o.updated for o in again.values()] == [0, 0, 0, 0]  # type: ignore[attr-defined]
    assert Deal.objects.count() == len(pipeline_rows)
    assert len(outcomes) == 4


def test_olist_marketing_funnel_imports_with_the_figures_of_the_raw_files(personas):
    from voronka.clients.models import Company
    from voronka.sales.models import Deal, Lead

    mqls = raw(OLIST / "olist_marketing_qualified_leads_dataset.csv")
    closed = raw(OLIST / "olist_closed_deals_dataset.csv")

    run("olist-marketing-funnel", OLIST, personas.admin)

    assert Lead.objects.count() == len(mqls)
    by_source = Counter(Lead.objects.values_list("source__name", flat=True))
    origins = Counter(r["origin"] for r in mqls)
    assert by_source["Origin not recorded"] == origins[""]
    assert by_source["Unknown origin"] == origins["unknown"]
    assert by_source["Paid search"] == origins["paid_search"]
    assert Deal.objects.filter(status="won").count() == len(closed)
    assert Deal.objects.filter(lead__isnull=False).count() == len(closed)
    assert Lead.objects.filter(status="qualified").count() == len(closed)
    assert Company.objects.count() == len({r["seller_id"] for r in closed})
    two_profiles = sum(1 for r in closed if "," in r["lead_behaviour_profile"])
    tagged_twice = [c for c in Company.objects.prefetch_related("tags") if c.tags.count() == 2]
    assert len(tagged_twice) == two_profiles
    assert Company.objects.filter(industry="jewerly").count() == 0

    tz = organisation.current().tz
    result = report(
        personas.admin, ["leads_new", "lead_to_deal_rate", "deals_won", "lead_to_win_days"],
        date(2017, 6, 1), date(2018, 11, 30),
    )  # fmt: skip
    assert result["leads_new"].total.value == len(mqls)
    assert result["lead_to_deal_rate"].total.numerator == len(closed)
    assert result["lead_to_deal_rate"].total.denominator == len(mqls)
    assert result["deals_won"].total.value == len(closed)
    first_contact = {r["mql_id"]: date.fromisoformat(r["first_contact_date"]) for r in mqls}
    days = []
    for r in closed:
        won_at = datetime.fromisoformat(r["won_date"]).replace(tzinfo=tz)
        contacted = datetime.combine(first_contact[r["mql_id"]], datetime.min.time(), tz)
        days.append((won_at - contacted).total_seconds() / 86400)
    value = result["lead_to_win_days"].total
    assert value.count == len(closed)
    assert value.mean == pytest.approx(fmean(days), abs=5e-4)
