"""Satisfaction surveys: sending one after a resolution or a delivered order, and taking
the client's answer.

The link names the survey and its nonce, signed with the installation's secret: a
changed or made-up link fails the signature. The answer is taken by a conditional
UPDATE (not answered, not expired), so two clicks or a replayed link record one answer.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core import signing
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from voronka.core import events, organisation
from voronka.service.models import Request, Survey

SALT = "voronka.service.survey"
MAX_COMMENT = 2000


class SurveyRefused(Exception):
    """The link cannot take an answer; ``reason`` says why, for the client to read."""

    def __init__(self, code: str, survey: Survey | None = None) -> None:
        super().__init__(code)
        self.code = code  # forged, answered, expired
        self.survey = survey


def token_for(survey: Survey) -> str:
    return signing.dumps([survey.pk, survey.nonce], salt=SALT)


def survey_from_token(token: str) -> Survey:
    """The survey a link is for, if the link is genuine and the survey can be answered."""
    try:
        pk, nonce = signing.loads(token, salt=SALT)
    except (signing.BadSignature, ValueError, TypeError) as exc:
        raise SurveyRefused("forged") from exc
    survey = Survey.objects.select_related("request", "order").filter(pk=pk, nonce=nonce).first()
    if survey is None:
        raise SurveyRefused("forged")
    if survey.answered_at is not None:
        raise SurveyRefused("answered", survey)
    if survey.expires_at <= timezone.now():
        raise SurveyRefused("expired", survey)
    return survey


def _client_email(request: Request) -> str:
    if request.client_email:
        return request.client_email
    if request.contact is not None and request.contact.email:
        return request.contact.email
    return ""


def survey_send(request: Request) -> Survey | None:
    """A survey about a resolved request, e-mailed after the commit; none when surveys
    are off, the client has no e-mail address, or the request already had one."""
    org = organisation.current()
    email = _client_email(request)
    if not org.surveys_enabled or not email or request.surveys.exists():
        return None
    survey = Survey.objects.create(
        request=request, company=request.company, contact=request.contact,
        manager=request.assignee, product=request.product, category=request.category,
        email_to=email, language=settings.LANGUAGE_CODE,
        expires_at=timezone.now() + timedelta(days=org.survey_valid_days),
    )  # fmt: skip
    from voronka.service.tasks import send_survey_email

    transaction.on_commit(lambda: send_survey_email(survey.pk))
    return survey


def survey_send_for_order(order: Any) -> Survey | None:
    """A survey about a delivered order, e-mailed after the commit in the order's
    language; none when surveys are off, the client has no e-mail address, or the order
    already had one (the database keeps it to one per order, whoever sends it).

    The manager is the order's responsible manager and the product its first line's,
    so the answer counts in CSAT by manager and by product.
    """
    org = organisation.current()
    contact = order.contact
    email = order.client_email or (contact.email if contact is not None else "")
    if not org.surveys_enabled or not email or order.deleted_at is not None:
        return None
    if Survey.objects.filter(order=order).exists():
        return None
    first = order.lines.order_by("position", "pk").only("product_id").first()
    language = order.language if order.language in dict(settings.LANGUAGES) else ""
    try:
        with transaction.atomic():
            survey = Survey.objects.create(
                order=order, company=order.company, contact=contact, manager=order.owner,
                product_id=first.product_id if first is not None else None, email_to=email,
                language=language or settings.LANGUAGE_CODE,
                expires_at=timezone.now() + timedelta(days=org.survey_valid_days),
            )  # fmt: skip
    except IntegrityError:  # another worker sent it meanwhile
        return None
    from voronka.service.tasks import send_survey_email

    transaction.on_commit(lambda: send_survey_email(survey.pk))
    return survey


def _follow_up(survey: Survey) -> None:
    """A low score: a task for the manager responsible for the client, and a notice."""
    from voronka.activities.models import NotificationKind, Task
    from voronka.activities.services import notify

    request, order = survey.request, survey.order
    client = survey.company or survey.contact
    # The client's manager if still here, else whoever handled the request: a low score
    # must not go unanswered because the client's manager has left.
    person = next(
        (p for p in (getattr(client, "owner", None), survey.manager) if p and p.is_active), None
    )
    if person is None:
        return
    with translation.override(person.language or None):
        if order is not None:
            title = _("Call the client back: satisfaction score %(score)s on order %(n)s") % {
                "score": survey.score, "n": order.number,
            }  # fmt: skip
        else:
            title = _("Call the client back: satisfaction score %(score)s on request #%(n)s") % {
                "score": survey.score, "n": request.pk if request else survey.pk,
            }  # fmt: skip
        notice = _("Low satisfaction score %(score)s from %(client)s") % {
            "score": survey.score, "client": client or survey.email_to,
        }  # fmt: skip
    task = Task.objects.create(
        title=title[:250], description=survey.comment, assignee=person, author=person,
        due_at=timezone.now() + timedelta(days=1), priority=Task.Priority.HIGH,
        company=survey.company, contact=survey.contact,
    )  # fmt: skip
    Survey.objects.filter(pk=survey.pk).update(follow_up=task)
    survey.follow_up = task
    url = ""
    if request is not None:
        url = reverse("service:request-detail", args=[request.pk])
    elif order is not None:
        url = reverse("orders:order-detail", args=[order.pk])
    notify(recipient=person, kind=NotificationKind.LOW_SATISFACTION, task=None, title=notice,
           url=url)  # fmt: skip


def _whole_number(value: Any) -> int:
    """The score as sent: a whole number or its digits. ``int()`` alone would take 4.5
    as 4 and ``True`` as 1, recording a score the client never chose; 0 means none."""
    if isinstance(value, bool):
        return 0
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().isdecimal():
        return int(value.strip())
    return 0


@transaction.atomic
def survey_answer(*, token: str, score: Any, comment: str = "") -> Survey:
    """Record the client's answer once; a bad score is a ValidationError, a link that
    cannot be answered a :class:`SurveyRefused`. Nothing is recorded in either case."""
    survey = survey_from_token(token)
    value = _whole_number(score)
    if not 1 <= value <= 5:
        raise ValidationError({"score": _("Choose a score from 1 to 5.")})
    comment = (comment or "").strip()
    if len(comment) > MAX_COMMENT:
        raise ValidationError(
            {"comment": _("Keep the comment under %(n)s characters.") % {"n": MAX_COMMENT}}
        )
    now = timezone.now()
    taken = Survey.objects.filter(
        pk=survey.pk, answered_at__isnull=True, expires_at__gt=now
    ).update(answered_at=now, score=value, comment=comment)
    if not taken:
        raise SurveyRefused("answered", survey)
    survey.answered_at, survey.score, survey.comment = now, value, comment
    if value <= organisation.current().survey_follow_up_max_score:
        _follow_up(survey)
    events.emit(events.SURVEY_ANSWERED, survey_id=survey.pk, score=value)
    return survey
