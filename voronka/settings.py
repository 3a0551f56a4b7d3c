"""Django settings for Voronka.

Every setting comes from an environment variable with a safe default, so a fresh
clone runs with nothing configured: SQLite under ``var/``, a generated secret key
kept under ``var/``, the embedded SQLite queue for background jobs.
"""

from __future__ import annotations

import os
import secrets
import sys
from pathlib import Path

import dj_database_url
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("VORONKA_VAR_DIR", BASE_DIR / "var"))
VAR_DIR.mkdir(parents=True, exist_ok=True)


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _secret_key() -> str:
    """The key from SECRET_KEY, or one generated once and kept under var/."""
    if key := os.environ.get("SECRET_KEY"):
        return key
    path = VAR_DIR / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(50))
        path.chmod(0o600)
    return path.read_text().strip()


SECRET_KEY = _secret_key()
DEBUG = env_bool("DEBUG")
TESTING = env_bool("VORONKA_TESTING", default="pytest" in sys.modules)
ALLOWED_HOSTS = [h.strip() for h in os.environ.get("ALLOWED_HOSTS", "*").split(",") if h.strip()]
CSRF_TRUSTED_ORIGINS = [
    o.strip() for o in os.environ.get("CSRF_TRUSTED_ORIGINS", "").split(",") if o.strip()
]
PORT = int(os.environ.get("PORT", "8000"))

# Voronka's apps come first so their translations win over Django's own for shared words.
INSTALLED_APPS = [
    "voronka.core",
    "voronka.accounts",
    "voronka.clients",
    "voronka.sales",
    "voronka.activities",
    "voronka.analytics",
    "voronka.automation",
    "voronka.webforms",
    "voronka.imports",
    "voronka.service",
    "voronka.orders",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "ninja",
    "django_htmx",
    "template_partials",
    "simple_history",
    "axes",
    "huey.contrib.djhuey",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "voronka.core.middleware.UserPreferencesMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "voronka.urls"
WSGI_APPLICATION = "voronka.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "voronka.core.context_processors.organisation",
                "voronka.core.context_processors.navigation",
            ],
        },
    }
]

# --- Database -----------------------------------------------------------------
DATABASE_URL = os.environ.get("DATABASE_URL") or f"sqlite:///{VAR_DIR / 'voronka.sqlite3'}"
DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=60)}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"] = {
        # WAL lets readers work while the worker writes; IMMEDIATE takes the write
        # lock at BEGIN so two writers queue instead of failing half-way.
        "init_command": (
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; "
            "PRAGMA busy_timeout=10000; PRAGMA foreign_keys=ON;"
        ),
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
    DATABASES["default"]["TEST"] = {"NAME": os.environ.get("VORONKA_TEST_SQLITE", "")}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Auth -----------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "accounts:login"
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
if TESTING:
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # fast tests only
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = int(os.environ.get("AXES_FAILURE_LIMIT", "10"))
AXES_COOLOFF_TIME = 1  # hours
AXES_ENABLED = not TESTING
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = env_bool("SECURE_COOKIES")
CSRF_COOKIE_SECURE = env_bool("SECURE_COOKIES")
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True

# --- Language, time, money ------------------------------------------------------
LANGUAGE_CODE = "ru"
LANGUAGES = [("ru", _("Russian")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "voronka" / "locale"]
USE_I18N = True
USE_TZ = True
# The organisation's own time zone and base currency live on the Organisation row;
# these are only the defaults a new organisation starts with.
TIME_ZONE = "Europe/Moscow"
DEFAULT_ORG_TIME_ZONE = os.environ.get("ORG_TIME_ZONE", "Europe/Moscow")
DEFAULT_ORG_CURRENCY = os.environ.get("ORG_CURRENCY", "RUB")
# Off: with it on, every number in a template — ids in HTML attributes included —
# would print as «1 234». Money and counts group their digits explicitly
# (the `money` filter, `intcomma`).
USE_THOUSAND_SEPARATOR = False

# --- Static files ---------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
if TESTING:  # tests read static files from the apps, never from a collectstatic in progress
    STATIC_ROOT = VAR_DIR / "test-static"
    STATIC_ROOT.mkdir(exist_ok=True)
STATICFILES_DIRS = [BASE_DIR / "voronka" / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG or TESTING
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
WHITENOISE_USE_FINDERS = DEBUG or TESTING

# --- E-mail -----------------------------------------------------------------------
# With EMAIL_HOST set, mail goes to that SMTP server; without it (a fresh clone, the
# demo) each message is written as a file under var/mail/ instead of failing to connect.
if os.environ.get("EMAIL_HOST"):
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
else:
    EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", EMAIL_BACKEND)
EMAIL_FILE_PATH = str(VAR_DIR / "mail")
EMAIL_HOST = os.environ.get("EMAIL_HOST", "127.0.0.1")
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "25"))
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS")
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "voronka@localhost")

# --- Background jobs ----------------------------------------------------------------
REDIS_URL = os.environ.get("REDIS_URL", "")
HUEY_IMMEDIATE = env_bool("HUEY_IMMEDIATE", default=TESTING)
# The largest cell an import reads, in characters; a larger one rejects its row.
IMPORT_MAX_CELL = int(os.environ.get("VORONKA_IMPORT_MAX_CELL", 1_000_000))
# The largest file the import page accepts, in bytes.
IMPORT_MAX_UPLOAD = int(os.environ.get("VORONKA_IMPORT_MAX_UPLOAD", 200 * 1024 * 1024))
if REDIS_URL:
    HUEY = {
        "huey_class": "huey.RedisHuey",
        "name": os.environ.get("HUEY_NAME", "voronka"),
        "url": REDIS_URL,
        "immediate": HUEY_IMMEDIATE,
        "consumer": {"workers": 2, "worker_type": "thread"},
    }
else:
    HUEY = {
        "huey_class": "huey.SqliteHuey",
        "name": "voronka",
        "filename": str(VAR_DIR / "huey.sqlite3"),
        "immediate": HUEY_IMMEDIATE,
        "consumer": {"workers": 2, "worker_type": "thread"},
    }

# --- Logging --------------------------------------------------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    # Huey's consumer prints through its own handler; not again through the root one.
    "loggers": {"axes": {"level": "WARNING"}, "huey": {"propagate": False}},
}

# --- Voronka --------------------------------------------------------------------------
VORONKA_PAGE_SIZE = 50
# The address people open Voronka at, for links in e-mails.
VORONKA_BASE_URL = os.environ.get("VORONKA_BASE_URL", f"http://127.0.0.1:{PORT}")
VORONKA_COUNT_LIMIT = 10_000  # lists count exactly up to this many, then say "10 000+"
