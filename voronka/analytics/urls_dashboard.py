from django.urls import path, re_path

from voronka.analytics.views import dashboard, exports

urlpatterns = [
    path("", dashboard.dashboard, name="dashboard"),
    path("me/", dashboard.my_dashboard, name="my-dashboard"),
    re_path(r"^export/(?P<table>[a-z]+)\.(?P<fmt>xlsx|csv)$", exports.export, name="export"),
]
