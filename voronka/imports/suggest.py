"""What a file's columns probably mean: human labels of the fields an import fills, and a
first guess of the mapping from the column names.

The guess matches a column to a field by the field's own name (``tax_id``), by its label
in either language («ИНН», "Tax ID") and by the names other systems and spreadsheets use
for it («Наименование», «Почта», "Owner" …). It is only a guess: the mapping page shows
it and the person changes what is wrong.
"""

from __future__ import annotations

import re
from typing import Any

from django.utils import translation
from django.utils.functional import Promise
from django.utils.translation import pgettext_lazy

from voronka.imports.targets import TARGETS

FIELD_LABELS: dict[str, Promise | str] = {
    "name": pgettext_lazy("import field", "Name"),
    "tax_id": pgettext_lazy("import field", "Tax ID (INN)"),
    "website": pgettext_lazy("import field", "Website"),
    "industry": pgettext_lazy("import field", "Industry"),
    "phone": pgettext_lazy("import field", "Phone"),
    "email": pgettext_lazy("import field", "E-mail"),
    "address": pgettext_lazy("import field", "Address"),
    "notes": pgettext_lazy("import field", "Notes"),
    "source": pgettext_lazy("import field", "Source"),
    "owner": pgettext_lazy("import field", "Owner (responsible)"),
    "lifecycle_stage": pgettext_lazy("import field", "Life-cycle stage"),
    "tags": pgettext_lazy("import field", "Tags"),
    "created_at": pgettext_lazy("import field", "Created on"),
    "first_name": pgettext_lazy("import field", "First name"),
    "middle_name": pgettext_lazy("import field", "Middle name"),
    "last_name": pgettext_lazy("import field", "Last name"),
    "full_name": pgettext_lazy("import field", "Full name"),
    "company": pgettext_lazy("import field", "Company"),
    "position": pgettext_lazy("import field", "Position"),
    "title": pgettext_lazy("import field", "Title"),
    "contact_name": pgettext_lazy("import field", "Contact name"),
    "company_name": pgettext_lazy("import field", "Company name"),
    "status": pgettext_lazy("import field", "Status"),
    "contact": pgettext_lazy("import field", "Contact"),
    "rejection_reason": pgettext_lazy("import field", "Rejection reason"),
    "rejection_comment": pgettext_lazy("import field", "Rejection comment"),
    "utm_source": "UTM source",
    "utm_medium": "UTM medium",
    "utm_campaign": "UTM campaign",
    "utm_term": "UTM term",
    "utm_content": "UTM content",
    "qualified_at": pgettext_lazy("import field", "Qualified on"),
    "rejected_at": pgettext_lazy("import field", "Rejected on"),
    "pipeline": pgettext_lazy("import field", "Pipeline"),
    "stage": pgettext_lazy("import field", "Stage"),
    "lead": pgettext_lazy("import field", "Lead"),
    "amount": pgettext_lazy("import field", "Amount"),
    "currency": pgettext_lazy("import field", "Currency"),
    "exchange_rate": pgettext_lazy("import field", "Exchange rate"),
    "expected_close_date": pgettext_lazy("import field", "Expected close date"),
    "closed_at": pgettext_lazy("import field", "Closed on"),
    "stage_entered_at": pgettext_lazy("import field", "Entered the stage"),
    "lost_reason": pgettext_lazy("import field", "Lost reason"),
    "lost_comment": pgettext_lazy("import field", "Lost comment"),
    "product": pgettext_lazy("import field", "Product"),
    "quantity": pgettext_lazy("import field", "Quantity"),
    "sku": pgettext_lazy("import field", "SKU"),
    "category": pgettext_lazy("import field", "Category"),
    "price": pgettext_lazy("import field", "Price"),
    "is_active": pgettext_lazy("import field", "Active"),
    "username": pgettext_lazy("import field", "Username"),
    "role": pgettext_lazy("import field", "Role"),
    "team": pgettext_lazy("import field", "Team"),
    "team_lead": pgettext_lazy("import field", "Team lead"),
    "kind": pgettext_lazy("import field", "Kind (call, meeting …)"),
    "subject": pgettext_lazy("import field", "Subject"),
    "body": pgettext_lazy("import field", "Text"),
    "occurred_at": pgettext_lazy("import field", "Date and time"),
    "author": pgettext_lazy("import field", "Author"),
    "direction": pgettext_lazy("import field", "Direction"),
    "duration_seconds": pgettext_lazy("import field", "Duration, seconds"),
    "outcome": pgettext_lazy("import field", "Outcome"),
    "deal": pgettext_lazy("import field", "Deal"),
}
# Where a field means something else for one kind of record.
ENTITY_LABELS: dict[tuple[str, str], Promise] = {
    ("teams", "lead"): pgettext_lazy("import field", "Team lead"),
    ("leads", "created_at"): pgettext_lazy("import field", "Received on"),
    ("requests", "created_at"): pgettext_lazy("import field", "Received on"),
    ("requests", "client_name"): pgettext_lazy("import field", "Client's name"),
    ("requests", "client_email"): pgettext_lazy("import field", "Client's e-mail"),
    ("requests", "client_phone"): pgettext_lazy("import field", "Client's phone"),
    ("requests", "channel"): pgettext_lazy("import field", "Channel"),
    ("requests", "priority"): pgettext_lazy("import field", "Priority"),
    ("requests", "assignee"): pgettext_lazy("import field", "Assignee"),
    ("requests", "first_response_at"): pgettext_lazy("import field", "First response"),
    ("requests", "first_response_by"): pgettext_lazy("import field", "First response by"),
    ("requests", "resolved_at"): pgettext_lazy("import field", "Resolved on"),
    ("requests", "resolved_by"): pgettext_lazy("import field", "Resolved by"),
    ("requests", "sla"): pgettext_lazy("import field", "Apply the SLA"),
}

# Column names other systems use, by field; compared after :func:`normalise`.
SYNONYMS: dict[str, tuple[str, ...]] = {
    "name": ("name", "название", "наименование", "title"),
    "tax_id": ("inn", "инн", "taxid", "tax id", "vat", "ИНН организации"),
    "website": ("site", "сайт", "web", "url", "www", "веб-сайт"),
    "industry": ("отрасль", "sector", "сфера", "сфера деятельности"),
    "phone": (
        "phone",
        "телефон",
        "тел",
        "мобильный",
        "mobile",
        "phone number",
        "номер телефона",
        "рабочий телефон",
    ),
    "email": ("email", "e-mail", "почта", "электронная почта", "mail", "эл. почта", "емейл"),
    "address": ("адрес", "address", "юридический адрес", "location", "office location"),
    "notes": (
        "комментарий",
        "примечание",
        "заметки",
        "описание",
        "comment",
        "comments",
        "description",
        "note",
    ),
    "source": ("источник", "source", "канал", "lead source", "источник лида"),
    "owner": (
        "ответственный",
        "менеджер",
        "owner",
        "manager",
        "sales agent",
        "responsible",
        "ответственный менеджер",
        "assigned to",
    ),
    "lifecycle_stage": ("стадия клиента", "lifecycle", "lifecycle stage", "тип клиента"),
    "tags": ("теги", "метки", "tags", "labels"),
    "created_at": (
        "дата создания",
        "создано",
        "создан",
        "created",
        "created at",
        "date created",
        "дата",
        "date",
        "engage date",
        "дата начала",
    ),
    "first_name": ("имя", "first name", "firstname", "given name"),
    "middle_name": ("отчество", "middle name", "patronymic"),
    "last_name": ("фамилия", "last name", "lastname", "surname", "family name"),
    "full_name": ("фио", "full name", "полное имя", "контактное лицо"),
    "company": ("компания", "company", "организация", "клиент", "account", "client", "контрагент"),
    "position": ("должность", "position", "job title"),
    "contact_name": ("контакт", "contact", "фио", "контактное лицо", "имя"),
    "company_name": ("компания", "company", "организация", "account"),
    "status": ("статус", "status", "состояние"),
    "contact": ("контакт", "contact", "контактное лицо"),
    "rejection_reason": ("причина отказа", "rejection reason", "reason"),
    "pipeline": ("воронка", "pipeline", "направление"),
    "stage": ("этап", "стадия", "stage", "deal stage", "этап сделки", "статус сделки"),
    "amount": (
        "сумма",
        "amount",
        "бюджет",
        "value",
        "close value",
        "сумма сделки",
        "deal value",
        "стоимость",
    ),
    "currency": ("валюта", "currency"),
    "exchange_rate": ("курс", "exchange rate", "rate"),
    "expected_close_date": (
        "ожидаемая дата закрытия",
        "expected close date",
        "планируемая дата закрытия",
        "close date expected",
    ),
    "closed_at": ("дата закрытия", "closed", "closed at", "close date", "закрыта"),
    "lost_reason": ("причина отказа", "причина проигрыша", "lost reason", "loss reason"),
    "lost_comment": ("комментарий к отказу", "lost comment"),
    "product": ("товар", "продукт", "product", "услуга", "номенклатура"),
    "quantity": ("количество", "кол-во", "quantity", "qty"),
    "sku": ("артикул", "sku", "код товара", "item code"),
    "category": ("категория", "category", "группа", "series", "серия"),
    "price": ("цена", "price", "sales price", "стоимость", "розничная цена"),
    "is_active": ("активен", "активный", "active", "is active"),
    "username": ("логин", "username", "login", "user"),
    "role": ("роль", "role"),
    "team": ("команда", "отдел", "team", "department", "группа"),
    "team_lead": ("руководитель", "руководитель команды", "team lead", "head"),
    "kind": ("тип", "вид", "kind", "type"),
    "subject": ("тема", "subject"),
    "body": ("текст", "text", "body", "содержание", "комментарий"),
    "occurred_at": ("дата", "date", "когда", "дата и время", "время", "occurred at", "datetime"),
    "author": ("автор", "author", "сотрудник", "менеджер", "кто"),
    "direction": ("направление", "direction", "входящий исходящий"),
    "duration_seconds": ("длительность", "duration", "продолжительность"),
    "outcome": ("результат", "outcome", "result", "итог"),
    "deal": ("сделка", "deal", "deal id", "opportunity id"),
    "lead": ("лид", "lead", "заявка"),
}
# Where a common name means another field for one kind of record.
ENTITY_SYNONYMS: dict[str, dict[str, str]] = {
    "requests": {
        "тема": "subject",
        "topic": "subject",
        "обращение": "subject",
        "ответственный": "assignee",
        "исполнитель": "assignee",
        "assigned to": "assignee",
        "agent": "assignee",
        "канал": "channel",
        "приоритет": "priority",
        "важность": "priority",
        "тип": "kind",
        "вид": "kind",
        "type": "kind",
        "категория": "category",
        "поступило": "created_at",
        "получено": "created_at",
        "received": "created_at",
        "opened": "created_at",
        "первый ответ": "first_response_at",
        "first response": "first_response_at",
        "решено": "resolved_at",
        "resolved": "resolved_at",
        "закрыто": "closed_at",
        "closed": "closed_at",
        "email": "client_email",
        "e-mail": "client_email",
        "телефон": "client_phone",
        "phone": "client_phone",
    },
    "companies": {
        "company": "name",
        "компания": "name",
        "организация": "name",
        "account": "name",
        "клиент": "name",
        "контрагент": "name",
        "название компании": "name",
        "company name": "name",
    },
    "contacts": {
        "name": "full_name",
        "наименование": "full_name",
        "название": "full_name",
        "контакт": "full_name",
        "контактное лицо": "full_name",
    },
    "users": {
        "name": "full_name",
        "имя": "full_name",
        "сотрудник": "full_name",
        "менеджер": "full_name",
        "sales agent": "full_name",
        "manager": "team_lead",
        "руководитель": "team_lead",
    },
    "leads": {
        "name": "title",
        "название": "title",
        "наименование": "title",
        "title": "title",
        "заявка": "title",
        "компания": "company_name",
        "company": "company_name",
        "организация": "company_name",
        "контакт": "contact_name",
        "фио": "contact_name",
        "contact": "contact_name",
        "контактное лицо": "contact_name",
    },
    "deals": {
        "name": "title",
        "название": "title",
        "наименование": "title",
        "название сделки": "title",
        "сделка": "title",
        "title": "title",
        "deal": "title",
        "клиент": "company",
        "account": "company",
    },
    "activities": {"name": "subject", "title": "subject", "клиент": "company"},
    "teams": {"руководитель": "lead", "team lead": "lead", "head": "lead", "manager": "lead"},
}
# Columns that hold the other system's id of the record.
EXTERNAL_ID_NAMES = ("id", "external id", "внешний id", "код", "идентификатор", "guid", "uuid",
                     "xml id", "record id", "ид")  # fmt: skip

_NON_WORD = re.compile(r"[\W_]+")


def normalise(name: str) -> str:
    """A column or field name compared loosely: case, «ё», spaces and punctuation ignored."""
    return _NON_WORD.sub("", str(name).casefold().replace("ё", "е"))


def field_label(entity: str, name: str) -> str:
    """The field's label in the current language ("Tax ID (INN)", «ИНН»)."""
    label = ENTITY_LABELS.get((entity, name)) or FIELD_LABELS.get(name)
    return str(label) if label is not None else name.replace("_", " ").capitalize()


def field_choices(entity: str) -> list[tuple[str, str, bool]]:
    """(name, label, required) of every field the records of ``entity`` take, required first,
    then by label."""
    fields = TARGETS[entity].fields
    rows = [(name, field_label(entity, name), fdef.required) for name, fdef in fields.items()]
    return sorted(rows, key=lambda r: (not r[2], r[1].casefold()))


def _known_names(entity: str) -> dict[str, str]:
    """Normalised column name → field: common names, then the fields' own names and labels,
    then the meanings particular to the kind of records, each overriding the one before."""
    fields = TARGETS[entity].fields
    known: dict[str, str] = {}
    for field, names in SYNONYMS.items():
        if field in fields:
            for name in names:
                known.setdefault(normalise(name), field)
    for field in fields:
        for language in ("en", "ru"):
            with translation.override(language):
                known[normalise(field_label(entity, field))] = field
        known[normalise(field)] = field
    for name, field in ENTITY_SYNONYMS.get(entity, {}).items():
        if field in fields:
            known[normalise(name)] = field
    return known


def suggest_mapping(entity: str, header: list[str]) -> dict[str, Any]:
    """A first mapping for a file with these columns: each column that looks like a field
    goes to it (one column per field, the leftmost wins), and a column named like an id
    becomes the external id."""
    known = _known_names(entity)
    fields: dict[str, str] = {}
    external_id = None
    id_names = {normalise(n) for n in EXTERNAL_ID_NAMES}
    for column in header:
        key = normalise(column)
        if not key:
            continue
        if key in id_names and external_id is None and key not in known:
            external_id = column
            continue
        field = known.get(key)
        if field and field not in fields:
            fields[field] = column
    spec: dict[str, Any] = {"entity": entity}
    if external_id:
        spec["external_id"] = external_id
    spec["fields"] = fields
    return spec
