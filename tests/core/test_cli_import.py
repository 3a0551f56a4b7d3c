"""``voronka import``, run as a real process against its own SQLite database."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.cli import query, voronka

pytestmark = pytest.mark.xdist_group("cli")

PLAN = {
    "name": "Old CRM",
    "pipelines": [{"name": "Opt", "stages": [
        {"name": "Open"}, {"name": "Won", "kind": "won"}, {"name": "Lost", "kind": "lost"},
    ]}],
    "steps": [
        {"file": "companies.csv", "mapping": {
            "entity": "companies", "system": "old", "external_id": "id",
            "fields": {"name": "name", "tax_id": "inn"}}},
        {"file": "deals.csv", "mapping_file": "deals.mapping.json"},
    ],
}  # fmt: skip
DEALS_MAPPING = {
    "entity": "deals", "system": "old", "external_id": "id",
    "fields": {"title": "title", "stage": "stage", "company": {"column": "company",
               "lookup": "external_id"}, "owner": {"column": "owner", "lookup": "username"},
               "amount": "amount", "created_at": "created", "closed_at": "closed",
               "pipeline": {"default": "Opt"}},
}  # fmt: skip


@pytest.fixture
def source(tmp_path: Path) -> Path:
    folder = tmp_path / "export"
    folder.mkdir()
    (folder / "plan.json").write_text(json.dumps(PLAN))
    (folder / "deals.mapping.json").write_text(json.dumps(DEALS_MAPPING))
    (folder / "companies.csv").write_text("id,name,inn\nc1,ООО Ромашка,7707083893\nc2,ИП Иванов,\n")
    (folder / "deals.csv").write_text(
        "id,title,stage,company,owner,amount,created,closed\n"
        "d1,Поставка,Won,c1,olga,1000,2026-01-10,2026-02-01\n"
        "d2,Сервис,Open,c2,olga,250.50,2026-01-15,\n"
    )
    return folder


def test_a_plan_is_checked_without_saving_then_imported_and_not_doubled(env, source):
    voronka(env, "migrate", "-v", "0")
    voronka(env, "createuser", "olga", "--role", "head_of_sales", "--password", "long-enough-1")
    plan = str(source / "plan.json")

    check = voronka(env, "import", "--plan", plan, "--data-dir", str(source), "--dry-run")
    assert "deals.csv: 2 rows: 2 created, 0 updated, 0 skipped, 0 rejected" in check.stdout
    assert check.stdout.rstrip().endswith("Dry run: nothing was saved.")
    assert query(env, "select count(*) from sales_deal") == [(0,)]

    done = voronka(env, "import", "--plan", plan, "--data-dir", str(source))
    assert "companies.csv: 2 rows: 2 created, 0 updated, 0 skipped, 0 rejected" in done.stdout
    assert query(env, "select title, status, amount from sales_deal order by title") == [
        ("Поставка", "won", 1000), ("Сервис", "open", 250.5),
    ]  # fmt: skip
    again = voronka(env, "import", "--plan", plan, "--data-dir", str(source))
    assert "deals.csv: 2 rows: 0 created, 0 updated, 2 skipped, 0 rejected" in again.stdout
    assert query(env, "select count(*) from sales_deal") == [(2,)]


def test_one_file_with_bad_rows_names_them_and_exits_with_1(env, source, tmp_path):
    voronka(env, "migrate", "-v", "0")
    mapping = tmp_path / "companies.json"
    mapping.write_text(json.dumps({"fields": {"name": "name", "email": "email"}}))
    data = tmp_path / "c.csv"
    data.write_text("name,email\nООО Альфа,a@alfa.example\nООО Бета,не почта\n")
    out = voronka(env, "import", str(data), "--entity", "companies", "--mapping", str(mapping),
                  "--report", str(tmp_path / "report"), check=False)  # fmt: skip
    assert out.returncode == 1
    assert "c.csv: 2 rows: 1 created, 0 updated, 0 skipped, 1 rejected" in out.stdout
    assert "line 3, column 'email': not an e-mail address: 'не почта'" in out.stdout
    rejected = (tmp_path / "report" / "c.rejected.csv").read_text(encoding="utf-8")
    assert rejected.splitlines()[1].startswith("3,email,")
    assert query(env, "select name from clients_company") == [("ООО Альфа",)]


def test_a_file_missing_a_mapped_column_imports_nothing_and_exits_with_2(env, tmp_path):
    voronka(env, "migrate", "-v", "0")
    mapping = tmp_path / "m.json"
    mapping.write_text(json.dumps({"entity": "companies", "fields": {"name": "Название"}}))
    data = tmp_path / "c.csv"
    data.write_text("name\nООО Альфа\n")
    out = voronka(env, "import", str(data), "--mapping", str(mapping), check=False)
    assert out.returncode == 2
    assert "not imported: the file has no column 'Название' (its columns: name)" in out.stderr
    bad = voronka(env, "import", "--plan", str(tmp_path / "none.json"), "--data-dir",
                  str(tmp_path), check=False)  # fmt: skip
    assert bad.returncode == 2
    assert bad.stderr.strip() == f"voronka import: error: {tmp_path / 'none.json'}: no such file"
