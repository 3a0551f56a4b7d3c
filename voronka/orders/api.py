"""The orders' API: one router made of the routers of orders and of the exchange."""

from ninja import Router

from voronka.orders.api_exchange import router as exchange_router
from voronka.orders.api_orders import router as orders_router

router = Router(tags=["orders"])
router.add_router("", orders_router)
router.add_router("", exchange_router)
