"""Sales plans and the KPI rollups in the admin.

Plans are set on Voronka's own plan page (which checks who may set what and
refuses stale saves); here they are only looked at. The rollups are kept by the
deal and lead services and rebuilt by ``voronka manage rebuild_kpi_rollups``, so
they are read-only too.
"""

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from voronka.analytics.models import DealDayTotal, FunnelDayTotal, LeadDayTotal, SalesPlan


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(SalesPlan)
class SalesPlanAdmin(ReadOnlyAdmin):
    list_display = ("metric", "period_kind", "period_start", "manager", "team", "target",
                    "set_by", "updated_at")  # fmt: skip
    list_filter = ("metric", "period_kind", "team")
    date_hierarchy = "period_start"
    list_select_related = ("manager", "team", "set_by")


@admin.register(DealDayTotal)
class DealDayTotalAdmin(ReadOnlyAdmin):
    list_display = ("day", "event", "owner", "pipeline", "source", "count", "amount")
    list_filter = ("event", "pipeline")
    date_hierarchy = "day"
    list_select_related = ("owner", "pipeline", "source")


@admin.register(LeadDayTotal)
class LeadDayTotalAdmin(ReadOnlyAdmin):
    list_display = ("day", "owner", "source", "count", "with_deal", "with_won_deal")
    date_hierarchy = "day"
    list_select_related = ("owner", "source")


@admin.register(FunnelDayTotal)
class FunnelDayTotalAdmin(ReadOnlyAdmin):
    list_display = ("day", "owner", "pipeline", "stage", "reached", "left")
    list_filter = ("pipeline",)
    date_hierarchy = "day"
    list_select_related = ("owner", "pipeline", "stage", "source")
