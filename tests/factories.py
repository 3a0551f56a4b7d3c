"""Test data made through the real services, so it is what the product would make."""

from __future__ import annotations

from decimal import Decimal
from itertools import count

from voronka.clients import services as client_services
from voronka.sales import services as sales_services

_n = count(1)


def company(owner, *, actor=None, **data):
    n = next(_n)
    data.setdefault("name", f"ООО Ромашка {n}")
    data.setdefault("owner", owner)
    return client_services.company_create(actor=actor or owner, data=data)


def contact(owner, *, actor=None, **data):
    n = next(_n)
    data.setdefault("first_name", "Иван")
    data.setdefault("last_name", f"Иванов{n}")
    data.setdefault("owner", owner)
    return client_services.contact_create(actor=actor or owner, data=data)


def deal(owner, *, actor=None, client=None, lines=(), **data):
    n = next(_n)
    data.setdefault("title", f"Сделка {n}")
    data.setdefault("owner", owner)
    data.setdefault("amount", Decimal("10000.00"))
    if client is None and "company" not in data and "contact" not in data:
        client = company(owner, actor=actor)
    if client is not None:
        key = "company" if client.__class__.__name__ == "Company" else "contact"
        data[key] = client
    return sales_services.deal_create(actor=actor or owner, data=data, lines=lines)


def lead(owner, *, actor=None, **data):
    n = next(_n)
    data.setdefault("title", f"Заявка {n}")
    data.setdefault("owner", owner)
    return sales_services.lead_create(actor=actor or owner, data=data)


def product(actor, **data):
    n = next(_n)
    data.setdefault("name", f"Товар {n}")
    data.setdefault("price", Decimal("1500.00"))
    return sales_services.product_create(actor=actor, data=data)
