"""Interactions and tasks around the generated deals and leads.

Every deal gets a first contact, the step that moved it into each stage (an
offer e-mailed on entering «Предложение», a meeting on entering «Переговоры»,
the reason when it was lost) and everyday calls, letters and messages in
between, as many as its life was long. Interactions happen in working hours of
the organisation's time zone, are written by the deal's owner and carry the
deal's client, as ``activity_log`` would link them. Planned calls and meetings
leave done tasks behind; open deals mostly have one next step, spread so that
every manager's My day has overdue tasks, tasks for today and the week ahead,
and a few deals with no next step at all.
"""

from __future__ import annotations

import bisect
import random
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from voronka.accounts.models import User
from voronka.core.seeding import phrases
from voronka.core.seeding.clients import Clients
from voronka.core.seeding.deals import DealBatch
from voronka.core.seeding.reference import Reference
from voronka.core.seeding.timeline import DAY, Clock
from voronka.sales.models import LostReason

HOUR = 3600.0
# When people call and meet: nine to seven, busiest late morning and mid-afternoon.
_HOUR_BAG = [h for h, w in zip(range(9, 19), (4, 9, 10, 8, 5, 8, 10, 9, 7, 4), strict=True)
             for _ in range(w)]  # fmt: skip
_MINUTES = (0, 0, 0, 15, 30, 30, 45)
# Deals; above this only open deals and a random 100 000 get every interaction, the
# rest just the first contact and the step that closed them, so a million deals seed
# in minutes, not hours.
FULL_DETAIL_UP_TO = 100_000


@dataclass
class _OpenDeal:
    deal_id: int
    owner_id: int
    company_id: int | None
    contact_id: int | None
    stage: str
    created: float
    times: list[float]  # its interactions, in time order


@dataclass
class Interactions:
    """Activity and task rows for deals (a batch at a time) and leads.

    Open deals' next steps are held back until ``open_tasks()``: how many fall
    due today depends on how many open deals each manager has in the end.
    """

    rng: random.Random
    clock: Clock
    ref: Reference
    clients: Clients
    deals_total: int
    activities: int = 0
    tasks: int = 0
    pending: list[_OpenDeal] = field(default_factory=list)
    # newest interaction per company and contact id, for their last_contact_at
    company_last: dict[int, float] = field(default_factory=dict)
    contact_last: dict[int, float] = field(default_factory=dict)

    def __post_init__(self) -> None:
        ref = self.ref
        self.stage_name = {s.pk: s.name for _p, stages in ref.pipelines.values() for s in stages}
        self.reason: dict[Any, str] = dict(LostReason.objects.values_list("pk", "name"))
        ids = [m.id for m in ref.managers]
        users = User.objects.filter(pk__in=ids).select_related("team")
        self.name = {u.pk: f"{u.first_name} {u.last_name}" for u in users}
        self.team_lead = {u.pk: (u.team.lead_id if u.team else None) for u in users}
        # Local midnights from the start of the history to two weeks ahead, so any
        # moment maps to its local day, and due dates land on local days.
        tz = self.clock.tz
        today = self.clock.today
        future = [
            datetime.combine(today + timedelta(days=k), datetime.min.time(), tzinfo=tz)
            for k in range(0, 16)
        ]
        self.day_starts = self.clock.day_starts + [d.timestamp() for d in future]
        self.weekday = [d.weekday() for d in self.clock.day_dates] + [d.weekday() for d in future]
        self.today_index = len(self.clock.day_starts)
        # the share of closed deals that get their whole story (see FULL_DETAIL_UP_TO)
        self.full_share = min(1.0, FULL_DETAIL_UP_TO / max(1, self.deals_total))

    # --- time -----------------------------------------------------------------------------

    def between(self, lo: float, hi: float) -> float:
        """A moment in [lo, hi], in working hours on a weekday when the span allows."""
        rng = self.rng
        if hi - lo > HOUR:
            starts = self.day_starts
            for _ in range(4):
                t = lo + rng.random() * (hi - lo)
                i = bisect.bisect_right(starts, t) - 1
                if i < 0 or (self.weekday[i] >= 5 and rng.random() < 0.9):
                    continue
                m = starts[i] + rng.choice(_HOUR_BAG) * HOUR + rng.randrange(3600)
                if lo <= m <= hi:
                    return float(int(m))
        return float(int(lo + rng.random() * (hi - lo)))

    def due_on(self, day_offset: int) -> float:
        """A due time on the local day ``day_offset`` days from today, on a quarter hour."""
        rng = self.rng
        start = self.day_starts[self.today_index + day_offset]
        return start + rng.choice(_HOUR_BAG) * HOUR + rng.choice(_MINUTES) * 60

    # --- rows -----------------------------------------------------------------------------

    def _activity(
        self, kind: str, at: float, author: int, links: tuple[Any, Any, Any, Any],
        subject: str, body: str, **extra: Any,
    ) -> dict[str, Any]:  # fmt: skip
        as_dt = self.clock.as_dt
        logged = at
        if kind == "call":
            logged += (extra.get("duration_seconds") or 0) + self.rng.randrange(30, 300)
        elif kind == "meeting":
            logged = extra["ends_at"] + self.rng.randrange(600, 7200)
            extra["ends_at"] = as_dt(extra["ends_at"])
        logged = min(logged, max(at, self.clock.now))
        company, contact, deal, lead = links
        logged_at = as_dt(logged)
        row = {
            "kind": kind, "subject": subject, "body": body, "occurred_at": as_dt(at),
            "author_id": author, "company_id": company, "contact_id": contact,
            "deal_id": deal, "lead_id": lead, "created_at": logged_at,
            "updated_at": logged_at, "created_by_id": author, "_at": at, **extra,
        }  # fmt: skip
        return row

    def _call(self, at: float, author: int, links: tuple, direction: str = "") -> dict[str, Any]:
        rng = self.rng
        direction = direction or ("out" if rng.random() < 0.78 else "in")
        outcome = "reached"
        if direction == "out":
            r = rng.random()
            outcome = (
                "reached" if r < 0.72 else "no_answer" if r < 0.89 else "busy" if r < 0.96
                else "voicemail"
            )  # fmt: skip
        if outcome != "reached":
            subject, bodies = phrases.CALLS_MISSED[outcome]
            return self._activity("call", at, author, links, subject, rng.choice(bodies),
                                  direction="out", outcome=outcome)  # fmt: skip
        subject, bodies = rng.choice(phrases.CALLS_OUT if direction == "out" else phrases.CALLS_IN)
        return self._activity(
            "call", at, author, links, subject, rng.choice(bodies), direction=direction,
            outcome="reached", duration_seconds=self._duration(),
        )  # fmt: skip

    def _duration(self) -> int:
        # one to twenty minutes, most calls short
        return 60 + int(self.rng.random() ** 2 * 1140)

    def _meeting(self, at: float, author: int, links: tuple, subject: str, body: str) -> dict:
        rng = self.rng
        contact = links[1]
        people = [self.name[author]]
        if contact is not None:
            people.insert(
                0, self.clients.contacts[contact - self.clients.contact_base]["full_name"]
            )
        return self._activity(
            "meeting", at, author, links, subject, body,
            ends_at=at + rng.choice((30, 45, 60, 60, 90, 120)) * 60,
            place=rng.choice(phrases.PLACES), participants=", ".join(people),
        )  # fmt: skip

    def _everyday(self, at: float, author: int, links: tuple) -> dict[str, Any]:
        rng = self.rng
        r = rng.random()
        if r < 0.42:
            return self._call(at, author, links)
        if r < 0.65:
            out = rng.random() < 0.6
            subject, bodies = rng.choice(phrases.EMAILS_OUT if out else phrases.EMAILS_IN)
            return self._activity("email", at, author, links, subject, rng.choice(bodies),
                                  direction="out" if out else "in")  # fmt: skip
        if r < 0.77:
            subject, bodies = rng.choice(phrases.MESSAGES)
            return self._activity("message", at, author, links, subject, rng.choice(bodies),
                                  direction="out" if rng.random() < 0.6 else "in")  # fmt: skip
        if r < 0.86:
            subject, bodies = rng.choice(phrases.MEETINGS)
            return self._meeting(at, author, links, subject, rng.choice(bodies))
        subject, bodies = rng.choice(phrases.NOTES)
        return self._activity("note", at, author, links, subject, rng.choice(bodies))

    def _step(self, spec: tuple, at: float, author: int, links: tuple, body: str = "") -> dict:
        kind, direction, subject, bodies = spec
        body = body or self.rng.choice(bodies)
        if kind == "meeting":
            return self._meeting(at, author, links, subject, body)
        extra: dict[str, Any] = {"direction": direction}
        if kind == "call":
            extra.update(outcome="reached", duration_seconds=self._duration())
        return self._activity(kind, at, author, links, subject, body, **extra)

    def _task(
        self, title: str, owner: int, links: tuple, *, created: float, due: float,
        status: str = "open", done: float | None = None, updated: float | None = None,
    ) -> dict[str, Any]:  # fmt: skip
        rng = self.rng

        def as_dt(ts: float) -> datetime:
            return self.clock.as_dt(float(int(ts)))

        lead = self.team_lead.get(owner)
        author = lead if lead and lead != owner and rng.random() < 0.2 else owner
        r = rng.random()
        priority = "normal" if r < 0.74 else "high" if r < 0.9 else "urgent" if r < 0.95 else "low"
        company, contact, deal, lead_id = links
        return {
            "title": title, "description": rng.choice(phrases.TASK_NOTES),
            "assignee_id": owner, "author_id": author, "due_at": as_dt(due),
            "priority": priority, "status": status,
            "completed_at": as_dt(done) if done is not None else None,
            "completed_by_id": owner if done is not None else None,
            "company_id": company, "contact_id": contact, "deal_id": deal, "lead_id": lead_id,
            "created_at": as_dt(created), "updated_at": as_dt(updated or done or created),
            "created_by_id": author, "version": 1,
        }  # fmt: skip

    def _done_task(self, activity: dict[str, Any], owner: int, links: tuple, since: float) -> dict:
        """The task that planned this interaction, completed when it was logged."""
        rng = self.rng
        at = activity["_at"]
        created = self.between(max(since, at - 6 * DAY), max(since, at - DAY / 2))
        # due on the day it happened, mostly before: some are done late
        starts = self.day_starts
        day = starts[max(0, bisect.bisect_right(starts, at) - 1)]
        due = max(created + 1800, day + rng.choice(_HOUR_BAG) * HOUR + rng.choice(_MINUTES) * 60)
        done = max(at, min(at + rng.randrange(60, 900), self.clock.now))
        title = rng.choice(phrases.DONE_TITLE[activity["kind"]])
        return self._task(title, owner, links, created=created, due=due, status="done", done=done)

    # --- deals ----------------------------------------------------------------------------

    def for_deals(self, batch: DealBatch) -> tuple[list[dict], list[dict]]:
        """Interactions and past tasks of a batch of deals; open deals' next steps wait."""
        rng = self.rng
        now = self.clock.now
        entries: dict[int, list[tuple[int, float]]] = defaultdict(list)
        for h in batch.history:
            entries[h["deal_id"]].append((h["to_stage_id"], h["moved_at"].timestamp()))
        activities: list[dict] = []
        tasks: list[dict] = []
        for deal in batch.deals:
            owner = deal["owner_id"]
            links = (deal["company_id"], deal["contact_id"], deal["id"], None)
            created = deal["created_at"].timestamp()
            closed = deal["closed_at"]
            end = closed.timestamp() if closed is not None else now
            rows = []
            stages = entries[deal["id"]]
            # The first contact comes first, each step happens in the stage before the one
            # it leads to, and nothing happens after the step that closed the deal.
            first = self.between(
                created, min(end, created + 2 * DAY, *(m for _s, m in stages[1:2]))
            )
            rows.append(self._step(rng.choice(phrases.FIRST_CONTACT), first, owner, links))
            last = first
            full = self.full_share >= 1.0 or closed is None or rng.random() < self.full_share
            for k in range(1 if full else max(1, len(stages) - 1), len(stages)):
                stage_id, moved = stages[k]
                name = self.stage_name[stage_id]
                at = self.between(max(last, stages[k - 1][1], moved - 2 * DAY), moved)
                if deal["status"] == "lost" and moved == end:
                    kind, direction, subject = rng.choice(phrases.LOST)
                    body = f"Причина: {self.reason.get(deal.get('lost_reason_id'), '—')}."
                    if deal.get("lost_comment"):
                        body += f" {deal['lost_comment']}."
                    rows.append(self._step((kind, direction, subject, [body]), at, owner, links))
                    last = at
                elif name in phrases.INTO_STAGE:
                    spec = rng.choice(phrases.INTO_STAGE[name])
                    rows.append(self._step(spec, at, owner, links))
                    last = at
            if closed is None:
                last = end
            # the longer a deal lives, the more everyday calls, letters and notes
            life_days = (end - created) / DAY
            n = min(12, int(life_days * 0.09 * rng.uniform(0.4, 1.6) + rng.random())) if full else 0
            rows.extend(
                self._everyday(self.between(first, max(first, last - 60)), owner, links)
                for _ in range(n)
            )
            rows.sort(key=lambda r: r["_at"])
            # as activity_log keeps it; the deal row is written after this
            deal["last_contact_at"] = self.clock.as_dt(rows[-1]["_at"])
            self._touch(links, rows[-1]["_at"])
            for row in rows:
                planned = row["kind"] in phrases.DONE_TITLE and row.get("direction") != "in"
                if planned and rng.random() < 0.3:
                    tasks.append(self._done_task(row, owner, links, created))
            if deal["status"] == "open":
                self.pending.append(_OpenDeal(
                    deal["id"], owner, deal["company_id"], deal["contact_id"],
                    self.stage_name[deal["stage_id"]], created, [r["_at"] for r in rows],
                ))  # fmt: skip
            elif deal["status"] == "lost" and len(stages) > 1 and rng.random() < 0.15:
                # the planned next step lost its point when the client said no
                before = self.stage_name[stages[-2][0]]
                title = rng.choice(phrases.NEXT_STEP.get(before, phrases.NEXT_STEP_ANY))
                at = self.between(created, end)
                tasks.append(self._task(
                    title, owner, links, created=at, due=end + rng.uniform(1, 5) * DAY,
                    status="cancelled", updated=end + rng.randrange(60, 3600),
                ))  # fmt: skip
            activities.extend(rows)
        self.activities += len(activities)
        self.tasks += len(tasks)
        return activities, tasks

    def open_tasks(self) -> list[dict]:
        """One next step for most open deals: for every manager several due today, a
        fifth a few days overdue, the rest within two weeks; about one open deal in
        seven (at least one per manager) gets none."""
        rng = self.rng
        by_owner: dict[int, list[_OpenDeal]] = defaultdict(list)
        for deal in self.pending:
            by_owner[deal.owner_id].append(deal)
        tasks = []
        for owner in sorted(by_owner):
            deals = by_owner[owner]
            rng.shuffle(deals)
            n = len(deals)
            without = max(1, round(n * 0.15)) if n >= 3 else 0
            planned = n - without
            today = min(rng.randint(3, 5) + n // 40, max(1, planned - 2))
            overdue = min(max(1, round(planned * 0.2)), max(0, planned - today - 1))
            # deals a week old or more can have a step that is a few days late
            old = [d for d in deals[without:] if d.created < self.clock.now - 6 * DAY]
            late = old[:overdue]
            late_ids = {d.deal_id for d in late}
            rest = [d for d in deals[without:] if d.deal_id not in late_ids]
            for k, deal in enumerate(late + rest):
                if k < len(late):
                    offset = -rng.choice((1, 1, 1, 2, 2, 3, 4, 5))
                elif k < len(late) + today:
                    offset = 0
                else:
                    offset = rng.randint(1, 14)
                due = self.due_on(offset)
                if due < deal.created + 2 * HOUR:
                    due = self.due_on(rng.randint(1, 14))
                earlier = [t for t in deal.times if t < due]
                created = (earlier[-1] if earlier else deal.created) + rng.randrange(60, 900)
                if created >= due:
                    created = max(deal.created + 60, due - rng.uniform(1, 24) * HOUR)
                created = min(created, self.clock.now)
                title = rng.choice(phrases.NEXT_STEP.get(deal.stage, phrases.NEXT_STEP_ANY))
                links = (deal.company_id, deal.contact_id, deal.deal_id, None)
                task = self._task(title, owner, links, created=created, due=due)
                if rng.random() < 0.1:
                    task["status"] = "in_progress"
                tasks.append(task)
        self.pending = []
        self.tasks += len(tasks)
        return tasks

    # --- leads ----------------------------------------------------------------------------

    def _touch(self, links: tuple, at: float) -> None:
        company, contact = links[0], links[1]
        if company is not None and at > self.company_last.get(company, 0.0):
            self.company_last[company] = at
        if contact is not None and at > self.contact_last.get(contact, 0.0):
            self.contact_last[contact] = at

    def fill_last_contact(self, companies: list[dict], contacts: list[dict]) -> None:
        """Clients remember their newest interaction, as ``activity_log`` keeps them."""
        as_dt = self.clock.as_dt
        for rows, newest in ((companies, self.company_last), (contacts, self.contact_last)):
            for row in rows:
                at = newest.get(row["id"])
                if at is not None:
                    row["last_contact_at"] = as_dt(at)

    def for_leads(self, leads: list[dict[str, Any]]) -> tuple[list[dict], list[dict]]:
        """First calls and letters on worked leads; a next step on some leads in progress."""
        rng = self.rng
        now = self.clock.now
        activities: list[dict] = []
        tasks: list[dict] = []
        for lead in leads:
            owner = lead["owner_id"]
            status = lead["status"]
            if owner is None or status == "new":
                continue
            links = (lead.get("company_id"), lead.get("contact_id"), None, lead["id"])
            created = lead["created_at"].timestamp()
            if status == "qualified":
                if rng.random() < 0.7:
                    end = lead["qualified_at"].timestamp()
                    activities.append(self._call(self.between(created, end), owner, links))
                continue
            if status == "rejected":
                if rng.random() < 0.6:
                    end = lead["rejected_at"].timestamp()
                    if rng.random() < 0.5:
                        activities.append(self._call(self.between(created, end), owner, links))
                    kind, direction, subject = phrases.REJECTED_LEAD
                    body = f"Причина: {self.reason.get(lead.get('rejection_reason_id'), '—')}."
                    activities.append(self._step((kind, direction, subject, [body]),
                                                 end, owner, links))  # fmt: skip
                continue
            times = sorted(self.between(created, now) for _ in range(rng.randint(1, 3)))
            activities.extend(self._call(t, owner, links) for t in times)
            if rng.random() < 0.7:
                due = self.due_on(rng.choice((-2, -1, 0, 0, 1, 1, 2, 3, 5)))
                if due > times[-1] + HOUR:
                    created_task = min(times[-1] + rng.randrange(60, 900), now)
                    tasks.append(self._task(rng.choice(phrases.LEAD_STEPS), owner, links,
                                            created=created_task, due=due))  # fmt: skip
        for a in activities:
            self._touch((a["company_id"], a["contact_id"]), a["_at"])
        self.activities += len(activities)
        self.tasks += len(tasks)
        return activities, tasks
