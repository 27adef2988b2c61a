"""Settings for the population information management system.

Every value comes from the environment (or a `.env` file beside manage.py),
parsed strictly by django-environ. `PIMS_ENV` selects the mode:

- ``production`` (the default): SECRET_KEY, ALLOWED_HOSTS, DATABASE_URL and the
  field-encryption keys must be set, or the process refuses to start;
- ``development``: used by ``make run``; DEBUG may be on;
- ``test``: used by the test suite; throwaway keys are generated in conftest.
"""

from datetime import timedelta
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from pims.lib import keys as key_checks

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

PIMS_ENV = env.str("PIMS_ENV", default="production")
if PIMS_ENV not in {"production", "development", "test"}:
    raise ImproperlyConfigured(f"PIMS_ENV must be production, development or test, not {PIMS_ENV!r}")
PRODUCTION = PIMS_ENV == "production"


def _required(name: str, value):
    """A missing value raises in env.str(); an empty one (`SECRET_KEY=` as
    copied from .env.example) is refused here: production cannot start
    without its secrets."""
    if not value or (isinstance(value, list) and not all(v.strip() for v in value)):
        raise ImproperlyConfigured(f"Set the {name} environment variable (it is empty)")
    return value


SECRET_KEY = _required("SECRET_KEY", env.str("SECRET_KEY"))
DEBUG = env.bool("DEBUG", default=False)
if PRODUCTION and DEBUG:
    raise ImproperlyConfigured("DEBUG must be off when PIMS_ENV=production")
ALLOWED_HOSTS = (
    _required("ALLOWED_HOSTS", env.list("ALLOWED_HOSTS"))
    if PRODUCTION
    else env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "testserver"])
)


def _checked(check, *args, **kwargs):
    """A key checked for its form at start-up (pims.lib.keys): a malformed one
    stops every process with a message naming the variable."""
    try:
        return check(*args, **kwargs)
    except key_checks.KeyConfigError as exc:
        raise ImproperlyConfigured(str(exc)) from None


# Field encryption (AES-GCM): the first key encrypts, all keys decrypt, so a
# key can be rotated with `manage.py rotate_keys`. The blind-index key makes
# searchable keyed hashes of ID and phone numbers (docs/operator/keys.md).
FIELD_ENCRYPTION_KEYS = _checked(
    key_checks.check_field_keys, _required("FIELD_ENCRYPTION_KEYS", env.list("FIELD_ENCRYPTION_KEYS"))
)
BLIND_INDEX_KEY = _checked(
    key_checks.check_blind_index_key, _required("BLIND_INDEX_KEY", env.str("BLIND_INDEX_KEY")), strict=PRODUCTION
)


def _audit_chain_key() -> str:
    """The HMAC key of the audit chain (docs/operator/audit-and-backup.md); it
    never goes into the database. Outside production a missing one is derived
    from SECRET_KEY so that development and test set-ups need no extra step."""
    value = env.str("AUDIT_CHAIN_KEY", default="")
    if not value and PRODUCTION:
        raise ImproperlyConfigured(f"Set the AUDIT_CHAIN_KEY environment variable (`{key_checks.NEW_KEY_HINT}`)")
    if not value:
        import base64
        import hashlib

        value = base64.b64encode(hashlib.sha256(b"pims-audit-chain:" + SECRET_KEY.encode()).digest()).decode()
    _checked(key_checks.check_audit_key, value)
    return value


AUDIT_CHAIN_KEY = _audit_chain_key()
# Backups are encrypted to these age public keys (`python -m pims.ops.keygen`);
# the matching private key stays offline and is needed only to restore.
BACKUP_RECIPIENTS = _checked(key_checks.check_backup_recipients, env.list("BACKUP_RECIPIENTS", default=[]))
if PRODUCTION and not BACKUP_RECIPIENTS:
    raise ImproperlyConfigured(
        "Set BACKUP_RECIPIENTS to the public key printed by `python -m pims.ops.keygen FILE` (backups are always encrypted)"
    )
if PRODUCTION:  # throwaway test and CI settings may reuse one dummy value
    _checked(
        key_checks.check_distinct,
        {
            "FIELD_ENCRYPTION_KEYS": FIELD_ENCRYPTION_KEYS,
            "BLIND_INDEX_KEY": [BLIND_INDEX_KEY],
            "AUDIT_CHAIN_KEY": [AUDIT_CHAIN_KEY],
            "SECRET_KEY": [SECRET_KEY],
        },
    )

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "axes",
    "ninja",  # its vendored Swagger UI for /api/docs (without it the page loads from a CDN)
    "django_tasks",
    "django_tasks_db",
    "pims.regions",
    "pims.codes",
    "pims.params",
    "pims.accounts",
    "pims.audit",
    "pims.registry",
    "pims.events",
    "pims.stats",
    "pims.search",
    "pims.synth",
    "pims.jobs",
    "pims.integration",
    "pims.exchange",
    "pims.programmes",
    "pims.approval",
    "pims.documents",
    "pims.bundles",
    "pims.ops",
    "pims.web",
]

MIDDLEWARE = [
    # First: every log line and audit entry of the request carries its id and client address.
    "pims.ops.middleware.RequestContextMiddleware",
    # Then, so that every answer (maintenance and error pages too) carries the CSP and no-store.
    "pims.accounts.middleware.ResponseHeadersMiddleware",
    "pims.ops.middleware.MaintenanceMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "pims.ops.middleware.UserContextMiddleware",
    "pims.accounts.middleware.SecurityPolicyMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # NUL and control characters in parameters, form fields and JSON bodies: 422 naming the field.
    "pims.web.input.InputGuardMiddleware",
    # Domain errors that reach no handler: 404 for NotFound, the refusal page otherwise.
    "pims.web.errors.DomainErrorMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # axes must be last: it turns lockouts into responses.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "pims" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "pims.web.context_processors.navigation",
                "pims.ops.context_processors.release",
            ],
        },
    },
]

DATABASES = {
    "default": env.db_url_config(_required("DATABASE_URL", env.str("DATABASE_URL")))
    if PRODUCTION
    else env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets readers proceed during writes; the timeout waits out short locks.
    # Transactions take the write lock when they begin (IMMEDIATE): the web
    # server, the job worker and its heartbeat write at once, and a deferred
    # transaction that read before another process wrote cannot write at all
    # (SQLite answers "database is locked" at once instead of waiting).
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "timeout": 20,
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            "transaction_mode": "IMMEDIATE",
        }
    )
    # The covering indexes of the name search (registry.Person, INCLUDE) are
    # for PostgreSQL; on SQLite they are plain indexes, as intended.
    SILENCED_SYSTEM_CHECKS = ["models.W040"]
DATABASES["default"]["ATOMIC_REQUESTS"] = False
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
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
    {"NAME": "pims.accounts.validators.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "web:dashboard"
LOGOUT_REDIRECT_URL = "accounts:login"

# Lockout (docs/operator/security.md). Five failures for one username from
# one address lock that pair for 30 minutes: a guesser elsewhere (or five
# requests from anywhere) cannot lock the account out of its own office.
AXES_FAILURE_LIMIT = env.int("LOGIN_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("LOGIN_LOCKOUT_MINUTES", default=30))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "accounts/locked_out.html"
AXES_VERBOSE = False
# The address axes keys on is the one the audit log records (trusted proxies' X-Real-IP).
AXES_CLIENT_IP_CALLABLE = "pims.audit.services.client_ip"
# One row per failure: the per-account guard below counts them across addresses.
AXES_ENABLE_ACCESS_FAILURE_LOG = True
# Against guessing spread over many addresses: once an account has had this
# many failures within the window from anywhere, it signs in only from an
# address it signed in from successfully within LOGIN_KNOWN_ADDRESS_DAYS
# (pims.accounts.lockout); its own office keeps working.
LOGIN_ACCOUNT_FAILURE_LIMIT = env.int("LOGIN_ACCOUNT_FAILURE_LIMIT", default=20)
LOGIN_ACCOUNT_WINDOW = timedelta(minutes=env.int("LOGIN_ACCOUNT_WINDOW_MINUTES", default=60))
LOGIN_KNOWN_ADDRESS_DAYS = env.int("LOGIN_KNOWN_ADDRESS_DAYS", default=90)

# Idle timeout: the session expires 30 minutes after the last request.
SESSION_COOKIE_AGE = env.int("SESSION_IDLE_SECONDS", default=30 * 60)
# Absolute lifetime: however active, a session ends this long after sign-in.
SESSION_ABSOLUTE_SECONDS = env.int("SESSION_ABSOLUTE_SECONDS", default=12 * 3600)
SESSION_SAVE_EVERY_REQUEST = True
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True
# A failed CSRF check answers the site's Chinese page, not Django's English one.
CSRF_FAILURE_VIEW = "pims.web.errors.csrf_failure"

OTP_TOTP_ISSUER = "人口信息管理系统"

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("简体中文")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "pims" / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "pims" / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if PRODUCTION
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
MEDIA_ROOT = env.path("MEDIA_ROOT", default=BASE_DIR / "media")


def _networks(name: str, values: list[str]):
    import ipaddress

    try:
        return tuple(ipaddress.ip_network(v.strip(), strict=False) for v in values if v.strip())
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name}: {exc}") from None


# Reverse proxies whose X-Real-IP header carries the client address (the audit
# log and 专人专机 use it). Only requests arriving from these addresses are
# believed; anyone else could send the header themselves. Empty: no proxy.
TRUSTED_PROXIES = _networks("TRUSTED_PROXIES", env.list("TRUSTED_PROXIES", default=[]))
BACKUP_DIR = env.path("BACKUP_DIR", default=BASE_DIR / "backups")
# Signed anchors of the audit chain (pims.audit.anchors), appended outside the
# database; default BACKUP_DIR/audit-anchors.jsonl. Put it on another disk or
# machine and make it append-only (docs/operator/audit-and-backup.md).
AUDIT_ANCHOR_FILE = env.str("AUDIT_ANCHOR_FILE", default="") or None
# /healthz fails when less than this is free on the disks of MEDIA_ROOT and BACKUP_DIR.
HEALTH_MIN_FREE_MB = env.int("HEALTH_MIN_FREE_MB", default=2048)
# While this file exists every page answers 503 "系统维护中" (`manage.py maintenance on|off`).
MAINTENANCE_FILE = env.path("MAINTENANCE_FILE", default=BASE_DIR / "maintenance.on")
# Rejected-rows files of imports (plaintext ID numbers) are deleted this many
# days after the import finished (`manage.py purge_rejected_rows`, daily).
REJECTED_ROWS_RETENTION_DAYS = env.int("REJECTED_ROWS_RETENTION_DAYS", default=30)
if REJECTED_ROWS_RETENTION_DAYS < 1:
    raise ImproperlyConfigured("REJECTED_ROWS_RETENTION_DAYS must be at least 1")
# Background jobs (imports, …: pims.jobs) run on django-tasks' database
# backend, in `manage.py run_worker` ("queue"); "inline" runs a job inside
# the request that starts it (tests; development at most).
TASKS = {"default": {"BACKEND": "django_tasks_db.backend.DatabaseBackend"}}
PIMS_JOB_RUNNER = env.str("PIMS_JOB_RUNNER", default="queue")
if PIMS_JOB_RUNNER not in {"queue", "inline"} or (PRODUCTION and PIMS_JOB_RUNNER != "queue"):
    raise ImproperlyConfigured(f"PIMS_JOB_RUNNER must be queue (or inline outside production), not {PIMS_JOB_RUNNER!r}")
if "PIMS_IMPORT_RUNNER" in env.ENVIRON:
    raise ImproperlyConfigured(
        "PIMS_IMPORT_RUNNER is gone: imports run on the task queue. Remove it and run the worker "
        "(manage.py run_worker; docs/task-queue.md)"
    )
# The tier of this instance (issue 19): a county exports bundles of its
# accepted months, the province imports them (docs/operator/province.md).
PIMS_TIER = env.str("PIMS_TIER", default="county")
if PIMS_TIER not in {"county", "province"}:
    raise ImproperlyConfigured(f"PIMS_TIER must be county or province, not {PIMS_TIER!r}")
# Bundle keys (keys/, 0700), exported bundles (out/) and bundles waiting for their predecessor (in/).
BUNDLE_DIR = env.path("BUNDLE_DIR", default=BASE_DIR / "bundles")
AUDIT_RETENTION_DAYS = env.int("AUDIT_RETENTION_DAYS", default=184)
if AUDIT_RETENTION_DAYS < 184:
    raise ImproperlyConfigured("AUDIT_RETENTION_DAYS must be at least 184 (six months)")

# Reverse proxy in front of gunicorn terminates TLS in production.
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
if PRODUCTION:
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    # A load balancer or monitor asks gunicorn directly over HTTP.
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=True)
    SECURE_CONTENT_TYPE_NOSNIFF = True
    X_FRAME_OPTIONS = "DENY"
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

# Logs go to standard output (journald under systemd): JSON lines with the
# request id and user id and no personal data (pims.ops.logs); LOG_FORMAT=text
# for a terminal. Errors are also e-mailed to ADMINS when ADMINS and EMAIL_URL
# are set (docs/operator/monitoring.md).
LOG_FORMAT = env.str("LOG_FORMAT", default="json" if PRODUCTION else "text")
if LOG_FORMAT not in {"json", "text"}:
    raise ImproperlyConfigured(f"LOG_FORMAT must be json or text, not {LOG_FORMAT!r}")
ADMINS = [tuple(item.split(":", 1)) if ":" in item else (item, item) for item in env.list("ADMINS", default=[])]
SERVER_EMAIL = env.str("SERVER_EMAIL", default="pims@localhost")
# An empty EMAIL_URL (as .env.example ships it) means no mail server: mail goes to the console.
vars().update(environ.Env.email_url_config(env.str("EMAIL_URL", default="") or "consolemail://"))
DEFAULT_EXCEPTION_REPORTER_FILTER = "pims.ops.logs.NoPersonalDataReporterFilter"

# Every script and style is a vendored static file: nothing inline runs
# (pims.accounts.middleware.ResponseHeadersMiddleware sends it on every answer).
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; "
    "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        "request_context": {"()": "pims.ops.logs.RequestContextFilter"},
        "require_debug_false": {"()": "django.utils.log.RequireDebugFalse"},
    },
    "formatters": {
        "json": {"()": "pims.ops.logs.JsonFormatter"},
        "text": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "filters": ["request_context"],
            "formatter": LOG_FORMAT,
            "level": env.str("LOG_LEVEL", default="WARNING"),
        },
        "mail_admins": {
            "class": "django.utils.log.AdminEmailHandler",
            "filters": ["require_debug_false"],
            "level": "ERROR",
            "include_html": False,
        },
    },
    "root": {"handlers": ["console"], "level": "INFO"},
    "loggers": {
        "django": {"handlers": ["console", *(["mail_admins"] if ADMINS else [])], "level": "INFO", "propagate": False},
    },
}

NINJA_PAGINATION_PER_PAGE = 50
