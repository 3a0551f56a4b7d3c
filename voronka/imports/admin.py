"""Saved mappings can be renamed or removed in the admin; imports are shown, not edited
(they change only through the import pages and their worker)."""

from typing import Any

from django.contrib import admin

from voronka.imports.models import ImportJob, ImportMapping


@admin.register(ImportMapping)
class ImportMappingAdmin(admin.ModelAdmin):
    list_display = ("name", "entity", "created_by", "updated_at")
    list_filter = ("entity",)
    search_fields = ("name",)
    readonly_fields = ("created_by", "updated_at", "version")


@admin.register(ImportJob)
class ImportJobAdmin(admin.ModelAdmin):
    list_display = ("filename", "entity", "status", "created", "updated", "rejected",
                    "created_by", "created_at")  # fmt: skip
    list_filter = ("status", "entity")
    search_fields = ("filename",)
    list_select_related = ("created_by",)

    def has_add_permission(self, request: Any) -> bool:
        return False

    def has_change_permission(self, request: Any, obj: Any = None) -> bool:
        return False
