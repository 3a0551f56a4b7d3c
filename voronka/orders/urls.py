"""The orders' pages: list, board, card and quick entry; the workflow settings; the
exchange with accounting systems; and the client's public status page. Each page
module lists its own routes."""

from voronka.orders.views import exchange, orders, public, settings

app_name = "orders"

urlpatterns = [
    *orders.urlpatterns,
    *settings.urlpatterns,
    *exchange.urlpatterns,
    *public.urlpatterns,
]
