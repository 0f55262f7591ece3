"""The only settings file: every knob is read from the environment (see the README's table)."""

from __future__ import annotations

import re
import secrets
from datetime import timedelta
from pathlib import Path
from typing import Final

import environ
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

PACKAGE_DIR = Path(__file__).resolve().parent
BASE_DIR = PACKAGE_DIR.parent.parent

env = environ.Env()

# Production unless development is asked for (`make run` and the tests set DEBUG=1).
DEBUG: bool = env.bool("DEBUG", default=False)
VAR_DIR = Path(env.str("STUDIENAV_VAR_DIR", default=str(BASE_DIR / "var")))
VAR_DIR.mkdir(parents=True, exist_ok=True)


def _secret_key() -> str:
    """Production needs SECRET_KEY; development generates one once and keeps it under var/."""
    key = env.str("SECRET_KEY", default="")
    if key:
        return key
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off.")
    path = VAR_DIR / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(50))
        path.chmod(0o600)
    return path.read_text().strip()


SECRET_KEY = _secret_key()
ALLOWED_HOSTS: list[str] = env.list(
    "ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "testserver"] if DEBUG else []
)
CSRF_TRUSTED_ORIGINS: list[str] = env.list("CSRF_TRUSTED_ORIGINS", default=[])
CSRF_FAILURE_VIEW = "studienav.core.error_pages.csrf_failure"
SITE_URL: str = env.str("SITE_URL", default="http://127.0.0.1:8000").rstrip("/")

# Which regional node this installation serves (slug of a RegionalNode in the reference data).
STUDIENAV_NODE: str = env.str("STUDIENAV_NODE", default="forum-mellansverige")
# Whom the public pages name, by role address only: the public body behind the site (controller
# of its personal data), the node office, the data protection officer, and each region's local
# contact by region code ("03=kliniskastudier@example.se,18=...").
SITE_OWNER: str = env.str("SITE_OWNER", default="")
CONTACT_EMAIL: str = env.str("CONTACT_EMAIL", default="")
DATA_PROTECTION_OFFICER_EMAIL: str = env.str("DATA_PROTECTION_OFFICER_EMAIL", default="")
REGION_CONTACTS: dict[str, str] = env.dict("REGION_CONTACTS", default={})

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "axes",
    "csp",
    "django_htmx",
    "studienav.core",
    "studienav.registry",
    "studienav.search",
    "studienav.portal",
    "studienav.api",
    "studienav.stats",
    "studienav.feasibility",
    "studienav.participation",
    "studienav.counts",
    "studienav.disclosure",
    "studienav.funding",
    "studienav.network",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "studienav.core.middleware.RequestIdMiddleware",
    "studienav.core.observability.RequestLogMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "studienav.api.middleware.ApiEdgeMiddleware",
    # After the API's kept answers (they need no database), before anything that reads it.
    "studienav.core.timeouts.StatementTimeoutMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "studienav.core.middleware.SessionLifetimeMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "studienav.urls"
WSGI_APPLICATION = "studienav.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "studienav.core.context_processors.node",
                "studienav.core.context_processors.other_language",
            ],
        },
    },
]

# Database: SQLite (WAL, busy timeout, immediate transactions) unless DATABASE_URL says otherwise.
DATABASES = {
    "default": env.db_url("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'studienav.sqlite3'}")
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 20,
        "transaction_mode": "IMMEDIATE",
        "init_command": (
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;"
        ),
    }
else:
    DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("DATABASE_CONN_MAX_AGE", default=60))
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
# Seconds one statement of a web request may run (0: no bound); commands are never bounded.
# PostgreSQL stops it itself (statement_timeout), SQLite through a progress handler; the
# request is answered 503 (studienav.core.timeouts).
DATABASE_STATEMENT_TIMEOUT: float = env.float("DATABASE_STATEMENT_TIMEOUT", default=5.0)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

CACHES = {"default": env.cache_url("CACHE_URL", default="locmemcache://")}

# People and passwords.
AUTH_USER_MODEL = "core.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    {"NAME": "studienav.core.passwords.RepetitivePasswordValidator"},
]
LOGIN_URL = "core:login"
LOGIN_REDIRECT_URL = "core:dashboard"
LOGOUT_REDIRECT_URL = "portal:home"
PASSWORD_RESET_TIMEOUT = 60 * 60 * 2

# Sessions end after 30 minutes idle and 12 hours in all (SessionLifetimeMiddleware).
SESSION_IDLE_SECONDS: int = env.int("SESSION_IDLE_SECONDS", default=30 * 60)
SESSION_MAX_SECONDS: int = env.int("SESSION_MAX_SECONDS", default=12 * 60 * 60)
SESSION_COOKIE_AGE = SESSION_MAX_SECONDS
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"

# Lockout after repeated failed logins (django-axes), per account, with a cool-off.
AXES_FAILURE_LIMIT: int = env.int("LOGIN_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("LOGIN_COOLOFF_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = ["username"]
AXES_USERNAME_FORM_FIELD = "username"
AXES_USERNAME_CALLABLE = "studienav.core.access.login_name"
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "studienav.core.views.locked_out"
AXES_VERBOSE = False
# The address a failed sign-in is recorded with: the client behind TRUSTED_PROXY_HOPS proxies.
AXES_CLIENT_IP_CALLABLE = "studienav.core.clients.client_address"
# Lock per account, not per address: a whole hospital signs in from behind one NAT address.
SILENCED_SYSTEM_CHECKS = ["axes.W006"]

# Second factor: every account with a role must pass TOTP. Production refuses to turn it off.
REQUIRE_TOTP: bool = env.bool("REQUIRE_TOTP", default=True)
if not REQUIRE_TOTP and not DEBUG:
    raise ImproperlyConfigured("REQUIRE_TOTP may be turned off only in development (DEBUG=1).")
OTP_TOTP_ISSUER = "studienav"

# Registry and open API.
CTGOV_API_URL: str = env.str("CTGOV_API_URL", default="https://clinicaltrials.gov/api/v2")
API_RATE_LIMIT: int = env.int("API_RATE_LIMIT", default=600)
# Seconds a search's answer is kept in a shared cache (until the index changes); 0: never.
SEARCH_CACHE_SECONDS: int = env.int("SEARCH_CACHE_SECONDS", default=300)
# What an import reads of a file (registry.importers.ImportLimits): nesting, one record's size,
# spreadsheet rows and columns, what an XLSX file unpacks to; uploads through the staff page
# have the lower IMPORT_WEB_* limits.
IMPORT_MAX_DEPTH: int = env.int("IMPORT_MAX_DEPTH", default=64)
IMPORT_MAX_RECORD_BYTES: int = env.int("IMPORT_MAX_RECORD_BYTES", default=10 * 1024 * 1024)
IMPORT_MAX_ROWS: int = env.int("IMPORT_MAX_ROWS", default=200_000)
IMPORT_MAX_ROWS_PER_STUDY: int = env.int("IMPORT_MAX_ROWS_PER_STUDY", default=2_000)
IMPORT_MAX_COLUMNS: int = env.int("IMPORT_MAX_COLUMNS", default=100)
IMPORT_MAX_UNPACKED_BYTES: int = env.int("IMPORT_MAX_UNPACKED_BYTES", default=1024 * 1024 * 1024)
IMPORT_MAX_COMPRESSION_RATIO: int = env.int("IMPORT_MAX_COMPRESSION_RATIO", default=100)
IMPORT_WEB_MAX_BYTES: int = env.int("IMPORT_WEB_MAX_BYTES", default=50 * 1024 * 1024)
IMPORT_WEB_MAX_ROWS: int = env.int("IMPORT_WEB_MAX_ROWS", default=20_000)
IMPORT_WEB_MAX_UNPACKED_BYTES: int = env.int(
    "IMPORT_WEB_MAX_UNPACKED_BYTES", default=200 * 1024 * 1024
)

# Statistics: who may embed the charts, and the keys that sign national figures.
STATS_EMBED_ORIGINS: list[str] = env.list("STATS_EMBED_ORIGINS", default=[])
STATS_SIGNING_KEY: str = env.str("STATS_SIGNING_KEY", default="")
# Other nodes' public keys: "forum-norr=/etc/studienav/forum-norr.pem,gothia-forum=..."
STATS_TRUSTED_KEYS: dict[str, str] = env.dict("STATS_TRUSTED_KEYS", default={})

# Patient participation: personal fields are encrypted (Fernet keys, the first encrypts) and
# found through keyed hashes. Development derives both from SECRET_KEY; production sets them.
PARTICIPATION_KEYS: str = env.str("PARTICIPATION_KEYS", default="")
PARTICIPATION_HASH_KEY: str = env.str("PARTICIPATION_HASH_KEY", default="")
PARTICIPATION_RETENTION_MONTHS: int = env.int("PARTICIPATION_RETENTION_MONTHS", default=24)
PARTICIPATION_RATE_LIMIT: int = env.int("PARTICIPATION_RATE_LIMIT", default=10)
if not DEBUG and not (PARTICIPATION_KEYS and PARTICIPATION_HASH_KEY):
    raise ImproperlyConfigured(
        "PARTICIPATION_KEYS and PARTICIPATION_HASH_KEY must be set when DEBUG is off."
    )

# Audit trail: keyed hashes (HMAC-SHA256) under keys kept outside the database, "id:secret",
# newest first (the first signs, each verifies); signed chain heads in AUDIT_ANCHOR_DIR.
AUDIT_KEYS: list[str] = env.list(
    "AUDIT_KEYS", default=["dev:studienav-development-audit-key-not-secret"] if DEBUG else []
)
if not DEBUG and not AUDIT_KEYS:
    raise ImproperlyConfigured("AUDIT_KEYS must be set when DEBUG is off.")
if not all(re.fullmatch(r"[A-Za-z0-9_-]{1,16}:\S{32,}", key) for key in AUDIT_KEYS):
    raise ImproperlyConfigured("AUDIT_KEYS: each key is 'id:secret', a short id, 32+ characters.")
AUDIT_ANCHOR_DIR = Path(env.str("AUDIT_ANCHOR_DIR", default=str(VAR_DIR / "audit-anchors")))

# Language, time and formats: Swedish first, English second.
LANGUAGE_CODE = "sv"
LANGUAGES = [("sv", _("Swedish")), ("en", _("English"))]
LOCALE_PATHS = [PACKAGE_DIR / "locale"]
USE_I18N = True
TIME_ZONE: str = env.str("TIME_ZONE", default="Europe/Stockholm")
USE_TZ = True
LANGUAGE_COOKIE_NAME = "studienav_language"
LANGUAGE_COOKIE_SAMESITE: Final = "Lax"

# Static files: our own and those from pinned npm packages, served by WhiteNoise.
STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)
STATICFILES_DIRS = [
    ("vendor/htmx", BASE_DIR / "node_modules" / "htmx.org" / "dist"),
    ("vendor/chartjs", BASE_DIR / "node_modules" / "chart.js" / "dist"),
]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}
MEDIA_ROOT = VAR_DIR / "media"

# Request bodies: a form's fields at most 2.5 MB; an upload, file and fields, at most the
# largest file an upload takes (the registry import's) plus 1 MB for the form, refused from its
# Content-Length before it is read. An uploaded file over 2.5 MB waits in a temporary file.
DATA_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
FILE_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
UPLOAD_MAX_BYTES = IMPORT_WEB_MAX_BYTES + 1024 * 1024
FILE_UPLOAD_HANDLERS = [
    "studienav.core.uploads.UploadSizeLimit",
    "django.core.files.uploadhandler.MemoryFileUploadHandler",
    "django.core.files.uploadhandler.TemporaryFileUploadHandler",
]

# E-mail: console in development, SMTP (or anything Django supports) through EMAIL_URL.
vars().update(
    env.email_url("EMAIL_URL", default="consolemail://" if DEBUG else "smtp://localhost:25")
)
DEFAULT_FROM_EMAIL: str = env.str("DEFAULT_FROM_EMAIL", default="studienav@localhost")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
# Every e-mail is written to the outbox in the sender's transaction and sent by the job
# `outbox-deliver` (`studienav cron`); development also sends right after the commit.
EMAIL_OUTBOX_DELIVER_ON_COMMIT: bool = env.bool("EMAIL_OUTBOX_DELIVER_ON_COMMIT", default=DEBUG)
# After this many failed attempts a message shows as stuck (it is still retried, never dropped).
EMAIL_OUTBOX_STUCK_ATTEMPTS: int = env.int("EMAIL_OUTBOX_STUCK_ATTEMPTS", default=5)
# Days a sent message (address and text, encrypted) is kept before it is deleted.
EMAIL_OUTBOX_RETENTION_DAYS: int = env.int("EMAIL_OUTBOX_RETENTION_DAYS", default=7)

# Security headers. HTTPS-only settings follow DEBUG unless set explicitly.
SECURE_SSL_REDIRECT: bool = env.bool("SECURE_SSL_REDIRECT", default=not DEBUG)
SESSION_COOKIE_SECURE: bool = env.bool("SECURE_COOKIES", default=not DEBUG)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
LANGUAGE_COOKIE_SECURE = SESSION_COOKIE_SECURE
LANGUAGE_COOKIE_HTTPONLY = True
SECURE_HSTS_SECONDS: int = env.int("SECURE_HSTS_SECONDS", default=0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
if env.bool("BEHIND_PROXY", default=False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# How many proxies of the node's own stand before the server, each appending to
# X-Forwarded-For: the client is that many entries from the right (0: the connection).
TRUSTED_PROXY_HOPS: int = env.int("TRUSTED_PROXY_HOPS", default=0)
X_FRAME_OPTIONS = "DENY"
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
        "base-uri": [SELF],
        "object-src": [NONE],
    }
}

# Scheduled jobs (`studienav cron`, every minute): ClinicalTrials.gov is synced nightly only
# when asked for; runs are kept this many days.
CTGOV_SYNC_NIGHTLY: bool = env.bool("CTGOV_SYNC_NIGHTLY", default=False)
JOB_RUN_RETENTION_DAYS: int = env.int("JOB_RUN_RETENTION_DAYS", default=30)

# Observability: one log line per request (JSON in production) and Prometheus metrics at
# /metrics, for the addresses listed or a bearer token. Several gunicorn workers share their
# counts through PROMETHEUS_MULTIPROC_DIR (an empty directory, emptied at each start).
LOG_FORMAT: str = env.str("LOG_FORMAT", default="plain" if DEBUG else "json")
METRICS_ENABLED: bool = env.bool("METRICS_ENABLED", default=False)
METRICS_ALLOWED_ADDRESSES: list[str] = env.list(
    "METRICS_ALLOWED_ADDRESSES", default=["127.0.0.1", "::1"]
)
METRICS_TOKEN: str = env.str("METRICS_TOKEN", default="")
# Probes and scrapers reach the application server directly, without TLS.
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^metrics$"]

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "studienav.core.middleware.RequestIdFilter"}},
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"},
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "fmt": "%(asctime)s %(levelname)s %(name)s %(message)s %(request_id)s",
            "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
        },
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "json" if LOG_FORMAT == "json" else "plain",
            "filters": ["request_id"],
        }
    },
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        "axes": {"level": "WARNING"},
    },
}

# --- Patient counts (studienav.counts) ---
# Folder of each region's OMOP store (Parquet files in <dir>/<REGION_CODE>/).
COUNTS_DATA_DIR = Path(env.str("COUNTS_DATA_DIR", default=str(VAR_DIR / "counts")))
# Exact counts (no threshold, no noise) for tests only; refused with production settings.
COUNTS_TEST_MODE: bool = env.bool("COUNTS_TEST_MODE", default=False)
# Spark master for the scale-out engine (local[2] on one machine, spark://host:7077 in a cluster).
COUNTS_SPARK_MASTER: str = env.str("COUNTS_SPARK_MASTER", default="local[2]")
# Spark shuffle partitions (small for one machine, larger for a cluster).
COUNTS_SPARK_PARTITIONS: int = env.int("COUNTS_SPARK_PARTITIONS", default=4)
# Memory of the Spark driver.
COUNTS_SPARK_MEMORY: str = env.str("COUNTS_SPARK_MEMORY", default="2g")
# Threads DuckDB may use for one count (0: all cores).
COUNTS_DUCKDB_THREADS: int = env.int("COUNTS_DUCKDB_THREADS", default=0)
# Secret behind each region's sticky noise (HMAC key); empty: derived from SECRET_KEY.
COUNTS_NOISE_KEY: str = env.str("COUNTS_NOISE_KEY", default="")
# The hub's Ed25519 private key (base64 of 32 bytes) signing questions to agents; empty: derived.
COUNTS_HUB_PRIVATE_KEY: str = env.str("COUNTS_HUB_PRIVATE_KEY", default="")
# A count agent's Ed25519 private key (base64 of 32 bytes) signing its answers.
COUNTS_AGENT_PRIVATE_KEY: str = env.str("COUNTS_AGENT_PRIVATE_KEY", default="")
# Hub public keys (base64) a count agent accepts questions from, comma-separated.
COUNTS_AGENT_HUB_KEYS: list[str] = env.list("COUNTS_AGENT_HUB_KEYS", default=[])
# Seconds a signed question stays valid (clock difference between hub and agent included).
COUNTS_AGENT_MAX_AGE: int = env.int("COUNTS_AGENT_MAX_AGE", default=300)
# Seconds the hub waits for an agent before marking its region as waiting.
COUNTS_AGENT_TIMEOUT: float = env.float("COUNTS_AGENT_TIMEOUT", default=15.0)
if COUNTS_TEST_MODE and not DEBUG:
    # Exact counts would leave the regions: test mode never runs with production settings.
    raise ImproperlyConfigured(
        "COUNTS_TEST_MODE=1 gives exact counts; it is refused when DEBUG is off."
    )

# --- Health-data disclosure (studienav.disclosure) ---
# Where request attachments and decision PDFs are kept: outside the web root, served by a view.
DISCLOSURE_PRIVATE_DIR = Path(
    env.str("DISCLOSURE_PRIVATE_DIR", default=str(VAR_DIR / "private" / "disclosure"))
)
# Largest PDF a requester may attach (ethics decision, protocol), in bytes.
DISCLOSURE_ATTACHMENT_MAX_BYTES = env.int(
    "DISCLOSURE_ATTACHMENT_MAX_BYTES", default=20 * 1024 * 1024
)
# Working days a region has to assign a case handler after a request arrives.
DISCLOSURE_ASSIGN_DAYS = env.int("DISCLOSURE_ASSIGN_DAYS", default=3)
# Working days from the complete request to the decision (clarification pauses not counted).
DISCLOSURE_DECISION_DAYS = env.int("DISCLOSURE_DECISION_DAYS", default=20)
# Working days the requester has to answer a clarification question.
DISCLOSURE_CLARIFICATION_DAYS = env.int("DISCLOSURE_CLARIFICATION_DAYS", default=10)
# Working days from an approving decision to the recorded delivery.
DISCLOSURE_DELIVERY_DAYS = env.int("DISCLOSURE_DELIVERY_DAYS", default=30)
# Working days from the complete request to delivery: the target the figures measure against.
DISCLOSURE_DELIVERY_TARGET_DAYS = env.int("DISCLOSURE_DELIVERY_TARGET_DAYS", default=60)

# --- Research funding (studienav.funding) ---
# Largest PDF (bytes) an applicant may attach to an application.
FUNDING_ATTACHMENT_MAX_BYTES: int = env.int(
    "FUNDING_ATTACHMENT_MAX_BYTES", default=10 * 1024 * 1024
)
# Days a co-applicant's confirmation link stays valid.
FUNDING_LINK_MAX_AGE_DAYS: int = env.int("FUNDING_LINK_MAX_AGE_DAYS", default=30)

# --- Network activity (studienav.network) ---
# Days before a course session that registered participants get a reminder.
NETWORK_SESSION_REMINDER_DAYS: int = env.int("NETWORK_SESSION_REMINDER_DAYS", default=3)
# Days before a GCP certificate runs out that its holder is reminded.
NETWORK_CERTIFICATE_REMINDER_DAYS: int = env.int("NETWORK_CERTIFICATE_REMINDER_DAYS", default=60)
# Largest file (bytes) the document library accepts.
NETWORK_DOCUMENT_MAX_BYTES: int = env.int("NETWORK_DOCUMENT_MAX_BYTES", default=20 * 1024 * 1024)
# Certificate look-ups per client and hour on the public verification page (0: no limit).
NETWORK_VERIFY_RATE_LIMIT: int = env.int("NETWORK_VERIFY_RATE_LIMIT", default=60)

# --- Staff sign-in with OpenID Connect (studienav.core.oidc) ---
# Staff may sign in through the region's identity provider too; roles are still granted here.
OIDC_ENABLED: bool = env.bool("OIDC_ENABLED", default=False)
# The provider as the sign-in button names it ("Region Uppsala").
OIDC_PROVIDER_NAME: str = env.str("OIDC_PROVIDER_NAME", default="")
# The provider's issuer and endpoints, as its /.well-known/openid-configuration lists them.
OIDC_OP_ISSUER: str = env.str("OIDC_OP_ISSUER", default="")
OIDC_OP_AUTHORIZATION_ENDPOINT: str = env.str("OIDC_OP_AUTHORIZATION_ENDPOINT", default="")
OIDC_OP_TOKEN_ENDPOINT: str = env.str("OIDC_OP_TOKEN_ENDPOINT", default="")
OIDC_OP_USER_ENDPOINT: str = env.str("OIDC_OP_USER_ENDPOINT", default="")
OIDC_OP_JWKS_ENDPOINT: str = env.str("OIDC_OP_JWKS_ENDPOINT", default="")
# This site's client id and secret at the provider (redirect URI: SITE_URL + /oidc/callback/).
OIDC_RP_CLIENT_ID: str = env.str("OIDC_RP_CLIENT_ID", default="")
OIDC_RP_CLIENT_SECRET: str = env.str("OIDC_RP_CLIENT_SECRET", default="")
# How the provider signs its ID tokens (RS256 or ES256; keys from OIDC_OP_JWKS_ENDPOINT).
OIDC_RP_SIGN_ALGO: str = env.str("OIDC_RP_SIGN_ALGO", default="RS256")
# What is asked for, and the claim that holds the e-mail address an account is found by.
OIDC_RP_SCOPES: str = env.str("OIDC_RP_SCOPES", default="openid email profile")
OIDC_EMAIL_CLAIM: str = env.str("OIDC_EMAIL_CLAIM", default="email")
# Refuse an address without `email_verified: true` (off only for a directory's own claim).
OIDC_REQUIRE_VERIFIED_EMAIL: bool = env.bool("OIDC_REQUIRE_VERIFIED_EMAIL", default=True)
# Create a role-less account for an address not known here (default: refuse the sign-in).
OIDC_CREATE_USER: bool = env.bool("OIDC_CREATE_USER", default=False)
# The provider's sign-in counts as the second factor (it asks for its own); 0: TOTP here too.
OIDC_PROVIDER_SECOND_FACTOR: bool = env.bool("OIDC_PROVIDER_SECOND_FACTOR", default=True)
# Seconds to wait for each answer of the provider (token, keys, user info).
OIDC_TIMEOUT: int = env.int("OIDC_TIMEOUT", default=10)
# Every sign-in with a PKCE challenge; the callback and refusals are studienav's own.
OIDC_USE_PKCE = True
OIDC_CALLBACK_CLASS = "studienav.core.oidc.CallbackView"
if OIDC_ENABLED:
    _oidc_required = {
        "OIDC_PROVIDER_NAME": OIDC_PROVIDER_NAME,
        "OIDC_OP_ISSUER": OIDC_OP_ISSUER,
        "OIDC_OP_AUTHORIZATION_ENDPOINT": OIDC_OP_AUTHORIZATION_ENDPOINT,
        "OIDC_OP_TOKEN_ENDPOINT": OIDC_OP_TOKEN_ENDPOINT,
        "OIDC_OP_USER_ENDPOINT": OIDC_OP_USER_ENDPOINT,
        "OIDC_OP_JWKS_ENDPOINT": OIDC_OP_JWKS_ENDPOINT,
        "OIDC_RP_CLIENT_ID": OIDC_RP_CLIENT_ID,
        "OIDC_RP_CLIENT_SECRET": OIDC_RP_CLIENT_SECRET,
    }
    _oidc_missing = [name for name, value in _oidc_required.items() if not value]
    if _oidc_missing:
        raise ImproperlyConfigured(f"OIDC_ENABLED needs {', '.join(_oidc_missing)}.")
    # The token endpoint gets the client secret and the keys say whom to trust: TLS only.
    _oidc_plain = [name for name, value in _oidc_required.items() if value.startswith("http:")]
    if _oidc_plain and not DEBUG:
        raise ImproperlyConfigured(f"{', '.join(_oidc_plain)}: https:// when DEBUG is off.")
    AUTHENTICATION_BACKENDS = [
        *AUTHENTICATION_BACKENDS,
        "studienav.core.oidc.IdentityProviderBackend",
    ]
