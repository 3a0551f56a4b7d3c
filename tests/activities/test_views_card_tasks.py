"""Every card lists its unfinished tasks, each done with one click."""

from datetime import timedelta

from django.urls import reverse
from django.utils import timezone

from tests import factories
from voronka.activities import services
from voronka.activities.models import Task


def _task(actor, assignee, **links):
    return services.task_create(
        actor=actor,
        data={"title": f"Позвонить {assignee.username}", "assignee": assignee,
              "due_at": timezone.now() + timedelta(hours=2), **links},
    )  # fmt: skip


def test_a_deal_card_lists_its_open_tasks_with_a_done_button(client, personas, stages):
    deal = factories.deal(personas.alice)
    mine = _task(personas.alice, personas.alice, deal=deal)
    done = _task(personas.alice, personas.alice, deal=deal)
    services.task_complete(actor=personas.alice, task=done)
    client.force_login(personas.alice)

    page = client.get(reverse("sales:deal-detail", args=[deal.pk])).content.decode()

    assert f'id="task-{mine.pk}"' in page
    assert f'id="task-{done.pk}"' not in page
    assert reverse("activities:task-complete", args=[mine.pk]) in page
    assert f"{reverse('activities:task-create')}?deal={deal.pk}" in page


def test_one_click_on_a_card_completes_the_task_and_answers_its_item(client, personas, stages):
    company = factories.company(personas.alice)
    task = _task(personas.alice, personas.alice, company=company)
    client.force_login(personas.alice)

    response = client.post(
        reverse("activities:task-complete", args=[task.pk]),
        {"shown_as": "card"},
        headers={"HX-Request": "true"},
    )

    assert response.status_code == 200
    body = response.content.decode()
    assert body.lstrip().startswith("<li") and f'id="task-{task.pk}"' in body
    task = Task.objects.get(pk=task.pk)
    assert (task.status, task.completed_by) == ("done", personas.alice)


def test_a_card_shows_no_done_button_to_support_and_support_cannot_complete(
    client, personas, stages
):
    company = factories.company(personas.alice)
    task = _task(personas.alice, personas.alice, company=company)
    client.force_login(personas.support)

    page = client.get(reverse("clients:company-detail", args=[company.pk])).content.decode()
    assert f'id="task-{task.pk}"' in page
    assert reverse("activities:task-complete", args=[task.pk]) not in page
    refused = client.post(reverse("activities:task-complete", args=[task.pk]), {"shown_as": "card"})
    assert refused.status_code == 403
    assert Task.objects.get(pk=task.pk).status == "open"
