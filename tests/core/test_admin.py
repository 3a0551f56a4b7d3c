import pytest
from django.urls import reverse


@pytest.mark.parametrize(
    "model",
    ["sales/pipeline", "sales/leadsource", "sales/lostreason", "sales/product",
     "sales/productcategory", "clients/tag", "accounts/user", "accounts/team", "core/organisation"],
)  # fmt: skip
def test_the_admin_configures_each_setting(client, personas, pipeline, model):
    client.force_login(personas.admin)
    assert client.get(f"/admin/{model}/").status_code == 200
    assert client.get(f"/admin/{model}/add/").status_code == 200


def test_a_pipeline_is_edited_with_its_stages_inline(client, personas, pipeline):
    client.force_login(personas.admin)
    page = client.get(reverse("admin:sales_pipeline_change", args=[pipeline.pk]))
    assert page.status_code == 200
    assert "Переговоры" in page.content.decode()


def test_managers_do_not_reach_the_admin(client, personas):
    client.force_login(personas.alice)
    assert client.get("/admin/sales/pipeline/").status_code == 302
