"""Orders as CommerceML 2.05 documents, checked against the structure 1C reads.

The expected element sequences are written out here by hand from the CommerceML 2.05
schema (commerceml_2_05.xsd: the complex types КоммерческаяИнформация, Документ,
Контрагент, Товар, НалогВДокументе, Скидка, СтавкаНалога, ЗначениеРеквизита, Контакт,
Адрес): 1C reads the elements in the schema's order, so each element's children must
come in that order, and the required ones must be there.
"""

from __future__ import annotations

import io
import re
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from defusedxml import ElementTree as ET

from tests.orders.conftest import walk
from voronka.orders import exchange

NS = "urn:1C.ru:commerceml_2"
MSK = ZoneInfo("Europe/Moscow")

ROOT = ["Классификатор", "Каталог", "ПакетПредложений", "Документ"]
DOCUMENT = ["Ид", "Номер", "Дата", "ХозОперация", "Роль", "Валюта", "Курс", "Сумма",
            "Контрагенты", "Время", "СрокПлатежа", "Комментарий", "Налоги", "Скидки",
            "ДопРасходы", "Товары", "ЗначенияРеквизитов"]  # fmt: skip
DOCUMENT_REQUIRED = DOCUMENT[:9]
COUNTERPARTY = ["Ид", "Наименование", "ОфициальноеНаименование", "ЮридическийАдрес", "ИНН",
                "КПП", "ОсновнойВидДеятельности", "ЕГРПО", "ОКВЭД", "ОКДП", "ОКОПФ", "ОКФС",
                "ОКПО", "ДатаРегистрации", "Руководитель", "РасчетныеСчета",
                "ПолноеНаименование", "Обращение", "Фамилия", "Имя", "Отчество",
                "ДатаРождения", "МестоРождения", "Пол", "УдостоверениеЛичности",
                "АдресРегистрации", "Организация", "Должность", "Комментарий", "Адрес",
                "Контакты", "Представители",
                # the document's extension of Контрагент:
                "Роль", "РасчетныйСчет", "Склад"]  # fmt: skip
ITEM = ["Ид", "ИдСайта", "Штрихкод", "Артикул", "Код", "Наименование", "БазоваяЕдиница",
        "ИдТовараУКонтрагента", "Группы", "Категория", "Описание", "Картинка", "Страна", "Вес",
        "ТорговаяМарка", "ВладелецТорговойМарки", "Изготовитель", "ЗначенияСвойств",
        "СтавкиНалогов", "Акцизы", "Комплектующие", "Аналоги", "ХарактеристикиТовара",
        "ЗначенияРеквизитов", "ИдКаталога", "ИдКлассификатора",
        # the document's extension of Товар:
        "ЦенаЗаЕдиницу", "Количество", "Резерв", "Сумма", "Единица", "Коэффициент",
        "ДополнительныеДанные", "СтранаПроисхождения", "ГТД", "Налоги", "Скидки", "ДопРасходы",
        "ДополнительныеЗначенияРеквизитов"]  # fmt: skip
TAX = ["Наименование", "УчтеноВСумме", "Акциз", "Сумма", "Ставка"]
DISCOUNT = ["Наименование", "Сумма", "Процент", "УчтеноВСумме", "Комментарий"]
TAX_RATE = ["Наименование", "Ставка"]
REQUISITE = ["Наименование", "Значение"]
CONTACT = ["Тип", "Значение", "Комментарий"]
ADDRESS = ["Представление", "Комментарий", "АдресноеПоле"]
BUSINESS_OPERATIONS = {"Заказ товара", "Счет на оплату", "Отпуск товара", "Счет-фактура",
                       "Возврат товара"}  # fmt: skip
ROLES = {"Продавец", "Покупатель", "Плательщик", "Получатель", "Комитент", "Комиссионер"}
CONTACT_TYPES = {"Телефон внутренний", "Телефон рабочий", "Телефон мобильный",
                 "Телефон домашний", "Пейджер", "Факс", "Почта", "ICQ", "ВебСайт"}  # fmt: skip
MONEY = re.compile(r"^-?\d+\.\d{2}$")
NUMBER = re.compile(r"^-?\d+(\.\d*[1-9])?$")


def name(element) -> str:
    return element.tag.removeprefix(f"{{{NS}}}")


def names(element) -> list[str]:
    return [name(child) for child in element]


def assert_sequence(element, sequence, required=()):
    """The children come in the schema's order (repeats only of the same element), and the
    required ones are there."""
    got = names(element)
    unknown = [n for n in got if n not in sequence]
    assert not unknown, f"{name(element)}: not in the schema: {unknown}"
    positions = [sequence.index(n) for n in got]
    assert positions == sorted(positions), f"{name(element)}: out of order: {got}"
    missing = [n for n in required if n not in got]
    assert not missing, f"{name(element)}: required missing: {missing}"


def child(element, tag):
    found = element.find(f"{{{NS}}}{tag}")
    assert found is not None, f"{name(element)} has no {tag}"
    return found


def text(element, path) -> str:
    node = element.find("/".join(f"{{{NS}}}{p}" for p in path.split("/")))
    assert node is not None, path
    return node.text or ""


def requisites(element) -> dict[str, str]:
    block = child(element, "ЗначенияРеквизитов")
    return {text(r, "Наименование"): text(r, "Значение") for r in block}


def export(actor, **request) -> bytes:
    target = io.BytesIO()
    request.setdefault("only_new", True)
    exchange.orders_export(actor=actor, target=target,
                           request=exchange.export_request(fmt="commerceml", **request))  # fmt: skip
    return target.getvalue()


@pytest.fixture
def discounted_order(make_order, catalogue):
    chair, table = catalogue
    return make_order(
        lines=[{"product": chair, "quantity": 2, "discount_percent": 10},
               {"product": table, "quantity": 1}],
        received_at=datetime(2026, 11, 10, 14, 30, 5, tzinfo=MSK),
        delivery_address="Москва, ул. Ленина, 1", notes="Позвонить за час",
    )  # fmt: skip


def test_the_file_is_well_formed_utf8_in_the_commerceml_namespace(discounted_order, personas):
    data = export(personas.head)
    assert data.startswith(b'<?xml version="1.0" encoding="UTF-8"?>')
    data.decode("utf-8", errors="strict")
    root = ET.fromstring(data)
    assert root.tag == f"{{{NS}}}КоммерческаяИнформация"
    assert root.get("ВерсияСхемы") == "2.05"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d", root.get("ДатаФормирования"))
    assert_sequence(root, ROOT)
    assert names(root) == ["Документ"]


def test_every_element_follows_the_schemas_sequences(discounted_order, make_order, personas):
    make_order(lines=[{"name": "Сборка мебели", "unit_price": "2500.00", "unit": "ч"}])
    root = ET.fromstring(export(personas.head))
    assert len(root) == 2
    for doc in root:
        assert_sequence(doc, DOCUMENT, DOCUMENT_REQUIRED)
        assert text(doc, "ХозОперация") in BUSINESS_OPERATIONS
        assert text(doc, "Роль") in ROLES
        assert re.fullmatch(r"\d{4}-\d\d-\d\d", text(doc, "Дата"))
        assert re.fullmatch(r"\d\d:\d\d:\d\d", text(doc, "Время"))
        assert MONEY.match(text(doc, "Сумма")) and NUMBER.match(text(doc, "Курс"))
        for party in child(doc, "Контрагенты"):
            assert name(party) == "Контрагент"
            assert_sequence(party, COUNTERPARTY, ["Роль"])
            assert text(party, "Роль") in ROLES
            for contact in party.findall(f"{{{NS}}}Контакты/{{{NS}}}Контакт"):
                assert_sequence(contact, CONTACT, ["Тип", "Значение"])
                assert text(contact, "Тип") in CONTACT_TYPES
            address = party.find(f"{{{NS}}}Адрес")
            if address is not None:
                assert_sequence(address, ADDRESS, ["Представление"])
        for tax in doc.findall(f"{{{NS}}}Налоги/{{{NS}}}Налог"):
            assert_sequence(tax, TAX, ["Наименование", "Сумма"])
        for item in child(doc, "Товары"):
            assert_sequence(item, ITEM, ["Ид", "Наименование"])
            for rate in child(item, "СтавкиНалогов"):
                assert_sequence(rate, TAX_RATE, TAX_RATE)
            for tax in child(item, "Налоги"):
                assert_sequence(tax, TAX, ["Наименование", "Сумма"])
                assert MONEY.match(text(tax, "Сумма"))
            for discount in item.findall(f"{{{NS}}}Скидки/{{{NS}}}Скидка"):
                assert_sequence(discount, DISCOUNT, ["Наименование", "Сумма"])
            for value in child(item, "ЗначенияРеквизитов"):
                assert_sequence(value, REQUISITE, REQUISITE)
            assert MONEY.match(text(item, "ЦенаЗаЕдиницу")) and MONEY.match(text(item, "Сумма"))
            assert NUMBER.match(text(item, "Количество"))
        for value in child(doc, "ЗначенияРеквизитов"):
            assert_sequence(value, REQUISITE, REQUISITE)


def test_the_document_carries_the_orders_numbers_lines_discounts_and_vat(
    discounted_order, personas
):
    doc = ET.fromstring(export(personas.head))[0]
    order = discounted_order
    assert [text(doc, p) for p in ("Ид", "Номер", "Дата", "Время", "ХозОперация", "Роль",
                                   "Валюта", "Курс", "Сумма", "Комментарий")] == [
        f"voronka-order-{order.pk}", order.number, "2026-11-10", "14:30:05", "Заказ товара",
        "Продавец", "RUB", "1", "14700.00", "Позвонить за час"]  # fmt: skip
    assert [text(doc, "Налоги/Налог/" + p) for p in ("Наименование", "УчтеноВСумме", "Сумма")] == [
        "НДС", "true", "1577.80"]  # fmt: skip
    chairs, table = child(doc, "Товары")
    assert [text(chairs, p) for p in ("Ид", "Артикул", "Наименование", "ЦенаЗаЕдиницу",
                                      "Количество", "Сумма")] == [
        f"voronka-product-{chairs_pk(order)}", "CH-1", "Стул офисный", "1500.00", "2",
        "2700.00"]  # fmt: skip
    unit = child(chairs, "БазоваяЕдиница")
    assert (unit.get("Код"), unit.get("НаименованиеПолное"), unit.text) == ("796", "Штука", "шт")
    assert text(chairs, "СтавкиНалогов/СтавкаНалога/Ставка") == "22"
    assert [text(chairs, "Налоги/Налог/" + p) for p in ("УчтеноВСумме", "Сумма", "Ставка")] == [
        "true", "486.89", "22"]  # fmt: skip
    assert [text(chairs, "Скидки/Скидка/" + p) for p in ("Сумма", "Процент", "УчтеноВСумме")] == [
        "300.00", "10", "true"]  # fmt: skip
    assert requisites(chairs) == {"ВидНоменклатуры": "Товар", "ТипНоменклатуры": "Товар"}
    assert table.find(f"{{{NS}}}Скидки") is None
    assert text(table, "Налоги/Налог/Сумма") == "1090.91"
    party = child(child(doc, "Контрагенты"), "Контрагент")
    assert [text(party, p) for p in ("Наименование", "Роль", "Контакты/Контакт/Тип",
                                     "Контакты/Контакт/Значение")] == [
        "ООО «Ромашка»", "Покупатель", "Почта", "petr@romashka.example"]  # fmt: skip


def chairs_pk(order) -> int:
    return order.lines.get(sku="CH-1").product_id


def test_status_requisites_say_new_unpaid_then_paid_delivered_or_cancelled(make_order, personas):
    new = make_order()
    assert requisites(ET.fromstring(export(personas.head))[0]) == {
        "Статус заказа": "Новый", "Оплачен": "false", "Отменен": "false",
        "Финальный статус": "false", "Способ доставки": "Курьер",
    }  # fmt: skip
    delivered = walk(new, personas.alice, "confirmed", "paid", "assembled", "shipped",
                     "delivered")  # fmt: skip
    cancelled = walk(make_order(delivery_method="pickup"), personas.alice, "cancelled")
    root = ET.fromstring(export(personas.head, only_new=False, date_from="2000-01-01",
                                date_to="2100-01-01"))  # fmt: skip
    got = {text(doc, "Номер"): requisites(doc) for doc in root}
    paid = got[delivered.number]
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d", paid.pop("Дата оплаты"))
    assert paid == {"Статус заказа": "Доставлен", "Оплачен": "true", "Отменен": "false",
                    "Финальный статус": "true", "Способ доставки": "Курьер"}  # fmt: skip
    assert got[cancelled.number] == {
        "Статус заказа": "Отменён", "Оплачен": "false", "Отменен": "true",
        "Финальный статус": "true", "Способ доставки": "Самовывоз",
    }  # fmt: skip


def test_the_buyer_is_the_company_with_its_tax_id_or_the_private_client(
    make_order, client_company, personas
):
    from voronka.clients.models import Contact

    company, _contact = client_company
    company.tax_id, company.address, company.phone = "7707083893", "Москва, Тверская, 7", "+7 495 1"
    company.save()
    make_order()
    person = Contact.objects.create(first_name="Анна", last_name="Смирнова",
                                    middle_name="Павловна", email="anna@example.com",
                                    phone="+7 912 345-67-89", owner=personas.alice)  # fmt: skip
    make_order(company=None, contact=person)
    first, second = ET.fromstring(export(personas.head))
    party = child(child(first, "Контрагенты"), "Контрагент")
    assert names(party) == ["Ид", "Наименование", "ОфициальноеНаименование", "ИНН", "Адрес",
                            "Контакты", "Роль"]  # fmt: skip
    assert (text(party, "ИНН"), text(party, "Адрес/Представление")) == (
        "7707083893", "Москва, Тверская, 7")  # fmt: skip
    private = child(child(second, "Контрагенты"), "Контрагент")
    assert names(private) == ["Ид", "Наименование", "ПолноеНаименование", "Фамилия", "Имя",
                              "Отчество", "Контакты", "Роль"]  # fmt: skip
    assert [text(private, p) for p in ("Ид", "Наименование", "Фамилия", "Имя", "Отчество")] == [
        f"voronka-contact-{person.pk}", "Смирнова Анна Павловна", "Смирнова", "Анна", "Павловна"]  # fmt: skip
    assert [c.find(f"{{{NS}}}Тип").text for c in child(private, "Контакты")] == [
        "Почта", "Телефон рабочий"]  # fmt: skip


def test_a_tax_id_that_is_not_ten_or_twelve_digits_is_left_out(make_order, client_company,
                                                              personas):  # fmt: skip
    company, _contact = client_company
    company.tax_id = "12345"
    company.save()
    make_order()
    party = ET.fromstring(export(personas.head))[0].find(f".//{{{NS}}}Контрагент")
    assert "ИНН" not in names(party)


def test_lines_without_a_product_have_a_stable_id_and_units_their_codes(make_order, personas):
    free = [{"name": "Сборка мебели", "unit_price": "2500.00", "unit": "ч"},
            {"name": "Ткань", "unit_price": "300.00", "unit": "м", "quantity": "2.5"},
            {"name": "Упаковка плёнкой", "unit_price": "50.00", "unit": "рулон"}]  # fmt: skip
    make_order(lines=free)
    make_order(lines=free[:1])
    first, second = ET.fromstring(export(personas.head))
    items = list(child(first, "Товары"))
    assert text(items[0], "Ид") == text(child(second, "Товары")[0], "Ид")
    assert text(items[0], "Ид").startswith("voronka-item-")
    assert [(i.find(f"{{{NS}}}БазоваяЕдиница").get("Код"),
             i.find(f"{{{NS}}}БазоваяЕдиница").text) for i in items] == [
        ("356", "ч"), ("006", "м"), (None, "рулон")]  # fmt: skip
    assert text(items[1], "Количество") == "2.5"
    assert text(items[1], "Сумма") == "750.00"


def test_prices_without_vat_say_the_tax_is_not_in_the_amounts(make_order, catalogue, personas):
    chair, _table = catalogue
    make_order(lines=[{"product": chair, "quantity": 1}], prices_include_vat=False)
    doc = ET.fromstring(export(personas.head))[0]
    assert text(doc, "Сумма") == "1830.00"  # 1 500.00 + 22 %
    assert text(doc, "Налоги/Налог/УчтеноВСумме") == "false"
    item = child(doc, "Товары")[0]
    assert (text(item, "Сумма"), text(item, "Налоги/Налог/Сумма")) == ("1500.00", "330.00")
