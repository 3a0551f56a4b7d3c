from django.urls import path

from voronka.analytics.views import plans

urlpatterns = [
    path("", plans.plan_grid, name="plans"),
]
