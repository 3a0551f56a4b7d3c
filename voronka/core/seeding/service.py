"""Service-desk demo data: client requests around the generated deals, their threads, SLA
deadlines and alerts, and the satisfaction surveys that followed.

A request comes from a deal's client: questions while a deal is open, complaints, order
problems and warranty cases after a sale. Its story (first message, replies, the client's
answers, notes, resolution, closing, now and then a reopening) is planned, then played
through the rules of ``voronka.service.services`` up to the end of the seeded history, so
the derived columns are what the services and the SLA sweep would have left: policy and
deadlines (``sla.policy_for``, ``sla.due`` on the work calendar), breach flags,
``next_due_at`` (``sla.next_due``), the sweep's alert claims (a freshly started worker must
not report a year of old breaches), a survey at the first resolution, a follow-up task
after a low score.
"""

from __future__ import annotations

import bisect
import itertools
import math
import random
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from voronka.core import workcalendar
from voronka.core.seeding import catalog, phrases
from voronka.core.seeding.clients import Clients
from voronka.core.seeding.deals import DealBatch
from voronka.core.seeding.reference import Reference, ServiceDesk
from voronka.core.seeding.surveys import Surveys
from voronka.core.seeding.timeline import DAY, Clock
from voronka.service import sla
from voronka.service.models import Kind, Priority, SlaPolicy

HOUR = 3600.0
# About one request per five deals. A small demo gets more (up to SMALL_PER_DEAL a deal,
# MIN_REQUESTS in all): one per five deals would give the 1 000-deal demo under one request
# a day, a queue of two or three open requests and weeks without a survey answer.
REQUESTS_PER_DEAL = 0.2
SMALL_PER_DEAL = 3
MIN_REQUESTS = 3000

# Any deal's client asks questions while the deal is open; a customer writes after the
# sale too, with complaints and order problems. The shares make the whole about 60 %
# questions, 20 % complaints, 12 % order problems and 8 % other.
BEFORE_SALE_SHARE = 0.4
BEFORE_SALE = (("question", 86), ("complaint", 5), ("other", 9))
AFTER_SALE_KINDS = (("question", 42), ("complaint", 30), ("order_problem", 20), ("other", 8))
# Days from the sale to a request about it: (median, spread)
AFTER_SALE = {"order_problem": (3.0, 0.9), "complaint": (8.0, 1.0), "question": (20.0, 1.2),
              "other": (15.0, 1.2)}  # fmt: skip
# How often a request of each kind is about each category:
# (question, complaint, order problem, other)
CATEGORY_WEIGHTS = {
    "Доставка": (8, 20, 35, 0), "Оплата и счета": (15, 8, 18, 8),
    "Качество товара": (2, 22, 15, 0), "Гарантия и возврат": (7, 10, 7, 0),
    "Консультация": (30, 8, 0, 35), "Технические вопросы": (20, 12, 0, 20),
    "Лицензии и доступы": (8, 5, 10, 0), "Закрывающие документы": (7, 3, 15, 25),
    "Качество работ и услуг": (3, 12, 0, 12),
}  # fmt: skip
KIND_COLUMN = {"question": 0, "complaint": 1, "order_problem": 2, "other": 3}
PRIORITIES = {
    "question": (("low", 15), ("normal", 68), ("high", 14), ("urgent", 3)),
    "complaint": (("low", 2), ("normal", 50), ("high", 35), ("urgent", 13)),
    "order_problem": (("low", 3), ("normal", 55), ("high", 32), ("urgent", 10)),
    "other": (("low", 35), ("normal", 60), ("high", 5)),
}
CHANNELS = (("email", 40), ("phone", 30), ("web_form", 20), ("api", 4), ("in_person", 6))
# Channels that reach the desk only while it works.
OFFICE = frozenset({"phone", "in_person"})
_OFFICE_HOURS = [0] * 9 + [6, 10, 10, 8, 6, 8, 9, 8, 5] + [0] * 6
_ANY_HOURS = [1, 0.5, 0.3, 0.2, 0.2, 0.3, 1, 3, 6, 10, 10, 9, 7, 8, 9, 8, 7, 6, 4, 3, 3, 2, 2, 1.5]
_HOURS = range(24)
_OFFICE_CUM = list(itertools.accumulate(_OFFICE_HOURS))
_ANY_CUM = list(itertools.accumulate(_ANY_HOURS))
# First response, working minutes after arrival: median by priority (phone calls are
# answered on the spot more often, managers answer slower than the desk).
RESPONSE = {"urgent": 12.0, "high": 25.0, "normal": 70.0, "low": 150.0}
UNCAPPED = {"Гарантия и возврат"}  # takes what it takes, SLA or not
PRIORITY_PACE = {"urgent": 0.4, "high": 0.7, "normal": 1.0, "low": 1.3}
ASKS_SHARE = 0.3  # the first reply asks the client something
SILENT_SHARE = 0.2  # of those the client never answers
FORGOTTEN_SHARE = 0.03
FORGOTTEN_PACE = 20
CLIENT_ANSWERS = 540.0  # working minutes the client takes to answer a question, median
WORKING_DAY = 9 * 60
REOPEN_SHARE = {"complaint": 0.09, "order_problem": 0.06, "question": 0.04, "other": 0.03}
DUPLICATE_SHARE = 0.02
CLOSE_SHARE = 0.55
OPEN = ("new", "in_progress", "waiting", "reopened")
DONE = ("resolved", "closed")


def request_count(deals: int) -> int:
    """How many requests ``deals`` deals bring (before those that would come after today)."""
    return max(round(deals * REQUESTS_PER_DEAL), min(MIN_REQUESTS, deals * SMALL_PER_DEAL))


def _pick(rng: random.Random, pairs: tuple[tuple[Any, float], ...]) -> Any:
    return rng.choices([p for p, _ in pairs], [w for _, w in pairs])[0]


@dataclass
class ServiceRows:
    requests: list[dict[str, Any]] = field(default_factory=list)
    messages: list[dict[str, Any]] = field(default_factory=list)
    alerts: list[dict[str, Any]] = field(default_factory=list)
    surveys: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class _Plan:
    """What will happen to a request, before "now" cuts the story."""

    t0: float
    policy: SlaPolicy | None
    fr_due: float | None
    res_due: float | None
    events: list[tuple[float, str, Any, str, str]]  # (at, action, author, body, status)


class Requests:
    """Request rows for deals, a batch at a time (surveys of low scores wait in ``surveys``
    until the clients know their owners, who get the follow-up task)."""

    def __init__(
        self, *, rng: random.Random, clock: Clock, ref: Reference, desk: ServiceDesk,
        clients: Clients, base_id: int, deals_total: int,
    ) -> None:  # fmt: skip
        self.rng, self.clock, self.desk, self.clients = rng, clock, desk, clients
        self.next_id = base_id
        self.now = clock.now
        self.cal = workcalendar.current()
        self.policies = {(k, p): sla.policy_for(k, p) for k in Kind.values for p in Priority.values}
        self.product_category = {p.pk: cat for p, cat, _ in ref.products}
        self.product_names = [(p.name, p.pk) for p, _, _ in ref.products]
        self.products_in: dict[str | None, list[int]] = defaultdict(list)
        for p, cat, _ in ref.products:
            self.products_in[cat].append(p.pk)
            self.products_in[None].append(p.pk)
        self.name_of = {p.pk: p.name for p, _, _ in ref.products}
        self.rate = request_count(deals_total) / max(1, deals_total)
        self.surveys = Surveys(rng=rng, clock=clock, desk=desk)
        self.requests = 0

    # --- time -----------------------------------------------------------------------------

    def as_dt(self, ts: float | None) -> datetime | None:
        return None if ts is None else datetime.fromtimestamp(ts, UTC)

    def work(self, ts: float, minutes: float) -> float:
        """``minutes`` of working time after ``ts`` (0: the next working moment)."""
        return float(int(self.cal.add(datetime.fromtimestamp(ts, UTC), minutes).timestamp()))

    def _due(self, policy: SlaPolicy, ts: float, minutes: int | None) -> float | None:
        moment = sla.due(policy, datetime.fromtimestamp(ts, UTC), minutes, self.cal)
        return None if moment is None else moment.timestamp()

    def _arrival(
        self, draw: Callable[[], float], lo: float, hi: float, channel: str
    ) -> float | None:
        """When the client wrote: a day drawn by ``draw``, kept by the weekday weights of
        the demo (calls only on working days, letters and forms on days off too, though
        seldom), at an hour people write; None when the day falls after ``hi``."""
        rng = self.rng
        office = channel in OFFICE
        starts, dates = self.clock.day_starts, self.clock.day_dates
        for _ in range(8):
            t = draw()
            if t > hi:
                return None
            i = bisect.bisect_right(starts, t) - 1
            day = dates[i]
            if self.cal.is_working_day(day):
                if rng.random() > catalog.WEEKDAY_WEIGHT[day.weekday()] / 1.05:
                    continue
            elif office or rng.random() > 0.15:
                continue
            hours = _OFFICE_CUM if office else _ANY_CUM
            m = starts[i] + rng.choices(_HOURS, cum_weights=hours)[0] * HOUR
            m += rng.randrange(3600)
            if m < lo:
                m = lo + rng.randrange(3600)
            return float(int(m)) if m <= hi else None
        return None

    # --- what the request is about --------------------------------------------------------

    def _product_of(self, deal: dict[str, Any], lines: dict[int, int]) -> int | None:
        """The deal's main product: its first line, or the product its title names."""
        product = lines.get(deal["id"])
        if product is None:
            title = deal["title"]
            product = next((pk for name, pk in self.product_names if title.endswith(name)), None)
        return product

    def _topic(self, kind: str, product: int | None) -> tuple[str, int | None, str, str]:
        """(category, product, subject, first message) for a request of ``kind``."""
        rng = self.rng
        of = self.product_category.get(product) if product else None
        column = KIND_COLUMN[kind]
        fitting = []
        for name, weights in CATEGORY_WEIGHTS.items():
            fits = self.desk.categories[name][1].products
            if weights[column] and (fits is None or of in fits):
                fitting.append((name, weights[column]))
        category = _pick(rng, tuple(fitting))
        fits = self.desk.categories[category][1].products
        _kinds, subject, text = rng.choice(
            [a for a in phrases.REQUESTS[category]["asks"] if kind in a[0]]
        )
        if product is None and "{product}" in text:
            product = rng.choice(self.products_in[None] if fits is None else [
                pk for c in fits for pk in self.products_in[c]
            ])  # fmt: skip
        name = self.name_of[product] if product else ""
        return category, product, subject, text.format(product=name, num=rng.randrange(120, 4800))

    # --- one request ----------------------------------------------------------------------

    def _plan(
        self, t0: float, kind: str, priority: str, channel: str, category: str, author: int,
        manager: bool,
    ) -> _Plan:  # fmt: skip
        rng = self.rng
        policy = self.policies[(kind, priority)]
        fr_due = res_due = None
        if policy is not None:
            fr_due = self._due(policy, t0, policy.first_response_minutes)
            res_due = self._due(policy, t0, policy.resolution_minutes)
        talk = phrases.REQUESTS[category]
        events: list[tuple[float, str, Any, str, str]] = []
        if rng.random() < DUPLICATE_SHARE:
            at = self.work(t0, rng.uniform(5, 60))
            events.append((at, "note", author, phrases.DUPLICATE_NOTE, ""))
            events.append((at + 30, "status", author, "", "closed"))
            return _Plan(t0, policy, fr_due, res_due, events)
        median = RESPONSE[priority] * (0.5 if channel in OFFICE else 1.0) * (1.8 if manager else 1)
        if kind == "complaint":
            median *= 0.6  # the desk answers complaints first
        fr = self.work(t0, rng.lognormvariate(math.log(median), 0.8))
        facts = self.desk.categories[category][1]
        spread = facts.spread
        median = facts.handling * PRIORITY_PACE[priority]
        if policy is not None and policy.resolution_minutes and category not in UNCAPPED:
            target = policy.resolution_minutes
            if policy.clock == SlaPolicy.Clock.CALENDAR:
                target = target * 9 // 24  # a day and night hold a working day's hours
            median = min(median, 0.3 * target)
        if rng.random() < facts.at_once:
            events.append((fr, "reply", author, rng.choice(talk["done"]), "resolved"))
            resolved = fr
        else:
            asks = rng.random() < ASKS_SHARE
            events.append((fr, "reply", author, rng.choice(talk["replies"]),
                           "waiting" if asks else ""))  # fmt: skip
            start = fr
            if asks:
                if rng.random() < SILENT_SHARE:
                    # the client never answers: after two to four weeks the desk gives up
                    gone = self.work(fr, rng.uniform(10, 20) * WORKING_DAY)
                    events.append((gone, "note", author, phrases.NO_ANSWER_NOTE, ""))
                    events.append((gone + 30, "status", author, "", "closed"))
                    return _Plan(t0, policy, fr_due, res_due, events)
                start = self.work(fr, rng.lognormvariate(math.log(CLIENT_ANSWERS), 1.1))
                events.append((start, "client", None, rng.choice(talk["client"]), ""))
            handling = rng.lognormvariate(math.log(median), spread)
            if rng.random() < facts.third_party:
                # a warehouse, carrier, vendor or service centre has to do its part
                handling += rng.lognormvariate(math.log(2 * WORKING_DAY), 0.8)
            if rng.random() < FORGOTTEN_SHARE:
                handling *= FORGOTTEN_PACE  # lost in the queue until somebody noticed
            resolved = self.work(start, handling)
            middle = sorted(
                start + rng.random() * (resolved - start) for _ in range(rng.randint(0, 2 - asks))
            )
            for at in middle:
                snapped = self.work(at, 0)
                at = snapped if snapped < resolved else at
                if rng.random() < 0.6:
                    events.append((float(int(at)), "note", author, rng.choice(talk["notes"]), ""))
                else:
                    events.append((float(int(at)), "client", None, rng.choice(talk["client"]), ""))
            if rng.random() < 0.75:
                events.append((resolved, "reply", author, rng.choice(talk["done"]), "resolved"))
            else:
                events.append((resolved, "status", author, "", "resolved"))
        later = resolved
        if rng.random() < REOPEN_SHARE[kind]:
            again = resolved + rng.lognormvariate(math.log(1.5), 0.8) * DAY
            events.append((float(int(again)), "client", None, rng.choice(phrases.REOPEN), ""))
            back = self.work(again, rng.lognormvariate(math.log(RESPONSE[priority]), 0.7))
            events.append((back, "reply", author, rng.choice(phrases.REOPEN_REPLY), ""))
            later = self.work(back, rng.lognormvariate(math.log(median * 0.6), spread))
            events.append((later, "reply", author, rng.choice(talk["done"]), "resolved"))
        if rng.random() < CLOSE_SHARE:
            closed = later + rng.lognormvariate(math.log(3.0), 0.6) * DAY
            events.append((float(int(closed)), "status", author, "", "closed"))
        events.sort(key=lambda e: e[0])
        return _Plan(t0, policy, fr_due, res_due, events)

    def _request(
        self, rows: ServiceRows, deal: dict[str, Any], product: int | None, after_sale: bool
    ) -> None:
        rng = self.rng
        status = deal["status"]
        kind = _pick(rng, AFTER_SALE_KINDS if after_sale else BEFORE_SALE)
        clients = self.clients
        company_id, contact_id = deal["company_id"], deal["contact_id"]
        if contact_id is None and company_id is not None and rng.random() < 0.95:
            people = clients.company_contacts[company_id - clients.company_base]
            contact_id = clients.contacts[rng.choice(people)]["id"]
        contact = clients.contacts[contact_id - clients.contact_base] if contact_id else None
        company = clients.companies[company_id - clients.company_base] if company_id else None
        channel = _pick(rng, CHANNELS)
        email = contact["email"] if contact else ""
        if not email and company is not None and channel == "email":
            email = company["email"]
        if not email and channel in ("email", "web_form"):
            channel = "phone"  # no address to write from: the client calls
        created = deal["created_at"].timestamp()
        closed = deal["closed_at"].timestamp() if deal["closed_at"] is not None else None
        if after_sale and closed is not None:
            median, spread = AFTER_SALE[kind]
            lo, hi = closed + HOUR, self.now

            def draw() -> float:
                return lo + rng.lognormvariate(math.log(median), spread) * DAY
        else:
            lo, hi = created + HOUR, (closed if closed is not None else self.now)

            def draw() -> float:
                return lo + rng.random() * (hi - lo)

        if hi <= lo:
            return
        t0 = self._arrival(draw, lo, hi, channel)
        if t0 is None:
            return
        if kind == "question" and status == "won" and rng.random() < 0.4:
            deal_id = None  # a customer's general question, not about that sale
        else:
            deal_id = deal["id"]
        category, product, subject, text = self._topic(kind, product)
        priority = _pick(rng, PRIORITIES[kind])
        manager = rng.random() < (0.1 if after_sale or kind != "question" else 0.3)
        author = deal["owner_id"] if manager else rng.choices(
            self.desk.agents, self.desk.agent_weights
        )[0]  # fmt: skip
        plan = self._plan(t0, kind, priority, channel, category, author, manager)
        request_id = self.next_id
        self.next_id += 1
        row: dict[str, Any] = {
            "id": request_id, "subject": subject, "company_id": company_id,
            "contact_id": contact_id, "client_name": contact["full_name"] if contact else "",
            "client_email": email, "client_phone": contact["phone"] if contact else "",
            "kind": kind, "category_id": self.desk.categories[category][0], "product_id": product,
            "deal_id": deal_id, "channel": channel, "priority": priority, "assignee_id": author,
            "created_by_id": author if channel in OFFICE else None,
            "sla_policy_id": plan.policy.pk if plan.policy else None,
        }  # fmt: skip
        plan.events.insert(0, (t0, "client", None, text, ""))
        self._play(rows, row, plan, kind)
        rows.requests.append(row)
        self.requests += 1

    # --- playing the story ----------------------------------------------------------------

    def _message(
        self, rows: ServiceRows, request: dict[str, Any], kind: str, at: float, author: Any,
        body: str,
    ) -> None:  # fmt: skip
        row: dict[str, Any] = {
            "request_id": request["id"], "kind": kind, "body": body, "author_id": author,
            "created_at": self.as_dt(at),
        }  # fmt: skip
        if kind == "reply" and request["client_email"]:
            # old replies went out long ago: one claim, sent a few seconds later
            row.update(
                email_to=request["client_email"], email_status="sent",
                email_claimed_at=self.as_dt(at + 1),
                email_sent_at=self.as_dt(at + 2 + self.rng.randrange(20)), email_attempts=1,
            )  # fmt: skip
        rows.messages.append(row)

    def _play(self, rows: ServiceRows, row: dict[str, Any], plan: _Plan, kind: str) -> None:
        """Apply the planned events up to now as the services would, then what the SLA sweep
        would have done: flags for deadlines it saw pass, and its alert claims."""
        now = self.now
        status = "new"
        first_at: float | None = None
        resolved_at: float | None = None
        closed_at: float | None = None
        reopened_at: float | None = None
        resolved_by = None
        reopens = 0
        version = 1
        updated = plan.t0
        res_due = plan.res_due
        first_late = res_late = False
        opened = plan.t0
        spans: list[tuple[float, float, float | None]] = []  # open (from, to, resolution due)
        survey_at: float | None = None
        manager = row["assignee_id"]
        for at, action, author, body, target in plan.events:
            if at > now:
                break
            new = status
            saved = False  # whether the service saved the request (a new version)
            if action == "client":
                self._message(rows, row, "client", at, None, body)
                if at == plan.t0:
                    continue
                if status in DONE:
                    new = "reopened"
                elif status == "waiting":
                    new = "in_progress"
            elif action == "note":
                self._message(rows, row, "note", at, author, body)
                continue
            elif action == "reply":
                self._message(rows, row, "reply", at, author, body)
                if first_at is None:
                    first_at = at
                    first_late = plan.fr_due is not None and at > plan.fr_due
                    row["first_response_by_id"] = author
                    saved = True
                new = target or ("in_progress" if status in ("new", "reopened") else status)
                if new in DONE and status in DONE:
                    new = status
            else:
                new = target
            if new != status:
                saved = True
                if new in DONE and status in OPEN:
                    resolved_at, resolved_by = at, author
                    res_late = res_late or (res_due is not None and at > res_due)
                    spans.append((opened, at, res_due))
                    if new == "resolved" and survey_at is None:
                        survey_at, manager = at, row["assignee_id"]
                if new == "closed":
                    closed_at = at
                if new == "reopened":
                    resolved_at = resolved_by = closed_at = None
                    reopened_at, reopens, opened = at, reopens + 1, at
                    if plan.policy is not None:
                        res_due = self._due(plan.policy, at, plan.policy.resolution_minutes)
                status = new
            if saved:
                version += 1
                updated = at
        if status in OPEN:
            spans.append((opened, now, res_due))
        # the sweep: a deadline passed while the request waited for it
        for start, end, due in spans:
            if due is not None and max(start, due) < end:
                res_late = True
            unanswered_until = min(end, first_at) if first_at is not None else end
            if plan.fr_due is not None and max(start, plan.fr_due) < unanswered_until:
                first_late = True
        if status == "new" and row["channel"] not in OFFICE and self.rng.random() < 0.4:
            row["assignee_id"] = None  # arrived by itself, nobody has taken it yet
        open_ = status in OPEN
        ahead = []
        if open_ and first_at is None and plan.fr_due is not None:
            ahead.append(plan.fr_due)
        if open_ and resolved_at is None and res_due is not None:
            ahead.append(res_due)
        as_dt = self.as_dt
        row.update(
            status=status, first_response_at=as_dt(first_at), resolved_at=as_dt(resolved_at),
            resolved_by_id=resolved_by, closed_at=as_dt(closed_at),
            reopened_at=as_dt(reopened_at), reopen_count=reopens,
            first_response_due_at=as_dt(plan.fr_due), resolution_due_at=as_dt(res_due),
            first_response_breached=first_late, resolution_breached=res_late,
            next_due_at=as_dt(min(ahead)) if ahead else None,
            created_at=as_dt(plan.t0), updated_at=as_dt(updated), version=version,
        )  # fmt: skip
        if first_at is None:
            row["first_response_by_id"] = None
        self._alerts(rows, row, plan, spans, first_at)
        if survey_at is not None:
            late = first_late or res_late or bool(reopens)
            survey = self.surveys.after_resolution(row, survey_at, manager, kind, late)
            if survey is not None:
                rows.surveys.append(survey)

    def _alerts(
        self, rows: ServiceRows, row: dict[str, Any], plan: _Plan,
        spans: list[tuple[float, float, float | None]], first_at: float | None,
    ) -> None:  # fmt: skip
        """The claims the sweep made: a warning when a deadline came within its policy's
        warning time, a breach when it passed, each while the request still waited."""
        policy = plan.policy
        if policy is None:
            return
        warn = policy.warn_minutes_before * 60
        targets: list[tuple[str, float, float, float]] = []  # (target, due, from, until)
        for start, end, due in spans:
            if plan.fr_due is not None:
                until = min(end, first_at) if first_at is not None else end
                targets.append(("first_response", plan.fr_due, start, until))
            if due is not None:
                targets.append(("resolution", due, start, end))
        seen = set()
        for target, due, start, until in targets:
            warned = max(start, due - warn)
            near = warned <= min(due, self.now) and warned <= until
            if warn and near and (target, "warning", due) not in seen:
                seen.add((target, "warning", due))
                rows.alerts.append(self._alert(row, target, "warning", due, warned))
            breached = max(start, due)
            if breached < until and (target, "breach", due) not in seen:
                seen.add((target, "breach", due))
                rows.alerts.append(self._alert(row, target, "breach", due, breached))

    def _alert(
        self, row: dict[str, Any], target: str, stage: str, due: float, at: float
    ) -> dict[str, Any]:
        # the sweep runs every minute
        at = min(at + self.rng.randrange(60), self.now)
        return {"request_id": row["id"], "target": target, "stage": stage,
                "due_at": self.as_dt(due), "created_at": self.as_dt(at)}  # fmt: skip

    # --- entry points ---------------------------------------------------------------------

    def for_deals(self, batch: DealBatch) -> ServiceRows:
        """Requests (with threads, alerts and surveys) from a batch of deals' clients."""
        rng = self.rng
        rows = ServiceRows()
        lines: dict[int, int] = {}
        for line in batch.lines:
            lines.setdefault(line["deal_id"], line["product_id"])
        if not batch.deals:
            return rows
        wanted = self.rate * len(batch.deals)
        won = sum(1 for d in batch.deals if d["status"] == "won")
        before = wanted * BEFORE_SALE_SHARE / len(batch.deals)
        after = wanted * (1 - BEFORE_SALE_SHARE) / won if won else 0.0
        for deal in batch.deals:
            for after_sale, expected in ((False, before), (True, after)):
                if after_sale and deal["status"] != "won":
                    continue
                n = int(expected) + (rng.random() < expected - int(expected))
                for _ in range(n):
                    self._request(rows, deal, self._product_of(deal, lines), after_sale)
        return rows
