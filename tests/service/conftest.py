"""Fixtures of the service desk tests: clients with requests, a real SMTP server."""

from __future__ import annotations

import pytest

from tests.activities.conftest import mail_server, smtp_settings  # noqa: F401 - fixtures


@pytest.fixture
def client_company(db, personas):
    """ООО «Ромашка», Alice's client, with a contact who has an e-mail address."""
    from voronka.clients.models import Company, Contact

    company = Company.objects.create(name="ООО «Ромашка»", owner=personas.alice)
    contact = Contact.objects.create(
        first_name="Пётр", last_name="Клиентов", email="petr@romashka.example",
        company=company, owner=personas.alice,
    )  # fmt: skip
    return company, contact


@pytest.fixture
def make_request(db, personas, client_company):
    """``make_request(**fields)``: a request of Alice's client taken down by support."""
    from voronka.service.services import request_create

    company, contact = client_company

    def make(*, actor=None, message="Не работает доставка", received_at=None, **data):
        data.setdefault("subject", "Заказ не доставлен")
        data.setdefault("company", company)
        data.setdefault("contact", contact)
        return request_create(
            actor=actor or personas.support, data=data, message=message, received_at=received_at
        )

    return make


@pytest.fixture
def alices(personas, make_request):
    """A request of Alice's client, assigned to Alice."""
    return make_request(assignee=personas.alice)
