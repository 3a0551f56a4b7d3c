"""Export everything: a ZIP of CSV files and a manifest, from the page (a background job,
its progress, the download) and from the command line."""

from __future__ import annotations

import csv
import io
import json
import zipfile
from datetime import date, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from tests import factories
from tests.cli import voronka
from voronka.analytics import services as plan_services
from voronka.clients import services as client_services
from voronka.core import full_export
from voronka.core.models import FullExport
from voronka.sales import services as sales_services

FILES = [
    "companies.csv", "contacts.csv", "leads.csv", "deals.csv", "deal_lines.csv",
    "stage_history.csv", "products.csv", "product_categories.csv", "pipelines.csv",
    "stages.csv", "lead_sources.csv", "lost_reasons.csv", "activities.csv", "tasks.csv",
    "users.csv", "teams.csv", "sales_plans.csv", "manifest.json",
]  # fmt: skip
PAGE = reverse("core:full-export")
START = reverse("core:full-export-start")


@pytest.fixture
def export_dir(settings, tmp_path):
    settings.VORONKA_EXPORT_DIR = str(tmp_path / "exports")
    return tmp_path / "exports"


@pytest.fixture
def world(personas, stages, source, lost_reason):
    """A small organisation: two companies (one deleted), a contact, a lead, two deals
    (one deleted, one with two lines), an interaction, a task and a plan."""
    alice, admin = personas.alice, personas.admin
    vector = client_services.company_create(
        actor=alice, data={"name": "ООО «Вектор»", "owner": alice}, tags=["опт", "VIP"]
    )
    gone = factories.company(alice, name="Удалённая")
    client_services.company_delete(actor=alice, company=gone, version=gone.version)
    contact = factories.contact(alice, first_name="Иван", last_name="Сидоров", company=vector)
    factories.lead(alice, title="Заявка", source=source)
    sofa = factories.product(admin, name="Диван")
    kept = factories.deal(
        alice, client=vector, title="Поставка", lines=[{"product": sofa}, {"product": sofa}]
    )
    sales_services.deal_move_stage(
        actor=alice, deal=kept, stage=stages["qualification"], version=kept.version
    )
    dropped = factories.deal(alice, client=contact, title="Отменённая")
    sales_services.deal_delete(actor=alice, deal=dropped, version=dropped.version)
    from voronka.activities import services as activity_services

    activity_services.activity_log(
        actor=alice, data={"kind": "call", "company": vector, "occurred_at": timezone.now()}
    )
    activity_services.task_create(
        actor=alice, data={"title": "Позвонить", "deal": kept, "due_at": timezone.now()}
    )
    plan_services.plan_set(
        actor=personas.head, metric="won_revenue", period_kind="month",
        period_start=date(2026, 3, 1), manager=alice, target="100000",
    )  # fmt: skip
    return {"vector": vector, "gone": gone, "kept": kept, "dropped": dropped}


def read_zip(data: bytes) -> tuple[dict[str, list[dict[str, str]]], dict]:
    archive = zipfile.ZipFile(io.BytesIO(data))
    tables = {}
    for name in archive.namelist():
        if name.endswith(".csv"):
            text = archive.read(name).decode("utf-8")
            assert text.startswith("\ufeff")
            tables[name] = list(csv.DictReader(io.StringIO(text[1:])))
    return tables, json.loads(archive.read("manifest.json"))


def test_the_zip_has_a_file_per_kind_of_record_and_a_manifest(world):
    out = io.BytesIO()
    full_export.write_full_export(out)

    assert zipfile.ZipFile(io.BytesIO(out.getvalue())).namelist() == FILES
    tables, manifest = read_zip(out.getvalue())
    counts = {name: len(rows) for name, rows in tables.items()}
    assert counts == {
        "companies.csv": 2, "contacts.csv": 1, "leads.csv": 1, "deals.csv": 2,
        "deal_lines.csv": 2, "stage_history.csv": 3, "products.csv": 1,
        "product_categories.csv": 0, "pipelines.csv": 1, "stages.csv": 6,
        "lead_sources.csv": 1, "lost_reasons.csv": 1, "activities.csv": 1, "tasks.csv": 1,
        "users.csv": 7, "teams.csv": 3, "sales_plans.csv": 1,
    }  # fmt: skip
    assert manifest["counts"] == counts
    assert manifest["voronka_version"] == "0.1.0"
    assert manifest["generated_at"].startswith(timezone.localdate().isoformat()[:4])
    assert "deleted_at" in manifest["deleted_records"]
    deals = {f["name"]: f for f in manifest["files"]}["deals.csv"]
    assert deals["deleted_rows"] == 1


def test_deleted_records_are_in_with_their_deleted_at_and_the_tags_by_name(world):
    out = io.BytesIO()
    full_export.write_full_export(out)
    tables, _manifest = read_zip(out.getvalue())

    companies = {row["name"]: row for row in tables["companies.csv"]}
    assert companies["ООО «Вектор»"]["tags"] == "VIP, опт"
    assert companies["ООО «Вектор»"]["deleted_at"] == ""
    assert companies["Удалённая"]["deleted_at"] != ""
    deals = {row["title"]: row for row in tables["deals.csv"]}
    assert deals["Отменённая"]["deleted_at"] != ""
    kept = deals["Поставка"]
    assert kept["id"] == str(world["kept"].pk)
    assert kept["company_id"] == str(world["vector"].pk)
    assert kept["amount"] == "3000.00"
    # Times carry the organisation's offset, so they read the same anywhere.
    assert kept["created_at"].endswith("+03:00")


def test_users_come_without_password_hashes(world, personas):
    out = io.BytesIO()
    full_export.write_full_export(out)
    tables, manifest = read_zip(out.getvalue())

    users = tables["users.csv"]
    assert "password" not in users[0]
    assert sorted(u["username"] for u in users) == [
        "admin", "alice", "bob", "head", "lead", "outsider", "support",
    ]  # fmt: skip
    hashes = [u.password for u in type(personas.alice).objects.all()]
    assert not any(h in out.getvalue().decode("latin-1") for h in hashes)
    assert "password" not in {f["name"]: f for f in manifest["files"]}["users.csv"]["columns"]


def test_the_writer_reports_its_progress_file_by_file(world):
    steps = []
    full_export.write_full_export(io.BytesIO(), progress=steps.append)

    deals = [(s.number, s.done, s.total) for s in steps if s.table.key == "deals"]
    assert deals == [(4, 0, 2), (4, 2, 2)]
    assert {s.files for s in steps} == {17}


# --- The page ------------------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["head", "alice", "support", "outsider"])
def test_only_an_administrator_may_see_start_or_download_an_export(
    client, personas, world, export_dir, who, django_capture_on_commit_callbacks
):
    done = FullExport.objects.create(status="done", file_name="x.zip", size=1)
    client.force_login(getattr(personas, who))

    assert client.get(PAGE).status_code == 403
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(START).status_code == 403
    assert client.get(reverse("core:full-export-progress", args=[done.pk])).status_code == 403
    assert client.get(reverse("core:full-export-download", args=[done.pk])).status_code == 403
    assert list(FullExport.objects.values_list("pk", flat=True)) == [done.pk]
    assert not export_dir.exists()


def test_an_anonymous_visitor_is_sent_to_log_in(client, db):
    response = client.get(PAGE)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


def test_an_administrator_starts_an_export_and_downloads_the_zip(
    client, personas, world, export_dir, django_capture_on_commit_callbacks
):
    client.force_login(personas.admin)
    assert "No exports yet" in client.get(PAGE, headers={"Accept-Language": "en"}).content.decode()

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(START, headers={"Accept-Language": "en"})

    assert response.status_code == 302
    export = FullExport.objects.get()
    assert export.status == FullExport.Status.DONE
    assert export.requested_by == personas.admin
    assert export.counts["deals.csv"] == 2
    files = list(export_dir.iterdir())
    assert [f.name for f in files] == [export.file_name]
    assert export.size == files[0].stat().st_size
    assert files[0].stat().st_mode & 0o777 == 0o600  # every record is in it: ours only
    page = client.get(PAGE, headers={"Accept-Language": "en"}).content.decode()
    download = reverse("core:full-export-download", args=[export.pk])
    assert download in page
    assert 'hx-trigger="every 2s"' not in page

    response = client.get(download)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip"
    assert response["Content-Disposition"] == f'attachment; filename="{export.file_name}"'
    tables, manifest = read_zip(b"".join(response.streaming_content))
    assert manifest["counts"]["companies.csv"] == 2


def test_running_the_job_twice_writes_one_file(personas, world, export_dir):
    export = FullExport.objects.create(requested_by=personas.admin)
    full_export.full_export_run(export.pk)
    full_export.full_export_run(export.pk)

    export.refresh_from_db()
    assert export.status == FullExport.Status.DONE
    assert [f.name for f in export_dir.iterdir()] == [export.file_name]


def test_a_second_start_while_one_runs_shows_the_running_one(
    client, personas, export_dir, django_capture_on_commit_callbacks
):
    running = FullExport.objects.create(status="running", heartbeat_at=timezone.now())
    client.force_login(personas.admin)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(START)
    assert list(FullExport.objects.values_list("pk", flat=True)) == [running.pk]


def test_the_page_polls_a_running_export_and_shows_how_far_it_is(client, personas):
    running = FullExport.objects.create(
        status="running", step="deals", step_number=4, step_done=12000, step_total=100000,
        heartbeat_at=timezone.now(), requested_by=personas.admin,
    )  # fmt: skip
    client.force_login(personas.admin)
    url = reverse("core:full-export-progress", args=[running.pk])

    english = client.get(url, headers={"Accept-Language": "en", "HX-Request": "true"})
    russian = client.get(url, headers={"Accept-Language": "ru", "HX-Request": "true"})

    assert "Deals: 12,000 of 100,000" in english.content.decode()
    assert "file 4 of 17" in english.content.decode()
    assert 'hx-trigger="every 2s"' in english.content.decode()
    assert "HX-Refresh" not in english
    assert "Сделки: 12\xa0000 из 100\xa0000" in russian.content.decode()
    page = client.get(PAGE, headers={"Accept-Language": "en"}).content.decode()
    assert f'hx-get="{url}"' in page


def test_a_finished_export_stops_the_polling_and_reloads_the_page(client, personas):
    done = FullExport.objects.create(status="done", file_name="x.zip", size=2048)
    client.force_login(personas.admin)
    response = client.get(
        reverse("core:full-export-progress", args=[done.pk]), headers={"HX-Request": "true"}
    )
    assert response["HX-Refresh"] == "true"
    assert "every 2s" not in response.content.decode()


def test_an_export_whose_worker_died_is_shown_as_failed(client, personas):
    stale = FullExport.objects.create(
        status="running", heartbeat_at=timezone.now() - timedelta(hours=1)
    )
    client.force_login(personas.admin)
    client.get(PAGE)
    stale.refresh_from_db()
    assert stale.status == FullExport.Status.FAILED


def test_a_missing_or_unfinished_file_is_not_found(client, personas, export_dir):
    running = FullExport.objects.create(status="running", file_name="x.zip")
    lost = FullExport.objects.create(status="done", file_name="gone.zip")
    sneaky = FullExport.objects.create(status="done", file_name="../secret_key")
    client.force_login(personas.admin)
    for export in (running, lost, sneaky):
        url = reverse("core:full-export-download", args=[export.pk])
        assert client.get(url).status_code == 404
    assert client.get(reverse("core:full-export-download", args=[999])).status_code == 404


# --- The command line ----------------------------------------------------------------------------


@pytest.mark.xdist_group("cli")
def test_voronka_export_writes_the_zip_and_reports_progress(env, tmp_path):
    voronka(env, "migrate", "-v", "0")
    script = """
from voronka.accounts.services import user_create
from voronka.clients.services import company_create
admin = user_create(username="a", password="long-enough-1", role="admin")
company_create(actor=admin, data={"name": "ООО Тест", "owner": admin})
"""
    voronka(env, "manage", "shell", "-c", script)
    target = tmp_path / "all.zip"

    out = voronka(env, "export", "--out", str(target))

    assert out.stdout.strip() == f"Wrote {target}: 17 files, 2 rows"
    lines = out.stderr.strip().splitlines()
    assert lines[:2] == ["[1/17] companies.csv: 0 of 1", "[1/17] companies.csv: 1 of 1"]
    assert "[15/17] users.csv: 1 of 1" in lines
    tables, manifest = read_zip(target.read_bytes())
    assert manifest["counts"]["companies.csv"] == 1
    assert tables["companies.csv"][0]["name"] == "ООО Тест"
    assert not list(tmp_path.glob(".*.part"))


def test_voronka_export_names_a_missing_folder(env, tmp_path):
    out = voronka(env, "export", "--out", str(tmp_path / "no" / "all.zip"), check=False)
    assert out.returncode == 2
    assert out.stderr.strip().startswith("voronka export: error: --out: no such folder")
