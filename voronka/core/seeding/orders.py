"""Orders demo data: the orders of won deals (their lines copied) and repeat orders of
consumables, licences and support without a deal, each played through the
organisation's status workflow up to the end of the seeded history.

Most won deals become an order within hours of the win (not all: some clients pay by a
contract and never order through the CRM). A customer later orders supplies by itself.
An order's story is planned, then cut where "now" finds it, and the rows written are
what ``voronka.orders.services`` would have left: one StatusChange per move along the
organisation's own :class:`Transition` rows, the order paid before any move that asks
for it, ``status_entered_at`` and ``status_due_at`` (``norms.due_at``), ``paid_at``,
``delivered_at``, ``closed_at``, the version, the search text, the client's e-mails
marked as sent (nothing is sent while seeding), and the overdue sweep's claims for every
stay it saw run over its norm. A few recent orders got stuck, so some are overdue now.
Orders went to the accounting system every Friday evening: older orders carry
``exported_at`` and an ExportRun each, the last days' orders are "new since the last
export".
"""

from __future__ import annotations

import bisect
import math
import random
import secrets
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from voronka.core import organisation, workcalendar
from voronka.core.seeding.clients import Clients
from voronka.core.seeding.deals import DealBatch
from voronka.core.seeding.reference import Reference
from voronka.core.seeding.timeline import DAY, Clock
from voronka.orders.models import OPEN_STATUSES, Order, StatusSetting
from voronka.orders.queries import status_settings, transitions
from voronka.orders.totals import line_amounts

MINUTE = 60.0
ORDER_SHARE = 0.85  # of won deals; the rest were paid by contract, outside the CRM
REPEAT_SHARE = 0.3  # repeat orders without a deal, per order of a deal
# A small demo gets more repeat orders (up to SMALL_PER_DEAL orders a deal in all,
# MIN_ORDERS at most): its few hundred won deals would leave the board nearly empty.
SMALL_PER_DEAL = 1.5
MIN_ORDERS = 1500
PREPAID_SHARE = 0.6  # the client pays the invoice before the order is assembled
DEPOSIT_SHARE = 0.2  # of the others: a part paid up front
# Where an order is cancelled (the share of orders reaching the status).
CANCEL = {"new": 0.03, "confirmed": 0.045, "paid": 0.015, "assembled": 0.01}
REFUSED_SHARE = 0.01  # the client refused the delivery
RETURN_SHARE = 0.025  # returned after delivery
# Orders that got stuck in a status (a manager forgot them): a few among recent orders,
# hardly any among older ones, so the demo shows some overdue orders now.
STUCK_RECENT_DAYS = 60
STUCK_SHARE = (0.02, 0.002)
EXPORT_WEEKDAY, EXPORT_HOUR = 4, 17  # Friday 17:00: the week goes to 1C
GOODS = frozenset({"Оборудование", "Расходные материалы"})
REPEAT_CATEGORIES = ("Расходные материалы", "Программное обеспечение", "Сервис и поддержка")
UNITS = {
    "Оборудование": "шт", "Расходные материалы": "шт", "Программное обеспечение": "лиц",
    "Обучение": "усл", "Внедрение и интеграция": "усл", "Сервис и поддержка": "усл",
}  # fmt: skip
# Russian software in the register is sold without VAT (Tax Code, art. 149 p. 2 s. 26).
VAT_EXEMPT = frozenset({"Программное обеспечение"})
DELIVERY = (("courier", 50), ("carrier", 30), ("pickup", 20))
CANCEL_REASONS = {
    "new": ["Клиент передумал", "Дубль заказа", "Оформили по ошибке", ""],
    "confirmed": ["Клиент не оплатил счёт", "Нашли дешевле", "Перенесли закупку на следующий год",
                  ""],
    "paid": ["Клиент попросил вернуть деньги", "Нет на складе, срок поставки не устроил"],
    "assembled": ["Нет на складе, срок поставки не устроил", "Клиент отказался до отгрузки"],
}  # fmt: skip
REFUSED_REASONS = ["Клиент отказался от получения", "Не устроил срок доставки"]
RETURN_REASONS = ["Брак, возврат по гарантии", "Не подошла комплектация", "Пересорт", ""]
CARRIERS = ["СДЭК", "Деловые линии", "ПЭК", "Почта России", "Байкал Сервис"]


@dataclass(frozen=True)
class _Won:
    """What an order of a won deal needs to know of the deal."""

    deal_id: int | None
    closed: float
    company_id: int | None
    contact_id: int | None
    owner_id: int
    title: str
    amount: Decimal
    lines: tuple[tuple[int, Decimal, Decimal, Decimal], ...]  # (product, qty, price, discount)


@dataclass
class OrderRows:
    orders: list[dict[str, Any]] = field(default_factory=list)
    lines: list[dict[str, Any]] = field(default_factory=list)
    changes: list[dict[str, Any]] = field(default_factory=list)
    alerts: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class _Story:
    """An order's planned events: (moment, "status" or "pay", status, comment)."""

    at: float
    status: str = "new"
    payment: str = "unpaid"
    moves_left: int = 99  # a stuck order stops moving after this many moves
    events: list[tuple[float, str, str, str]] = field(default_factory=list)

    @property
    def paid(self) -> bool:
        return self.payment == "paid"


class Orders:
    """Order rows of the won deals the batches showed, and repeat orders, in chunks."""

    def __init__(
        self, *, rng: random.Random, clock: Clock, ref: Reference, clients: Clients, base_id: int,
        deals_total: int,
    ) -> None:  # fmt: skip
        self.rng, self.clock, self.clients = rng, clock, clients
        self.small_demo = min(MIN_ORDERS, round(deals_total * SMALL_PER_DEAL))
        self.now = clock.now
        self.next_id = base_id
        # numbers an earlier seed or an import gave, which an id of ours might repeat
        self.taken = set(Order.all_objects.exclude(number="").values_list("number", flat=True))
        org = organisation.current()
        self.include_vat = org.order_prices_include_vat
        self.default_vat = org.order_vat_rate
        self.admin_id = ref.admin.pk
        self.table = transitions()
        settings = status_settings()
        self.notify = {status for status, row in settings.items() if row.notify_client}
        # status → (norm in seconds of calendar time, or in working minutes), as norms.due_at
        self.norms: dict[str, tuple[float | None, float | None]] = {
            status: (None, row.norm_hours * 60) if row.clock == StatusSetting.Clock.WORKING
            else (row.norm_hours * 3600.0, None)
            for status, row in settings.items() if status in OPEN_STATUSES and row.norm_hours
        }  # fmt: skip
        self.products = {p.pk: (p, category, typical) for p, category, typical in ref.products}
        self.by_title = [(p.name, p.pk) for p, _c, _t in ref.products]
        self.repeat_products = [p.pk for p, c, _t in ref.products if c in REPEAT_CATEGORIES]
        self.won: list[_Won] = []
        self.orders = 0
        self._hours(workcalendar.current())
        self.exports = self._export_moments()
        self.exported: dict[float, int] = defaultdict(int)

    # --- time -----------------------------------------------------------------------------

    def _hours(self, cal: workcalendar.WorkCalendar) -> None:
        """Each day's working hours as timestamps, from the history's start to two months
        past its end (deadlines of the last orders fall after it)."""
        first = self.clock.day_dates[0]
        days = [first + timedelta(days=i) for i in range(len(self.clock.day_dates) + 62)]
        self.day_starts = [datetime(d.year, d.month, d.day, tzinfo=cal.tz).timestamp()
                           for d in days]  # fmt: skip
        self.opens: list[float | None] = []
        self.closes: list[float] = []
        for d in days:
            opens, closes = cal.hours_of(d)
            working = cal.is_working_day(d) and closes > opens
            self.opens.append(opens.timestamp() if working else None)
            self.closes.append(closes.timestamp())

    def work(self, ts: float, minutes: float) -> float:
        """``minutes`` of working time after ``ts``, as ``WorkCalendar.add`` counts them (0:
        the next working moment), from the hours worked out once."""
        left = minutes * MINUTE
        i = bisect.bisect_right(self.day_starts, ts) - 1
        cursor = ts
        while 0 <= i < len(self.day_starts):
            opens = self.opens[i]
            if opens is not None:
                cursor = max(cursor, opens)
                if cursor < self.closes[i]:
                    room = self.closes[i] - cursor
                    if left <= room:
                        return float(int(cursor + left))
                    left -= room
            i += 1
            if i < len(self.day_starts):
                cursor = self.day_starts[i]
        return float(int(cursor + left))  # beyond the history: never shown

    def _office_moment(self, after: float) -> float | None:
        """A moment of a working day's hours between ``after`` and now, any day alike."""
        rng = self.rng
        for _ in range(10):
            ts = after + rng.random() * (self.now - after)
            i = bisect.bisect_right(self.day_starts, ts) - 1
            opens = self.opens[i]
            if opens is not None:
                ts = float(int(opens + rng.random() * (self.closes[i] - opens)))
                return ts if after < ts <= self.now else None
        return None

    def _spent(self, ts: float, median: float, sigma: float) -> float:
        """A person's next step: a lognormal number of working minutes after ``ts``."""
        return self.work(ts, self.rng.lognormvariate(math.log(median), sigma))

    def due(self, status: str, entered: float) -> float | None:
        """When a stay in ``status`` from ``entered`` runs over: ``norms.due_at``."""
        norm = self.norms.get(status)
        if norm is None:
            return None
        calendar, working = norm
        return entered + calendar if calendar is not None else self.work(entered, working or 0)

    def _export_moments(self) -> list[float]:
        """Every Friday at 17:00 of the history, when the week's orders went to 1C."""
        tz = self.clock.tz
        out = []
        for d in self.clock.day_dates:
            if d.weekday() == EXPORT_WEEKDAY:
                moment = datetime(d.year, d.month, d.day, EXPORT_HOUR, tzinfo=tz).timestamp()
                if moment < self.now:
                    out.append(moment)
        return out

    # --- collecting won deals -------------------------------------------------------------

    def remember(self, batch: DealBatch) -> None:
        """Keep what the orders of the batch's won deals need."""
        lines: dict[int, list[tuple[int, Decimal, Decimal, Decimal]]] = defaultdict(list)
        for line in batch.lines:
            lines[line["deal_id"]].append((line["product_id"], line["quantity"], line["price"],
                                           line["discount_percent"]))  # fmt: skip
        for deal in batch.deals:
            if deal["status"] == "won":
                self.won.append(_Won(
                    deal["id"], deal["closed_at"].timestamp(), deal["company_id"],
                    deal["contact_id"], deal["owner_id"], deal["title"], deal["amount"],
                    tuple(lines.get(deal["id"], ())),
                ))  # fmt: skip

    def _plans(self) -> list[tuple[float, _Won]]:
        """(arrival, source) of every order, oldest first; a repeat order's source has no
        deal and lines of its own."""
        rng = self.rng
        plans: list[tuple[float, _Won]] = []
        for won in self.won:
            if rng.random() >= ORDER_SHARE:
                continue
            t0 = self._spent(won.closed, 90, 1.2)  # the manager takes the order down
            if t0 <= self.now:
                plans.append((t0, won))
        repeats = max(round(len(plans) * REPEAT_SHARE), self.small_demo - len(plans))
        for _ in range(repeats if self.won else 0):
            won = rng.choice(self.won)  # a customer, from its first purchase on
            at = self._office_moment(won.closed)
            if at is None:
                continue
            picks = rng.sample(self.repeat_products, rng.choice((1, 1, 1, 2)))
            lines = []
            for pk in picks:
                product, _category, typical = self.products[pk]
                quantity = Decimal(max(1, round(typical * rng.lognormvariate(-0.5, 0.6))))
                lines.append((pk, quantity, product.price, Decimal(0)))
            plans.append((at, _Won(None, won.closed, won.company_id, won.contact_id,
                                   won.owner_id, "", Decimal(0), tuple(lines))))  # fmt: skip
        plans.sort(key=lambda p: (p[0], p[1].deal_id or 0))
        return plans

    # --- an order's story -----------------------------------------------------------------

    def _go(self, s: _Story, to: str, at: float, comment: str = "") -> bool:
        """Move along the organisation's workflow, paying first if the move needs it; False
        when the workflow has no such move or the order is stuck."""
        need = self.table.get((s.status, to))
        if need is None or s.moves_left <= 0:
            return False
        if need and not s.paid:
            self._pay(s, "paid", max(s.at, at - self.rng.uniform(300, 3600)))
        s.events.append((max(at, s.at), "status", to, comment))
        s.at, s.status = max(at, s.at), to
        s.moves_left -= 1
        if to == "paid":
            s.payment = "paid"
        return True

    def _pay(self, s: _Story, payment: str, at: float) -> None:
        s.events.append((max(at, s.at), "pay", payment, ""))
        s.at, s.payment = max(at, s.at), payment

    def _cancel(self, s: _Story, reasons: list[str]) -> None:
        rng = self.rng
        cancelled = self._go(s, "cancelled", self._spent(s.at, 240, 1.0), rng.choice(reasons))
        if cancelled and s.payment in ("paid", "partial"):
            self._pay(s, "refunded", self._spent(s.at, 600, 0.8))

    def _story(self, t0: float, physical: bool, pickup: bool) -> _Story:
        rng = self.rng
        recent = self.now - t0 < STUCK_RECENT_DAYS * DAY
        s = _Story(t0)
        if rng.random() < STUCK_SHARE[0 if recent else 1]:
            s.moves_left = rng.choices((0, 1, 2, 3, 4), (3, 3, 2, 2, 1))[0]
        if rng.random() < CANCEL["new"]:
            self._cancel(s, CANCEL_REASONS["new"])
            return s
        if not self._go(s, "confirmed", self._spent(t0, 45, 1.0)):
            return s
        if rng.random() < CANCEL["confirmed"]:
            self._cancel(s, CANCEL_REASONS["confirmed"])
            return s
        if rng.random() < PREPAID_SHARE:
            if not self._go(s, "paid", self._spent(s.at, 300, 0.8)):
                return s
            if rng.random() < CANCEL["paid"]:
                self._cancel(s, CANCEL_REASONS["paid"])
                return s
            if not self._go(s, "assembled", self._spent(s.at, 120, 0.9)):
                return s
        else:
            if rng.random() < DEPOSIT_SHARE:
                self._pay(s, "partial", self._spent(s.at, 240, 1.0))
            if not self._go(s, "assembled", self._spent(s.at, 240, 0.8)):
                return s
            if s.moves_left > 0:
                self._pay(s, "paid", self._spent(s.at, 360, 1.0))
        if rng.random() < CANCEL["assembled"]:
            self._cancel(s, CANCEL_REASONS["assembled"])
            return s
        carrier = rng.choice(CARRIERS) if physical and not pickup and rng.random() < 0.4 else ""
        note = f"{carrier}, трек {rng.randrange(10**9, 10**10)}" if carrier else ""
        if not self._go(s, "shipped", self._spent(s.at, 90, 0.8), note):
            return s
        if not physical:
            arrives = self._spent(s.at, 20, 0.6)
        else:
            days = rng.lognormvariate(math.log(1.0 if pickup else 2.5), 0.6)
            arrives = self.work(s.at + days * DAY, 0) + rng.randrange(3 * 3600)
        if physical and rng.random() < REFUSED_SHARE:
            if self._go(s, "returned", arrives, rng.choice(REFUSED_REASONS)) and s.paid:
                self._pay(s, "refunded", self._spent(s.at, 600, 0.8))
            return s
        if not self._go(s, "delivered", arrives):
            return s
        if rng.random() < RETURN_SHARE:
            back = self.work(s.at + rng.lognormvariate(math.log(6), 0.6) * DAY, 0)
            if self._go(s, "returned", back + rng.randrange(3600), rng.choice(RETURN_REASONS)):
                self._pay(s, "refunded", self._spent(s.at, 900, 0.8))
        return s

    # --- rows -----------------------------------------------------------------------------

    def _lines(self, order_id: int, won: _Won) -> tuple[list[dict[str, Any]], set[str]]:
        """The order's lines as ``order_from_deal`` copies them, and the product categories."""
        rows: list[dict[str, Any]] = []
        categories: set[str] = set()
        source = won.lines
        if not source:  # a deal without lines: one line of its title and amount
            pk = next((pk for name, pk in self.by_title if won.title.endswith(name)), None)
            if pk is not None:
                categories.add(self.products[pk][1])
            rows.append(self._line(order_id, 1, None, won.title[:200], "", "", Decimal(1),
                                   won.amount, Decimal(0), self.default_vat))  # fmt: skip
            return rows, categories
        for n, (pk, quantity, price, discount) in enumerate(source, start=1):
            product, category, _typical = self.products[pk]
            categories.add(category)
            vat = product.vat_rate if product.vat_rate is not None else self.default_vat
            rows.append(self._line(order_id, n, pk, product.name, product.sku, product.unit,
                                   quantity, price, discount, vat))  # fmt: skip
        return rows, categories

    def _line(
        self, order_id: int, position: int, product_id: int | None, name: str, sku: str,
        unit: str, quantity: Decimal, price: Decimal, discount: Decimal, vat: Decimal,
    ) -> dict[str, Any]:  # fmt: skip
        amounts = line_amounts(quantity, price, discount, vat,
                               prices_include_vat=self.include_vat)  # fmt: skip
        return {
            "order_id": order_id, "position": position, "product_id": product_id, "name": name,
            "sku": sku, "unit": unit, "quantity": quantity, "unit_price": price,
            "discount_percent": discount, "vat_rate": vat, "gross": amounts.gross,
            "discount": amounts.discount, "vat": amounts.vat, "total": amounts.total,
        }  # fmt: skip

    def _number(self, order_id: int) -> str:
        number = f"{order_id:06d}"
        return number if number not in self.taken else f"{number}-Д"

    def _exported(self, t0: float) -> float | None:
        i = bisect.bisect_right(self.exports, t0)
        if i == len(self.exports):
            return None  # new since the last export
        self.exported[self.exports[i]] += 1
        return self.exports[i]

    def _order(self, rows: OrderRows, t0: float, won: _Won) -> None:
        rng, clients, as_dt = self.rng, self.clients, self.clock.as_dt
        order_id = self.next_id
        self.next_id += 1
        lines, categories = self._lines(order_id, won)
        physical = bool(categories & GOODS) or not categories and rng.random() < 0.5
        company = clients.companies[won.company_id - clients.company_base] \
            if won.company_id else None  # fmt: skip
        contact = clients.contacts[won.contact_id - clients.contact_base] \
            if won.contact_id else None  # fmt: skip
        address = company["address"] if company else ""
        method = "digital"
        if physical:
            method = rng.choices([m for m, _w in DELIVERY], [w for _m, w in DELIVERY])[0]
            if not address:
                method = "pickup"
        story = self._story(t0, physical, method == "pickup")
        owner = won.owner_id
        email = contact["email"] if contact else ""
        phone = contact["phone"] if contact else ""
        number = self._number(order_id)
        order: dict[str, Any] = {
            "id": order_id, "number": number, "company_id": won.company_id,
            "contact_id": won.contact_id, "deal_id": won.deal_id, "owner_id": owner,
            "created_by_id": owner, "created_at": as_dt(t0), "currency": "RUB",
            "exchange_rate": Decimal(1), "prices_include_vat": self.include_vat,
            "subtotal": sum((r["gross"] for r in lines), Decimal(0)),
            "discount_total": sum((r["discount"] for r in lines), Decimal(0)),
            "vat_total": sum((r["vat"] for r in lines), Decimal(0)),
            "total": sum((r["total"] for r in lines), Decimal(0)),
            "delivery_method": method,
            "delivery_address": address if method in ("courier", "carrier") else "",
            "client_email": email, "client_phone": phone, "language": "ru",
            "public_nonce": secrets.token_urlsafe(16),
            # the same parts as orders.services._search_text
            "search_text": " ".join(p for p in (
                number, email, phone, company["name"] if company else "",
                contact["full_name"] if contact else "",
            ) if p).lower()[:600],
        }  # fmt: skip
        rows.lines.extend(lines)
        self._play(rows, order, story, t0)
        rows.orders.append(order)
        self.orders += 1

    def _change(
        self, rows: OrderRows, order: dict[str, Any], from_status: str, to_status: str, at: float,
        comment: str,
    ) -> None:  # fmt: skip
        as_dt = self.clock.as_dt
        row: dict[str, Any] = {
            "order_id": order["id"], "from_status": from_status, "to_status": to_status,
            "changed_by_id": order["owner_id"], "changed_at": as_dt(at), "comment": comment,
        }  # fmt: skip
        if to_status in self.notify and order["client_email"]:
            # the client's notice went out long ago: claimed at once, sent seconds later
            row.update(
                email_to=order["client_email"], email_status="sent", email_attempts=1,
                email_claimed_at=as_dt(at + 1),
                email_sent_at=as_dt(at + 2 + self.rng.randrange(20)),
            )  # fmt: skip
        rows.changes.append(row)

    def _stay(self, rows: OrderRows, order_id: int, status: str, entered: float, left: float
              ) -> float | None:  # fmt: skip
        """The stay's deadline; the sweep's claim if the order stayed past it."""
        due = self.due(status, entered)
        if due is not None and due < left:
            at = min(due + self.rng.randrange(60), self.now)  # the sweep runs every minute
            rows.alerts.append({"order_id": order_id, "status": status,
                                "entered_at": self.clock.as_dt(entered),
                                "created_at": self.clock.as_dt(at)})  # fmt: skip
        return due

    def _play(self, rows: OrderRows, order: dict[str, Any], story: _Story, t0: float) -> None:
        """The story up to now, as the services would have left the order."""
        as_dt = self.clock.as_dt
        self._change(rows, order, "", "new", t0, "")
        status, entered, version, updated = "new", t0, 1, t0
        payment, paid_at = "unpaid", None
        delivered = closed = None
        for at, kind, value, comment in story.events:
            if at > self.now:
                break
            version, updated = version + 1, at
            if kind == "pay":
                payment = value
                paid_at = at if value == "paid" else paid_at
                continue
            self._stay(rows, order["id"], status, entered, at)
            self._change(rows, order, status, value, at, comment)
            status, entered = value, at
            if value == "paid" and payment != "paid":
                payment, paid_at = "paid", at
            if value == "delivered":
                delivered = at
            closed = at if value not in OPEN_STATUSES else None
        due = self._stay(rows, order["id"], status, entered, self.now)
        planned = None
        if order["delivery_method"] != "digital" and status != "new":
            # promised when the order was confirmed
            planned = self.clock.as_date(story.events[0][0] + self.rng.uniform(1, 4) * DAY)
        order.update(
            status=status, status_entered_at=as_dt(entered),
            status_due_at=as_dt(due) if due is not None else None, payment_status=payment,
            paid_at=as_dt(paid_at) if paid_at is not None else None,
            delivered_at=as_dt(delivered) if delivered is not None else None,
            closed_at=as_dt(closed) if closed is not None else None, delivery_date=planned,
            version=version, updated_at=as_dt(updated),
        )  # fmt: skip
        exported = self._exported(t0)
        order["exported_at"] = as_dt(exported) if exported is not None else None

    # --- entry points ---------------------------------------------------------------------

    def build(self, chunk: int) -> Iterator[OrderRows]:
        """The orders of the remembered won deals and the repeat orders, oldest first (so
        their numbers follow their dates), ``chunk`` orders at a time."""
        plans = self._plans()
        for start in range(0, len(plans), chunk):
            rows = OrderRows()
            for t0, won in plans[start : start + chunk]:
                self._order(rows, t0, won)
            yield rows

    def export_runs(self) -> list[dict[str, Any]]:
        """The weekly exports to the accounting system that had orders to send."""
        return [
            {"created_at": self.clock.as_dt(at), "created_by_id": self.admin_id,
             "format": "commerceml", "only_new": True, "count": n}
            for at, n in sorted(self.exported.items())
        ]  # fmt: skip


def prepare_catalogue(ref: Reference) -> None:
    """The products' units and VAT rates, the first time only (through the service, as
    an administrator would set them): later seeds keep what was changed since."""
    from voronka.sales.services import product_update

    for product, category, _typical in ref.products:
        if product.unit:
            continue
        data: dict[str, Any] = {"unit": UNITS.get(category, "шт")}
        if category in VAT_EXEMPT and product.vat_rate is None:
            data["vat_rate"] = Decimal(0)
        product_update(actor=ref.admin, product=product, version=product.version, data=data)
