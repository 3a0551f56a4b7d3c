from __future__ import annotations

from django.http import HttpRequest

from voronka.core import organisation as org
from voronka.core.visibility import sees_everything


def organisation(request: HttpRequest) -> dict[str, object]:
    return {"organisation": org.current()}


def navigation(request: HttpRequest) -> dict[str, object]:
    """The main menu; each capability adds its entry here."""
    from django.urls import reverse
    from django.utils.translation import gettext as _

    from voronka.activities.context_processors import notifications
    from voronka.orders.services import may_take_orders
    from voronka.service.services import may_take_requests

    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"main_nav": []}
    items: list[tuple[str, str, str, tuple[str, ...]]] = [
        ("activities:my-day", "sun", _("My day"), ("/activities/my-day",)),
        ("sales:board", "kanban", _("Board"), ("/sales/board",)),
        ("sales:deal-list", "briefcase", _("Deals"), ("/sales/deals",)),
        ("sales:lead-list", "person-plus", _("Leads"), ("/sales/leads",)),
        ("clients:company-list", "building", _("Companies"), ("/clients/companies",)),
        ("clients:contact-list", "person-lines-fill", _("Contacts"), ("/clients/contacts",)),
        ("activities:task-list", "check2-square", _("Tasks"), ("/activities/tasks",)),
    ]
    if user.role == "support":
        items = [i for i in items if i[0] != "sales:lead-list"]
    else:
        # "=" marks an exact path: the plans under /analytics/plans/ are a page of their own.
        # A manager is taken on to their own numbers by the dashboard itself.
        dashboard = ("analytics:dashboard", "graph-up", _("Dashboard"), ("=/analytics/",
                     "/analytics/me/"))  # fmt: skip
        # First for the head of sales, whose start page it is; after My day for a manager.
        items.insert(0 if sees_everything(user) else 1, dashboard)
        if sees_everything(user):
            items.append(("analytics:plans", "bullseye", _("Sales plan"), ("/analytics/plans",)))
    if may_take_orders(user) or user.role == "support":
        # Everyone who sees orders: managers, the head, the admin, and support (to read).
        deals = next(n for n, i in enumerate(items) if i[0] == "sales:deal-list")
        items.insert(deals + 1, ("orders:order-list", "box-seam", _("Orders"), ("/orders/",)))
    if may_take_requests(user):
        # "=" keeps the service's other pages (dashboard, settings) from lighting it up.
        requests = ("service:queue", "headset", _("Requests"), ("=/service/",
                    "/service/requests"))  # fmt: skip
        # A support agent's day is the queue: first for them; beside the clients for others.
        tasks = next(n for n, i in enumerate(items) if i[0] == "activities:task-list")
        items.insert(0 if user.role == "support" else tasks, requests)
    if user.is_superuser or user.role in ("admin", "head_of_sales"):
        # Import, web forms, webhooks and the full export share one entry and its tabs.
        items.append(("imports:job-list", "arrow-left-right", _("Data"),
                      ("/import", "/forms", "/automation", "/export")))  # fmt: skip
        items.append(("core:trash", "trash", _("Deleted"), ("/trash",)))
    path = request.path
    return {
        # The bell's count rides along with the menu, so the header needs no
        # processor of its own in the settings.
        **notifications(request),
        "main_nav": [
            {
                "url": reverse(name),
                "icon": icon,
                "label": label,
                "active": any(
                    path == p[1:] if p.startswith("=") else path.startswith(p) for p in prefixes
                ),
            }
            for name, icon, label, prefixes in items
        ],
    }
