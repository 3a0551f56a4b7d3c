"""The import wizard's services: who may import, how a mapping is saved and checked, and
the first guess of a mapping from a file's column names."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.core.exceptions import ValidationError

from tests.imports.test_views import csv_file
from voronka.core.errors import NotAllowed, StaleVersion
from voronka.imports import services
from voronka.imports.models import ImportJob, ImportMapping
from voronka.imports.suggest import field_choices, suggest_mapping


@pytest.fixture(autouse=True)
def upload_dir(settings, tmp_path):
    settings.VAR_DIR = tmp_path
    return tmp_path / "imports"


@pytest.fixture
def job(personas):
    return services.job_upload(actor=personas.head, entity="companies", upload=csv_file())


def state(job):
    row = ImportJob.objects.get(pk=job.pk)
    return (row.status, row.spec, row.version, row.all_or_nothing, row.created)


@pytest.mark.parametrize("who", ["lead", "alice", "bob", "support", "outsider"])
def test_only_admins_and_the_head_of_sales_may_upload(personas, who, upload_dir):
    with pytest.raises(NotAllowed):
        services.job_upload(actor=getattr(personas, who), entity="companies", upload=csv_file())

    assert ImportJob.objects.count() == 0
    assert not upload_dir.exists()


def test_the_upload_is_kept_in_a_folder_of_its_own_under_a_safe_name(personas, upload_dir):
    job = services.job_upload(
        actor=personas.admin, entity="companies", upload=csv_file(name="../../etc/мои данные.csv")
    )

    path = Path(job.path)
    assert (path.name, path.parent.parent) == ("мои_данные.csv", upload_dir)
    assert len(path.parent.name) == 32
    assert (job.filename, job.size, job.status) == (
        "мои данные.csv",
        path.stat().st_size,
        "uploaded",
    )


def test_the_first_mapping_is_guessed_from_the_column_names(job):
    assert job.spec == {
        "entity": "companies",
        "fields": {"name": "Название", "tax_id": "ИНН", "email": "E-mail", "phone": "Телефон"},
    }


def test_another_head_of_sales_may_not_change_a_job_but_an_admin_may(personas, job):
    from voronka.accounts.services import user_create

    other_head = user_create(
        username="head2", password="x-Passw0rd-42", role="head_of_sales", email="h2@example.com"
    )
    before = state(job)

    with pytest.raises(NotAllowed):
        services.job_update_mapping(
            actor=other_head, job=job, spec=job.spec, all_or_nothing=True, version=job.version
        )
    with pytest.raises(NotAllowed):
        services.job_check(actor=other_head, job=job, version=job.version)
    assert state(job) == before

    services.job_update_mapping(
        actor=personas.admin, job=job, spec=job.spec, all_or_nothing=True, version=job.version
    )
    assert state(job)[3] is True


def test_a_stale_version_changes_nothing(personas, job):
    before = state(job)

    with pytest.raises(StaleVersion):
        services.job_update_mapping(
            actor=personas.head, job=job, spec={"fields": {"name": "ИНН"}}, all_or_nothing=False,
            version=job.version + 5,
        )  # fmt: skip

    assert state(job) == before


def test_a_mapping_problem_names_its_place_in_the_json(personas, job):
    cases = [
        ({"fields": {"name": "Название", "tax_id": {"colum": "ИНН"}}},
         "fields.tax_id.FieldMap.colum: Extra inputs are not permitted"),
        ({"fields": {"tax_id": "ИНН"}},
         "fields.name: required; map a column to it or give a default"),
        ({"fields": {"name": "Наименование"}},
         "the file has no column 'Наименование' (its columns: Название, ИНН, E-mail, Телефон)"),
        ({"entity": "deals", "fields": {}}, "entity: the mapping is for deals, not companies"),
    ]  # fmt: skip
    for spec, message in cases:
        with pytest.raises(ValidationError) as refused:
            services.job_update_mapping(
                actor=personas.head, job=job, spec=spec, all_or_nothing=False,
                version=job.version,
            )  # fmt: skip
        assert refused.value.message_dict["spec"][0].startswith(message), spec


def test_a_changed_mapping_undoes_the_check_and_an_unchanged_one_keeps_it(
    personas, job, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        services.job_check(actor=personas.head, job=job, version=job.version)
    job.refresh_from_db()

    job = services.job_update_mapping(
        actor=personas.head, job=job, spec=job.spec, all_or_nothing=False, version=job.version
    )
    assert (job.status, job.created, job.rejected) == ("checked", 2, 1)

    spec = {**job.spec, "fields": {"name": "Название"}}
    job = services.job_update_mapping(
        actor=personas.head, job=job, spec=spec, all_or_nothing=False, version=job.version
    )
    assert (job.status, job.created, job.rejected, job.report_path) == ("uploaded", 0, 0, "")


def test_the_import_cannot_start_twice_or_after_a_failed_run(
    personas, job, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        services.job_start(actor=personas.head, job=job, version=job.version)
    job.refresh_from_db()

    with pytest.raises(ValidationError) as refused:
        services.job_start(actor=personas.head, job=job, version=job.version)
    assert refused.value.messages == ["The import is running or done already."]

    ImportJob.objects.filter(pk=job.pk).update(status="failed")
    job.refresh_from_db()
    with pytest.raises(ValidationError) as refused:
        services.job_start(actor=personas.head, job=job, version=job.version)
    assert refused.value.messages == ["Fix the mapping first: the last run failed."]


def test_a_saved_mapping_keeps_the_mapping_for_the_next_file(personas, job):
    services.job_update_mapping(
        actor=personas.head, job=job, spec=job.spec, all_or_nothing=False, version=job.version,
        save_as="  Компании   из 1С ",
    )  # fmt: skip

    saved = ImportMapping.objects.get()
    assert (saved.name, saved.spec, ImportJob.objects.get().mapping) == (
        "Компании из 1С", job.spec, saved,
    )  # fmt: skip
    assert services.mapping_json(saved).startswith('{\n  "entity": "companies",\n')


@pytest.mark.parametrize(
    ("entity", "header", "fields"),
    [
        ("companies", ["Компания", "ИНН", "Почта", "Телефон", "Ответственный", "Сайт"],
         {"name": "Компания", "tax_id": "ИНН", "email": "Почта", "phone": "Телефон",
          "owner": "Ответственный", "website": "Сайт"}),
        ("companies", ["Company", "Phone", "E-mail", "Owner", "Notes"],
         {"name": "Company", "phone": "Phone", "email": "E-mail", "owner": "Owner",
          "notes": "Notes"}),
        ("deals", ["Название", "Стадия", "Сумма", "Ответственный", "Клиент", "Дата закрытия"],
         {"title": "Название", "stage": "Стадия", "amount": "Сумма", "owner": "Ответственный",
          "company": "Клиент", "closed_at": "Дата закрытия"}),
        ("deals", ["opportunity_id", "sales_agent", "product", "account", "deal_stage",
                   "engage_date", "close_date", "close_value"],
         {"owner": "sales_agent", "product": "product", "company": "account",
          "stage": "deal_stage", "created_at": "engage_date", "closed_at": "close_date",
          "amount": "close_value"}),
        ("contacts", ["ФИО", "Должность", "Компания", "E-mail"],
         {"full_name": "ФИО", "position": "Должность", "company": "Компания", "email": "E-mail"}),
        ("leads", ["Заявка", "Компания", "Контактное лицо", "Телефон", "utm_source"],
         {"title": "Заявка", "company_name": "Компания", "contact_name": "Контактное лицо",
          "phone": "Телефон", "utm_source": "utm_source"}),
        ("products", ["Наименование", "Артикул", "Цена", "Категория"],
         {"name": "Наименование", "sku": "Артикул", "price": "Цена", "category": "Категория"}),
    ],
)  # fmt: skip
def test_column_names_in_russian_or_english_suggest_their_fields(entity, header, fields):
    assert suggest_mapping(entity, header)["fields"] == fields


def test_an_id_column_becomes_the_external_id_and_a_field_takes_one_column(personas):
    spec = suggest_mapping("companies", ["ID", "Название", "Наименование"])

    assert spec == {"entity": "companies", "external_id": "ID", "fields": {"name": "Название"}}


def test_required_fields_come_first_in_the_choices():
    names = [name for name, _label, _required in field_choices("deals")]

    assert names[:2] == ["stage", "title"]
    assert sorted(names) == sorted(
        ["title", "pipeline", "stage", "owner", "company", "contact", "lead", "amount",
         "currency", "exchange_rate", "expected_close_date", "created_at", "closed_at",
         "stage_entered_at", "lost_reason", "lost_comment", "source", "notes", "product",
         "quantity"]
    )  # fmt: skip
