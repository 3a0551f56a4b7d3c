from django.apps import AppConfig
from django.db.models.signals import post_migrate


def _refresh_sqlite_statistics(sender: AppConfig, using: str = "default", **_: object) -> None:
    """SQLite plans with the statistics it has: after new indexes arrive, without a
    fresh ANALYZE it may pick one that is ten times slower for the deal list."""
    from django.db import connections

    connection = connections[using]
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")


class CoreConfig(AppConfig):
    name = "voronka.core"
    label = "core"
    verbose_name = "Voronka"

    def ready(self) -> None:
        # Once per migrate run: post_migrate is sent for every app, we listen for ours.
        post_migrate.connect(_refresh_sqlite_statistics, sender=self)
