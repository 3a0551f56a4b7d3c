"""Configuration screens: pipelines and stages, lead sources, lost reasons, products.

Deals and leads are worked on in Voronka's own pages, where services keep their
history, stage records and versions; the admin only configures.
"""

from django.contrib import admin

from voronka.sales.models import LeadSource, LostReason, Pipeline, Product, ProductCategory, Stage


class StageInline(admin.TabularInline):
    model = Stage
    extra = 1
    fields = ("position", "name", "probability", "kind")
    ordering = ("position",)


@admin.register(Pipeline)
class PipelineAdmin(admin.ModelAdmin):
    list_display = ("name", "position", "is_default", "is_active")
    list_editable = ("position", "is_default", "is_active")
    inlines = [StageInline]


@admin.register(LeadSource)
class LeadSourceAdmin(admin.ModelAdmin):
    list_display = ("name", "kind", "is_active")
    list_filter = ("kind", "is_active")
    list_editable = ("is_active",)


@admin.register(LostReason)
class LostReasonAdmin(admin.ModelAdmin):
    list_display = ("name", "is_active")
    list_editable = ("is_active",)


@admin.register(ProductCategory)
class ProductCategoryAdmin(admin.ModelAdmin):
    list_display = ("name",)


@admin.register(Product)
class ProductAdmin(admin.ModelAdmin):
    list_display = ("name", "sku", "category", "price", "currency", "is_active")
    list_filter = ("category", "is_active")
    search_fields = ("name", "sku")
    exclude = ("deleted_at", "version", "created_by")

    def get_queryset(self, request):  # type: ignore[no-untyped-def]
        return Product.objects.select_related("category")
