"""Background jobs of the clients app."""

from __future__ import annotations

from huey.contrib.djhuey import db_task

from voronka.clients import services


@db_task(retries=3, retry_delay=10)
def refresh_lifecycle(company_id: int | None = None, contact_id: int | None = None) -> None:
    """Move the client to "customer"/"repeat customer" after a won deal; safe to run twice."""
    services.client_refresh_lifecycle(company_id=company_id, contact_id=contact_id)
