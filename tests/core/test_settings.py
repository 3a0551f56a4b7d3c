"""Settings come from the environment with safe defaults (checked in a fresh process)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

PROBE = """
import json, django
from django.conf import settings
django.setup()
db = settings.DATABASES["default"]
print(json.dumps({
    "secret": settings.SECRET_KEY, "debug": settings.DEBUG, "engine": db["ENGINE"],
    "name": str(db["NAME"]), "port": settings.PORT, "huey": settings.HUEY["huey_class"],
    "email": [settings.EMAIL_HOST, settings.EMAIL_PORT],
    "backend": settings.EMAIL_BACKEND.rsplit(".", 2)[-2], "mail_dir": settings.EMAIL_FILE_PATH,
}))
"""


def probe(tmp_path, **extra: str) -> dict:
    env = {k: v for k, v in os.environ.items()
           if k not in {"DATABASE_URL", "REDIS_URL", "SECRET_KEY", "DEBUG", "PORT", "EMAIL_HOST",
                        "EMAIL_PORT", "EMAIL_BACKEND"}}  # fmt: skip
    env.update(VORONKA_VAR_DIR=str(tmp_path), DJANGO_SETTINGS_MODULE="voronka.settings", **extra)
    out = subprocess.run([sys.executable, "-c", PROBE], env=env, capture_output=True, text=True,
                         check=True)  # fmt: skip
    return json.loads(out.stdout)


def test_a_fresh_clone_runs_on_sqlite_under_var_with_a_kept_secret_and_debug_off(tmp_path):
    first = probe(tmp_path)
    assert first["engine"] == "django.db.backends.sqlite3"
    assert first["name"] == str(tmp_path / "voronka.sqlite3")
    assert (first["debug"], first["port"], first["huey"]) == (False, 8000, "huey.SqliteHuey")
    assert (first["backend"], first["mail_dir"]) == ("filebased", str(tmp_path / "mail"))
    assert len(first["secret"]) >= 50
    assert (tmp_path / "secret_key").read_text().strip() == first["secret"]
    assert oct((tmp_path / "secret_key").stat().st_mode & 0o777) == "0o600"
    assert probe(tmp_path)["secret"] == first["secret"]


def test_the_environment_overrides_every_default(tmp_path):
    got = probe(
        tmp_path,
        DATABASE_URL="postgres://u@db.example:5433/crm",
        REDIS_URL="redis://127.0.0.1:6379/3",
        SECRET_KEY="from-env",
        DEBUG="1",
        PORT="9123",
        EMAIL_HOST="smtp.example",
        EMAIL_PORT="2525",
    )
    assert got == {
        "secret": "from-env", "debug": True, "engine": "django.db.backends.postgresql",
        "name": "crm", "port": 9123, "huey": "huey.RedisHuey", "email": ["smtp.example", 2525],
        "backend": "smtp", "mail_dir": str(tmp_path / "mail"),
    }  # fmt: skip
    assert not (tmp_path / "secret_key").exists()


def test_ids_print_without_grouping_while_money_and_counts_are_grouped(db):
    from django.template import Context, Template
    from django.utils import translation

    template = Template(
        '{% load humanize voronka %}<b id="deal-{{ n }}">{{ n|intcomma }} · {{ amount|money }}</b>'
    )
    with translation.override("ru"):
        html = template.render(Context({"n": 12345, "amount": "1234567.891"}))
    assert html == '<b id="deal-12345">12\xa0345 · 1\xa0234\xa0567,89\xa0₽</b>'
