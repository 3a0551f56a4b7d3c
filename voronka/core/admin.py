from django.contrib import admin

from voronka.core.models import Organisation


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin):
    list_display = ("name", "time_zone", "base_currency")

    def save_model(self, request, obj, form, change):  # type: ignore[no-untyped-def]
        from voronka.core import organisation

        super().save_model(request, obj, form, change)
        organisation.forget()
