"""The order pages: the list and the board (``orders_list``), the card and its buttons
(``orders_card``), the quick entry and the lines (``orders_entry``); their routes."""

from django.urls import path

from voronka.orders.views import orders_card, orders_entry, orders_list

urlpatterns = [
    path("", orders_list.order_list, name="order-list"),
    path("board/", orders_list.order_board, name="order-board"),
    path("new/", orders_entry.order_create, name="order-create"),
    path("totals/", orders_entry.order_totals, name="order-totals"),
    path("products/search/", orders_entry.product_search, name="product-search"),
    path("from-deal/<int:deal_pk>/", orders_card.order_from_deal, name="order-from-deal"),
    path("<int:pk>/", orders_card.order_detail, name="order-detail"),
    path("<int:pk>/edit/", orders_card.order_edit, name="order-edit"),
    path("<int:pk>/lines/", orders_entry.order_lines, name="order-lines"),
    path("<int:pk>/status/", orders_card.order_status, name="order-status"),
    path("<int:pk>/payment/", orders_card.order_payment, name="order-payment"),
    path("<int:pk>/delete/", orders_card.order_delete, name="order-delete"),
]
