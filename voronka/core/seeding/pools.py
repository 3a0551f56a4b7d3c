"""Pools of Russian names, streets and helpers that turn a random number into a value.

Faker is slow per call (tens of microseconds), so it fills small pools once and
the generator draws from them with its own ``random.Random``: a million rows
cost a million cheap ``choice`` calls, and one seed always gives the same data.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from faker import Faker

from voronka.core.seeding import catalog

_LATIN = [
    "a", "b", "v", "g", "d", "e", "e", "zh", "z", "i", "y", "k", "l", "m", "n", "o", "p",
    "r", "s", "t", "u", "f", "kh", "ts", "ch", "sh", "sch", "", "y", "", "e", "yu", "ya",
]  # fmt: skip
_TRANSLIT = dict(zip("абвгдеёжзийклмнопрстуфхцчшщъыьэюя", _LATIN, strict=True))


def translit(text: str) -> str:
    """Latin letters for an e-mail or domain: «Кузнецов» → 'kuznetsov'."""
    out = []
    for ch in text.lower():
        if ch in _TRANSLIT:
            out.append(_TRANSLIT[ch])
        elif ch.isascii() and ch.isalnum():
            out.append(ch)
    return "".join(out)


def _inn_digit(digits: list[int], weights: tuple[int, ...]) -> int:
    return sum(d * w for d, w in zip(digits, weights, strict=False)) % 11 % 10


def inn(rng: random.Random, person: bool) -> str:
    """A tax id with valid check digits: 10 digits for an organisation, 12 for an ИП."""
    region = rng.choice((77, 78, 50, 54, 66, 16, 52, 23, 63, 61, 2, 59, 36, 74, 72, 24, 25))
    if person:
        digits = [region // 10, region % 10] + [rng.randrange(10) for _ in range(8)]
        digits.append(_inn_digit(digits, (7, 2, 4, 10, 3, 5, 9, 4, 6, 8)))
        digits.append(_inn_digit(digits, (3, 7, 2, 4, 10, 3, 5, 9, 4, 6, 8)))
    else:
        digits = [region // 10, region % 10] + [rng.randrange(10) for _ in range(7)]
        digits.append(_inn_digit(digits, (2, 4, 10, 3, 5, 9, 4, 6, 8)))
    return "".join(map(str, digits))


_MOBILE_CODES = [str(c) for c in range(900, 1000) if c not in (940, 970, 972, 973, 974, 975)]


def phone(rng: random.Random, area: str | None = None) -> str:
    """A Russian number written the ways people write them."""
    code = area or rng.choice(_MOBILE_CODES)
    n = f"{rng.randrange(10_000_000):07d}"
    style = rng.random()
    if style < 0.45:
        return f"+7 ({code}) {n[:3]}-{n[3:5]}-{n[5:]}"
    if style < 0.65:
        return f"8 {code} {n[:3]}-{n[3:5]}-{n[5:]}"
    if style < 0.8:
        return f"+7{code}{n}"
    if style < 0.92:
        return f"8{code}{n}"
    return f"+7 {code} {n[:3]} {n[3:5]} {n[5:]}"


@dataclass
class Person:
    last: str
    first: str
    middle: str
    female: bool

    @property
    def full(self) -> str:
        return f"{self.last} {self.first} {self.middle}"

    @property
    def initials(self) -> str:
        return f"{self.last} {self.first[0]}. {self.middle[0]}."


class Pools:
    """Pre-drawn Faker values; every later draw goes through ``rng``."""

    def __init__(self, rng: random.Random, seed: int) -> None:
        self.rng = rng
        fake = Faker("ru_RU")
        fake.seed_instance(seed)
        self.male = (
            [fake.last_name_male() for _ in range(600)],
            [fake.first_name_male() for _ in range(150)],
            [fake.middle_name_male() for _ in range(120)],
        )
        self.female = (
            [fake.last_name_female() for _ in range(600)],
            [fake.first_name_female() for _ in range(150)],
            [fake.middle_name_female() for _ in range(120)],
        )
        self.streets = [fake.street_address() for _ in range(3000)]
        self.surnames = sorted(set(self.male[0]))
        self.free_domains = ["mail.ru", "yandex.ru", "gmail.com", "bk.ru", "inbox.ru", "list.ru"]
        self.cities = [c for c, _, _ in catalog.CITIES]
        self.city_weights = [w for _, w, _ in catalog.CITIES]
        self.area = {c: a for c, _, a in catalog.CITIES}
        self.forms = [f for f, _ in catalog.LEGAL_FORMS]
        self.form_weights = [w for _, w in catalog.LEGAL_FORMS]

    def person(self) -> Person:
        rng = self.rng
        female = rng.random() < 0.45
        last, first, middle = self.female if female else self.male
        return Person(rng.choice(last), rng.choice(first), rng.choice(middle), female)

    def city(self) -> str:
        return self.rng.choices(self.cities, self.city_weights)[0]

    def address(self, city: str) -> str:
        return f"г. {city}, {self.rng.choice(self.streets)}"

    def company_name(self) -> tuple[str, str, bool]:
        """(full name, short name for titles and domains, is a sole trader)."""
        rng = self.rng
        form = rng.choices(self.forms, self.form_weights)[0]
        if form == "ИП":
            p = self.person()
            return f"ИП {p.initials}", p.last, True
        if rng.random() < 0.35:
            short = rng.choice(self.surnames) + rng.choice(("", " и партнёры", " Групп"))
        else:
            short = rng.choice(catalog.NAME_ROOTS) + rng.choice(catalog.NAME_SUFFIXES).lower()
        return f"{form} «{short}»", short, False

    def person_email(self, p: Person, domain: str | None) -> str:
        rng = self.rng
        user = translit(p.last)
        style = rng.random()
        if style < 0.4:
            user = f"{translit(p.first)[:1]}.{user}"
        elif style < 0.6:
            user = f"{user}{rng.randrange(1, 99)}"
        return f"{user}@{domain or rng.choice(self.free_domains)}"
