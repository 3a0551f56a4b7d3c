"""Requests from an ordinary table (one row per request), as the import page takes them."""

from __future__ import annotations

from pathlib import Path

import pytest

from voronka.imports.engine import import_file
from voronka.imports.spec import parse_mapping
from voronka.imports.suggest import suggest_mapping

pytestmark = pytest.mark.django_db

HEADER = [
    "№",
    "Тема",
    "Клиент",
    "E-mail",
    "Тип",
    "Приоритет",
    "Поступило",
    "Первый ответ",
    "Решено",
]
ROWS = [
    ["7", "Не пришёл счёт", "ООО Вектор", "buh@vector.example", "question", "high",
     "02.03.2026 10:00", "02.03.2026 10:45", "03.03.2026 12:00"],
    ["8", "Брак в партии", "ООО Вектор", "buh@vector.example", "complaint", "urgent",
     "04.03.2026 09:30", "", ""],
]  # fmt: skip


def write(tmp_path: Path) -> Path:
    path = tmp_path / "requests.csv"
    lines = [";".join(HEADER), *(";".join(row) for row in ROWS)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_the_wizard_recognises_a_request_table():
    spec = suggest_mapping("requests", HEADER)

    fields = spec["fields"]
    assert fields["subject"] == "Тема"
    assert fields["client_email"] == "E-mail"
    assert fields["kind"] == "Тип"
    assert fields["priority"] == "Приоритет"
    assert fields["created_at"] == "Поступило"
    assert fields["first_response_at"] == "Первый ответ"
    assert fields["resolved_at"] == "Решено"


def test_a_request_table_imports_with_its_timings(tmp_path, personas):
    from voronka.service.models import Request

    mapping = parse_mapping({
        "entity": "requests", "system": "old-helpdesk", "external_id": "№",
        "date_format": "%d.%m.%Y %H:%M", "delimiter": ";",
        "fields": {
            "subject": "Тема", "company": {"column": "Клиент", "create": True},
            "client_email": "E-mail", "kind": "Тип", "priority": "Приоритет",
            "created_at": "Поступило", "first_response_at": "Первый ответ",
            "resolved_at": "Решено",
        },
    })  # fmt: skip

    outcome = import_file(write(tmp_path), mapping, actor=personas.head)

    assert (outcome.created, outcome.rejected) == (2, 0), outcome.sample
    answered, open_one = Request.objects.order_by("created_at")
    assert (answered.status, answered.company.name) == ("resolved", "ООО Вектор")
    assert (answered.resolved_at - answered.created_at).total_seconds() == 26 * 3600
    assert (answered.first_response_at - answered.created_at).total_seconds() == 45 * 60
    assert (open_one.status, open_one.kind, open_one.resolved_at) == ("new", "complaint", None)
