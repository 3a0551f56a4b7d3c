"""The service desk's pages: the request queue and cards, its settings, the service
dashboard, and the public survey page. Each page module lists its own routes."""

from voronka.service.views import dashboard, public, requests, settings

app_name = "service"

urlpatterns = [
    *requests.urlpatterns,
    *settings.urlpatterns,
    *dashboard.urlpatterns,
    *public.urlpatterns,
]
