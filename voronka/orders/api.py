"""The orders' API: one router made of the routers of orders and of the exchange.

The exchange's fixed paths (``/orders/export``) come first, so that the orders' router
does not read "export" as an order's id."""

from ninja import Router

from voronka.orders.api_exchange import router as exchange_router
from voronka.orders.api_orders import router as orders_router

router = Router(tags=["orders"])
router.add_router("", exchange_router)
router.add_router("", orders_router)
