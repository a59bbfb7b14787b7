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

from config.env import env_bool, env_int, env_list, env_str

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env_str("PORTAL_VAR_DIR", str(BASE_DIR / "var")))

DEBUG = env_bool("DEBUG", False)
# The "django-insecure-" prefix makes `manage.py check --deploy` flag a forgotten key.
SECRET_KEY = env_str("SECRET_KEY", "django-insecure-portal-development-key-change-me")
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])
SESSION_COOKIE_SECURE = env_bool("SECURE_COOKIES", False)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
TRUSTED_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", 0)  # see core/http.py

INSTALLED_APPS = [
    "core.apps.PortalAdminConfig",
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
    "axes",
    "import_export",
    "core",
    "accounts",
    "practice",
    "volunteers",
    "orders",
    "points",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    # Before anything reads the query or the form: refuses NUL characters, oversized and
    # malformed bodies with a 400 in the API's shape or a Chinese page (core/middleware.py).
    "core.middleware.BadInputMiddleware",
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
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
# The demo's SQLite builds the on-call indexes without their INCLUDE columns, which only
# spare PostgreSQL a visit to each row; it works the same, and need not say so each start.
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    SILENCED_SYSTEM_CHECKS = ["models.W040"]

REDIS_URL = env_str("REDIS_URL", "")


def _next_redis_db(url: str) -> str:
    """The same Redis server, one database number up: the cache must not share the broker's
    database, because clearing a Redis cache flushes its whole database, queued tasks too."""
    parts = urlsplit(url)
    current = parts.path.strip("/") or "0"
    if not current.isdigit():
        raise ImproperlyConfigured(f"REDIS_URL must end in a database number, got {url!r}")
    return urlunsplit(parts._replace(path=f"/{int(current) + 1}"))


if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": env_str("CACHE_URL", _next_redis_db(REDIS_URL)),
            "KEY_PREFIX": env_str("CACHE_KEY_PREFIX", "portal"),
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

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("简体中文")), ("en", _("English"))]
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
    # Two models call a field "kind"; name their enums apart.
    "ENUM_NAME_OVERRIDES": {
        "CenterKindEnum": "practice.models.Kind",
        "TeamKindEnum": "volunteers.models.Team.Kind",
        "OrderKindEnum": "orders.models.Order.Kind",
        "OrderStatusEnum": "orders.models.Order.Status",
        "VolunteerStatusEnum": "volunteers.models.Volunteer.Status",
    },
}

# Celery. With REDIS_URL the broker is Redis (tests, production); without it, a filesystem
# transport, which needs no server and still runs a real worker and beat beside the demo.
if REDIS_URL:
    CELERY_BROKER_URL = env_str("CELERY_BROKER_URL", REDIS_URL)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "socket_timeout": 5,
        "socket_connect_timeout": 3,
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
# A web request must not hang on a broker that is down: publish fails fast, and the data it
# was about is already committed, for a periodic sweep to pick up.
CELERY_TASK_PUBLISH_RETRY_POLICY = {
    "max_retries": 2,
    "interval_start": 0,
    "interval_step": 0.5,
    "interval_max": 1,
}
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
DISPATCH_SWEEP_BATCH = env_int("DISPATCH_SWEEP_BATCH", 500)
DISPATCH_SWEEP_GRACE_SECONDS = env_int("DISPATCH_SWEEP_GRACE_SECONDS", 60)

CELERY_BEAT_SCHEDULE = {
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
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
}
