"""Orders API."""

from ninja import Router

router = Router(tags=["orders"])
