from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ClientsConfig(AppConfig):
    name = "voronka.clients"
    label = "clients"
    verbose_name = _("Clients")

    def ready(self) -> None:
        from voronka.clients import subscribers  # noqa: F401 - registers event handlers
