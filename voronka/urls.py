from django.contrib import admin
from django.urls import include, path

from voronka.api import api

urlpatterns = [
    path("", include("voronka.core.urls")),
    path("accounts/", include("voronka.accounts.urls")),
    path("clients/", include("voronka.clients.urls")),
    path("sales/", include("voronka.sales.urls")),
    path("activities/", include("voronka.activities.urls")),
    path("analytics/", include("voronka.analytics.urls")),
    path("automation/", include("voronka.automation.urls")),
    path("import/", include("voronka.imports.urls")),
    path("service/", include("voronka.service.urls")),
    path("orders/", include("voronka.orders.urls")),
    path("", include("voronka.webforms.urls")),
    path("api/v1/", api.urls),
    path("admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
]
