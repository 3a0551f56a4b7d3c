"""``voronka createuser``: a user with a role, in a team."""

from __future__ import annotations

import getpass
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from voronka.accounts.models import Role, Team, User
from voronka.accounts.services import user_create


class Command(BaseCommand):
    help = "Create a user with a role (admin, head_of_sales, manager, support)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")
        parser.add_argument("--role", choices=Role.values, default=Role.MANAGER)
        parser.add_argument("--team", default="")
        parser.add_argument("--email", default="")
        parser.add_argument("--first-name", dest="first_name", default="")
        parser.add_argument("--last-name", dest="last_name", default="")
        parser.add_argument("--password", default="")

    @transaction.atomic
    def handle(self, *args: Any, **opts: Any) -> None:
        username = opts["username"].strip()
        if User.objects.filter(username=username).exists():
            raise CommandError(f"username: a user named {username!r} already exists")
        password = opts["password"] or getpass.getpass("Password: ")
        if len(password) < 8:
            raise CommandError("password: must be at least 8 characters")
        team = Team.objects.get_or_create(name=opts["team"])[0] if opts["team"] else None
        try:
            user = user_create(
                username=username,
                password=password,
                role=opts["role"],
                team=team,
                email=opts["email"],
                first_name=opts["first_name"],
                last_name=opts["last_name"],
            )
        except ValidationError as exc:
            raise CommandError(
                "; ".join(f"{f}: {' '.join(m)}" for f, m in exc.message_dict.items())
            ) from exc
        self.stdout.write(f"Created {user.username} ({user.role})")
