"""The REST API under /api/v1/: one NinjaAPI, one router per app.

Every operation needs a personal API token (``Authorization: Bearer vrk_…``) or a
browser session (with the CSRF token on unsafe methods). Schema: ``/api/v1/openapi.json``,
interactive documentation: ``/api/v1/docs``.
"""

from ninja import NinjaAPI

from voronka.accounts.api import router as accounts_router
from voronka.activities.api import router as activities_router
from voronka.analytics.api import router as analytics_router
from voronka.automation.api import router as automation_router
from voronka.clients.api import router as clients_router
from voronka.core.api import SessionAuth, TokenAuth, install_error_handlers
from voronka.orders.api import router as orders_router
from voronka.sales.api import router as sales_router
from voronka.service.api import router as service_router

api = NinjaAPI(
    title="Voronka API",
    version="1.0.0",
    description=(
        "Clients, leads, deals, the sales catalogue and the sales KPIs of Voronka "
        "(`GET /api/v1/kpis`: won revenue, win rate, funnel … for a period, grouped by "
        "manager, team, month …), and the service desk: client requests and complaints with "
        "their threads and SLA deadlines (`/api/v1/requests`), request categories and SLA "
        "policies; orders with their lines, status workflow and the exchange with accounting "
        "systems (`/api/v1/orders`, CSV, XLSX and CommerceML 2). Authenticate with a personal "
        "API token: `Authorization: Bearer vrk_…`."
    ),
    urls_namespace="api",
    auth=[TokenAuth(), SessionAuth()],
)
install_error_handlers(api)

api.add_router("", accounts_router)
api.add_router("", clients_router)
api.add_router("", sales_router)
api.add_router("", activities_router)
api.add_router("", analytics_router)
api.add_router("", automation_router)
api.add_router("", service_router)
api.add_router("", orders_router)
