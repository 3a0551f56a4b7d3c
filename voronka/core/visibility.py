"""Who may see and change which records.

One rule, applied per model family by that family's ``queries.py``:

* admin and head of sales see and edit everything;
* a manager sees and edits the records they own;
* a team lead also sees and edits the records owned by their team's members;
* a support agent sees clients and deals (to answer requests) and edits none of them;
  client requests are theirs to see and work, like the head's;
* anyone else sees nothing.

Records without an owner are visible to admin and head of sales only.
"""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING, Any

from django.db.models import Q

if TYPE_CHECKING:
    from voronka.accounts.models import User


class Family(StrEnum):
    CLIENTS = "clients"
    DEALS = "deals"
    LEADS = "leads"
    CATALOG = "catalog"  # products, pipelines: configuration everyone reads
    REQUESTS = "requests"  # client requests: the assignee's, and every support agent's
    ORDERS = "orders"  # the responsible manager's; support reads them to serve clients


_NOTHING = Q(pk__in=[])

# What a support agent may read: enough to serve a client, not the sales side.
_SUPPORT_READS = {Family.CLIENTS, Family.DEALS, Family.CATALOG, Family.ORDERS}


def _is_active_user(user: Any) -> bool:
    return bool(user is not None and user.is_authenticated and user.is_active)


def led_team_ids(user: User) -> list[int]:
    """Teams this user leads; cached on the user object for the request."""
    cached = getattr(user, "_led_team_ids", None)
    if cached is None:
        from voronka.accounts.models import Team

        cached = list(Team.objects.filter(lead=user).values_list("pk", flat=True))
        user._led_team_ids = cached  # type: ignore[attr-defined]
    return cached


def sees_everything(user: User) -> bool:
    return _is_active_user(user) and (user.is_superuser or user.role in ("admin", "head_of_sales"))


def owner_q(user: User, family: Family, *, owner_field: str = "owner", write: bool = False) -> Q:
    """A filter for the records of ``family`` the user may read (or, with ``write``, change)."""
    if not _is_active_user(user):
        return _NOTHING
    if sees_everything(user):
        return Q()
    if family == Family.CATALOG:
        return _NOTHING if write else Q()
    if user.role == "support":
        if family == Family.REQUESTS:
            return Q()
        return Q() if (not write and family in _SUPPORT_READS) else _NOTHING
    if user.role != "manager":
        return _NOTHING
    q = Q(**{owner_field: user.pk})
    teams = led_team_ids(user)
    if teams:
        q |= Q(**{f"{owner_field}__team_id__in": teams})
    return q


def may_own(actor: User, owner: User | None) -> bool:
    """Whether ``actor`` may make ``owner`` responsible for a record."""
    if not _is_active_user(actor):
        return False
    if sees_everything(actor):
        return True
    if owner is None or actor.role != "manager":
        return False
    if owner.pk == actor.pk:
        return True
    return owner.team_id is not None and owner.team_id in led_team_ids(actor)


def can_write(actor: User, family: Family, owner_id: int | None) -> bool:
    """Whether ``actor`` may change a record of ``family`` owned by ``owner_id``."""
    if not _is_active_user(actor):
        return False
    if sees_everything(actor):
        return True
    if family == Family.REQUESTS and actor.role == "support":
        return True
    if family == Family.CATALOG or actor.role != "manager" or owner_id is None:
        return False
    if owner_id == actor.pk:
        return True
    from voronka.accounts.models import User as UserModel

    teams = led_team_ids(actor)
    return bool(teams) and UserModel.objects.filter(pk=owner_id, team_id__in=teams).exists()


def can_restore(actor: User) -> bool:
    """Only admin and head of sales bring soft-deleted records back."""
    return sees_everything(actor)
