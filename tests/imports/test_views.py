"""The import wizard's pages: upload, columns, check, import, report and downloads, and
who may use them."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from tests import factories
from voronka.activities.models import Notification
from voronka.clients.models import Company
from voronka.imports.models import ImportJob, ImportMapping
from voronka.sales.models import Deal

HTMX = {"HTTP_HX_REQUEST": "true"}
COMPANIES_CSV = (
    "Название;ИНН;E-mail;Телефон\n"
    "ООО Альфа;7701234567;info@alfa.ru;+7 495 111-22-33\n"
    "ООО Бета;7709876543;beta@beta.ru;\n"
    "ООО Гамма;;not-an-email;\n"
)


@pytest.fixture(autouse=True)
def upload_dir(settings, tmp_path):
    """Uploads go to a folder of the test's own."""
    settings.VAR_DIR = tmp_path
    return tmp_path / "imports"


def as_(client, user):
    """Log in; pages answer in English unless a test asks for Russian."""
    client.force_login(user)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


def csv_file(text: str = COMPANIES_CSV, name: str = "компании.csv", encoding: str = "utf-8"):
    return SimpleUploadedFile(name, text.encode(encoding), content_type="text/csv")


def upload(client, entity="companies", file=None, **extra):
    data = {"entity": entity, "file": file or csv_file(), **extra}
    return client.post(reverse("imports:job-create"), data)


def mapping_post(response, **changes):
    """What the mapping page's form sends as it stands, with ``changes`` made."""
    form = response.context["form"]
    data = {}
    for name in form.fields:
        value = form[name].value()
        if value is None or value is False:
            continue
        data[name] = "on" if value is True else (value.pk if hasattr(value, "pk") else value)
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def column_field(response, column: str) -> str:
    form = response.context["form"]
    return next(c["bound"].name for c in form.columns if c["name"] == column)


def job_state(job):
    row = ImportJob.objects.get(pk=job.pk)
    return (row.status, row.spec, row.version, row.created, row.rejected, row.all_or_nothing)


@pytest.fixture
def company_job(client, personas):
    """The head of sales has uploaded the three companies."""
    as_(client, personas.head)
    upload(client)
    return ImportJob.objects.get()


# --- The whole way ------------------------------------------------------------------------


def test_the_head_of_sales_uploads_checks_and_imports_three_companies(
    client, personas, django_capture_on_commit_callbacks, upload_dir
):
    as_(client, personas.head)
    assert client.get(reverse("imports:job-create")).status_code == 200

    response = upload(client)

    job = ImportJob.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("imports:job-mapping", args=[job.pk])
    assert (job.entity, job.filename, job.status, job.created_by) == (
        "companies", "компании.csv", "uploaded", personas.head,
    )  # fmt: skip
    stored = Path(job.path)
    assert stored.parent.parent == upload_dir
    assert stored.read_text(encoding="utf-8") == COMPANIES_CSV

    page = client.get(reverse("imports:job-mapping", args=[job.pk]))
    assert page.status_code == 200
    columns = page.context["form"].columns
    assert [c["name"] for c in columns] == ["Название", "ИНН", "E-mail", "Телефон"]
    assert columns[2]["samples"] == ["info@alfa.ru", "beta@beta.ru", "not-an-email"]
    assert [c["bound"].value() for c in columns] == ["name", "tax_id", "email", "phone"]

    with django_capture_on_commit_callbacks(execute=True):
        checked = client.post(
            reverse("imports:job-mapping", args=[job.pk]), mapping_post(page, action="check")
        )

    assert checked.status_code == 302
    assert checked["Location"] == reverse("imports:job-detail", args=[job.pk])
    job.refresh_from_db()
    assert (job.status, job.dry_run, job.total_rows, job.processed_rows) == ("checked", True, 3, 3)
    assert (job.created, job.updated, job.skipped, job.rejected) == (2, 0, 0, 1)
    assert Company.objects.count() == 0
    detail = client.get(reverse("imports:job-detail", args=[job.pk]))
    rejected = [r for r in detail.context["report"] if r.result == "rejected"]
    assert [(r.line, r.column, r.record_id) for r in rejected] == [(4, "E-mail", None)]
    assert rejected[0].reason == "not an e-mail address: 'not-an-email'"
    assert [r.line for r in detail.context["report"]] == [2, 3, 4]
    assert "Would be created" in detail.content.decode()

    with django_capture_on_commit_callbacks(execute=True):
        started = client.post(reverse("imports:job-start", args=[job.pk]), {"version": job.version})

    assert started.status_code == 302
    job.refresh_from_db()
    assert (job.status, job.dry_run, job.created, job.rejected) == ("done", False, 2, 1)
    companies = Company.objects.order_by("name")
    assert [(c.name, c.tax_id, c.email, c.owner_id) for c in companies] == [
        ("ООО Альфа", "7701234567", "info@alfa.ru", personas.head.pk),
        ("ООО Бета", "7709876543", "beta@beta.ru", personas.head.pk),
    ]
    done = client.get(reverse("imports:job-detail", args=[job.pk]))
    assert done.context["records_url"] == reverse("clients:company-list")
    links = [r.link for r in done.context["report"] if r.result == "created"]
    assert links == [reverse("clients:company-detail", args=[c.pk]) for c in companies]

    download = client.get(reverse("imports:job-rejected", args=[job.pk]))
    assert download.status_code == 200
    body = b"".join(download.streaming_content)
    assert body.startswith(b"\xef\xbb\xbf")
    assert body.decode("utf-8-sig").splitlines() == [
        "line,column,reason,Название,ИНН,E-mail,Телефон",
        "4,E-mail,not an e-mail address: 'not-an-email',ООО Гамма,,not-an-email,",
    ]
    report = client.get(reverse("imports:job-report", args=[job.pk]))
    assert b"".join(report.streaming_content).decode("utf-8-sig").splitlines()[0] == (
        "line,result,id,column,reason"
    )
    note = Notification.objects.get(recipient=personas.head, kind="import_finished")
    assert note.url == reverse("imports:job-detail", args=[job.pk])
    # In the language of its reader: the head of sales has not chosen one, so Russian.
    assert (
        note.title == "Импорт «компании.csv» завершён: создано — 2, обновлено — 0, отклонено — 1."
    )


def test_the_pages_speak_russian(client, personas, company_job):
    as_(client, personas.head)
    page = client.get(
        reverse("imports:job-mapping", args=[company_job.pk]), HTTP_ACCEPT_LANGUAGE="ru"
    )
    text = page.content.decode()
    assert "Столбец в файле" in text
    assert "— не загружать —" in text
    listing = client.get(reverse("imports:job-list"), HTTP_ACCEPT_LANGUAGE="ru")
    assert "Новый импорт" in listing.content.decode()


def test_the_job_page_polls_while_the_worker_runs_and_reloads_when_it_is_done(
    client, personas, company_job
):
    ImportJob.objects.filter(pk=company_job.pk).update(
        status="running", total_rows=4, processed_rows=1
    )
    Path(company_job.path).with_name("progress").write_text("3")
    as_(client, personas.head)

    page = client.get(reverse("imports:job-detail", args=[company_job.pk]))
    assert page.context["percent"] == 75
    assert 'hx-trigger="every 1s"' in page.content.decode()

    fragment = client.get(reverse("imports:job-detail", args=[company_job.pk]), **HTMX)
    assert "HX-Refresh" not in fragment
    assert 'aria-valuenow="75"' in fragment.content.decode()

    ImportJob.objects.filter(pk=company_job.pk).update(status="done")
    finished = client.get(reverse("imports:job-detail", args=[company_job.pk]), **HTMX)
    assert finished["HX-Refresh"] == "true"


# --- Upload -------------------------------------------------------------------------------


def test_an_empty_file_is_refused_naming_the_file_field_and_no_job_is_made(
    client, personas, upload_dir
):
    as_(client, personas.head)

    response = upload(client, file=SimpleUploadedFile("пусто.csv", b"", "text/csv"))

    assert response.status_code == 422
    assert response.context["form"].errors == {
        "file": ["«пусто.csv» cannot be read: the file is empty (0 bytes)"]
    }
    assert ImportJob.objects.count() == 0
    assert not upload_dir.exists() or list(upload_dir.iterdir()) == []


def test_a_file_over_the_size_limit_is_refused(client, personas, settings):
    settings.IMPORT_MAX_UPLOAD = 100
    as_(client, personas.head)

    response = upload(client, file=csv_file(COMPANIES_CSV * 3))

    assert response.status_code == 422
    assert response.context["form"].errors["file"] == [
        "The file is 537\xa0bytes; the largest file accepted is 100\xa0bytes."
    ]
    assert ImportJob.objects.count() == 0


def test_an_old_excel_file_is_refused_with_advice(client, personas):
    as_(client, personas.head)

    response = upload(client, file=SimpleUploadedFile("old.xls", b"\xd0\xcf\x11\xe0"))

    assert response.context["form"].errors["file"] == [
        "Choose a CSV or XLSX file (an old .xls file: save it as .xlsx first)."
    ]
    assert ImportJob.objects.count() == 0


def test_an_xlsx_file_shows_its_columns_and_first_values(client, personas, tmp_path):
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append(["Наименование", "Цена", "Артикул"])
    sheet.append(["Станок ЧПУ", 1250000, "ST-1"])
    path = tmp_path / "товары.xlsx"
    book.save(path)
    as_(client, personas.admin)

    upload(client, entity="products", file=SimpleUploadedFile(path.name, path.read_bytes()))

    job = ImportJob.objects.get()
    page = client.get(reverse("imports:job-mapping", args=[job.pk]))
    columns = page.context["form"].columns
    assert [(c["name"], c["samples"], c["bound"].value()) for c in columns] == [
        ("Наименование", ["Станок ЧПУ"], "name"),
        ("Цена", [1250000], "price"),
        ("Артикул", ["ST-1"], "sku"),
    ]


def test_a_windows_1251_file_is_read_and_the_check_says_so(
    client, personas, django_capture_on_commit_callbacks
):
    as_(client, personas.head)
    upload(client, file=csv_file(encoding="cp1251"))
    job = ImportJob.objects.get()
    page = client.get(reverse("imports:job-mapping", args=[job.pk]))

    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            reverse("imports:job-mapping", args=[job.pk]), mapping_post(page, action="check")
        )

    detail = client.get(reverse("imports:job-detail", args=[job.pk]))
    assert detail.context["message_lines"] == [
        "The file is not UTF-8; it was read as Windows-1251."
    ]
    assert (detail.context["job"].created, detail.context["job"].rejected) == (2, 1)


# --- Mapping ------------------------------------------------------------------------------


def test_changing_a_column_and_options_saves_them_in_the_mapping(client, personas, company_job):
    as_(client, personas.head)
    url = reverse("imports:job-mapping", args=[company_job.pk])
    page = client.get(url)

    response = client.post(
        url,
        mapping_post(
            page,
            **{column_field(page, "Телефон"): "", column_field(page, "ИНН"): ""},
            external_id="ИНН",
            date_format="%d.%m.%Y",
            on_match="skip",
            all_or_nothing="on",
            action="save",
        ),
    )

    assert response.status_code == 302
    company_job.refresh_from_db()
    assert company_job.spec == {
        "entity": "companies",
        "external_id": "ИНН",
        "on_match": "skip",
        "date_format": "%d.%m.%Y",
        "fields": {"name": "Название", "email": "E-mail"},
    }
    assert (company_job.all_or_nothing, company_job.version, company_job.status) == (
        True, 2, "uploaded",
    )  # fmt: skip


def test_a_required_field_left_out_is_named(client, personas, company_job):
    as_(client, personas.head)
    url = reverse("imports:job-mapping", args=[company_job.pk])
    page = client.get(url)
    before = job_state(company_job)

    response = client.post(
        url, mapping_post(page, **{column_field(page, "Название"): ""}, action="check")
    )

    assert response.status_code == 422
    assert response.context["form"].non_field_errors() == [
        "Choose the column for «Name»: every record needs it."
    ]
    assert job_state(company_job) == before


def test_two_columns_for_one_field_are_refused(client, personas, company_job):
    as_(client, personas.head)
    url = reverse("imports:job-mapping", args=[company_job.pk])
    page = client.get(url)

    response = client.post(
        url, mapping_post(page, **{column_field(page, "Телефон"): "email"}, action="save")
    )

    assert response.status_code == 422
    assert response.context["form"].errors[column_field(page, "Телефон")] == [
        "«E-mail» is taken by the column «E-mail» already."
    ]


def test_an_edited_json_mapping_wins_and_a_bad_one_is_shown_with_its_place(
    client, personas, company_job
):
    as_(client, personas.head)
    url = reverse("imports:job-mapping", args=[company_job.pk])
    page = client.get(url)
    before = job_state(company_job)

    bad = {"entity": "companies", "on_match": "maybe", "fields": {"name": "Название"}}
    response = client.post(url, mapping_post(page, spec=json.dumps(bad), action="save"))
    assert response.status_code == 422
    assert response.context["form"].errors["spec"] == [
        "on_match: Input should be 'update' or 'skip'"
    ]
    assert response.context["json_open"] is True

    unknown = {"fields": {"name": "Название", "colour": "ИНН"}}
    response = client.post(url, mapping_post(page, spec=json.dumps(unknown), action="save"))
    assert (
        response.context["form"]
        .errors["spec"][0]
        .startswith("fields.colour: companies have no such field (")
    )

    response = client.post(url, mapping_post(page, spec='{"fields": {', action="save"))
    assert response.context["form"].errors["spec"] == [
        "Not valid JSON: line 1, column 13: Expecting property name enclosed in double quotes"
    ]
    assert job_state(company_job) == before

    good = {
        "fields": {
            "name": "Название",
            "industry": {"default": "Машиностроение"},
            "tax_id": {"column": "ИНН", "blank": ["-"]},
        }
    }
    response = client.post(url, mapping_post(page, spec=json.dumps(good), action="save"))
    assert response.status_code == 302
    company_job.refresh_from_db()
    assert company_job.spec == {
        "entity": "companies",
        "fields": {
            "name": "Название",
            "industry": {"default": "Машиностроение"},
            "tax_id": {"column": "ИНН", "blank": ["-"]},
        },
    }

    # Back on the table: what it cannot show (a default, blank values) stays.
    page = client.get(url)
    response = client.post(url, mapping_post(page, **{column_field(page, "Телефон"): "phone"}))
    company_job.refresh_from_db()
    assert company_job.spec["fields"] == {
        "name": "Название",
        "industry": {"default": "Машиностроение"},
        "tax_id": {"column": "ИНН", "blank": ["-"]},
        "phone": "Телефон",
    }


def test_two_tabs_cannot_overwrite_each_others_mapping(client, personas, company_job):
    as_(client, personas.head)
    url = reverse("imports:job-mapping", args=[company_job.pk])
    first_tab = client.get(url)
    second_tab = client.get(url)
    client.post(url, mapping_post(first_tab, **{column_field(first_tab, "Телефон"): ""}))
    company_job.refresh_from_db()
    saved = job_state(company_job)

    response = client.post(url, mapping_post(second_tab, on_match="skip"))

    assert response.status_code == 422
    assert response.context["form"].non_field_errors() == [
        "This record was changed by someone else while you were editing it. "
        "Reload it to see their changes; your changes were not saved."
    ]
    assert job_state(company_job) == saved
    assert "phone" not in saved[1]["fields"]


def test_a_saved_mapping_is_reused_for_the_next_file_and_downloads_as_json(
    client, personas, company_job
):
    as_(client, personas.head)
    url = reverse("imports:job-mapping", args=[company_job.pk])
    page = client.get(url)
    client.post(
        url,
        mapping_post(
            page, **{column_field(page, "Телефон"): ""}, save_as="Компании из 1С", action="save"
        ),
    )
    saved = ImportMapping.objects.get()
    assert (saved.name, saved.entity, saved.created_by) == (
        "Компании из 1С", "companies", personas.head,
    )  # fmt: skip
    assert saved.spec == {
        "entity": "companies",
        "fields": {"name": "Название", "tax_id": "ИНН", "email": "E-mail"},
    }

    upload(client, file=csv_file(name="ещё.csv"), mapping=saved.pk)

    second = ImportJob.objects.latest("pk")
    assert (second.mapping, second.spec) == (saved, saved.spec)
    page = client.get(reverse("imports:job-mapping", args=[second.pk]))
    assert [c["bound"].value() for c in page.context["form"].columns] == [
        "name", "tax_id", "email", "",
    ]  # fmt: skip

    download = client.get(reverse("imports:mapping-download", args=[saved.pk]))
    assert download.status_code == 200
    assert download["Content-Type"] == "application/json; charset=utf-8"
    assert "companies-" in download["Content-Disposition"]
    assert json.loads(download.content) == saved.spec

    listing = client.get(reverse("imports:job-list"))
    assert listing.context["mappings"] == [saved]


def test_a_mapping_name_taken_is_a_form_error(client, personas, company_job):
    ImportMapping.objects.create(name="Компании из 1С", entity="companies", spec={})
    as_(client, personas.head)
    url = reverse("imports:job-mapping", args=[company_job.pk])
    page = client.get(url)
    before = job_state(company_job)

    response = client.post(url, mapping_post(page, save_as="компании из 1с"))

    assert response.status_code == 422
    assert response.context["form"].errors["save_as"] == [
        "A mapping named «компании из 1с» for companies exists already; choose another name."
    ]
    assert job_state(company_job) == before
    assert ImportMapping.objects.count() == 1


def test_a_saved_mapping_for_other_records_is_refused_at_upload(client, personas):
    contacts = ImportMapping.objects.create(name="Контакты", entity="contacts", spec={})
    as_(client, personas.head)

    response = upload(client, mapping=contacts.pk)

    assert response.context["form"].errors["mapping"] == [
        "This mapping is for contacts; choose one for companies."
    ]
    assert ImportJob.objects.count() == 0


DEALS_CSV = (
    "Сделка;Клиент;Этап;Сумма\n"
    "Поставка станков;ООО Альфа;Новая сделка;150000\n"
    "Сервис;ООО Альфа;КП отправлено;20000,50\n"
    "Запчасти;ООО Альфа;Переговоры;5000\n"
    "Ремонт;ООО Альфа;новая сделка;1000\n"
)


def test_the_stage_values_of_deals_are_translated_to_the_pipelines_stages(
    client, personas, stages, django_capture_on_commit_callbacks
):
    factories.company(personas.head, name="ООО Альфа")
    as_(client, personas.head)
    upload(client, entity="deals", file=csv_file(DEALS_CSV, name="сделки.csv"))
    job = ImportJob.objects.get()
    url = reverse("imports:job-mapping", args=[job.pk])
    page = client.get(url)
    form = page.context["form"]
    assert [c["bound"].value() for c in form.columns] == ["title", "company", "stage", "amount"]
    assert [(r["source"], r["bound"].value()) for r in form.stage_rows] == [
        ("Новая сделка", ""),
        ("КП отправлено", ""),
        ("Переговоры", "Переговоры"),
    ]
    assert form["pipeline"].value() == stages["new"].pipeline_id
    translated = {r["source"]: r["bound"].name for r in form.stage_rows}

    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            url,
            mapping_post(
                page,
                **{translated["Новая сделка"]: "Новая", translated["КП отправлено"]: "Предложение"},
                action="check",
            ),
        )

    job.refresh_from_db()
    assert job.spec["fields"]["stage"] == {
        "column": "Этап",
        "values": {"Новая сделка": "Новая", "КП отправлено": "Предложение"},
    }
    assert job.spec["fields"]["pipeline"] == {"default": "Продажи"}
    assert (job.status, job.created, job.rejected) == ("checked", 4, 0)

    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("imports:job-start", args=[job.pk]), {"version": job.version})

    deals = Deal.objects.order_by("title")
    assert [(d.title, d.stage.name, d.amount) for d in deals] == [
        ("Запчасти", "Переговоры", Decimal("5000.00")),
        ("Поставка станков", "Новая", Decimal("150000.00")),
        ("Ремонт", "Новая", Decimal("1000.00")),
        ("Сервис", "Предложение", Decimal("20000.50")),
    ]
    assert (
        reverse("sales:deal-list")
        == client.get(reverse("imports:job-detail", args=[job.pk])).context["records_url"]
    )


def test_the_stage_table_follows_the_column_chosen_for_the_stage(client, personas, stages):
    as_(client, personas.head)
    upload(client, entity="deals", file=csv_file(DEALS_CSV, name="сделки.csv"))
    job = ImportJob.objects.get()
    page = client.get(reverse("imports:job-mapping", args=[job.pk]))
    choices = {c["bound"].name: c["bound"].value() for c in page.context["form"].columns}
    choices[column_field(page, "Этап")] = ""
    choices[column_field(page, "Клиент")] = "stage"

    fragment = client.get(reverse("imports:job-stage-values", args=[job.pk]), choices, **HTMX)

    html = fragment.content.decode()
    assert fragment.status_code == 200
    assert html.lstrip().startswith('<div id="stage-values"')
    assert "the column «Клиент»" in html
    assert '<label for="id_stage_0">ООО Альфа</label>' in html
    assert "id_stage_1" not in html

    choices[column_field(page, "Клиент")] = ""
    choices[column_field(page, "Этап")] = "stage"
    back = client.get(reverse("imports:job-stage-values", args=[job.pk]), choices, **HTMX)
    html = back.content.decode()
    assert '<label for="id_stage_2">Переговоры</label>' in html
    # The value named like a stage starts on it, as on the full page.
    assert html.count('<option value="Переговоры" selected>') == 1


# --- Who may --------------------------------------------------------------------------------


def _every_page(job, mapping):
    return [
        ("get", reverse("imports:job-list"), {}),
        ("get", reverse("imports:job-create"), {}),
        ("post", reverse("imports:job-create"), {"entity": "companies", "file": csv_file()}),
        ("get", reverse("imports:job-detail", args=[job.pk]), {}),
        ("get", reverse("imports:job-mapping", args=[job.pk]), {}),
        ("post", reverse("imports:job-mapping", args=[job.pk]),
         {"version": job.version, "col_0": "name", "action": "check"}),
        ("get", reverse("imports:job-stage-values", args=[job.pk]), {}),
        ("post", reverse("imports:job-start", args=[job.pk]), {"version": job.version}),
        ("get", reverse("imports:job-rejected", args=[job.pk]), {}),
        ("get", reverse("imports:job-report", args=[job.pk]), {}),
        ("get", reverse("imports:mapping-download", args=[mapping.pk]), {}),
    ]  # fmt: skip


@pytest.mark.parametrize("who", ["lead", "alice", "bob", "support", "outsider"])
def test_everyone_but_admins_and_the_head_of_sales_gets_403_on_every_page(
    client, personas, company_job, who, django_capture_on_commit_callbacks
):
    mapping = ImportMapping.objects.create(name="Компании", entity="companies", spec={})
    before = (job_state(company_job), ImportJob.objects.count(), ImportMapping.objects.count())
    as_(client, getattr(personas, who))

    with django_capture_on_commit_callbacks(execute=True):
        for method, url, data in _every_page(company_job, mapping):
            response = getattr(client, method)(url, data)
            assert (url, response.status_code) == (url, 403)

    after = (job_state(company_job), ImportJob.objects.count(), ImportMapping.objects.count())
    assert after == before
    assert Company.objects.count() == 0


def test_a_visitor_who_is_not_logged_in_is_sent_to_the_login_page(client, company_job):
    client.logout()
    response = client.get(reverse("imports:job-detail", args=[company_job.pk]))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


def test_the_head_of_sales_cannot_open_the_administrators_import(
    client, personas, django_capture_on_commit_callbacks
):
    as_(client, personas.admin)
    upload(client)
    job = ImportJob.objects.get()
    mapping = ImportMapping.objects.create(name="Компании", entity="companies", spec={})
    before = job_state(job)
    as_(client, personas.head)

    with django_capture_on_commit_callbacks(execute=True):
        for method, url, data in _every_page(job, mapping)[3:10]:
            response = getattr(client, method)(url, data)
            assert (url, response.status_code) == (url, 404)

    assert job_state(job) == before
    assert client.get(reverse("imports:job-list")).context["jobs"] == []


def test_the_administrator_sees_every_import(client, personas, company_job):
    as_(client, personas.admin)

    listing = client.get(reverse("imports:job-list"))
    assert listing.context["jobs"] == [company_job]
    assert client.get(reverse("imports:job-detail", args=[company_job.pk])).status_code == 200


def test_the_list_explains_what_can_be_imported_when_there_is_nothing(client, personas):
    as_(client, personas.head)

    response = client.get(reverse("imports:job-list"))

    text = response.content.decode()
    assert response.context["jobs"] == []
    assert "No imports yet." in text
    assert "deals with their stages, amounts, products and the dates of their history;" in text
    assert "CSV in UTF-8 or Windows-1251" in text
    assert "XLSX" in text


def test_the_job_list_costs_the_same_queries_for_one_job_or_many(
    client, personas, django_assert_max_num_queries
):
    as_(client, personas.admin)
    upload(client)
    with django_assert_max_num_queries(9) as one:
        client.get(reverse("imports:job-list"))
    queries_for_one = len(one.captured_queries)
    for n in range(6):
        upload(client, file=csv_file(name=f"файл-{n}.csv"))
    as_(client, personas.head)
    for n in range(3):
        upload(client, file=csv_file(name=f"ещё-{n}.csv"))
    as_(client, personas.admin)

    with django_assert_max_num_queries(queries_for_one):
        response = client.get(reverse("imports:job-list"))

    assert len(response.context["jobs"]) == 10
    assert {j.created_by.username for j in response.context["jobs"]} == {"admin", "head"}


def test_a_double_click_on_check_runs_one_check(
    client, personas, company_job, django_capture_on_commit_callbacks
):
    as_(client, personas.head)
    url = reverse("imports:job-mapping", args=[company_job.pk])
    page = client.get(url)
    data = mapping_post(page, action="check")
    with django_capture_on_commit_callbacks(execute=False) as queued:
        first = client.post(url, data)
        second = client.post(url, data)

    assert (first.status_code, second.status_code) == (302, 302)
    assert second["Location"] == reverse("imports:job-detail", args=[company_job.pk])
    assert len(queued) == 1


def test_a_file_that_cannot_be_read_any_more_is_explained_on_the_mapping_page(
    client, personas, company_job
):
    as_(client, personas.head)
    page = client.get(reverse("imports:job-mapping", args=[company_job.pk]))
    data = mapping_post(page, action="check")
    Path(company_job.path).write_bytes(b"")
    before = job_state(company_job)

    response = client.post(reverse("imports:job-mapping", args=[company_job.pk]), data)

    assert response.status_code == 422
    assert response.context["problem"] == "the file is empty (0 bytes)"
    assert "The file cannot be read: the file is empty (0 bytes)" in response.content.decode()
    assert job_state(company_job) == before


def test_the_reasons_in_the_report_speak_the_language_of_the_person_checking(
    client, personas, django_capture_on_commit_callbacks
):
    as_(client, personas.head)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "ru"
    upload(client)
    job = ImportJob.objects.get()
    page = client.get(reverse("imports:job-mapping", args=[job.pk]))
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            reverse("imports:job-mapping", args=[job.pk]), mapping_post(page, action="check")
        )
    detail = client.get(reverse("imports:job-detail", args=[job.pk]))
    rejected = [r for r in detail.context["report"] if r.result == "rejected"]
    assert [r.reason for r in rejected] == ["не адрес e-mail: 'not-an-email'"]
