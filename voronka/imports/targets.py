"""The kinds of records an import writes, their fields, and what each needs besides its fields.

A target knows its model, the fields a mapping may fill (:class:`FieldDef`), how an
existing record is recognised (its match keys) and what follows from a row beyond the
columns: a deal's stage history and product line, a contact's name split in parts,
normalised phones and e-mails, search text.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, ClassVar

from django.db.models import Model
from django.utils import timezone
from django.utils.translation import gettext as _

from voronka.accounts.models import Role, Team, User
from voronka.activities.models import Activity
from voronka.clients.models import Company, Contact, LifecycleStage
from voronka.core.text import normalize_email, normalize_phone, search_text
from voronka.imports import inserts
from voronka.sales.models import Deal, DealLine, Lead, Product, Stage, StageHistory, StageKind


@dataclass(frozen=True)
class FieldDef:
    kind: str  # text email phone decimal int bool date datetime choice tags fk
    max_length: int | None = None
    required: bool = False
    choices: tuple[str, ...] = ()
    ref: str = ""  # for fk: users teams sources reasons categories pipelines stages products
    #               companies contacts leads deals
    lookups: tuple[str, ...] = ("name",)
    label: str = ""


def _text(n: int | None = None, required: bool = False) -> FieldDef:
    return FieldDef("text", max_length=n, required=required)


def _fk(ref: str, *lookups: str, required: bool = False) -> FieldDef:
    return FieldDef("fk", ref=ref, lookups=lookups or ("name",), required=required)


USER: tuple[str, ...] = ("username", "email", "full_name")
LIFECYCLE = tuple(LifecycleStage.values)

CLIENT_FIELDS = {
    "phone": FieldDef("phone", max_length=40),
    "email": FieldDef("email", max_length=254),
    "address": _text(300),
    "notes": _text(),
    "source": _fk("sources"),
    "owner": _fk("users", *USER),
    "lifecycle_stage": FieldDef("choice", choices=LIFECYCLE),
    "tags": FieldDef("tags"),
    "created_at": FieldDef("datetime"),
}


@dataclass
class Row:
    line: int
    cells: list[Any]
    raw: dict[str, Any]
    values: dict[str, Any] = field(default_factory=dict)
    problems: list[tuple[str, str]] = field(default_factory=list)
    key: str = ""  # the source system's id
    existing: Any = None
    obj: Any = None
    changed: list[str] = field(default_factory=list)
    action: str = ""
    defaulted: set[str] = field(default_factory=set)  # filled from the mapping's default

    def reject(self, column: str, reason: str) -> None:
        self.problems.append((column, reason))


class Target:
    entity: ClassVar[str]
    model: ClassVar[type[Model]]
    fields: ClassVar[dict[str, FieldDef]]
    match_keys: ClassVar[tuple[str, ...]] = ()
    # Fields a mapping may fill that are not columns of the model.
    virtual: ClassVar[frozenset[str]] = frozenset()
    has_history: ClassVar[bool] = True
    # New records written by the fast path (ids up front, COPY); people and teams, few and
    # with passwords and permissions, go through the ORM.
    fast_insert: ClassVar[bool] = True
    # Records that count as an interaction with their client (requests): the clients'
    # active spells are refreshed after the import.
    is_interaction: ClassVar[bool] = False
    # The role of a person a row names who is created because the mapping says so.
    new_people_role: ClassVar[str] = Role.MANAGER

    def __init__(self, *, actor: Any, lookups: Any, tz: Any) -> None:
        self.actor = actor
        self.lookups = lookups
        self.tz = tz

    # Hooks ---------------------------------------------------------------------------------
    def prepare(self, rows: list[Row]) -> None:
        """A batch's rows with related and existing records found, before :meth:`shape`."""

    def shape(self, row: Row) -> None:
        """Cross-field rules once the fields are read (defaults, derived values)."""

    def match_value(self, row: Row, key: str) -> str:
        value = row.values.get(key)
        return "" if value in (None, "") else str(value)

    def match_field(self, key: str) -> str:
        return key

    def match_transform(self, key: str, value: str) -> str:
        return value

    def apply(self, row: Row, obj: Model, *, new: bool) -> list[str]:
        """Put the row's values on the record; returns the names of the fields that changed."""
        changed = []
        for name, value in row.values.items():
            if name in self.virtual or name == "tags":
                continue
            if not new and name in row.defaulted:
                continue  # a default fills in a new record; it never overwrites one
            attname = f"{name}_id" if self.fields[name].kind == "fk" else name
            if new or getattr(obj, attname) != value:
                setattr(obj, attname, value)
                changed.append(attname)
        return changed

    def finish(self, obj: Model) -> list[str]:
        """Derived columns (normalised phone, search text …); returns the ones set."""
        return []

    def after(self, rows: list[Row]) -> None:
        """Rows saved (new or changed): write what hangs off them (lines, history, tags)."""
        tagged = [r for r in rows if "tags" in r.values]
        if tagged:
            from voronka.clients.models import Tag

            names = {n for r in tagged for n in r.values["tags"]}
            existing = {t.name.casefold(): t for t in Tag.objects.all()}
            for name in names:
                if name.casefold() not in existing:
                    existing[name.casefold()] = Tag.objects.create(name=name[:80])
            through = self.model.tags.through  # type: ignore[attr-defined]
            fk = f"{self.model._meta.model_name}_id"
            through.objects.filter(**{f"{fk}__in": [r.obj.pk for r in tagged]}).delete()
            through.objects.bulk_create(
                [
                    through(**{fk: r.obj.pk, "tag_id": existing[key].pk})
                    for r in tagged
                    for key in dict.fromkeys(n.casefold() for n in r.values["tags"])
                ]
            )


class MatchedByContacts(Target):
    """Records found again by their normalised e-mail or phone, as de-duplication does."""

    def match_field(self, key: str) -> str:
        return {"email": "email_normalized", "phone": "phone_normalized"}.get(key, key)

    def match_transform(self, key: str, value: str) -> str:
        return {"email": normalize_email, "phone": normalize_phone}.get(key, str)(value)


class Companies(MatchedByContacts):
    entity = "companies"
    model: ClassVar[type[Model]] = Company
    fields = {
        "name": _text(250, required=True),
        "tax_id": _text(12),
        "website": _text(200),
        "industry": _text(120),
        **CLIENT_FIELDS,
    }
    match_keys: ClassVar[tuple[str, ...]] = ("tax_id", "email", "phone")

    def finish(self, obj: Any) -> list[str]:
        obj.phone_normalized = normalize_phone(obj.phone)
        obj.email_normalized = normalize_email(obj.email)
        obj.search_text = search_text(obj.name, obj.tax_id, obj.email_normalized)
        return ["phone_normalized", "email_normalized", "search_text"]


class Contacts(Companies):
    entity = "contacts"
    model = Contact
    fields = {
        "first_name": _text(100),
        "middle_name": _text(100),
        "last_name": _text(100),
        "full_name": _text(300),
        "company": _fk("companies", "name", "tax_id", "external_id", "id"),
        "position": _text(150),
        **CLIENT_FIELDS,
    }
    match_keys = ("email", "phone")
    virtual = frozenset({"full_name"})

    def shape(self, row: Row) -> None:
        full = row.values.get("full_name")
        if full and not row.values.get("first_name"):
            parts = full.split()
            if len(parts) == 3:  # Russian order: Фамилия Имя Отчество
                last, first, middle = parts
                row.values.update(first_name=first, middle_name=middle, last_name=last)
            else:
                row.values.update(first_name=parts[0][:100], last_name=" ".join(parts[1:])[:100])
        if not row.values.get("first_name") and row.existing is None:
            row.reject("first_name", _("required; give a first name or a full name"))

    def finish(self, obj: Any) -> list[str]:
        obj.phone_normalized = normalize_phone(obj.phone)
        obj.email_normalized = normalize_email(obj.email)
        obj.search_text = search_text(
            obj.last_name, obj.first_name, obj.middle_name, obj.email_normalized
        )
        return ["phone_normalized", "email_normalized", "search_text"]


class Leads(MatchedByContacts):
    entity = "leads"
    model = Lead
    fields = {
        "title": _text(250, required=True),
        "contact_name": _text(200),
        "company_name": _text(250),
        "phone": FieldDef("phone", max_length=40),
        "email": FieldDef("email", max_length=254),
        "tax_id": _text(12),
        "source": _fk("sources"),
        "status": FieldDef("choice", choices=tuple(Lead.Status.values)),
        "owner": _fk("users", *USER),
        "company": _fk("companies", "name", "tax_id", "external_id", "id"),
        "contact": _fk("contacts", "email", "phone", "full_name", "external_id", "id"),
        "rejection_reason": _fk("reasons"),
        "rejection_comment": _text(),
        "utm_source": _text(200),
        "utm_medium": _text(200),
        "utm_campaign": _text(200),
        "utm_term": _text(200),
        "utm_content": _text(200),
        "notes": _text(),
        "created_at": FieldDef("datetime"),
        "qualified_at": FieldDef("datetime"),
        "rejected_at": FieldDef("datetime"),
    }
    match_keys = ("email", "phone")

    def shape(self, row: Row) -> None:
        status = row.values.get("status")
        if status == Lead.Status.REJECTED and "rejected_at" not in row.values:
            row.values["rejected_at"] = row.values.get("created_at") or timezone.now()
        if status == Lead.Status.QUALIFIED and "qualified_at" not in row.values:
            row.values["qualified_at"] = row.values.get("created_at") or timezone.now()

    def apply(self, row: Row, obj: Model, *, new: bool) -> list[str]:
        changed = super().apply(row, obj, new=new)
        if row.key and new:
            obj.external_id = row.key[:100]  # type: ignore[attr-defined]
            changed.append("external_id")
        return changed

    def finish(self, obj: Any) -> list[str]:
        from voronka.sales.services import link_known_client

        obj.phone_normalized = normalize_phone(obj.phone)
        obj.email_normalized = normalize_email(obj.email)
        obj.search_text = search_text(
            obj.title, obj.contact_name, obj.company_name, obj.email_normalized
        )
        link_known_client(obj)
        return ["phone_normalized", "email_normalized", "search_text", "company_id", "contact_id"]


class Deals(Target):
    entity = "deals"
    model = Deal
    fields = {
        "title": _text(250, required=True),
        "pipeline": _fk("pipelines"),
        "stage": _fk("stages", required=True),
        "owner": _fk("users", *USER),
        "company": _fk("companies", "name", "tax_id", "external_id", "id"),
        "contact": _fk("contacts", "email", "phone", "full_name", "external_id", "id"),
        "lead": _fk("leads", "external_id", "id"),
        "amount": FieldDef("decimal"),
        "currency": _text(3),
        "exchange_rate": FieldDef("decimal"),
        "expected_close_date": FieldDef("date"),
        "created_at": FieldDef("datetime"),
        "closed_at": FieldDef("datetime"),
        "stage_entered_at": FieldDef("datetime"),
        "lost_reason": _fk("reasons"),
        "lost_comment": _text(),
        "source": _fk("sources"),
        "notes": _text(),
        "product": _fk("products", "name", "sku"),
        "quantity": FieldDef("decimal"),
    }
    virtual = frozenset({"stage", "product", "quantity"})

    def prepare(self, rows: list[Row]) -> None:
        """A deal from a lead comes from the lead's source, as when a lead is qualified."""
        wanted = {
            r.values["lead"] for r in rows if r.values.get("lead") and "source" not in r.values
        }
        if not wanted:
            return
        sources = dict(
            Lead.all_objects.filter(pk__in=wanted, source_id__isnull=False).values_list(
                "pk", "source_id"
            )
        )
        for r in rows:
            if "source" not in r.values and r.values.get("lead") in sources:
                r.values["source"] = sources[r.values["lead"]]

    def shape(self, row: Row) -> None:
        v = row.values
        stage: Stage | None = v.get("stage")
        if stage is None:
            return
        if "owner" not in v and row.existing is None:
            v["owner"] = self.actor.pk
        amount = v.get("amount")
        if amount is not None and amount < 0:
            row.reject("amount", _("cannot be negative"))
        if "product" in v and amount is None:
            price = self.lookups.product_prices.get(v["product"]) or Decimal("0")
            v["amount"] = price * (v.get("quantity") or 1)
        if stage.kind == StageKind.OPEN:
            v["closed_at"] = None
            v.pop("lost_reason", None)
        elif v.get("closed_at") is None and (
            row.existing is None or row.existing.closed_at is None
        ):
            row.reject("closed_at", _("a won or lost deal needs the date it was closed"))
        created = v.get("created_at")
        closed = v.get("closed_at")
        if created is not None and closed is not None and closed < created:
            # A close before the deal appeared (seen in real exports) keeps the close:
            # the deal is taken to have appeared when it closed.
            v["created_at"] = closed
        currency = v.get("currency")
        if currency:
            v["currency"] = currency.upper()

    def apply(self, row: Row, obj: Any, *, new: bool) -> list[str]:
        changed = super().apply(row, obj, new=new)
        stage: Stage = row.values["stage"]
        if new or obj.stage_id != stage.pk:
            row.values["_moved_from"] = None if new else obj.stage_id
            obj.stage_id = stage.pk
            obj.pipeline_id = stage.pipeline_id
            obj.status = stage.kind
            entered = row.values.get("stage_entered_at")
            if entered is None:
                entered = (
                    row.values.get("closed_at")
                    if stage.kind != StageKind.OPEN
                    else row.values.get("created_at")
                ) or timezone.now()
            obj.stage_entered_at = entered
            changed += ["stage_id", "pipeline_id", "status", "stage_entered_at"]
        foreign = obj.currency != self.base_currency
        if foreign and "exchange_rate" not in row.values and (new or "currency" in changed):
            row.reject(
                "exchange_rate",
                _("give the rate of %(currency)s to %(base)s")
                % {"currency": obj.currency, "base": self.base_currency},
            )
        return changed

    @property
    def base_currency(self) -> str:
        from voronka.core import organisation

        return organisation.current().base_currency

    def finish(self, obj: Any) -> list[str]:
        obj.search_text = search_text(obj.title, getattr(obj, "_client_name", ""))
        return ["search_text"]

    def after(self, rows: list[Row]) -> None:
        history = []
        lines = []
        for r in rows:
            deal = r.obj
            if "_moved_from" not in r.values:
                pass
            elif r.values["_moved_from"] is None:
                first = self._first_stage(deal)
                if first is not None and first.pk != deal.stage_id:
                    history.append(
                        StageHistory(
                            deal=deal,
                            from_stage=None,
                            to_stage=first,
                            moved_by=None,
                            moved_at=deal.created_at,
                        )  # fmt: skip
                    )
                    from_id = first.pk
                else:
                    from_id = None
                history.append(
                    StageHistory(
                        deal=deal,
                        from_stage_id=from_id,
                        to_stage_id=deal.stage_id,
                        moved_by=None,
                        moved_at=deal.stage_entered_at,
                    )  # fmt: skip
                )
            else:
                history.append(
                    StageHistory(
                        deal=deal,
                        from_stage_id=r.values["_moved_from"],
                        to_stage_id=deal.stage_id,
                        moved_by=None,
                        moved_at=deal.stage_entered_at,
                    )  # fmt: skip
                )
            if "product" in r.values:
                quantity = r.values.get("quantity") or Decimal("1")
                lines.append(
                    DealLine(
                        deal=deal,
                        product_id=r.values["product"],
                        quantity=quantity,
                        price=(deal.amount / quantity).quantize(Decimal("0.01")),
                        discount_percent=Decimal("0"),
                    )  # fmt: skip
                )
        now = timezone.now()
        inserts.insert(StageHistory, history, now=now)
        if lines:
            DealLine.objects.filter(deal_id__in=[line.deal_id for line in lines]).delete()
            inserts.insert(DealLine, lines, now=now)

    def _first_stage(self, deal: Any) -> Stage | None:
        """Where a deal entered its pipeline: the stage it is in while open; for a closed
        one, the first open stage after the pipeline's first (a deal with a date of
        engagement was engaged), or the first."""
        if deal.status == Deal.Status.OPEN:
            return None
        stages = self._open_stages(deal.pipeline_id)
        return stages[0] if stages else None

    def _open_stages(self, pipeline_id: int) -> list[Stage]:
        cache = self.__dict__.setdefault("_stages_cache", {})
        if pipeline_id not in cache:
            cache[pipeline_id] = [
                s for s in sorted(
                    (s for s in self.lookups.stages.values() if s.pipeline_id == pipeline_id),
                    key=lambda s: (s.position, s.pk),
                ) if s.kind == StageKind.OPEN
            ]  # fmt: skip
        return cache[pipeline_id]


class Products(Target):
    entity = "products"
    model = Product
    fields = {
        "name": _text(200, required=True),
        "sku": _text(60),
        "category": _fk("categories"),
        "price": FieldDef("decimal"),
        "currency": _text(3),
        "is_active": FieldDef("bool"),
        "created_at": FieldDef("datetime"),
    }
    match_keys = ("sku", "name")

    def shape(self, row: Row) -> None:
        price = row.values.get("price")
        if price is not None and price < 0:
            row.reject("price", _("cannot be negative"))


class Teams(Target):
    entity = "teams"
    model = Team
    fields = {"name": _text(120, required=True), "lead": _fk("users", *USER)}
    match_keys = ("name",)
    has_history = False
    fast_insert = False


class Users(Target):
    entity = "users"
    model = User
    fields = {
        "username": _text(150),
        "email": FieldDef("email", max_length=254),
        "first_name": _text(150),
        "last_name": _text(150),
        "full_name": _text(300),
        "role": FieldDef("choice", choices=tuple(Role.values)),
        "team": _fk("teams"),
        "team_lead": _fk("users", *USER),
        "phone": _text(40),
        "is_active": FieldDef("bool"),
    }
    match_keys = ("username", "email", "full_name")
    virtual = frozenset({"full_name", "team_lead"})
    has_history = False
    fast_insert = False

    def match_value(self, row: Row, key: str) -> str:
        if key == "full_name":
            full = row.values.get("full_name") or " ".join(
                p for p in (row.values.get("first_name"), row.values.get("last_name")) if p
            )
            return full
        return super().match_value(row, key)

    def shape(self, row: Row) -> None:
        v = row.values
        full = v.get("full_name")
        if full and not v.get("first_name"):
            parts = full.split()
            v["first_name"], v["last_name"] = parts[0][:150], " ".join(parts[1:])[:150]
        if row.existing is None and not (v.get("username") or v.get("email") or full):
            row.reject("username", _("required; give a username, an e-mail or a full name"))

    def apply(self, row: Row, obj: Any, *, new: bool) -> list[str]:
        changed = super().apply(row, obj, new=new)
        if new:
            hint = row.values.get("username") or row.values.get("email", "").split("@")[0]
            if not row.values.get("username"):
                obj.username = self.lookups.people.free_username(
                    hint or row.values.get("full_name", "")
                )
            obj.set_unusable_password()
        return changed

    def after(self, rows: list[Row]) -> None:
        for r in rows:
            self.lookups.people._add(r.obj)
            lead_id = r.values.get("team_lead")
            if lead_id and r.obj.team_id:
                Team.objects.filter(pk=r.obj.team_id).update(lead_id=lead_id)
                User.objects.filter(pk=lead_id, team_id__isnull=True).update(team_id=r.obj.team_id)


class Activities(Target):
    entity = "activities"
    model = Activity
    fields = {
        "kind": FieldDef("choice", choices=tuple(Activity.Kind.values), required=True),
        "subject": _text(250),
        "body": _text(),
        "occurred_at": FieldDef("datetime", required=True),
        "author": _fk("users", *USER),
        "direction": FieldDef("choice", choices=tuple(Activity.Direction.values)),
        "duration_seconds": FieldDef("int"),
        "outcome": FieldDef("choice", choices=tuple(Activity.Outcome.values)),
        "company": _fk("companies", "name", "tax_id", "external_id", "id"),
        "contact": _fk("contacts", "email", "phone", "full_name", "external_id", "id"),
        "deal": _fk("deals", "external_id", "id"),
        "lead": _fk("leads", "external_id", "id"),
    }

    def shape(self, row: Row) -> None:
        v = row.values
        if "author" not in v and row.existing is None:
            v["author"] = self.actor.pk
        if (
            not any(v.get(k) for k in ("company", "contact", "deal", "lead"))
            and row.existing is None
        ):
            row.reject("company", _("an interaction needs a client, a deal or a lead"))


# Targets of other capabilities live in modules of their own, built on the classes above.
from voronka.imports.targets_service import Requests  # noqa: E402

TARGETS: dict[str, type[Target]] = {
    t.entity: t
    for t in (Companies, Contacts, Leads, Deals, Products, Teams, Users, Activities, Requests)
}
