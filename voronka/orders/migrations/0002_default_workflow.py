"""The workflow and status settings a new installation starts with."""

from django.db import migrations


def create(apps, schema_editor):
    from voronka.orders import defaults

    Transition = apps.get_model("orders", "Transition")
    StatusSetting = apps.get_model("orders", "StatusSetting")
    for from_status, to_status, paid in defaults.TRANSITIONS:
        Transition.objects.get_or_create(
            from_status=from_status, to_status=to_status, defaults={"requires_payment": paid}
        )
    for row in defaults.status_settings():
        status = row.pop("status")
        StatusSetting.objects.get_or_create(status=status, defaults=row)


class Migration(migrations.Migration):
    dependencies = [("orders", "0001_initial")]

    operations = [migrations.RunPython(create, migrations.RunPython.noop)]
