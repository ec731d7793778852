"""Settings come from the environment (see the README's table).

DATABASE_URL and CELERY_BROKER_URL fall back to embedded real servers (mttq_platform.embedded)
so that a bare machine runs the platform with nothing else installed.
"""
import os
from pathlib import Path

import dj_database_url
from celery.schedules import crontab
from kombu import Queue
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from mttq_platform import embedded, logs

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


# --- Production mode (deploy/) ---
# DJANGO_ENV=production: debug pages off whatever DEBUG says, secrets and servers only from the
# environment (never the embedded servers nor the key file under .data/), and the HTTPS settings
# of the "Production mode" block at the end of this file.
PRODUCTION = os.environ.get("DJANGO_ENV", "development").strip().lower() == "production"
PRODUCTION_REQUIRED = ("SECRET_KEY", "DATABASE_URL", "CELERY_BROKER_URL", "ALLOWED_HOSTS")
if PRODUCTION and (missing := [name for name in PRODUCTION_REQUIRED if not os.environ.get(name)]):
    raise ImproperlyConfigured(
        "DJANGO_ENV=production cần đặt các biến môi trường: {names} (xem bảng Settings trong README). "
        "DJANGO_ENV=production needs these environment variables: {names} (see Settings in the README).".format(
            names=", ".join(missing)
        )
    )
# --- end production mode ---
DEBUG = env_bool("DEBUG", False) and not PRODUCTION
# Production sets SECRET_KEY; a bare machine gets a random key kept under .data/ so that
# sessions survive a restart and no key is ever written in the code.
SECRET_KEY = os.environ.get("SECRET_KEY") or embedded.local_secret_key()
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "mptt",
    "guardian",
    "django_htmx",
    "mttq_platform",
    "orgtree",
    "plans",
    "reviews",
    "inspections",
    "sync",
]

MIDDLEWARE = [
    "mttq_platform.middleware.RequestIdMiddleware",  # first: every log line after it has the request id
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "mttq_platform.middleware.ChosenLanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "mttq_platform.permissions.AccessScopeMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "mttq_platform.audit.AuditActorMiddleware",
]

ROOT_URLCONF = "mttq_platform.urls"
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "mttq_platform" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "mttq_platform.tenancy.memberships_context",
            ],
        },
    }
]
WSGI_APPLICATION = "mttq_platform.wsgi.application"

DATABASES = {
    "default": dj_database_url.parse(
        embedded.ensure_database_url(), conn_max_age=int(os.environ.get("DB_CONN_MAX_AGE", "60")),
        # A kept connection is checked before a request uses it: after a database restart the
        # first request reconnects instead of failing (tests/platform/test_faults.py).
        conn_health_checks=True,
    )
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    # Object permissions (membership on the tree + django-guardian grants with expiry) are decided
    # by the one restriction in mttq_platform.permissions, never by guardian's own backend, which
    # knows nothing of expiry.
    "mttq_platform.permissions.UnitPermissionBackend",
]
ANONYMOUS_USER_NAME = None  # no guardian anonymous user: anonymous people see nothing

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "vi"
LANGUAGES = [("vi", _("Tiếng Việt")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Ho_Chi_Minh"
USE_I18N = True
USE_TZ = True
FORMAT_MODULE_PATH = ["mttq_platform.formats"]

STATIC_URL = "static/"
# Where collectstatic writes (nginx or WhiteNoise serves it; deploy/ sets /srv/mttq/static).
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", BASE_DIR / ".data" / "static"))
STATICFILES_DIRS = [BASE_DIR / "mttq_platform" / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", BASE_DIR / ".data" / "media"))
# Evidence files and other documents served only through a permission check: never under a
# folder the web server publishes.
# Mail (reminders). With EMAIL_HOST set, SMTP; without it, each message is written to a file
# under .data/mail, so that a machine with no mail server loses nothing and an admin can read them.
if os.environ.get("EMAIL_HOST"):
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_HOST = os.environ["EMAIL_HOST"]
    EMAIL_PORT = int(os.environ.get("EMAIL_PORT", 25))
    EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
    EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
    EMAIL_USE_TLS = os.environ.get("EMAIL_USE_TLS", "false").lower() == "true"
else:
    EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    EMAIL_FILE_PATH = embedded.DATA_DIR / "mail"
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "mttq-platform@localhost")

# This installation's id in federation (global ids are "<installation>:<uuid>"); set per server.
INSTALLATION_ID = os.environ.get("INSTALLATION_ID", "local")
# Signed requests between installations (sync.signing): accepted clock difference, how long a
# rotated-out key stays accepted, and how long to wait for the other installation's answer.
SYNC_MAX_SKEW_SECONDS = int(os.environ.get("SYNC_MAX_SKEW_SECONDS", 300))
SYNC_KEY_GRACE_DAYS = float(os.environ.get("SYNC_KEY_GRACE_DAYS", 7))
SYNC_HTTP_TIMEOUT = float(os.environ.get("SYNC_HTTP_TIMEOUT", 30))
# Upward delivery (sync.tasks.deliver): items per batch, and the retries' exponential backoff
# (first wait in seconds, doubling up to 5 minutes) and count when the parent does not answer.
SYNC_BATCH_SIZE = int(os.environ.get("SYNC_BATCH_SIZE", 200))
# ... and at most this many bytes of JSON a batch; the parent takes a signed peer's body up to
# SYNC_INBOX_MAX_BYTES (DATA_UPLOAD_MAX_MEMORY_SIZE stays the small limit for everyone else).
SYNC_BATCH_MAX_BYTES = int(os.environ.get("SYNC_BATCH_MAX_BYTES", 8 * 1024 * 1024))
SYNC_INBOX_MAX_BYTES = int(os.environ.get("SYNC_INBOX_MAX_BYTES", 32 * 1024 * 1024))
SYNC_RETRY_BACKOFF = int(os.environ.get("SYNC_RETRY_BACKOFF", 2))
SYNC_MAX_RETRIES = int(os.environ.get("SYNC_MAX_RETRIES", 8))

# The address people reach the platform at, for links in e-mails (reminders): "https://mttq.example.vn".
SITE_URL = os.environ.get("SITE_URL", "")
PRIVATE_MEDIA_ROOT = Path(os.environ.get("PRIVATE_MEDIA_ROOT", BASE_DIR / ".data" / "private"))
# Evidence of progress reports: largest file accepted, and the kinds accepted (recognised by
# content, see reviews/services/evidence.py). Zip-based kinds may expand to at most 10x the limit.
EVIDENCE_MAX_BYTES = int(os.environ.get("EVIDENCE_MAX_BYTES", 20 * 1024 * 1024))
EVIDENCE_TYPES = ("pdf", "docx", "xlsx", "odt", "jpeg", "png")

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "mttq_platform.api.authentication.ScopedTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "rest_framework.filters.SearchFilter",
        "rest_framework.filters.OrderingFilter",
    ],
    "DEFAULT_PAGINATION_CLASS": "mttq_platform.api.pagination.Pagination",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "mttq_platform.api.schema.PlatformAutoSchema",  # documents the JSON errors
    "EXCEPTION_HANDLER": "mttq_platform.api.errors.exception_handler",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "MTTQ Platform API",
    "DESCRIPTION": "API v1 of the Vietnam Fatherland Front supervision and criticism platform.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {
        "DocumentKindEnum": "plans.models.DocumentKind",
        "PartyKindEnum": "plans.models.PartyKind",
        "DocumentStatusEnum": "plans.models.DocumentStatus",
        "DerivationJobStatusEnum": "plans.api.derivation.JobStatus",
        "ReportStatusEnum": "reviews.models.ReportStatus",
        "ProgressStatusEnum": "reviews.models.ProgressStatus",
        "ApprovalActionEnum": "reviews.models.ApprovalAction",
        "TeamRoleEnum": "inspections.models.TeamRole",
        "SyncChangeKindEnum": "sync.models.changes.ChangeKind",
    },
}

CELERY_BROKER_URL = embedded.ensure_broker_url()
CELERY_RESULT_BACKEND = os.environ.get("CELERY_RESULT_BACKEND") or CELERY_BROKER_URL
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TIMEZONE = TIME_ZONE
CELERY_BEAT_SCHEDULE = {
    "expire-object-grants": {"task": "orgtree.expire_object_grants", "schedule": 300.0},
    # Reminders before deadlines and when late (reviews.reminders); the steps are ReminderRule rows.
    "reviews-send-reminders": {"task": "reviews.send_reminders", "schedule": crontab(hour=7, minute=0)},
    # Inspection teams' access windows: grants stop counting at expiry; this marks TeamAccess closed.
    "inspections-close-access-windows": {"task": "inspections.close_access_windows", "schedule": crontab(minute=5)},
    # Signed requests between installations: nonces older than the replay window (sync.signing).
    "sync-purge-nonces": {"task": "sync.purge_nonces", "schedule": 600.0},
    # Upward federation: deliver the outbox to every active parent installation (sync.tasks).
    "sync-deliver-all": {"task": "sync.deliver_all", "schedule": 60.0},
    # Downward federation: pull the parent's issued plans and guidance (sync.tasks_pull).
    "sync-pull-all": {"task": "sync.pull_all", "schedule": 300.0},
    # Health: its last run is /health/ready/'s "beat" check (mttq_platform.health).
    "platform-heartbeat": {"task": "platform.heartbeat", "schedule": 60.0},
}
CELERY_IMPORTS = ["reviews.tasks_reminders"]  # task modules not named tasks.py
CELERY_IMPORTS += ["sync.tasks_signing"]
CELERY_IMPORTS += ["sync.tasks_pull"]
CELERY_IMPORTS += ["mttq_platform.health"]
# /health/ready/ fails its "beat" check when the heartbeat (every minute) is older than this.
HEALTH_BEAT_MAX_AGE = int(os.environ.get("HEALTH_BEAT_MAX_AGE", 180))
# --- Celery queues (deploy/) ---
# Heavy jobs (a subtree's derivation, a year's roll-up rebuild) and federation calls (which wait on
# other installations) have their own queues and workers, so they never hold up reminders and grant
# expiry on `default`. Every queue is declared: a worker started without -Q (make run, the tests'
# worker) consumes all of them; deploy/ starts one worker pool per queue.
CELERY_TASK_DEFAULT_QUEUE = "default"
CELERY_TASK_QUEUES = [Queue("default"), Queue("heavy"), Queue("sync")]
CELERY_TASK_ROUTES = {
    "plans.derive_subtree": {"queue": "heavy"},
    "reviews.rebuild_rollup": {"queue": "heavy"},
    "sync.*": {"queue": "sync"},
}
# --- end Celery queues ---
CELERY_BEAT_SCHEDULE_FILENAME = str(BASE_DIR / ".data" / "celerybeat-schedule")

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", False)  # true behind TLS (deploy/)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
X_FRAME_OPTIONS = "DENY"

# Logs (mttq_platform.logs): JSON lines with the request id in production, readable text otherwise.
LOG_FORMAT = os.environ.get("LOG_FORMAT") or ("json" if PRODUCTION else "text")
LOGGING = logs.logging_config(LOG_FORMAT, os.environ.get("LOG_LEVEL", "INFO"))

# Guardian's own backend is left out on purpose (see AUTHENTICATION_BACKENDS): it ignores expiry.
SILENCED_SYSTEM_CHECKS = ["guardian.W001"]

# --- Hardening --- (login lockout, content security policy and headers, API rate limits, cache)
from datetime import timedelta  # noqa: E402

from csp.constants import NONE, SELF  # noqa: E402

INSTALLED_APPS += ["axes"]
# Axes' middleware turns a locked-out login into the lockout page; it goes last. The CSP one
# early, so that error pages get the policy too.
MIDDLEWARE.insert(MIDDLEWARE.index("django.middleware.security.SecurityMiddleware") + 1, "csp.middleware.CSPMiddleware")
MIDDLEWARE.insert(MIDDLEWARE.index("csp.middleware.CSPMiddleware") + 1, "mttq_platform.security.SecurityHeadersMiddleware")
MIDDLEWARE.append("axes.middleware.AxesMiddleware")
# The lockout check comes before any backend that could let the password in.
AUTHENTICATION_BACKENDS = ["mttq_platform.security.LoginLockoutBackend", *AUTHENTICATION_BACKENDS]

# Login lockout: after AXES_FAILURE_LIMIT wrong passwords for one username from one address, that
# pair is refused (the right password too) for AXES_COOLOFF_MINUTES, or until an administrator
# unlocks it (admin "Access attempts", or `manage.py axes_reset_username <name>`).
AXES_FAILURE_LIMIT = int(os.environ.get("AXES_FAILURE_LIMIT", 5))
AXES_COOLOFF_TIME = timedelta(minutes=float(os.environ.get("AXES_COOLOFF_MINUTES", 30)))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_HTTP_RESPONSE_CODE = 429
AXES_VERBOSE = False  # lockouts are still logged (WARNING); not every successful login
# The client's address: REMOTE_ADDR, or behind TRUSTED_PROXY_COUNT proxies (nginx, an ingress)
# the X-Forwarded-For entry the outermost trusted one appended (mttq_platform.security).
TRUSTED_PROXY_COUNT = int(os.environ.get("TRUSTED_PROXY_COUNT", 0))
AXES_CLIENT_IP_CALLABLE = "mttq_platform.security.client_address"

# Content security policy: nothing inline, nothing from elsewhere. The API docs page alone allows
# inline styles (drf-spectacular's template; see mttq_platform/urls.py).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    },
}
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
SESSION_COOKIE_SAMESITE = CSRF_COOKIE_SAMESITE = "Lax"


def _cache_url(broker_url: str) -> str:
    """The broker's Redis, one database further (so that clearing the cache never empties the
    broker's queues): redis://h:6379/0 -> redis://h:6379/1; the embedded socket gets db=1."""
    if broker_url.startswith("redis+socket://"):
        return "unix://" + broker_url.removeprefix("redis+socket://").split("?")[0] + "?db=1"
    scheme, _, rest = broker_url.partition("://")
    address, _, db = rest.partition("/")
    db = db.split("?")[0]
    return f"{scheme}://{address}/{(int(db or 0) + 1) % 16}"


# Shared by every gunicorn worker: the API rate counts must be one count, not one per process.
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": os.environ.get("CACHE_URL") or _cache_url(CELERY_BROKER_URL),
        "KEY_PREFIX": "mttq",
    }
}
# API rate limit per token (per user for a browser session, per address when anonymous), as DRF
# writes rates: "600/min", "20/s". Empty: no limit. 429 answers carry Retry-After.
API_RATE_PER_TOKEN = os.environ.get("API_RATE_PER_TOKEN", "600/min")
REST_FRAMEWORK["DEFAULT_THROTTLE_CLASSES"] = ["mttq_platform.security.PerTokenRateThrottle"]
# --- end hardening ---

# --- Production mode (deploy/), continued: what `manage.py check --deploy` asks for ---
if PRODUCTION:
    # TLS ends at nginx or the ingress, which says so in X-Forwarded-Proto (deploy/nginx/mttq.conf).
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = True
    # The orchestrator's probes speak plain HTTP straight to the container.
    SECURE_REDIRECT_EXEMPT = [r"^health/"]
    SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", 365 * 24 * 3600))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
    # Preload lists a domain in browsers for months and is hard to undo: a choice for the owner of the
    # domain, not a default.
    SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", False)
    if not SECURE_HSTS_PRELOAD:
        # W021 asks for preload on every site; here it is the deliberate default (above).
        SILENCED_SYSTEM_CHECKS = [*SILENCED_SYSTEM_CHECKS, "security.W021"]
    SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = True
    # Hashed names and pre-compressed copies made by collectstatic (the Dockerfile runs it), served
    # with far-future cache headers; development and tests keep the plain storage (no collectstatic).
    STORAGES["staticfiles"] = {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"}
# --- end production mode ---
