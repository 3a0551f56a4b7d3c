import pytest

from voronka.core.text import normalize_email, normalize_phone, phone_query, search_text


@pytest.mark.parametrize(
    "raw",
    ["+7 (912) 345-67-89", "89123456789", "8 912 345 67 89", "+79123456789", "7-912-345-67-89"],
)
def test_every_way_of_writing_a_russian_mobile_number_normalises_the_same(raw):
    assert normalize_phone(raw) == "79123456789"


def test_an_empty_or_letter_only_phone_normalises_to_nothing():
    assert normalize_phone("") == ""
    assert normalize_phone("нет") == ""


def test_a_foreign_number_keeps_its_country_code():
    assert normalize_phone("+44 20 7946 0958") == "442079460958"


def test_a_partial_number_is_searched_by_its_digits():
    assert phone_query("345-67-89") == "3456789"
    assert phone_query("89123456789") == "79123456789"


def test_emails_are_compared_lower_case_without_spaces():
    assert normalize_email("  Ivan.Petrov@Mail.RU ") == "ivan.petrov@mail.ru"


def test_search_text_folds_cyrillic_case_and_yo():
    assert search_text("ООО «Ёлка»", "  Иванов ") == "ооо «елка» иванов"
