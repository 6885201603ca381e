"""Tidings settings: everything comes from the environment, with safe local defaults."""

from __future__ import annotations

import os
import secrets
from datetime import timedelta
from pathlib import Path

import dj_database_url

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_int(name: str, default: int) -> int:
    return int(os.environ.get(name, default))


def env_float(name: str, default: float) -> float:
    return float(os.environ.get(name, default))


def env_list(name: str, default: str) -> list[str]:
    return [
        item.strip()
        for item in os.environ.get(name, default).split(",")
        if item.strip()
    ]


DEBUG = env_bool("DEBUG", True)


def local_secret_key(path: Path) -> str:
    """This install's own random key, made on first use and kept in a git-ignored file.

    A key written in the repository would let anyone sign tokens for every
    install that uses it; each install makes its own instead.
    """
    try:
        return path.read_text().strip()
    except FileNotFoundError:
        pass
    key = secrets.token_urlsafe(50)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text().strip()  # another process made it first
    with os.fdopen(fd, "w") as file:
        file.write(key + "\n")
    return key


SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise RuntimeError("SECRET_KEY must be set when DEBUG is off")
    SECRET_KEY = local_secret_key(
        Path(os.environ.get("SECRET_KEY_FILE", BASE_DIR / ".secret_key"))
    )

# Where `python -m config.serve` (and so `make run`) listens by default; the
# demo data's self-checks point there.
SERVE_HOST = os.environ.get("HOST", "127.0.0.1")
SERVE_PORT = env_int("PORT", 8000)

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost,[::1],testserver")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", "")
# Browser origins allowed to open sockets, besides the ALLOWED_HOSTS themselves.
WEBSOCKET_ALLOWED_ORIGINS = env_list("WEBSOCKET_ALLOWED_ORIGINS", "")

INSTALLED_APPS = [
    "daphne",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "channels",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "realtime",
    "menus",
    "orders",
    "chat",
    "monitoring",
    "devices",
]

MIDDLEWARE = [
    "realtime.logs.RequestIdMiddleware",
    "realtime.logs.LoopbackDebugMiddleware",
    "realtime.middleware.ApiErrorMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "config.urls"
ASGI_APPLICATION = "config.asgi.application"

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
        os.environ.get("DATABASE_URL", f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
        # Kept open between uses: sockets read the database from one thread,
        # and a new connection per read made connecting sockets 3-5x dearer
        # (docs/performance.md, "Connecting"). Not checked before each use:
        # every database call of a socket is a "request" to Django, and a
        # `SELECT 1` before each doubled its round trips. A connection that
        # broke (PostgreSQL restarted) fails one call, which is answered as
        # unavailable, and is replaced for the next.
        conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 60),
        conn_health_checks=env_bool("DATABASE_CONN_HEALTH_CHECKS", False),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Several threads write at once (views, relay, checker): wait for the lock
    # instead of failing, and let readers work during writes.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "timeout": 20,
            "transaction_mode": "IMMEDIATE",
            "init_command": "PRAGMA journal_mode=WAL;",
        }
    )

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = os.environ.get("REDIS_URL", "")
REDIS_PREFIX = os.environ.get("REDIS_PREFIX", "tidings")
_redis_host = {
    "address": REDIS_URL,
    # redis-py 8 defaults socket_timeout to 5 s, which tears down idle
    # subscriber connections; an idle socket must stay open.
    "socket_timeout": None,
    "socket_connect_timeout": 2,
    "health_check_interval": 15,
}
if REDIS_URL and os.environ.get("REDIS_LAYER", "pubsub") == "core":
    # The list-based layer; kept to compare (bench/fanout.py): the hub's one
    # channel per process needs a large capacity.
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {
                "hosts": [_redis_host],
                "prefix": REDIS_PREFIX,
                "capacity": 100_000,
                "expiry": 60,
            },
        }
    }
elif REDIS_URL:
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
            "CONFIG": {"hosts": [_redis_host], "prefix": REDIS_PREFIX},
        }
    }
else:
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels.layers.InMemoryChannelLayer",
            "CONFIG": {"capacity": 100_000},
        }
    }

if REDIS_URL:
    # Shared by every process (failed-login counts); unreachable means "no limit".
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": REDIS_PREFIX,
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        }
    }

AUTH_PASSWORD_VALIDATORS = [
    {
        "NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"
    },
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = os.environ.get("TIME_ZONE", "Asia/Seoul")
# Local hour at which the cafe's business day (and its daily numbers) starts.
ORDERS_DAY_STARTS_AT_HOUR = env_int("ORDERS_DAY_STARTS_AT_HOUR", 4)
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = BASE_DIR / "staticfiles"

# Uploaded files (chat attachments) go through Django's storage API: local
# files here by default, any django-storages backend through STORAGES. They
# are never served from a public URL: a view checks membership first.
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", BASE_DIR / "media"))
MEDIA_URL = "/media/"
CHAT_ATTACHMENT_MAX_BYTES = env_int("CHAT_ATTACHMENT_MAX_BYTES", 10 * 1024 * 1024)
# The largest multipart body /api/ takes before reading it (realtime.middleware):
# the largest upload (a chat attachment) and room for the rest of its form.
MULTIPART_MAX_BODY_BYTES = CHAT_ATTACHMENT_MAX_BYTES + 64 * 1024

LOGIN_URL = "/accounts/login/"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "/"

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # Screen tokens first: a bearer token that is none goes on to JWT.
        "devices.authentication.ScreenTokenAuthentication",
        "rest_framework_simplejwt.authentication.JWTAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.AllowAny"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "realtime.api_errors.exception_handler",
    "DEFAULT_PARSER_CLASSES": [
        "realtime.parsers.StrictJSONParser",
        "realtime.parsers.StrictFormParser",
        "realtime.parsers.StrictMultiPartParser",
    ],
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}

SIMPLE_JWT = {
    "ACCESS_TOKEN_LIFETIME": timedelta(minutes=env_int("JWT_ACCESS_MINUTES", 60)),
    "REFRESH_TOKEN_LIFETIME": timedelta(days=env_int("JWT_REFRESH_DAYS", 7)),
}

SPECTACULAR_SETTINGS = {
    "TITLE": "Tidings API",
    "DESCRIPTION": "Real-time cafe ordering, chat and uptime monitoring.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # Swagger UI and ReDoc from the project's static files, not a CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}

# `GET /metrics`: staff, `Authorization: Bearer <METRICS_TOKEN>`, or a peer
# address in METRICS_ALLOWED_IPS (addresses or networks, comma-separated).
METRICS_TOKEN = os.environ.get("METRICS_TOKEN", "")
METRICS_ALLOWED_IPS = env_list("METRICS_ALLOWED_IPS", "")
# Failed logins (token endpoints and login pages) per username and per client
# address before attempts are refused until the window has passed (seconds).
LOGIN_FAILURE_LIMIT = env_int("LOGIN_FAILURE_LIMIT", 10)
LOGIN_FAILURE_WINDOW = env_int("LOGIN_FAILURE_WINDOW", 300)
# Paired devices (screen tokens): how long a pairing code is valid, and the
# wrong codes allowed per client address and from everyone in a window
# (seconds) before every code is refused until the window has passed.
DEVICE_PAIRING = {
    "CODE_TTL": env_int("DEVICE_PAIRING_CODE_TTL", 600),
    "FAILURE_LIMIT": env_int("DEVICE_PAIRING_FAILURE_LIMIT", 5),
    "GLOBAL_FAILURE_LIMIT": env_int("DEVICE_PAIRING_GLOBAL_FAILURE_LIMIT", 100),
    "FAILURE_WINDOW": env_int("DEVICE_PAIRING_FAILURE_WINDOW", 600),
}

# Real-time core (PROTOCOL sections 5-7). Seconds unless named otherwise.
TIDINGS = {
    "HEARTBEAT_INTERVAL": env_float("HEARTBEAT_INTERVAL", 30),
    "HEARTBEAT_TIMEOUT": env_float("HEARTBEAT_TIMEOUT", 15),
    "AUTH_TIMEOUT": env_float("WS_AUTH_TIMEOUT", 5),
    "MAX_FRAME_BYTES": env_int("WS_MAX_FRAME_BYTES", 64 * 1024),
    "RATE_LIMIT": env_int("WS_RATE_LIMIT", 100),
    "RATE_WINDOW": env_float("WS_RATE_WINDOW", 60),
    # Refused messages tolerated past the limit before the socket is closed 4429.
    "RATE_LIMIT_GRACE": env_int("WS_RATE_LIMIT_GRACE", 10),
    # Per client address, in each server process (kiosks behind one NAT fit).
    "MAX_CONNECTIONS_PER_ADDRESS": env_int("WS_MAX_CONNECTIONS_PER_ADDRESS", 256),
    "ADDRESS_RATE_LIMIT": env_int("WS_ADDRESS_RATE_LIMIT", 200),
    "BATCH_MAX": 50,
    # Seconds a dropped Socket.IO session can be recovered (socket.io's
    # maxDisconnectionDuration; 0 turns connection state recovery off).
    "SOCKETIO_MAX_DISCONNECTION_DURATION": env_float(
        "SOCKETIO_MAX_DISCONNECTION_DURATION", 120
    ),
    "SEND_QUEUE_MAX": env_int("WS_SEND_QUEUE_MAX", 5000),
    "HISTORY_MIN_EVENTS": env_int("HISTORY_MIN_EVENTS", 1000),
    "HISTORY_MIN_AGE": env_float("HISTORY_MIN_AGE", 24 * 3600),
    "RELAY_INTERVAL": env_float("RELAY_INTERVAL", 1.0),
    "RELAY_GRACE": env_float("RELAY_GRACE", 2.0),
    "PRUNE_INTERVAL": env_float("PRUNE_INTERVAL", 600),
    # How often each process compares its rooms with the history (lost frames).
    "HISTORY_CHECK_INTERVAL": env_float("HISTORY_CHECK_INTERVAL", 1.0),
    "STATS_INTERVAL": env_float("STATS_INTERVAL", 5),
    # Seconds a stopping server waits for open connections before closing them.
    "SHUTDOWN_TIMEOUT": env_float("SHUTDOWN_TIMEOUT", 10),
    # Relay, pruning and stats loops in every server process (tests call them directly).
    "BACKGROUND_TASKS": env_bool("BACKGROUND_TASKS", True),
}

LOG_LEVEL = os.environ.get("LOG_LEVEL", "INFO")
# `text` (readable) or `json` (one object per line); secrets are masked in both.
LOG_FORMAT = os.environ.get("LOG_FORMAT", "text")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "tidings": {"()": "realtime.logs.Formatter", "json": LOG_FORMAT == "json"}
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "tidings"}},
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        "django.db.backends": {"level": "INFO"},
        # httpx logs each request's full URL at INFO; notification webhook URLs
        # carry tokens.
        "httpx": {"level": "WARNING"},
        # uvicorn's records go through the one handler above (secrets masked).
        "uvicorn": {"handlers": [], "propagate": True},
        "uvicorn.error": {"handlers": [], "propagate": True},
        "uvicorn.access": {
            "handlers": [],
            "propagate": True,
            # Each HTTP request already has a line with its request id.
            "level": "INFO" if env_bool("ACCESS_LOG", False) else "WARNING",
        },
    },
}

# Chat presence, in seconds: how long an entry lives without a refresh, how
# often live sockets refresh it, how often expired entries are swept.
CHAT_PRESENCE = {
    "TTL": env_float("CHAT_PRESENCE_TTL", 45),
    "REFRESH": env_float("CHAT_PRESENCE_REFRESH", 15),
    "SWEEP": env_float("CHAT_PRESENCE_SWEEP", 5),
}

# Uptime monitoring. The checker runs inside the server process in the embedded
# setup (no REDIS_URL); scaled out, run `manage.py runmonitor` workers instead.
MONITOR = {
    "IN_PROCESS": env_bool("MONITOR_IN_PROCESS", not REDIS_URL),
    "MIN_INTERVAL": env_int("MONITOR_MIN_INTERVAL", 20),
    "RETRY_INTERVAL": env_float("MONITOR_RETRY_INTERVAL", 20),
    "CONCURRENCY": env_int("MONITOR_CONCURRENCY", 50),
    "POLL_INTERVAL": env_float("MONITOR_POLL_INTERVAL", 0.5),
    "RAW_RETENTION_DAYS": env_int("MONITOR_RAW_RETENTION_DAYS", 7),
    # Slow answers in a row (above an endpoint's threshold) that make it DEGRADED.
    "SLOW_STREAK": 3,
    # Links in notifications point here (the site as people reach it).
    "PUBLIC_URL": os.environ.get("MONITOR_PUBLIC_URL", "http://127.0.0.1:8000"),
    # Notifications: seconds a send may take, and how long one is retried.
    "NOTIFY_TIMEOUT": env_float("MONITOR_NOTIFY_TIMEOUT", 10),
    "NOTIFY_RETRY_HOURS": env_float("MONITOR_NOTIFY_RETRY_HOURS", 25),
    # TLS checks trust the system's store, plus this CA file when set.
    "TLS_CA_FILE": os.environ.get("MONITOR_TLS_CA_FILE", ""),
    # Seconds one read of the public status page serves every request of a
    # process (monitoring.selectors.public_status_shared); 0: none.
    "STATUS_CACHE_SECONDS": env_float("MONITOR_STATUS_CACHE_SECONDS", 10),
}

# Email (monitoring notifications). The console backend prints them under
# `make run`; set EMAIL_BACKEND=django.core.mail.backends.smtp.EmailBackend and
# EMAIL_HOST/EMAIL_PORT/EMAIL_HOST_USER/EMAIL_HOST_PASSWORD/EMAIL_USE_TLS.
EMAIL_BACKEND = os.environ.get(
    "EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend"
)
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 10)
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "tidings@localhost")
