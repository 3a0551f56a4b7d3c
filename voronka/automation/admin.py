"""Webhooks in Django's admin: to look at only. Changes go through the webhook pages,
which generate secrets and keep the failure counter right."""

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from voronka.automation.models import Webhook, WebhookDelivery


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Webhook)
class WebhookAdmin(ReadOnlyAdmin):
    list_display = ("name", "url", "is_active", "consecutive_failures", "disabled_at")
    list_filter = ("is_active",)
    search_fields = ("name", "url")
    exclude = ("secret",)


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(ReadOnlyAdmin):
    list_display = ("uuid", "webhook", "event", "status", "attempts", "response_status")
    list_filter = ("status", "event")
    list_select_related = ("webhook",)
