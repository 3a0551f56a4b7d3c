"""``voronka orders-export``, ``catalogue-import`` and ``catalogue-export``: in this process
against the test database, and once as a real process against its own."""

from __future__ import annotations

import csv
import io
import os
from decimal import Decimal
from pathlib import Path

import pytest

from tests.cli import query, voronka
from voronka.cli import main
from voronka.orders.models import ExportRun, Order
from voronka.sales.models import Product

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "commerceml"


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out = capsys.readouterr()
    return code, out.out, out.err


def test_orders_export_of_a_period_writes_the_file_and_says_so(capsys, make_order, personas,
                                                               tmp_path):  # fmt: skip
    order = make_order()
    out = tmp_path / "orders.xml"
    code, said, _err = run(capsys, "orders-export", "--format", "commerceml", "--from",
                           "2000-01-01", "--to", "2100-12-31", "--out", str(out))  # fmt: skip
    assert code == 0
    assert said == f"Wrote {out}: 1 orders (CommerceML 2)\n"
    assert f"<Номер>{order.number}</Номер>" in out.read_text(encoding="utf-8")
    assert Order.objects.get(pk=order.pk).exported_at is None
    assert ExportRun.objects.get().created_by == personas.admin


def test_orders_export_only_new_marks_them_and_takes_them_once(capsys, make_order, personas,
                                                               tmp_path):  # fmt: skip
    make_order()
    out = tmp_path / "new.csv"
    code, said, _err = run(capsys, "orders-export", "--format", "csv", "--only-new", "--user",
                           "alice", "--out", str(out))  # fmt: skip
    assert (code, said) == (0, f"Wrote {out}: 1 orders (CSV), marked as exported\n")
    rows = list(csv.reader(io.StringIO(out.read_text(encoding="utf-8-sig")), delimiter=";"))
    assert len(rows) == 3  # the header and the order's two lines
    code, said, _err = run(capsys, "orders-export", "--format", "xlsx", "--only-new", "--out",
                           str(tmp_path / "again.xlsx"))  # fmt: skip
    assert said.endswith(": 0 orders (XLSX), marked as exported\n")
    assert ExportRun.objects.filter(created_by=personas.alice).count() == 1


@pytest.mark.parametrize(("argv", "error"), [
    (["--from", "01.11.2026", "--to", "2026-11-30"],
     "voronka orders-export: error: --from: Not a date: 01.11.2026. Write it as YYYY-MM-DD."),
    (["--from", "2026-11-01"],
     "voronka orders-export: error: --to: Give the last day of the period, or export only new "
     "orders."),
    (["--only-new", "--user", "support"],
     "voronka orders-export: error: Only those who run orders mark them as exported."),
    (["--only-new", "--user", "nobody"], "voronka orders-export: error: --user: no active user "
     "'nobody'"),
])  # fmt: skip
def test_orders_export_refusals_are_one_line_naming_the_option(capsys, make_order, personas,
                                                               tmp_path, argv, error):  # fmt: skip
    make_order()
    out = tmp_path / "x.csv"
    code, said, err = run(capsys, "orders-export", "--format", "csv", "--out", str(out), *argv)
    assert (code, said, err) == (2, "", error + "\n")
    assert not out.exists()
    assert Order.objects.filter(exported_at=None).count() == 1


def test_orders_export_into_a_missing_folder_is_refused(capsys, personas, tmp_path):
    code, _said, err = run(capsys, "orders-export", "--format", "csv", "--only-new", "--out",
                           str(tmp_path / "no" / "x.csv"))  # fmt: skip
    assert code == 2
    assert err.startswith("voronka orders-export: error: --out: no such folder")


def test_catalogue_import_checks_then_applies_the_example_files(capsys, personas):
    files = [str(EXAMPLES / "import.xml"), str(EXAMPLES / "offers.xml")]
    code, said, _err = run(capsys, "catalogue-import", *files, "--dry-run")
    assert code == 0
    assert said.splitlines() == [
        f"{', '.join(files)}: 3 rows: 3 created, 0 updated, 0 unchanged, 0 rejected",
        "Dry run: nothing was saved."]  # fmt: skip
    assert Product.objects.count() == 0
    code, said, _err = run(capsys, "catalogue-import", *files, "--user", "head")
    assert code == 0
    assert Product.objects.count() == 3


def test_catalogue_import_names_bad_rows_and_saves_nothing_unless_told(capsys, personas,
                                                                      tmp_path):  # fmt: skip
    data = tmp_path / "c.csv"
    data.write_text("Артикул;Наименование;Цена\nA-1;Стул;100\nB-1;Стол;много\n", encoding="utf-8")
    code, said, _err = run(capsys, "catalogue-import", str(data))
    assert code == 1
    assert said.splitlines() == [
        f"{data}: 2 rows: 1 created, 0 updated, 0 unchanged, 1 rejected",
        "  c.csv, row 3, price (Цена): not a number: 'много'",
        "Nothing was saved: some rows have errors (--skip-bad-rows applies the others).",
    ]  # fmt: skip
    assert Product.objects.count() == 0
    code, said, _err = run(capsys, "catalogue-import", str(data), "--skip-bad-rows")
    assert code == 1
    assert list(Product.objects.values_list("sku", "price")) == [("A-1", Decimal("100.00"))]


def test_catalogue_import_refusals(capsys, personas, tmp_path):
    data = tmp_path / "c.csv"
    data.write_text("Артикул;Наименование\nA-1;Стул\n", encoding="utf-8")
    code, _said, err = run(capsys, "catalogue-import", str(data), "--user", "alice")
    assert (code, err) == (2, "voronka catalogue-import: error: --user: alice may not change the "
                              "catalogue (administrator or head of sales only)\n")  # fmt: skip
    code, _said, err = run(capsys, "catalogue-import", str(tmp_path / "none.xml"))
    assert (code, err) == (2, f"voronka catalogue-import: error: {tmp_path / 'none.xml'}: no such "
                              "file\n")  # fmt: skip
    bomb = tmp_path / "import.xml"
    bomb.write_text('<!DOCTYPE a [<!ENTITY b "c">]><a>&b;</a>', encoding="utf-8")
    code, _said, err = run(capsys, "catalogue-import", str(bomb))
    assert (code, err) == (2, "voronka catalogue-import: error: file: import.xml declares a "
                              "document type or entities; such XML is refused for safety.\n")  # fmt: skip
    assert Product.objects.count() == 0


def test_catalogue_export_writes_each_format(capsys, personas, tmp_path):
    from tests import factories

    factories.product(personas.admin, name="Стул", sku="A-1", price=Decimal("10.50"))
    for fmt, name in (("csv", "c.csv"), ("xlsx", "c.xlsx"), ("commerceml", "c.zip")):
        code, said, _err = run(capsys, "catalogue-export", "--format", fmt, "--out",
                               str(tmp_path / name))  # fmt: skip
        assert (code, said) == (0, f"Wrote {tmp_path / name}: 1 products\n")
    assert "A-1;Стул;;10.50;RUB" in (tmp_path / "c.csv").read_text(encoding="utf-8-sig")


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    environ = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_", "REDIS_"))}
    environ.update(VORONKA_VAR_DIR=str(tmp_path), VORONKA_TESTING="0", HUEY_IMMEDIATE="0",
                   DATABASE_URL=f"sqlite:///{tmp_path / 'crm.sqlite3'}",
                   SECRET_KEY="cli-test-key")  # fmt: skip
    return environ


@pytest.mark.xdist_group("cli")
def test_the_commands_as_a_real_process(env, tmp_path):
    voronka(env, "migrate", "-v", "0")
    voronka(env, "createuser", "olga", "--role", "head_of_sales", "--password", "long-enough-1")
    done = voronka(env, "catalogue-import", str(EXAMPLES / "catalogue.csv"), "--user", "olga")
    assert "3 created, 0 updated, 0 unchanged, 0 rejected" in done.stdout
    assert query(env, "select sku, price from sales_product order by sku") == [
        ("CH-100", 4990), ("SV-01", 1500), ("TB-240", 35500)]  # fmt: skip
    zipped = tmp_path / "catalogue.zip"
    voronka(env, "catalogue-export", "--format", "commerceml", "--out", str(zipped))
    again = voronka(env, "catalogue-import", str(zipped), "--user", "olga")
    assert "0 created, 0 updated, 3 unchanged, 0 rejected" in again.stdout
    orders = voronka(env, "orders-export", "--format", "commerceml", "--only-new", "--out",
                     str(tmp_path / "orders.xml"))  # fmt: skip
    assert orders.stdout.strip().endswith(": 0 orders (CommerceML 2), marked as exported")
    bad = voronka(env, "orders-export", "--format", "csv", "--out", str(tmp_path / "o.csv"),
                  check=False)  # fmt: skip
    assert bad.returncode == 2
    assert bad.stderr.strip() == ("voronka orders-export: error: --from: Give the first day of "
                                  "the period, or export only new orders.")  # fmt: skip
