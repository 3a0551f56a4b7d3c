"""Satisfaction surveys of the demo's requests and the follow-up tasks of low scores.

A survey goes out at a request's first resolution, as ``voronka.service.surveys`` sends
it, once the desk had started sending them; about half the clients answer, within hours,
mostly with a 4 or 5, lower for complaints and for requests that missed a deadline or
came back. A low score leaves a task for the manager responsible for the client, made
once the clients know their owners (at the end of the seed).
"""

from __future__ import annotations

import bisect
import math
import random
import secrets
from datetime import UTC, datetime
from typing import Any

from django.conf import settings

from voronka.core.seeding import phrases
from voronka.core.seeding.clients import Clients
from voronka.core.seeding.reference import ServiceDesk
from voronka.core.seeding.timeline import DAY, Clock

HOUR = 3600.0
# The desk started sending surveys this far (by volume) into the history.
SURVEYS_FROM = 0.35
ANSWER_SHARE = 0.45
# Weights of the scores 1 to 5 by the request's kind
SCORES = {
    "complaint": (5, 10, 20, 27, 38),
    "order_problem": (3, 6, 12, 27, 52),
    "question": (2, 3, 7, 23, 65),
    "other": (2, 3, 7, 23, 65),
}
# A missed deadline or a second round costs the desk points.
LATE_FACTOR = (2.0, 1.8, 1.4, 1.0, 0.55)


class Surveys:
    def __init__(self, *, rng: random.Random, clock: Clock, desk: ServiceDesk) -> None:
        self.rng, self.desk, self.now = rng, desk, clock.now
        at = bisect.bisect_left(clock.cum, clock.total * SURVEYS_FROM)
        self.since = clock.day_starts[min(at, len(clock.day_starts) - 1)]
        self.held: list[tuple[dict[str, Any], float]] = []  # (survey, answered at)
        self.count = 0
        self.language = settings.LANGUAGE_CODE

    def as_dt(self, ts: float) -> datetime:
        return datetime.fromtimestamp(ts, UTC)

    def after_resolution(
        self, request: dict[str, Any], at: float, manager: Any, kind: str, late: bool
    ) -> dict[str, Any] | None:
        """The survey a request's first resolution sent; one answered with a low score is
        held back for :meth:`finish`, which links it to its follow-up task."""
        rng = self.rng
        email = request["client_email"]
        if not (self.desk.surveys_enabled and email and at >= self.since):
            return None
        expires = at + self.desk.survey_valid_days * DAY
        survey: dict[str, Any] = {
            "request_id": request["id"], "company_id": request["company_id"],
            "contact_id": request["contact_id"], "manager_id": manager,
            "product_id": request["product_id"], "category_id": request["category_id"],
            # a random secret, as the model makes it: nobody can work a link out of a seed
            "nonce": secrets.token_urlsafe(16), "email_to": email, "language": self.language,
            "created_at": self.as_dt(at), "expires_at": self.as_dt(expires),
            "email_status": "sent", "email_claimed_at": self.as_dt(at + 1),
            "email_sent_at": self.as_dt(at + 2 + rng.randrange(30)), "email_attempts": 1,
        }  # fmt: skip
        self.count += 1
        answered = float(int(at + rng.lognormvariate(math.log(5.0), 1.2) * HOUR))
        if rng.random() >= ANSWER_SHARE or answered > min(self.now, expires):
            return survey
        weights: tuple[float, ...] = SCORES[kind]
        if late:
            weights = tuple(w * f for w, f in zip(weights, LATE_FACTOR, strict=True))
        score = rng.choices((1, 2, 3, 4, 5), weights)[0]
        comment = ""
        if rng.random() < (0.7 if score <= 3 else 0.35):
            comment = rng.choice(phrases.SURVEY_COMMENTS[score])
        survey.update(answered_at=self.as_dt(answered), score=score, comment=comment)
        if score <= self.desk.follow_up_max_score:
            self.held.append((survey, answered))
            return None
        return survey

    def finish(
        self, clients: Clients, companies: list[dict[str, Any]], contacts: list[dict[str, Any]],
        task_base: int,
    ) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:  # fmt: skip
        """The follow-up tasks of low scores, with ids from ``task_base``, for the manager
        responsible for the client (as ``surveys._follow_up`` makes them), and the held
        surveys linked to them. Most were done within a day or two; recent ones are open."""
        rng = self.rng
        tasks: list[dict[str, Any]] = []
        for k, (survey, answered) in enumerate(self.held):
            owner = None
            if survey["company_id"]:
                owner = companies[survey["company_id"] - clients.company_base]["owner_id"]
            elif survey["contact_id"]:
                owner = contacts[survey["contact_id"] - clients.contact_base]["owner_id"]
            owner = owner or survey["manager_id"]
            task_id = task_base + k
            done = float(
                int(answered + min(3 * DAY, rng.lognormvariate(math.log(20.0), 0.8) * HOUR))
            )
            finished = done <= self.now
            title = phrases.FOLLOW_UP_TITLE.format(score=survey["score"], n=survey["request_id"])
            tasks.append({
                "id": task_id, "title": title[:250], "description": survey["comment"],
                "assignee_id": owner, "author_id": owner, "created_by_id": owner,
                "due_at": self.as_dt(answered + DAY), "priority": "high",
                "status": "done" if finished else "open",
                "completed_at": self.as_dt(done) if finished else None,
                "completed_by_id": owner if finished else None,
                "company_id": survey["company_id"], "contact_id": survey["contact_id"],
                "created_at": self.as_dt(answered), "version": 1,
                "updated_at": self.as_dt(done if finished else answered),
            })  # fmt: skip
            survey["follow_up_id"] = task_id
        surveys = [s for s, _ in self.held]
        self.held = []
        return tasks, surveys
