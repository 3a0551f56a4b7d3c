from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AnalyticsConfig(AppConfig):
    name = "voronka.analytics"
    label = "analytics"
    verbose_name = _("Analytics")

    def ready(self) -> None:
        from voronka.analytics import plans, sql

        sql.register()
        plans.register()
