"""A real HTTP post from outside, as a website's visitor's browser would send it."""

from __future__ import annotations

import json
import urllib.request
from urllib.parse import urlencode

import pytest

from voronka.sales.models import Lead
from voronka.webforms.models import WebFormSubmission


@pytest.mark.django_db(transaction=True)
def test_a_form_posted_over_http_becomes_a_lead(live_server, personas, webform, web_team, source):
    _team, anna, _vadim = web_team
    url = f"{live_server.url}/f/{webform.key}/"
    body = urlencode(
        {"name": "Пётр Смирнов", "email": "petr@zarya.ru", "utm_source": "google",
         "referrer": "https://example.com/landing", "website": ""}
    ).encode()  # fmt: skip
    request = urllib.request.Request(  # noqa: S310 - our own test server
        url,
        data=body,
        method="POST",
        headers={
            "Content-Type": "application/x-www-form-urlencoded",
            "Accept": "application/json",
            "Origin": "https://example.com",
        },
    )
    with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 - our own test server
        assert response.status == 200
        assert response.headers["Access-Control-Allow-Origin"] == "*"
        answer = json.loads(response.read())
    assert answer == {"ok": True, "message": "Спасибо! Мы перезвоним.", "redirect": ""}
    lead = Lead.objects.get()
    assert (lead.contact_name, lead.email, lead.utm_source, lead.owner, lead.source) == (
        "Пётр Смирнов", "petr@zarya.ru", "google", anna, source,
    )  # fmt: skip
    submission = WebFormSubmission.objects.get()
    assert (submission.result, submission.ip, submission.referrer) == (
        "created", "127.0.0.1", "https://example.com/landing",
    )  # fmt: skip
