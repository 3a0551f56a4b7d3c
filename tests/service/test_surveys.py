"""Satisfaction surveys: one sent after a resolution, an answer taken once through a
signed link, and a low score followed up by the client's manager."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import signing
from django.core.exceptions import ValidationError
from django.utils import timezone

from voronka.activities.models import Notification, NotificationKind, Task
from voronka.core import events, organisation
from voronka.service.models import Category, MailStatus, Request, Status, Survey
from voronka.service.services import request_client_message, request_reply, request_set_status
from voronka.service.surveys import (
    SALT,
    SurveyRefused,
    survey_answer,
    survey_from_token,
    token_for,
)


@pytest.fixture
def english(personas):
    from voronka.accounts.models import User

    User.objects.update(language="en")
    for person in personas.all().values():
        person.refresh_from_db()
    return personas


@pytest.fixture
def heard(monkeypatch):
    got: list[tuple[str, dict]] = []
    listener = lambda **payload: got.append((events.SURVEY_ANSWERED, payload))  # noqa: E731
    monkeypatch.setitem(
        events._handlers, events.SURVEY_ANSWERED,
        [*events._handlers[events.SURVEY_ANSWERED], listener],
    )  # fmt: skip
    return got


def fresh(request: Request) -> Request:
    return Request.all_objects.get(pk=request.pk)


def resolve(actor, request: Request) -> Request:
    return request_set_status(actor=actor, request=fresh(request), status=Status.RESOLVED)


def org_settings(**fields) -> None:
    from voronka.core.models import Organisation

    organisation.current()
    Organisation.objects.update(**fields)
    organisation.forget()


@pytest.fixture
def survey(english, make_request):
    """The survey of Alice's request, resolved by Alice."""
    request = make_request(assignee=english.alice)
    resolve(english.alice, request)
    return Survey.objects.get(request=request)


def answers() -> list[tuple]:
    return list(Survey.objects.values_list("pk", "answered_at", "score", "comment", "follow_up"))


# --- Sending ------------------------------------------------------------------------------------


def test_a_resolution_sends_one_survey_about_the_request(
    personas, make_request, mailoutbox, django_capture_on_commit_callbacks
):
    from voronka.sales.models import Product

    delivery = Category.objects.create(name="Доставка")
    product = Product.objects.create(name="Доставка на дом")
    request = make_request(assignee=personas.alice, category=delivery, product=product)

    with django_capture_on_commit_callbacks(execute=True):
        resolve(personas.alice, request)

    [survey] = Survey.objects.all()
    assert (survey.request, survey.company, survey.contact) == (
        request, request.company, request.contact,
    )  # fmt: skip
    assert (survey.manager, survey.product, survey.category) == (personas.alice, product, delivery)
    assert survey.email_to == "petr@romashka.example"
    assert (survey.answered_at, survey.score) == (None, None)
    valid_for = survey.expires_at - survey.created_at
    assert dt.timedelta(days=14) - dt.timedelta(minutes=1) < valid_for <= dt.timedelta(days=14)
    assert survey.email_status == MailStatus.SENT
    [sent] = mailoutbox
    assert sent.to == ["petr@romashka.example"]
    assert sent.subject == f"[#{request.pk}] Заказ не доставлен"
    assert f"/service/survey/{token_for(survey)}/" in sent.body
    assert sent.extra_headers["Message-ID"] == f"<survey-{survey.pk}@voronka>"
    assert sent.extra_headers["In-Reply-To"] == f"<request-{request.pk}@voronka>"


def test_reply_and_resolve_sends_the_survey_too(personas, make_request):
    request = make_request()

    request_reply(actor=personas.support, request=request, body="Готово", status=Status.RESOLVED)

    assert [s.manager for s in Survey.objects.filter(request=request)] == [personas.support]


def test_the_link_is_valid_as_long_as_the_organisation_says(personas, make_request):
    org_settings(survey_valid_days=3)
    request = make_request()

    resolve(personas.support, request)

    survey = Survey.objects.get()
    valid_for = survey.expires_at - survey.created_at
    assert dt.timedelta(days=3) - dt.timedelta(minutes=1) < valid_for <= dt.timedelta(days=3)


def test_no_survey_when_surveys_are_off(personas, make_request, mailoutbox,
                                        django_capture_on_commit_callbacks):  # fmt: skip
    org_settings(surveys_enabled=False)
    request = make_request()

    with django_capture_on_commit_callbacks(execute=True):
        resolve(personas.support, request)

    assert fresh(request).status == Status.RESOLVED
    assert not Survey.objects.exists()
    assert mailoutbox == []


def test_no_survey_to_a_client_without_an_e_mail(personas, make_request):
    request = make_request(company=None, contact=None, client_name="Иван",
                           client_phone="+7 912 345-67-89")  # fmt: skip

    resolve(personas.support, request)

    assert fresh(request).status == Status.RESOLVED
    assert not Survey.objects.exists()


def test_a_client_e_mail_without_a_contact_is_enough(personas, make_request):
    request = make_request(company=None, contact=None, client_email="ivan@example.com")

    resolve(personas.support, request)

    assert list(Survey.objects.values_list("email_to", "company", "contact")) == [
        ("ivan@example.com", None, None)
    ]


def test_a_request_resolved_again_after_a_reopening_gets_no_second_survey(
    personas, make_request, mailoutbox, django_capture_on_commit_callbacks
):
    request = make_request()
    with django_capture_on_commit_callbacks(execute=True):
        resolve(personas.support, request)
        request_client_message(actor=None, request=fresh(request), body="Снова сломалось")
        resolve(personas.support, request)

    assert fresh(request).reopen_count == 1
    assert Survey.objects.count() == 1
    assert len(mailoutbox) == 1


def test_closing_a_resolved_request_sends_no_second_survey(personas, make_request):
    request = make_request()
    resolve(personas.support, request)

    request_set_status(actor=personas.support, request=fresh(request), status=Status.CLOSED)

    assert Survey.objects.count() == 1


# --- The link -----------------------------------------------------------------------------------


def test_a_genuine_link_opens_its_survey(survey):
    assert survey_from_token(token_for(survey)) == survey


def tampered(token: str) -> str:
    value, signature = token.rsplit(":", 1)
    return f"{value}:{'A' if signature[0] != 'A' else 'B'}{signature[1:]}"


FORGED = {
    "a changed signature": lambda s: tampered(token_for(s)),
    "a changed survey number": lambda s: token_for(s).replace(
        signing.dumps([s.pk, s.nonce], salt=SALT).split(":")[0],
        signing.dumps([s.pk + 1, s.nonce], salt=SALT).split(":")[0],
    ),
    "a wrong nonce": lambda s: signing.dumps([s.pk, "guessed-nonce"], salt=SALT),
    "another survey's number": lambda s: signing.dumps([s.pk + 1000, s.nonce], salt=SALT),
    "another purpose's signature": lambda s: signing.dumps([s.pk, s.nonce], salt="other"),
    "not a list": lambda s: signing.dumps(str(s.pk), salt=SALT),
    "a list of three": lambda s: signing.dumps([s.pk, s.nonce, 1], salt=SALT),
    "nonsense": lambda s: "not-a-token",
    "nothing": lambda s: "",
}


@pytest.mark.parametrize("how", sorted(FORGED))
def test_a_forged_link_is_refused_and_records_nothing(survey, how):
    before = answers()
    token = FORGED[how](survey)

    with pytest.raises(SurveyRefused) as refused:
        survey_from_token(token)
    assert refused.value.code == "forged"
    assert refused.value.survey is None

    with pytest.raises(SurveyRefused) as refused:
        survey_answer(token=token, score=5)
    assert refused.value.code == "forged"
    assert answers() == before


def test_a_link_whose_survey_got_a_new_nonce_is_refused(survey):
    token = token_for(survey)
    Survey.objects.filter(pk=survey.pk).update(nonce="rotated")

    with pytest.raises(SurveyRefused) as refused:
        survey_answer(token=token, score=5)

    assert refused.value.code == "forged"
    assert Survey.objects.get().score is None


def test_an_expired_link_is_refused_and_records_nothing(survey):
    Survey.objects.filter(pk=survey.pk).update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    before = answers()

    with pytest.raises(SurveyRefused) as refused:
        survey_answer(token=token_for(survey), score=5)

    assert (refused.value.code, refused.value.survey) == ("expired", survey)
    assert answers() == before


# --- Answering ----------------------------------------------------------------------------------


def test_an_answer_is_recorded(survey, heard, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        answered = survey_answer(token=token_for(survey), score="5", comment="  Спасибо!  ")

    survey.refresh_from_db()
    assert (survey.score, survey.comment) == (5, "Спасибо!")
    assert survey.answered_at == answered.answered_at is not None
    assert survey.follow_up is None
    assert heard == [(events.SURVEY_ANSWERED, {"survey_id": survey.pk, "score": 5})]


def test_an_answer_is_recorded_once(survey):
    token = token_for(survey)
    survey_answer(token=token, score=5, comment="Отлично")
    before = answers()

    with pytest.raises(SurveyRefused) as refused:
        survey_answer(token=token, score=1, comment="Передумал")

    assert (refused.value.code, refused.value.survey) == ("answered", survey)
    assert answers() == before
    with pytest.raises(SurveyRefused) as refused:
        survey_from_token(token)
    assert refused.value.code == "answered"


@pytest.mark.parametrize(
    "score", [0, 6, -1, 10, "0", "6", "", " ", "abc", "3.5", "²", "-1", 4.5, None, True]
)
def test_a_score_outside_one_to_five_is_refused_naming_the_score(survey, score):
    before = answers()

    with pytest.raises(ValidationError) as refused:
        survey_answer(token=token_for(survey), score=score)

    assert refused.value.message_dict == {"score": ["Choose a score from 1 to 5."]}
    assert answers() == before


@pytest.mark.parametrize("score", [1, 2, 3, 4, 5, "1", " 4 "])
def test_every_score_from_one_to_five_is_taken(survey, score):
    survey_answer(token=token_for(survey), score=score)

    assert Survey.objects.get().score == int(score)


def test_a_comment_too_long_is_refused(survey):
    before = answers()

    with pytest.raises(ValidationError) as refused:
        survey_answer(token=token_for(survey), score=5, comment="я" * 2001)

    assert refused.value.message_dict == {"comment": ["Keep the comment under 2000 characters."]}
    assert answers() == before


# --- Following up a low score -------------------------------------------------------------------


@pytest.mark.parametrize("score", [1, 2])
def test_a_low_score_makes_one_follow_up_task_for_the_clients_manager(survey, english, score):
    request = survey.request

    answered = survey_answer(token=token_for(survey), score=score, comment="Курьер нагрубил")

    [task] = Task.objects.all()
    assert task.title == (
        f"Call the client back: satisfaction score {score} on request #{request.pk}"
    )
    assert (task.assignee, task.author, task.priority) == (english.alice, english.alice, "high")
    assert (task.company, task.contact) == (request.company, request.contact)
    assert task.description == "Курьер нагрубил"
    assert task.due_at > answered.answered_at
    assert Survey.objects.get().follow_up == task == answered.follow_up
    assert list(
        Notification.objects.filter(kind=NotificationKind.LOW_SATISFACTION).values_list(
            "recipient__username", "title", "url"
        )
    ) == [("alice", f"Low satisfaction score {score} from ООО «Ромашка»",
           f"/service/requests/{request.pk}/")]  # fmt: skip


@pytest.mark.parametrize("score", [3, 4, 5])
def test_a_good_score_makes_no_task_and_no_notice(survey, score):
    survey_answer(token=token_for(survey), score=score)

    assert not Task.objects.exists()
    assert not Notification.objects.filter(kind=NotificationKind.LOW_SATISFACTION).exists()
    assert Survey.objects.get().follow_up is None


def test_the_organisation_chooses_which_scores_are_low(survey):
    org_settings(survey_follow_up_max_score=3)

    survey_answer(token=token_for(survey), score=3)

    assert Task.objects.count() == 1


def test_the_clients_owner_follows_up_even_if_someone_else_resolved_it(english, make_request):
    request = make_request(assignee=english.bob)  # Alice's client, Bob's request
    resolve(english.bob, request)

    survey_answer(token=token_for(Survey.objects.get()), score=1)

    assert list(Task.objects.values_list("assignee__username", flat=True)) == ["alice"]


def test_a_client_without_an_owner_is_followed_up_by_the_assignee(english, make_request):
    request = make_request(company=None, contact=None, client_email="ivan@example.com",
                           assignee=english.bob)  # fmt: skip
    resolve(english.bob, request)

    survey_answer(token=token_for(Survey.objects.get()), score=2)

    [task] = Task.objects.all()
    assert (task.assignee, task.company, task.contact) == (english.bob, None, None)
    assert list(
        Notification.objects.filter(kind=NotificationKind.LOW_SATISFACTION).values_list(
            "recipient__username", "title"
        )
    ) == [("bob", "Low satisfaction score 2 from ivan@example.com")]


def test_a_switched_off_owner_leaves_the_follow_up_to_the_assignee(english, make_request):
    request = make_request(assignee=english.bob)
    resolve(english.bob, request)
    english.alice.is_active = False
    english.alice.save(update_fields=["is_active"])

    survey_answer(token=token_for(Survey.objects.get()), score=1)

    assert list(Task.objects.values_list("assignee__username", flat=True)) == ["bob"]


def test_with_nobody_to_follow_up_the_answer_is_still_recorded(english, make_request):
    request = make_request(company=None, contact=None, client_email="ivan@example.com")
    resolve(english.support, request)
    survey = Survey.objects.get()
    Survey.objects.filter(pk=survey.pk).update(manager=None)

    survey_answer(token=token_for(survey), score=1)

    assert Survey.objects.get().score == 1
    assert not Task.objects.exists()
    assert not Notification.objects.filter(kind=NotificationKind.LOW_SATISFACTION).exists()


def test_a_low_score_answered_twice_makes_one_task(survey):
    token = token_for(survey)
    survey_answer(token=token, score=1)

    with pytest.raises(SurveyRefused):
        survey_answer(token=token, score=1)

    assert Task.objects.count() == 1
    assert Notification.objects.filter(kind=NotificationKind.LOW_SATISFACTION).count() == 1


# --- Two answers at once (PostgreSQL) -----------------------------------------------------------


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_answers_at_once_record_one(english, make_request):
    import threading

    from django.db import connection, connections

    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: run with DATABASE_URL=postgres://… (CI does)")
    request = make_request(assignee=english.alice)
    resolve(english.alice, request)
    token = token_for(Survey.objects.get())
    outcomes: list[str] = []
    barrier = threading.Barrier(4)
    lock = threading.Lock()

    def answer(score: int) -> None:
        try:
            barrier.wait()
            survey_answer(token=token, score=score)
            outcome = f"took {score}"
        except SurveyRefused as refused:
            outcome = refused.code
        finally:
            connections.close_all()
        with lock:
            outcomes.append(outcome)

    threads = [threading.Thread(target=answer, args=(n,)) for n in (1, 1, 2, 2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert sorted(outcomes)[:3] == ["answered"] * 3
    [taken] = [o for o in outcomes if o.startswith("took")]
    assert Survey.objects.get().score == int(taken.split()[1])
    assert Task.objects.count() == 1
