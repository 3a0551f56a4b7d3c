"""One HTTP attempt of a webhook delivery: the signed request and what came back.

Nothing here touches the database; :mod:`voronka.automation.services` decides what an
outcome means for the delivery.
"""

from __future__ import annotations

import hashlib
import hmac
import http.client
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from typing import Any

from voronka.automation.conf import RESPONSE_BODY_LIMIT

USER_AGENT = "Voronka-Webhooks/1"


def sign(secret: str, timestamp: int, body: str) -> str:
    """``sha256=<hex>``: HMAC-SHA256 of ``"{timestamp}.{body}"`` keyed with the secret.

    The timestamp is inside the signed text, so a receiver that refuses old
    timestamps also refuses a recorded request played again later.
    """
    mac = hmac.new(secret.encode(), f"{timestamp}.{body}".encode(), hashlib.sha256)
    return f"sha256={mac.hexdigest()}"


def request_headers(
    *, event: str, delivery_id: str, timestamp: int, signature: str
) -> dict[str, str]:
    return {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        "X-Voronka-Event": event,
        "X-Voronka-Delivery": delivery_id,
        "X-Voronka-Timestamp": str(timestamp),
        "X-Voronka-Signature": signature,
    }


@dataclass
class Outcome:
    """What one attempt got: an HTTP answer (``status``) or an ``error`` instead."""

    status: int | None = None
    headers: dict[str, str] = field(default_factory=dict)
    body: str = ""
    duration_ms: int = 0
    error: str = ""

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 300


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    """A redirect is answered as it is: a signed POST is not carried to another address."""

    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


def _text(raw: bytes) -> str:
    return raw[:RESPONSE_BODY_LIMIT].decode("utf-8", errors="replace")


def post(url: str, body: bytes, headers: dict[str, str], timeout: float) -> Outcome:
    """POST ``body`` to ``url``; never raises for anything the network or receiver does."""
    if not url.lower().startswith(("http://", "https://")):
        return Outcome(error="Only http:// and https:// addresses are called.")
    opener = urllib.request.build_opener(_NoRedirects)
    # The scheme is checked above: only http(s) gets here.
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")  # noqa: S310
    outcome = Outcome()
    started = time.monotonic()
    try:
        with opener.open(request, timeout=timeout) as response:
            outcome.status = response.status
            outcome.headers = dict(response.headers.items())
            outcome.body = _text(response.read(RESPONSE_BODY_LIMIT))
    except urllib.error.HTTPError as exc:
        outcome.status = exc.code
        outcome.headers = dict(exc.headers.items()) if exc.headers else {}
        try:
            outcome.body = _text(exc.read(RESPONSE_BODY_LIMIT))
        except (OSError, http.client.HTTPException):
            outcome.body = ""
    except urllib.error.URLError as exc:
        outcome.error = str(exc.reason) or type(exc.reason).__name__
    except (OSError, http.client.HTTPException, ValueError) as exc:
        # Timeouts (TimeoutError is an OSError), resets, malformed answers.
        outcome.error = str(exc) or type(exc).__name__
    outcome.duration_ms = round((time.monotonic() - started) * 1000)
    return outcome
