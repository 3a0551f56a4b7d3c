"""A small JSON client for the API tests: signs in as a persona, speaks JSON."""

from __future__ import annotations

import json
from typing import Any

from django.test import Client

BASE = "/api/v1"


class ApiClient:
    """Talks to ``/api/v1`` as ``user`` through a browser session (or a token, if given)."""

    def __init__(self, user: Any = None, *, token: str | None = None, language: str = "en") -> None:
        # English by default, so messages compare equal whatever the translations say.
        headers = {"Accept-Language": language}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        self.client = Client(headers=headers)
        if user is not None:
            self.client.force_login(user)

    def get(self, path: str, **params: Any) -> Any:
        return self.client.get(BASE + path, params)

    def post(self, path: str, body: dict[str, Any] | None = None) -> Any:
        return self.client.post(BASE + path, json.dumps(body or {}), "application/json")

    def patch(self, path: str, body: dict[str, Any]) -> Any:
        return self.client.patch(BASE + path, json.dumps(body), "application/json")

    def delete(self, path: str, **params: Any) -> Any:
        query = "&".join(f"{k}={v}" for k, v in params.items())
        return self.client.delete(BASE + path + (f"?{query}" if query else ""))


def errors(response: Any) -> dict[str, list[str]]:
    """A 422 answer as {field: [messages]}, the field being the last part of ``loc``."""
    out: dict[str, list[str]] = {}
    for item in response.json()["detail"]:
        out.setdefault(str(item["loc"][-1]), []).append(item["msg"])
    return out
