"""The head of sales imports a spreadsheet of companies through the wizard in a browser:
upload, columns, check, import with its progress bar, report, rejected rows."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.conftest import PASSWORD
from voronka.clients.models import Company
from voronka.imports.models import ImportJob

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

# Screenshots for a person to look at.
SHOTS = Path("/tmp/voronka-shots")  # noqa: S108
CSV = (
    "Название;ИНН;E-mail;Сфера бизнеса\n"
    "ООО Альфа;7701234567;info@alfa.ru;Станкостроение\n"
    "ООО Бета;7709876543;beta@beta.ru;Логистика\n"
    "ООО Гамма;;not-an-email;Торговля\n"
)


@pytest.fixture(autouse=True)
def upload_dir(settings, tmp_path):
    settings.VAR_DIR = tmp_path
    return tmp_path / "imports"


@pytest.fixture
def worker(monkeypatch):
    """The import waits in the queue until the test runs the worker's task itself, so the
    page is seen while the job waits and then when it ends (the check still runs at once)."""
    from voronka.imports import tasks

    queued: list[tuple[int, str | None]] = []
    real = tasks.run_import_job

    def enqueue(job_id: int, language: str | None = None) -> None:
        if ImportJob.objects.get(pk=job_id).dry_run:
            real(job_id, language)
        else:
            queued.append((job_id, language))

    monkeypatch.setattr(tasks, "run_import_job", enqueue)

    def run() -> None:
        for job_id, language in queued:
            real.call_local(job_id, language)

    return queued, run


def test_the_head_of_sales_imports_companies_and_downloads_the_rejected_row(
    page: Page, live_server, transactional_db, personas, tmp_path, worker
):
    queued, run_worker = worker
    SHOTS.mkdir(parents=True, exist_ok=True)
    source = tmp_path / "компании.csv"
    source.write_text(CSV, encoding="utf-8")
    base = live_server.url
    page.goto(f"{base}/accounts/login/?next=/import/")
    page.fill("input[name=username]", "head")
    page.fill("input[name=password]", PASSWORD)
    page.press("input[name=password]", "Enter")
    page.wait_for_url(re.compile(r"/import/$"))
    expect(page.locator(".import-empty")).to_contain_text("Импортов пока не было.")
    page.get_by_role("link", name="Новый импорт").first.click()
    page.locator("#id_file").set_input_files(str(source))
    page.locator("#id_entity").select_option("companies")
    page.get_by_role("button", name="Загрузить и выбрать столбцы").click()

    page.wait_for_url(re.compile(r"/import/\d+/mapping/$"))
    rows = page.locator(".import-column-row")
    expect(rows).to_have_count(4)
    expect(rows.nth(0)).to_contain_text("ООО Альфа")
    expect(page.get_by_label("Название", exact=True)).to_have_value("name")
    expect(page.get_by_label("E-mail", exact=True)).to_have_value("email")
    industry = page.get_by_label("Сфера бизнеса")
    expect(industry).to_have_value("")
    industry.select_option("industry")
    page.screenshot(path=str(SHOTS / "import-mapping.png"), full_page=True)

    page.get_by_role("button", name="Проверить файл").click()
    page.wait_for_url(re.compile(r"/import/\d+/$"))
    expect(page.locator(".import-count-created")).to_contain_text("Будет создано")
    expect(page.locator(".import-count-created")).to_contain_text("2")
    expect(page.locator(".import-count-rejected")).to_contain_text("1")
    rejected_row = page.locator(".import-report tr.import-report-rejected")
    expect(rejected_row).to_contain_text("4")
    expect(rejected_row).to_contain_text("E-mail")
    assert Company.objects.count() == 0
    page.screenshot(path=str(SHOTS / "import-check.png"), full_page=True)

    page.get_by_role("button", name="Импортировать").click()
    bar = page.get_by_role("progressbar", name="Ход работы")
    expect(bar).to_be_visible()
    expect(page.locator("#import-progress")).to_contain_text("Ждёт фоновой обработки")
    page.screenshot(path=str(SHOTS / "import-waiting.png"), full_page=True)
    assert len(queued) == 1

    run_worker()  # the page, polling, reloads itself when the job is done

    expect(page.locator(".import-count-created")).to_contain_text("Создано", timeout=10_000)
    expect(bar).to_have_count(0)
    expect(page.locator(".import-count-created")).to_contain_text("2")
    expect(page.get_by_role("link", name="Открыть: Компании")).to_be_visible()
    page.screenshot(path=str(SHOTS / "import-report.png"), full_page=True)
    assert sorted(Company.objects.values_list("name", "industry")) == [
        ("ООО Альфа", "Станкостроение"),
        ("ООО Бета", "Логистика"),
    ]

    with page.expect_download() as download:
        page.get_by_role("link", name="Отклонённые строки (CSV)").click()
    content = Path(download.value.path()).read_bytes()
    assert content.startswith(b"\xef\xbb\xbf")
    # The reason is in the language the person used for the import.
    assert content.decode("utf-8-sig").splitlines()[1] == (
        "4,E-mail,не адрес e-mail: 'not-an-email',ООО Гамма,,not-an-email,Торговля"
    )

    page.goto(f"{base}/import/")
    expect(page.locator(".import-job-table tbody tr")).to_have_count(1)
    expect(page.locator(".import-job-table")).to_contain_text("компании.csv")
    page.screenshot(path=str(SHOTS / "import-list.png"), full_page=True)


def test_the_stage_values_follow_the_column_chosen_for_the_stage(
    page: Page, live_server, transactional_db, personas, stages, tmp_path
):
    source = tmp_path / "сделки.csv"
    source.write_text(
        "Сделка,Статус,Этап,Сумма\n"
        "Поставка станков,Горячая,Новая сделка,150000\n"
        "Сервис,Холодная,КП отправлено,20000\n",
        encoding="utf-8",
    )
    base = live_server.url
    page.goto(f"{base}/accounts/login/?next=/import/new/")
    page.fill("input[name=username]", "admin")
    page.fill("input[name=password]", PASSWORD)
    page.press("input[name=password]", "Enter")
    page.wait_for_url(re.compile(r"/import/new/$"))
    page.locator("#id_file").set_input_files(str(source))
    page.locator("#id_entity").select_option("deals")
    page.get_by_role("button", name="Загрузить и выбрать столбцы").press("Enter")
    page.wait_for_url(re.compile(r"/import/\d+/mapping/$"))

    table = page.locator("#stage-values")
    expect(table.get_by_label("Новая сделка")).to_have_value("")
    table.get_by_label("КП отправлено").select_option("Предложение")
    page.screenshot(path=str(SHOTS / "import-deals-mapping.png"), full_page=True)

    page.get_by_label("Этап", exact=True).select_option("")
    expect(table).to_contain_text("Выберите выше столбец с этапом сделки")
    page.get_by_label("Статус", exact=True).select_option("stage")
    expect(table.get_by_label("Горячая")).to_have_value("")
    expect(table.get_by_label("Холодная")).to_be_visible()
