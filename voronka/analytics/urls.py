from django.urls import include, path

app_name = "analytics"

urlpatterns = [
    path("", include("voronka.analytics.urls_dashboard")),
    path("plans/", include("voronka.analytics.urls_plans")),
]
