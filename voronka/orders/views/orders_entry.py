"""Quick entry of an order and the editing of its lines: the client, the manager,
delivery, and lines picked from the catalogue as the person types.

The totals shown while typing come from the server (``order_totals``): the same
``services.build_lines`` and ``totals`` that saving runs, without saving, so the numbers
on the screen are the numbers that will be saved. Without JavaScript the page is a plain
form: lines are a formset (a product by its SKU, or a line of its own), and
«Recalculate» shows the totals.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from voronka.core import organisation
from voronka.core.errors import NotAllowed, StaleVersion
from voronka.core.forms import add_service_errors
from voronka.orders import services
from voronka.orders import totals as money
from voronka.orders.forms import (
    LineFormSet,
    NewLineFormSet,
    OrderForm,
    line_initial,
    prefill_client,
)
from voronka.orders.models import Order
from voronka.orders.queries import may_change
from voronka.orders.totals import LineAmounts, OrderTotals
from voronka.orders.views.orders_common import int_param, is_htmx, order_or_404
from voronka.sales.queries import products_visible_to

CLIENT_ALIASES = {"company": "client", "contact": "client"}
LINES_PREFIX = "lines"
# How many products the search offers at once.
PRODUCT_RESULTS = 10


@dataclass
class Preview:
    """The lines as they will be saved: each line's amounts (by the form's index) or
    what is wrong with it, and the order's totals when every line is right."""

    amounts: dict[int, LineAmounts] = field(default_factory=dict)
    problems: dict[int, str] = field(default_factory=dict)
    totals: OrderTotals | None = None
    count: int = 0

    @property
    def ok(self) -> bool:
        return not self.problems and self.totals is not None


def _strip_line_prefix(message: str) -> str:
    """``build_lines`` names the line («Line 1: …»); beside the line itself, the rest."""
    prefix = _("Line %(n)s") % {"n": 1} + ": "
    if not message.startswith(prefix):
        return message
    rest = message[len(prefix) :]
    return rest[:1].upper() + rest[1:]


def preview(formset: Any, *, prices_include_vat: bool) -> Preview:
    """Count every filled-in line with the services' own rules, without saving."""
    result = Preview()
    stub = Order(prices_include_vat=prices_include_vat)
    valid = formset.is_valid()
    live = {id(form) for form in formset.live_forms()}
    for index, form in enumerate(formset.forms):
        if id(form) not in live:
            continue
        result.count += 1
        if form.errors:
            result.problems[index] = " ".join(str(e) for errs in form.errors.values()
                                              for e in errs)  # fmt: skip
            continue
        line = dict(formset.line_of(form))
        try:
            built = services.build_lines(stub, [line])[0]
        except ValidationError as exc:
            messages_ = exc.message_dict.get("lines", exc.messages)
            result.problems[index] = _strip_line_prefix(" ".join(str(m) for m in messages_))
            continue
        result.amounts[index] = LineAmounts(built.gross, built.discount, built.vat, built.total)
    if valid and not result.problems and result.count:
        result.totals = money.order_totals(result.amounts.values())
    return result


def _lines_context(
    formset: Any, result: Preview, *, prices_include_vat: bool, currency: str,
    lines_error: list[str] | None = None,
) -> dict[str, Any]:  # fmt: skip
    rows = []
    for index, form in enumerate(formset.forms):
        rows.append({"form": form, "index": index, "amount": result.amounts.get(index),
                     "problem": result.problems.get(index, "")})  # fmt: skip
    return {
        "formset": formset,
        "rows": rows,
        "empty_row": {"form": formset.empty_form, "index": "__prefix__"},
        "preview": result,
        "prices_include_vat": prices_include_vat,
        "currency": currency,
        "lines_error": lines_error or [],
    }


def _split_lines_error(form: OrderForm | None, exc: ValidationError) -> list[str]:
    """A service refusal: what is about the lines goes above them, the rest to the form."""
    if not hasattr(exc, "error_dict"):
        return [str(m) for m in exc.messages]
    lines = [str(m) for error in exc.error_dict.pop("lines", []) for m in error.messages]
    if exc.error_dict and form is not None:
        add_service_errors(form, exc, CLIENT_ALIASES)
    elif exc.error_dict:
        lines += [str(m) for errors in exc.error_dict.values() for e in errors for m in e.messages]
    return lines


# --- Quick entry ------------------------------------------------------------------------


def _entry_page(request: HttpRequest, form: OrderForm, formset: Any, *, status: int = 200,
                lines_error: list[str] | None = None) -> HttpResponse:  # fmt: skip
    include_vat = organisation.current().order_prices_include_vat
    result = preview(formset, prices_include_vat=include_vat) if formset.is_bound else Preview()
    context = {
        "form": form,
        **_lines_context(
            formset,
            result,
            prices_include_vat=include_vat,
            currency=organisation.current().base_currency,
            lines_error=lines_error,
        ),  # fmt: skip
    }
    return render(request, "orders/order_form.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def order_create(request: HttpRequest) -> HttpResponse:
    """Take down an order; ``?company=`` / ``?contact=`` fill in the client."""
    user: Any = request.user
    if not services.may_take_orders(user):
        raise PermissionDenied(_("You are not allowed to take orders."))
    if request.method == "GET":
        initial = {
            "client": prefill_client(user, request.GET.get("company"), request.GET.get("contact")),
            "owner": user.pk if user.role == "manager" else None,
        }
        formset = NewLineFormSet(user=user, prefix=LINES_PREFIX)
        return _entry_page(request, OrderForm(initial=initial, user=user), formset)
    form = OrderForm(request.POST, user=user)
    formset = NewLineFormSet(request.POST, user=user, prefix=LINES_PREFIX)
    if "recalculate" in request.POST:
        form.is_valid()
        return _entry_page(request, form, formset)
    include_vat = organisation.current().order_prices_include_vat
    lines_error: list[str] = []
    if form.is_valid() and preview(formset, prices_include_vat=include_vat).ok:
        try:
            order = services.order_create(actor=user, data=form.service_data(),
                                          lines=formset.lines())  # fmt: skip
        except NotAllowed as exc:
            raise PermissionDenied(str(exc)) from exc
        except ValidationError as exc:
            lines_error = _split_lines_error(form, exc)
        else:
            messages.success(request, _("Order %(number)s taken.") % {"number": order.number})
            return redirect("orders:order-detail", pk=order.pk)
    elif formset.is_valid() and not formset.live_forms():
        lines_error = [_("Add at least one line to the order.")]
    return _entry_page(request, form, formset, status=422, lines_error=lines_error)


# --- The lines of an order --------------------------------------------------------------


def _stored(order: Order) -> Preview:
    """The order's lines and totals as saved: what the lines page shows before any edit."""
    amounts = {
        index: LineAmounts(line.gross, line.discount, line.vat, line.total)
        for index, line in enumerate(order.lines.all())
    }
    totals = OrderTotals(order.subtotal, order.discount_total, order.vat_total, order.total)
    return Preview(amounts=amounts, totals=totals, count=len(amounts))


def _lines_page(request: HttpRequest, order: Order, formset: Any, *, version: int | None,
                status: int = 200, problem: str = "",
                lines_error: list[str] | None = None) -> HttpResponse:  # fmt: skip
    include_vat = order.prices_include_vat
    if formset.is_bound:
        result = preview(formset, prices_include_vat=include_vat)
    else:
        result = _stored(order)
    context = {
        "order": order,
        "version": version,
        "problem": problem,
        **_lines_context(
            formset,
            result,
            prices_include_vat=include_vat,
            currency=order.currency,
            lines_error=lines_error,
        ),  # fmt: skip
    }
    return render(request, "orders/order_lines.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def order_lines(request: HttpRequest, pk: int) -> HttpResponse:
    """Edit the lines of an order that is still «new» or «confirmed»."""
    user: Any = request.user
    order = order_or_404(user, pk)
    if not may_change(user, order):
        raise PermissionDenied(_("You are not allowed to change this order."))
    if order.status not in services.LINES_EDITABLE:
        messages.error(request, _("The lines of an order cannot change once it is paid or "
                                  "assembled."))  # fmt: skip
        return redirect("orders:order-detail", pk=pk)
    if request.method == "GET":
        formset = LineFormSet(user=user, prefix=LINES_PREFIX, initial=line_initial(order))
        return _lines_page(request, order, formset, version=order.version)
    formset = LineFormSet(request.POST, user=user, prefix=LINES_PREFIX,
                          initial=line_initial(order))  # fmt: skip
    version = int_param(request.POST.get("version"))
    if "recalculate" in request.POST:
        return _lines_page(request, order, formset, version=version)
    lines_error: list[str] = []
    problem, status = "", 422
    if preview(formset, prices_include_vat=order.prices_include_vat).ok:
        try:
            if version is None:
                raise StaleVersion()
            services.order_set_lines(actor=user, order=order, version=version,
                                     lines=formset.lines())  # fmt: skip
        except NotAllowed as exc:
            raise PermissionDenied(str(exc)) from exc
        except StaleVersion as exc:
            problem, status = str(exc.message), 409
        except ValidationError as exc:
            lines_error = _split_lines_error(None, exc)
        else:
            messages.success(request, _("The lines of order %(number)s are saved.")
                             % {"number": order.number})  # fmt: skip
            return redirect("orders:order-detail", pk=pk)
    elif formset.is_valid() and not formset.live_forms():
        lines_error = [_("Add at least one line to the order.")]
    return _lines_page(request, order, formset, version=version, status=status, problem=problem,
                       lines_error=lines_error)  # fmt: skip


# --- Live totals and the product search -------------------------------------------------


@login_required
@require_POST
def order_totals(request: HttpRequest) -> HttpResponse:
    """The totals of the lines as typed, counted as saving counts them; nothing saved.
    ``order`` names the order whose lines are edited (its VAT mode and currency)."""
    user: Any = request.user
    org = organisation.current()
    include_vat, currency = org.order_prices_include_vat, org.base_currency
    order_pk = int_param(request.POST.get("order"))
    if order_pk is not None:
        order = order_or_404(user, order_pk)
        include_vat, currency = order.prices_include_vat, order.currency
    formset = LineFormSet(request.POST, user=user, prefix=LINES_PREFIX)
    if not formset.management_form.is_valid():
        return HttpResponse(_("The lines could not be read: reload the page."), status=400,
                            content_type="text/plain; charset=utf-8")  # fmt: skip
    result = preview(formset, prices_include_vat=include_vat)
    context = _lines_context(formset, result, prices_include_vat=include_vat, currency=currency)
    context["oob"] = True
    return render(request, "orders/partials/_totals_answer.html", context)


def _effective_vat(product: Any, default: Decimal) -> Decimal:
    return product.vat_rate if product.vat_rate is not None else default


@login_required
@require_GET
def product_search(request: HttpRequest) -> HttpResponse:
    """Active products of the catalogue by a fragment of the name or the SKU: JSON for
    the quick entry's script, an HTML list for htmx."""
    user: Any = request.user
    q = request.GET.get("q", "").strip()[:100]
    products: list[Any] = []
    if q:
        # SQLite folds case only for ASCII: the name is matched as typed, lower-cased,
        # capitalised and upper-cased, so «стул» finds «Стул офисный» there too.
        match = Q(sku__icontains=q)
        for variant in dict.fromkeys((q, q.lower(), q.capitalize(), q.upper())):
            match |= Q(name__icontains=variant)
        found = products_visible_to(user).filter(is_active=True).filter(match)
        exact = list(found.filter(sku__iexact=q)[:1])
        rest = found.exclude(pk__in=[p.pk for p in exact]).order_by("name", "pk")
        products = exact + list(rest[: PRODUCT_RESULTS - len(exact)])
    default_vat = organisation.current().order_vat_rate
    items = [
        {
            "id": p.pk,
            "name": p.name,
            "sku": p.sku,
            "unit": p.unit,
            "price": str(p.price),
            "currency": p.currency,
            "vat_rate": str(_effective_vat(p, default_vat)),
            "stock": str(p.stock) if p.stock is not None else None,
        }  # fmt: skip
        for p in products
    ]
    if is_htmx(request):
        return render(request, "orders/partials/_product_options.html",
                      {"products": products, "items": items, "q": q})  # fmt: skip
    return JsonResponse({"q": q, "results": items})
