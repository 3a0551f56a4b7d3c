from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OrdersConfig(AppConfig):
    name = "voronka.orders"
    label = "orders"
    verbose_name = _("Orders")

    def ready(self) -> None:
        from django.db.models.signals import post_migrate

        from voronka.orders import defaults, subscribers  # noqa: F401 - registers the event handlers

        post_migrate.connect(defaults.install, sender=self)
