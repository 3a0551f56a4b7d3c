"""The client's e-mails about their order's status, each sent at most once.

A status change whose status e-mails the client is saved with ``email_status``
pending; the job :func:`send_status` claims it (:mod:`voronka.core.mailing`), writes
the e-mail from the status's templates in the order's language and sends it. Every
e-mail of one order carries the same thread headers, so the client's mail program
shows one conversation per order.

The templates are the organisation's, written on the orders settings page in Django
template syntax, plain text. They are rendered by an engine of their own: no HTML
escaping, no template files to include, no tag libraries to load — and they see the
order only through :class:`OrderFacts`, the few facts meant for the client (never
the notes, the manager's account or the link's secret). A template that fails at send
time is replaced by the standard text of :mod:`voronka.orders.defaults` and the failure
logged: the client still hears about their order.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.mail import EmailMessage
from django.template import Context, Engine
from django.utils import formats, timezone, translation
from django.utils.translation import gettext_lazy as _

from voronka.core import mailing, organisation
from voronka.core.templatetags.voronka import money
from voronka.orders import defaults, links
from voronka.orders.models import Order, Status, StatusChange, StatusSetting

log = logging.getLogger(__name__)

LANGUAGES = ("ru", "en")
TEMPLATE_FIELDS = ("subject_ru", "body_ru", "subject_en", "body_en")

# The organisation's templates go through this engine only: built-in tags and filters,
# nothing escaped (the e-mail is plain text), no loaders to reach files with.
ENGINE = Engine(dirs=[], app_dirs=False, autoescape=False, libraries={}, string_if_invalid="")

# What a template may use, for the settings page.
PLACEHOLDERS = (
    ("order.number", _("the order's number")),
    ("order.date", _("the day the order was received")),
    ("client_name", _("the contact's first name (and middle name), if known")),
    ("status", _("the new status, in the client's language")),
    ("total", _("the order's total with its currency")),
    ("link", _("the link to the order's status page")),
    ("organisation", _("your organisation's name")),
    ("order.payment", _("payment: not paid, paid…")),
    ("order.delivery_method", _("how the order is delivered")),
    ("order.delivery_date", _("the delivery date, if set")),
    ("order.delivery_address", _("the delivery address")),
    ("order.manager", _("the responsible manager's first name")),
)


@dataclass(frozen=True)
class OrderFacts:
    """The order as a template sees it: words and numbers already in the client's
    language, and nothing else."""

    number: str
    date: str
    total: str
    payment: str
    delivery_method: str
    delivery_date: str
    delivery_address: str
    manager: str

    def __str__(self) -> str:
        return self.number


def language_of(order: Order) -> str:
    return order.language if order.language in LANGUAGES else settings.LANGUAGE_CODE


def template_error(text: str) -> str:
    """What is wrong with a template's syntax, in words; empty when nothing is."""
    try:
        ENGINE.from_string(text or "")
    except Exception as exc:  # TemplateSyntaxError and what a broken tag raises
        return str(exc) or exc.__class__.__name__
    return ""


def render(text: str, context: dict[str, Any]) -> str:
    """One template with the given context; raises whatever the template raises."""
    return ENGINE.from_string(text or "").render(Context(context, autoescape=False))


def _date(value: datetime | Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = timezone.localtime(value)
    return formats.date_format(value, "SHORT_DATE_FORMAT")


def context_for(order: Order, status: str) -> dict[str, Any]:
    """The templates' context for ``order`` entering ``status``.

    Call inside ``translation.override`` of the client's language and the
    organisation's time zone: the words, dates and money are written in them.
    """
    contact = order.contact
    client_name = ""
    if contact is not None:
        client_name = " ".join(p for p in (contact.first_name, contact.middle_name) if p)
    total = money(order.total, order.currency)
    facts = OrderFacts(
        number=order.number, date=_date(order.created_at), total=total,
        payment=str(order.get_payment_status_display()),
        delivery_method=str(order.get_delivery_method_display()),
        delivery_date=_date(order.delivery_date), delivery_address=order.delivery_address,
        manager=order.owner.first_name if order.owner_id else "",
    )  # fmt: skip
    return {
        "order": facts, "client_name": client_name, "status": str(Status(status).label),
        "link": links.public_url(order), "total": total,
        "organisation": organisation.current().name,
    }  # fmt: skip


def sample_context(status: str) -> dict[str, Any]:
    """A made-up order for the settings page's preview (no order is read or changed)."""
    now = timezone.now()
    total = money(Decimal("27000.00"), "RUB")
    facts = OrderFacts(
        number="000123", date=_date(now), total=total,
        payment=str(_("Not paid")), delivery_method=str(_("Courier")),
        delivery_date=_date(now + timedelta(days=3)),
        delivery_address=str(_("12 Lenina St., Moscow")), manager=str(_("Alice")),
    )  # fmt: skip
    base = settings.VORONKA_BASE_URL.rstrip("/")
    return {
        "order": facts, "client_name": str(_("Peter")), "status": str(Status(status).label),
        "link": f"{base}/orders/status/…/", "total": total,
        "organisation": organisation.current().name,
    }  # fmt: skip


def standard_texts(status: str, language: str) -> tuple[str, str]:
    """The subject and body templates a new installation has for ``status``."""
    row = next(r for r in defaults.status_settings() if r["status"] == status)
    return str(row[f"subject_{language}"]), str(row[f"body_{language}"])


def texts(
    setting: StatusSetting | None, status: str, language: str, context: dict[str, Any],
    *, fall_back: bool = True,
) -> tuple[str, str]:  # fmt: skip
    """The e-mail's subject and body for ``status`` in ``language``.

    An empty template, or one that fails, is replaced by the standard text (logged);
    with ``fall_back`` False the failure is raised instead (the settings' preview).
    """
    standard = standard_texts(status, language)
    written = (
        (getattr(setting, f"subject_{language}", ""), getattr(setting, f"body_{language}", ""))
        if setting is not None
        else ("", "")
    )
    out: list[str] = []
    for mine, fallback in zip(written, standard, strict=True):
        try:
            out.append(render(mine or fallback, context))
        except Exception:
            if not fall_back:
                raise
            log.exception("order status e-mail template for %s (%s) failed; standard text sent",
                          status, language)  # fmt: skip
            out.append(render(fallback, context))
    return out[0], out[1]


def _thread(order_id: int, own_id: str) -> dict[str, str]:
    root = f"<order-{order_id}@voronka>"
    return {"Message-ID": f"<{own_id}@voronka>", "In-Reply-To": root, "References": root}


def _status_email(change: StatusChange) -> EmailMessage | None:
    order = change.order
    if order.deleted_at is not None:
        log.info("order %s was deleted: its status e-mail %s is not sent", order.pk, change.pk)
        return None
    language = language_of(order)
    setting = StatusSetting.objects.filter(status=change.to_status).first()
    with translation.override(language), timezone.override(organisation.current().tz):
        context = context_for(order, change.to_status)
        subject, body = texts(setting, change.to_status, language, context)
    return EmailMessage(
        subject=mailing.one_line(subject), body=body, from_email=settings.DEFAULT_FROM_EMAIL,
        to=[change.email_to], headers=_thread(order.pk, f"order-{order.pk}-change-{change.pk}"),
    )  # fmt: skip


def send_status(change_id: int) -> bool:
    """Send the client's e-mail about this status change if nobody has; True if this
    call sent it. A failure raises (the job retries) until the last attempt."""
    return mailing.send_once(
        StatusChange, change_id, _status_email,
        related=("order__contact", "order__owner"),
    )  # fmt: skip


def stuck(model: Any, time_field: str) -> list[int]:
    """Rows whose e-mail a dead worker left half-sent, or nobody ever picked up."""
    return mailing.stuck(model, time_field)
