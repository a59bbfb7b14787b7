"""The portal's one settings module.

Everything that differs between the demo, the tests and production comes from environment
variables. With none set, the portal runs on the embedded defaults: an SQLite file and a
filesystem broker, so a new user needs no server to try it.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _
from kombu import Exchange, Queue

from config.env import env_bool, env_float, env_int, env_list, env_str

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env_str("PORTAL_VAR_DIR", str(BASE_DIR / "var")))

DEBUG = env_bool("DEBUG", False)
# The "django-insecure-" prefix makes `manage.py check --deploy` flag a forgotten key.
SECRET_KEY = env_str("SECRET_KEY", "django-insecure-portal-development-key-change-me")
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])
TRUSTED_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", 0)  # see core/http.py

# --- Transport and browser security (docs/deploy.md "Behind a TLS proxy", "Security
# headers"). Off by default so the demo and the tests run on plain HTTP; the production
# environment turns each on, and `manage.py check --deploy` is clean with them
# (tests/core/test_deploy_check.py).
SESSION_COOKIE_SECURE = env_bool("SECURE_COOKIES", False)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SESSION_COOKIE_HTTPONLY = True
# Readable by script on purpose: the API docs' "Try it out" sends it back as X-CSRFToken
# for a signed-in session. No page of ours reads it; set 1 to forbid it anyway.
CSRF_COOKIE_HTTPONLY = env_bool("CSRF_COOKIE_HTTPONLY", False)
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
# A Chinese page for an expired or forged form (templates/403_csrf.html).
CSRF_FAILURE_VIEW = "core.views.csrf_failure"
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", False)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", False)
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", False)
# The health check is asked over plain HTTP from inside the compose network.
SECURE_REDIRECT_EXEMPT = [r"^healthz/$"]
# Only behind a TLS-terminating proxy that sets X-Forwarded-Proto itself (overwriting what a
# client sent): the request is then taken as HTTPS when the proxy says so.
SECURE_PROXY_SSL_HEADER = (
    ("HTTP_X_FORWARDED_PROTO", "https") if env_bool("SECURE_PROXY_SSL_HEADER", False) else None
)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = env_str("SECURE_REFERRER_POLICY", "same-origin")
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# django-csp 4 (csp.middleware.CSPMiddleware). Scripts and styles come from our own static
# files only: no inline script, no handler attribute, no <style> element, no CDN. Swagger UI
# is served by drf-spectacular's split view (its init script a file of its own) from the
# sidecar's static files; the admin works as it is.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        # The admin's and Swagger UI's icons are data: SVGs in their style sheets.
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    },
}

INSTALLED_APPS = [
    "config.admin_apps.PortalAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "mptt",
    "core.apps.AxesConfig",  # django-axes, named in Chinese
    "import_export",
    "core",
    "accounts",
    "practice",
    "volunteers",
    "orders",
    "points",
    "demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    # Before anything reads the query or the form: refuses NUL characters, oversized and
    # malformed bodies with a 400 in the API's shape or a Chinese page (core/middleware.py).
    "core.middleware.BadInputMiddleware",
    "core.middleware.BusyDatabaseMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, as django-axes requires, so it sees the outcome of every sign-in.
    "axes.middleware.AxesMiddleware",
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
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "orders.context_processors.portal_work",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL", f"sqlite:///{VAR_DIR / 'portal.sqlite3'}"),
        conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 0),
        # A kept connection that broke (a database restart) is noticed and replaced at the
        # start of the next request, not found broken by the query after. Celery workers
        # turn it off (docker-compose.yml): the check is a round trip before every task,
        # a tenth of a dispatch, and a task that finds its connection broken is retried on a
        # new one instead (orders.tasks).
        conn_health_checks=env_bool("DATABASE_HEALTH_CHECKS", True),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # The statements automatic dispatch prepares (orders.workflow) keep one plan instead of
    # being planned at each execution, which doubled their time. Only statements prepared
    # on the server have plans to keep, and Django prepares none: nothing else changes.
    DATABASES["default"].setdefault("OPTIONS", {})["options"] = (
        "-c plan_cache_mode=force_generic_plan"
    )
    # psycopg2 writes the values into the statement text, and PostgreSQL logs the text of
    # a failed statement and the key of a unique violation ("Key (phone)=(...)") by
    # default: personal data in the server log. The portal's sessions log neither. Setting
    # them needs a superuser (as compose's POSTGRES_USER is) or `GRANT SET ON PARAMETER`;
    # otherwise turn this off and set them on the role instead (docs/personal-data.md).
    if env_bool("DATABASE_HIDE_FAILED_STATEMENTS", True):
        DATABASES["default"]["OPTIONS"]["options"] += (
            " -c log_min_error_statement=panic -c log_error_verbosity=terse"
        )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
# The demo's SQLite builds the on-call indexes without their INCLUDE columns, which only
# spare PostgreSQL a visit to each row; it works the same, and need not say so each start.
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    SILENCED_SYSTEM_CHECKS = ["models.W040"]
    # The demo's web process and worker write to one file. A transaction that began as a
    # read and then writes cannot wait for the other writer: SQLite refuses it at once
    # ("database is locked", a sign-up lost with its code used up). Taking the write lock
    # when the transaction begins makes the second writer wait, up to the timeout; WAL lets
    # readers go on meanwhile. A wait that still runs out is core.middleware's 503.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "transaction_mode": "IMMEDIATE",
            "timeout": env_int("SQLITE_BUSY_TIMEOUT_SECONDS", 20),
            "init_command": "PRAGMA journal_mode=WAL;",
        }
    )

REDIS_URL = env_str("REDIS_URL", "")


def _next_redis_db(url: str) -> str:
    """The same Redis server, one database number up: the cache must not share the broker's
    database, because clearing a Redis cache flushes its whole database, queued tasks too."""
    parts = urlsplit(url)
    current = parts.path.strip("/") or "0"
    if not current.isdigit():
        raise ImproperlyConfigured(f"REDIS_URL must end in a database number, got {url!r}")
    return urlunsplit(parts._replace(path=f"/{int(current) + 1}"))


# A sick Redis must not hold a request up: every connect and reply to Redis (cache and
# broker) is waited for this long at most, and after one failure the server is skipped for
# REDIS_BREAKER_SECONDS by each process (core.redis_breaker) instead of waited for again.
REDIS_SOCKET_TIMEOUT = env_float("REDIS_SOCKET_TIMEOUT", 0.5)
REDIS_BREAKER_SECONDS = env_float("REDIS_BREAKER_SECONDS", 30)

if REDIS_URL:
    CACHES = {
        "default": {
            # Django's RedisCache behind the breaker: never raises an outage, answers from
            # this process's memory while Redis is skipped (core/cache.py).
            "BACKEND": "core.cache.BreakerRedisCache",
            "LOCATION": env_str("CACHE_URL", _next_redis_db(REDIS_URL)),
            "KEY_PREFIX": env_str("CACHE_KEY_PREFIX", "portal"),
            "OPTIONS": {
                "socket_connect_timeout": REDIS_SOCKET_TIMEOUT,
                "socket_timeout": REDIS_SOCKET_TIMEOUT,
            },
        }
    }
else:
    # On files, not in each process's memory: the demo's web process and worker share what
    # the cache holds (the notifier's wake flag, throttle counts), as they do through Redis.
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(VAR_DIR / "cache"),
        }
    }

# Resident ID numbers: Fernet keys (the first encrypts, all decrypt, so keys rotate by
# prepending a new one) and a separate key for the lookup hash, which must never change.
# Unset, both are derived from SECRET_KEY, fit for development only (`check --deploy` warns).
PERSONAL_DATA_KEYS = env_list("PERSONAL_DATA_KEYS", [])
PERSONAL_DATA_LOOKUP_KEY = env_str("PERSONAL_DATA_LOOKUP_KEY", "")

# Bad input (core/middleware.py, core/parsers.py, docs/deploy.md "Bad input"): a request
# body other than a file upload is at most 1 MB, a form at most 1,000 fields and 20 files.
DATA_UPLOAD_MAX_MEMORY_SIZE = env_int("DATA_UPLOAD_MAX_KB", 1024) * 1024
DATA_UPLOAD_MAX_NUMBER_FIELDS = 1000
DATA_UPLOAD_MAX_NUMBER_FILES = 20

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    # First, as django-axes requires, so a locked-out phone number is refused before the
    # password is even checked.
    "axes.backends.AxesStandaloneBackend",
    # Then the per-account delay (accounts.signin), across every client address.
    "accounts.signin.AccountDelayBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "accounts.passwords.MinimumLengthValidator",
        "OPTIONS": {"min_length": 8},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "home"

AXES_FAILURE_LIMIT = env_int("LOGIN_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("LOGIN_LOCKOUT_MINUTES", 15))
# Lock a phone number per client address: a whole township office behind one NAT address
# must not be locked out by one person mistyping.
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_LOCKOUT_CALLABLE = "accounts.lockout.lockout_response"
# The lockout counts failures per client address, taken as the audit log takes it.
AXES_CLIENT_IP_CALLABLE = "core.http.client_address"
AXES_RESET_ON_SUCCESS = True
# The phone number arrives as "username" from every sign-in form and the token endpoint
# (Django's forms name it so whatever USERNAME_FIELD is); without this axes would look for
# "phone", find nothing, and lock by address alone.
AXES_USERNAME_FORM_FIELD = "username"
AXES_VERBOSE = False
# The sign-in records name the account by a keyed digest of its phone, never the number
# (accounts.signin), and keep no form field that could hold one.
AXES_USERNAME_CALLABLE = "accounts.signin.axes_username"
AXES_HANDLER = "accounts.signin.DigestAxesHandler"
AXES_SENSITIVE_PARAMETERS = ["username", "phone", "password", "code", "new_password1"]
# Attempts refused during a lockout were never tried: they neither count nor extend it, so
# the lockout page can say when it ends.
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
# Per account, across addresses: after this many failures within the window, a delay of
# 1, 2, 4 ... minutes, at most the maximum (accounts.signin).
SIGNIN_ACCOUNT_FAILURES = env_int("SIGNIN_ACCOUNT_FAILURES", 10)
SIGNIN_ACCOUNT_WINDOW_MINUTES = env_int("SIGNIN_ACCOUNT_WINDOW_MINUTES", 15)
SIGNIN_ACCOUNT_MAX_DELAY_MINUTES = env_int("SIGNIN_ACCOUNT_MAX_DELAY_MINUTES", 30)
# Sign-in records and verification-code rows are kept as long as the Cybersecurity Law
# asks network logs be kept (at least six months), then purged daily.
SIGNIN_RECORD_RETENTION_DAYS = env_int("SIGNIN_RECORD_RETENTION_DAYS", 183)
# Phone verification codes (accounts.verification).
VERIFICATION_CODE_MINUTES = env_int("VERIFICATION_CODE_MINUTES", 10)
VERIFICATION_CODE_MAX_ATTEMPTS = env_int("VERIFICATION_CODE_MAX_ATTEMPTS", 5)
VERIFICATION_CODES_PER_PHONE_HOUR = env_int("VERIFICATION_CODES_PER_PHONE_HOUR", 5)
VERIFICATION_CODES_PER_ADDRESS_DAY = env_int("VERIFICATION_CODES_PER_ADDRESS_DAY", 20)

LANGUAGE_CODE = "zh-hans"
# Chinese only: the portal's own words are written in Chinese and have no English
# translation, so offering English let a browser that asks for it get Django's own strings
# (the admin's "Add", "Change", "View") in English among Chinese ones.
LANGUAGES = [("zh-hans", _("简体中文"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
STATICFILES_DIRS = [BASE_DIR / "static"]
WHITENOISE_USE_FINDERS = DEBUG

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    # Fail closed: an endpoint that forgets its permission is private, not public.
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_FILTER_BACKENDS": ["core.api.FilterBackend"],
    # drf-spectacular's, plus the error answers every operation can give (core/schema.py).
    "DEFAULT_SCHEMA_CLASS": "core.schema.PortalAutoSchema",
    "EXCEPTION_HANDLER": "core.api.exception_handler",
    # JSON with a depth and size limit (core/parsers.py); forms as DRF parses them.
    "DEFAULT_PARSER_CLASSES": [
        "core.parsers.BoundedJSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_THROTTLE_RATES": {"auth": env_str("AUTH_THROTTLE_RATE", "30/min")},
    # Unset, DRF keys its throttles on the whole X-Forwarded-For header, which a client
    # can vary at will to dodge them; the same trusted-proxy count as core.http instead.
    "NUM_PROXIES": TRUSTED_PROXY_COUNT,
}

SPECTACULAR_SETTINGS = {
    "TITLE": "新时代文明实践中心门户 API",
    "DESCRIPTION": "群众点单、中心派单、志愿者接单、群众评单。",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": "/api/v1",
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # No badge fetched from the public validator: it would leave the site (and the CSP).
    "SWAGGER_UI_SETTINGS": {"deepLinking": True, "validatorUrl": None},
    # Two models call a field "kind"; name their enums apart.
    "ENUM_NAME_OVERRIDES": {
        "CenterKindEnum": "practice.models.Kind",
        "TeamKindEnum": "volunteers.models.Team.Kind",
        "OrderKindEnum": "orders.models.Order.Kind",
        "OrderStatusEnum": "orders.models.Order.Status",
        # Else "status" collides with the orders' and `check --deploy` warns of it.
        "VolunteerStatusEnum": "volunteers.models.Volunteer.Status",
    },
}

# Celery. With REDIS_URL the broker is Redis (tests, production); without it, a filesystem
# transport, which needs no server and still runs a real worker and beat beside the demo.
if REDIS_URL:
    CELERY_BROKER_URL = env_str("CELERY_BROKER_URL", REDIS_URL)
    CELERY_BROKER_TRANSPORT_OPTIONS: dict[str, object] = {
        "socket_timeout": REDIS_SOCKET_TIMEOUT,
        "socket_connect_timeout": REDIS_SOCKET_TIMEOUT,
        # A publisher connects once, without kombu's retry loop (2 s sleeps up to the
        # connection timeout): the breaker, not a wait, handles a Redis that is down. A
        # worker's consumer has a retry loop of its own (broker_connection_retry).
        "max_retries": 0,
        # A task held by a worker that died comes back after this many seconds.
        "visibility_timeout": env_int("CELERY_VISIBILITY_TIMEOUT", 3600),
    }
else:
    CELERY_BROKER_URL = env_str("CELERY_BROKER_URL", "filesystem://")
    _broker_dir = VAR_DIR / "broker"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir / "queue"),
        "data_folder_out": str(_broker_dir / "queue"),
        "processed_folder": str(_broker_dir / "processed"),
        "store_processed": False,
        # The exchange-to-queue bindings. kombu's default is "control" relative to the working
        # directory, which litters the checkout and lets every broker folder share one table.
        "control_folder": str(_broker_dir / "control"),
    }
    for _folder in ("queue", "processed", "control"):
        (_broker_dir / _folder).mkdir(parents=True, exist_ok=True)

CELERY_TIMEZONE = TIME_ZONE
CELERY_TASK_IGNORE_RESULT = True
# Two queues: "celery" for dispatch and the sweeps, "notify" for telling people. A burst of
# orders makes as many notifications as dispatches; on one queue they would halve how fast
# orders reach volunteers, and a slow SMS gateway would hold dispatch up. A worker started
# without -Q consumes both (the demo, the tests); production runs one worker per queue.
CELERY_TASK_DEFAULT_QUEUE = "celery"
CELERY_TASK_QUEUES = (
    Queue("celery", Exchange("celery"), routing_key="celery"),
    Queue("notify", Exchange("notify"), routing_key="notify"),
)
CELERY_TASK_ROUTES = {
    "orders.tasks.notify_pending_task": {"queue": "notify"},
    "orders.tasks.notify_event_task": {"queue": "notify"},
    "orders.tasks.notify_flagged_task": {"queue": "notify"},
}
# Acknowledge after the task ran, so on Redis a worker killed mid-task gives the message back
# (after the visibility timeout). The filesystem broker deletes a message file as it reads it,
# so there a killed worker loses its task whatever this says: tasks must stay idempotent and
# re-runnable by the periodic sweeps, as heartbeat_task is.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# Celery's Django fixup closes the database connection before and after every task unless
# this is set, whatever DATABASE_CONN_MAX_AGE says: a new PostgreSQL backend per task cost
# more than a dispatch. With it set, the fixup recycles connections only every this many
# tasks, and config/celery.py applies Django's own rule (CONN_MAX_AGE, broken connections)
# around each task as for a request.
CELERY_DB_REUSE_MAX = 10_000
CELERY_TASK_SOFT_TIME_LIMIT = env_int("CELERY_TASK_SOFT_TIME_LIMIT", 60)
CELERY_TASK_TIME_LIMIT = env_int("CELERY_TASK_TIME_LIMIT", 90)
CELERY_BROKER_CONNECTION_TIMEOUT = 3
# A web request must not wait on a broker that is down or hung: a publish is tried once,
# within the socket timeouts above, and not retried; after a failure core.tasks skips the
# broker for REDIS_BREAKER_SECONDS. What it was about is already committed, and the outbox
# and the periodic sweeps pick it up once Redis is back.
CELERY_TASK_PUBLISH_RETRY = False
# Beat's record of last runs lives beside the other state, not in whatever directory beat was
# started from.
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
# Where notifications go besides the in-app inbox: a class with send(notification).
NOTIFICATION_BACKEND = env_str("NOTIFICATION_BACKEND", "core.notify.LogBackend")
# Order events told per transaction by the notifier (orders.notifications.notify_pending).
NOTIFY_BATCH = env_int("NOTIFY_BATCH", 100)
# How long a wake (core.tasks.wake_on_commit) holds back the next one while its run waits in
# the queue; only a run that was lost makes anyone wait this long.
WAKE_FLAG_SECONDS = env_int("WAKE_FLAG_SECONDS", 30)

# Orders: how long a volunteer has to accept an offer, the most hours one order credits, and
# the dispatch sweep that catches what no task reached.
ORDER_ACCEPT_MINUTES = env_int("ORDER_ACCEPT_MINUTES", 30)
ORDER_MAX_HOURS = env_int("ORDER_MAX_HOURS", 8)
# Check-in (and the proof of service) opens this long before the booked time: orders.rules.
CHECK_IN_OPENS_MINUTES_BEFORE = env_int("CHECK_IN_OPENS_MINUTES_BEFORE", 60)
# The proof of service (docs/points.md): wrong entries of the resident's code that void it,
# and how far back a volunteer may report service done off the platform (补录).
PROOF_MAX_FAILURES = env_int("PROOF_MAX_FAILURES", 5)
OFFLINE_CLAIM_DAYS = env_int("OFFLINE_CLAIM_DAYS", 90)
DISPATCH_SWEEP_BATCH = env_int("DISPATCH_SWEEP_BATCH", 500)
DISPATCH_SWEEP_GRACE_SECONDS = env_int("DISPATCH_SWEEP_GRACE_SECONDS", 60)
# Placing once (docs/orders.md): the same resident ordering the same service at the same
# village within this many seconds gets the order already placed (0 turns it off); API
# Idempotency-Key answers and the order form's one-time tokens are kept this many hours.
ORDER_DEDUPE_SECONDS = env_int("ORDER_DEDUPE_SECONDS", 120)
IDEMPOTENCY_KEY_HOURS = env_int("IDEMPOTENCY_KEY_HOURS", 24)
FORM_TOKEN_HOURS = env_int("FORM_TOKEN_HOURS", 24)

# Rotating codes (core/rotating_codes.py): a code is made for one time step of this many
# seconds and accepted for that step and the next, so a screenshot of the star card (or of
# an activity's check-in code) stops working within two steps.
ROTATING_CODE_STEP_SECONDS = env_int("ROTATING_CODE_STEP_SECONDS", 60)

# Star levels (docs/points.md, "Star levels"): how long a confirmed star is on public
# notice (公示) before it is in force, and how many volunteers the recheck of the outbox
# reads per transaction.
STAR_NOTICE_DAYS = env_int("STAR_NOTICE_DAYS", 7)
STAR_RECHECK_BATCH = env_int("STAR_RECHECK_BATCH", 1000)
# The full recalculation of balances from the ledgers (docs/points.md): volunteer ids per
# chunk (one transaction each), and how long one task runs before it hands on to the next.
RECALCULATION_CHUNK = env_int("RECALCULATION_CHUNK", 50000)
RECALCULATION_TIME_LIMIT = env_int("RECALCULATION_TIME_LIMIT", 600)
# The nightly re-derivation of every volunteer's leaderboard rows runs as one task: 258 s
# at city scale (docs/benchmarks.md), far past the workers' default limit of a minute.
LEADERBOARDS_REBUILD_TIME_LIMIT = env_int("LEADERBOARDS_REBUILD_TIME_LIMIT", 1800)

# Service certificates (docs/points.md, "Service certificates"). The TrueType CJK font the
# PDF embeds (Debian's fonts-wqy-microhei; a .ttc collection, CERTIFICATE_FONT_INDEX picks
# its face); the keys of the verification codes printed on them, the first signing and
# every one verifying (so a key can be rotated without voiding certificates already
# printed; empty: a key derived from SECRET_KEY, for development); the public address the
# printed link and QR code name (empty: the address of the request that made the PDF); the
# longest period one certificate may cover, in years.
CERTIFICATE_FONT_PATH = env_str(
    "CERTIFICATE_FONT_PATH", "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"
)
CERTIFICATE_FONT_INDEX = env_int("CERTIFICATE_FONT_INDEX", 0)
CERTIFICATE_KEYS = env_list("CERTIFICATE_KEYS", [])
CERTIFICATE_PUBLIC_URL = env_str("CERTIFICATE_PUBLIC_URL", "").rstrip("/")
CERTIFICATE_MAX_YEARS = env_int("CERTIFICATE_MAX_YEARS", 5)

# The love supermarket (docs/points.md, "The love supermarket"): a redemption not collected
# within this many days is released by beat (points and stock given back).
SUPERMARKET_COLLECT_DAYS = env_int("SUPERMARKET_COLLECT_DAYS", 7)

CELERY_BEAT_SCHEDULE = {
    # Woken after every ledger entry; this run drains what a wake missed.
    "stars-recheck": {"task": "points.tasks.stars_recheck_task", "schedule": 60.0},
    # Marks the stars whose notice ended as certified and tells their volunteers.
    "stars-publish": {"task": "points.tasks.stars_publish_task", "schedule": 600.0},
    # The full recalculation: started once a day, carried on every few minutes until done.
    "recalculation-nightly": {
        "task": "points.tasks.recalculation_nightly_task",
        "schedule": 24 * 3600.0,
    },
    "recalculation-continue": {
        "task": "points.tasks.recalculation_continue_task",
        "schedule": 300.0,
    },
    # Points earned in year Y expire at the end of Y+1 when the rules say so (off by
    # default); a day's run writes nothing once that year's expiry is done.
    "points-expire": {"task": "points.tasks.points_expire_task", "schedule": 24 * 3600.0},
    # Gives back the supermarket redemptions not collected in time.
    "supermarket-release": {"task": "points.tasks.supermarket_release_task", "schedule": 600.0},
    # The team leaderboards, re-summed from their current members (docs/points.md).
    "team-boards-refresh": {"task": "points.tasks.team_boards_refresh_task", "schedule": 600.0},
    # The volunteers' leaderboards re-derived from the ledger, homes moved included.
    "leaderboards-nightly": {
        "task": "points.tasks.leaderboards_nightly_task",
        "schedule": 24 * 3600.0,
    },
    "dispatch-sweep": {"task": "orders.tasks.dispatch_sweep_task", "schedule": 60.0},
    # The notifier is woken after every change; this run tells what a wake missed (the
    # broker was down, a worker died).
    "notify-sweep": {"task": "orders.tasks.notify_pending_task", "schedule": 60.0},
    # Every minute; /healthz/ calls the workers stale after three missed beats. Tests shorten
    # it to see beat enqueue without waiting a minute.
    "heartbeat": {
        "task": "core.tasks.heartbeat_task",
        "schedule": float(env_int("HEARTBEAT_INTERVAL_SECONDS", 60)),
    },
    "signin-records-purge": {
        "task": "accounts.tasks.signin_records_purge_task",
        "schedule": 24 * 3600.0,
    },
    "idempotency-purge": {"task": "core.tasks.idempotency_purge_task", "schedule": 3600.0},
}

# Every handler masks phone and ID numbers (core.logging; docs/personal-data.md).
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"personal_data": {"()": "core.logging.PersonalDataFilter"}},
    "handlers": {
        "console": {"class": "logging.StreamHandler", "filters": ["personal_data"]},
    },
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
}
