"""What follows a batch beyond its rows: KPI rollups, board totals, open-stage spells, and,
once per import, the clients' spells, life-cycle stages and last contact."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from django.db.models import Q

from voronka.analytics import facts, spells
from voronka.imports.state import ImportState
from voronka.imports.targets import Row
from voronka.sales import rollups


def add_facts(into: dict[Any, Any], more: dict[Any, Any]) -> None:
    for key, values in more.items():
        slot = into.setdefault(key, {})
        for name, amount in values.items():
            slot[name] = slot.get(name, 0) + amount


class Settler(ImportState):
    def _client_names(self, deals: list[Any]) -> None:
        from voronka.clients.models import Company, Contact

        companies = dict(
            Company.all_objects.filter(pk__in={d.company_id for d in deals if d.company_id})
            .values_list("pk", "name")
        )  # fmt: skip
        contacts = {
            c.pk: c.full_name
            for c in Contact.all_objects.filter(
                pk__in={d.contact_id for d in deals if d.contact_id}
            )
        }
        for d in deals:
            from voronka.core.text import search_text

            d._client_name = search_text(
                companies.get(d.company_id, ""), contacts.get(d.contact_id, "")
            )

    def _settle(self, rows: list[Row], entity: str, before: Any, before_board: dict[int, Any],
                lead_ids: set[int]) -> None:  # fmt: skip
        """The rollups move with the batch, in its transaction; the clients' spells and
        stages wait for :meth:`_finish_clients`, once per client for the whole file."""
        if entity == "deals":
            deal_ids = [r.obj.pk for r in rows]
            lead_ids |= {r.obj.lead_id for r in rows if r.obj.lead_id}
            facts.apply(
                before, facts.current_facts(deal_ids=deal_ids, lead_ids=lead_ids),
                known=self.known_rows,
            )  # fmt: skip
            rollups.board_apply_many(
                [(before_board.get(r.obj.pk), rollups.board_state(r.obj)) for r in rows],
                known=self.known_rows,
            )
            spells.refresh_deals(deal_ids)
        else:
            lead_ids |= {r.obj.pk for r in rows}
            facts.apply(before, facts.current_facts(lead_ids=lead_ids), known=self.known_rows)

    def _finish_clients(self) -> None:
        """Client spells (when a client counts as active) and life-cycle stages of every
        client whose deals the import touched."""
        clients = {c for c in self.clients if c is not None}
        self.clients = set()
        keys = sorted(clients)
        for i in range(0, len(keys), 500):
            spells.refresh_clients(set(keys[i : i + 500]))
        self._lifecycle(clients)

    def _lifecycle(self, clients: Iterable[Any]) -> None:
        """Clients with won deals become customers, as after a deal won by hand; only the
        clients whose stage changes are written (through the clients' service)."""
        from django.db.models import Count

        from voronka.clients.models import Company, Contact
        from voronka.clients.services import client_refresh_lifecycle, lifecycle_after_purchases
        from voronka.sales.models import Deal

        for kind, model in (("company", Company), ("contact", Contact)):
            ids = sorted({pk for key in clients if key and key[0] == kind for pk in key[1:]})
            for i in range(0, len(ids), 500):
                chunk = ids[i : i + 500]
                won = dict(
                    Deal.objects.filter(**{f"{kind}_id__in": chunk}, status=Deal.Status.WON)
                    .values_list(f"{kind}_id")
                    .annotate(n=Count("pk"))
                )
                for pk, stage in model.objects.filter(pk__in=chunk).values_list(
                    "pk", "lifecycle_stage"
                ):
                    if lifecycle_after_purchases(stage, won.get(pk, 0)) != stage:
                        client_refresh_lifecycle(
                            company_id=pk if kind == "company" else None,
                            contact_id=pk if kind == "contact" else None,
                        )

    def _touch_last_contact(self, activities: list[Any]) -> None:

        from voronka.clients.models import Company, Contact

        latest: dict[tuple[Any, int], Any] = defaultdict(lambda: None)
        for a in activities:
            for model, pk in ((Company, a.company_id), (Contact, a.contact_id)):
                if pk and (latest[(model, pk)] is None or a.occurred_at > latest[(model, pk)]):
                    latest[(model, pk)] = a.occurred_at
        for (model, pk), when in latest.items():
            model.all_objects.filter(Q(last_contact_at__isnull=True) | Q(last_contact_at__lt=when),
                                     pk=pk).update(last_contact_at=when)  # fmt: skip
