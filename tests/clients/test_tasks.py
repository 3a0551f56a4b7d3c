from tests import factories
from voronka.clients.models import Company
from voronka.sales import services


def test_a_won_deal_makes_its_client_a_customer_and_a_second_a_repeat_one(
    personas, stages, django_capture_on_commit_callbacks
):
    client = factories.company(personas.alice)
    first = factories.deal(personas.alice, client=client)
    second = factories.deal(personas.alice, client=client)
    with django_capture_on_commit_callbacks(execute=True):
        services.deal_move_stage(actor=personas.alice, deal=first, stage=stages["won"], version=1)
    assert Company.objects.get(pk=client.pk).lifecycle_stage == "customer"
    with django_capture_on_commit_callbacks(execute=True):
        services.deal_move_stage(actor=personas.alice, deal=second, stage=stages["won"], version=1)
    client = Company.objects.get(pk=client.pk)
    assert client.lifecycle_stage == "repeat_customer"
    assert client.history.first().history_change_reason == "purchase"


def test_a_rolled_back_win_changes_nothing(personas, stages, django_capture_on_commit_callbacks):
    client = factories.company(personas.alice)
    deal = factories.deal(personas.alice, client=client)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        services.deal_move_stage(actor=personas.alice, deal=deal, stage=stages["won"], version=1)
    assert len(callbacks) >= 1  # the job waits for the commit that never comes
    assert Company.objects.get(pk=client.pk).lifecycle_stage == "lead"
