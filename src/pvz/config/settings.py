"""Django settings. Values come from pvz.config.env, the only module that reads the environment."""

from __future__ import annotations

import django_stubs_ext
from django.utils.translation import gettext_lazy as _

from pvz.config import env

# Admin classes and forms name their model as a type argument (ModelAdmin[Partner]) for mypy strict; this
# lets the classes be subscripted at run time too (django-tasks calls it as well, but we do not rely on that).
django_stubs_ext.monkeypatch()

BASE_DIR = env.BASE_DIR
PACKAGE_DIR = BASE_DIR / "src" / "pvz"
VAR_DIR = env.VAR_DIR

SECRET_KEY = env.SECRET_KEY
DEBUG = env.DEBUG and not env.PRODUCTION
ALLOWED_HOSTS = env.ALLOWED_HOSTS
CSRF_TRUSTED_ORIGINS = env.CSRF_TRUSTED_ORIGINS

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "channels",
    "ninja",
    "django_tasks",
    "django_tasks_db",
    "pvz.core",
    "pvz.accounts",
    "pvz.network",
    "pvz.closing",
    "pvz.backups",
    "pvz.shipments",
    "pvz.inbound",
    "pvz.outbound",
    "pvz.inventory",
    "pvz.notifications",
    "pvz.webhooks",
    "pvz.counter",
    "pvz.returns",
    "pvz.audit",
    "pvz.onboarding",
    "pvz.staff",
    "pvz.usersessions",
    "pvz.guard",
    "pvz.anomalies",
    "pvz.factors",
    "pvz.partners",
    "pvz.api",
    "pvz.web",
    "pvz.realtime",
    "pvz.simulator",
]

MIDDLEWARE = [
    # The request's id in every log line from here on, in the X-Request-ID header and in error answers.
    "pvz.core.requestid.RequestIdMiddleware",
    # Latency per route, counts per status class, scans and issues, the pool's use (docs/deploy.md).
    "pvz.core.metrics.MetricsMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "pvz.web.security.SecurityHeadersMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # SessionMiddleware that reads the session, its user, platform roles and suspension in one query.
    "pvz.web.principal.PrincipalSessionMiddleware",
    "pvz.web.middleware.SessionIdleRefreshMiddleware",
    "pvz.web.middleware.LanguageMiddleware",
    "pvz.usersessions.middleware.SessionEndedMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "pvz.anomalies.middleware.SuspendedAccountMiddleware",
    "pvz.api.ratelimit.ApiRateLimitMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "pvz.web.middleware.CurrentPointMiddleware",
    "pvz.audit.context.AuditContextMiddleware",
    # NUL or a lone surrogate in a path, query, form or JSON body is 422 before any view (process_view, so
    # after the CSRF check above); docs/security.md, "Input hygiene".
    "pvz.core.hygiene.InputHygieneMiddleware",
    "pvz.core.logging.RequestLogMiddleware",
]

ROOT_URLCONF = "pvz.config.urls"
ASGI_APPLICATION = "pvz.config.asgi.application"
WSGI_APPLICATION = "pvz.config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [PACKAGE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "pvz.web.context.shell",
            ],
        },
    },
]

DATABASES = {"default": dict(env.DATABASE)}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets readers and one writer work at once; IMMEDIATE makes a write transaction take the
    # write lock at BEGIN, so two operators on one parcel queue instead of failing mid-transaction.
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;",
    }
    env.VAR_DIR.mkdir(parents=True, exist_ok=True)
else:
    # Under ASGI every request runs in its own thread, so persistent per-thread connections (CONN_MAX_AGE)
    # pile up until PostgreSQL refuses clients; a process-wide pool reuses a bounded set instead.
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
        "min_size": env.DB_POOL_MIN,
        "max_size": env.DB_POOL_MAX,
        "timeout": env.DB_POOL_TIMEOUT,
    }
    # With a pool, Django passes psycopg_pool's check: each connection is checked (an empty query, ~0.1 ms)
    # as the pool hands it out, so one the server closed (a restart, a failover, pg_terminate_backend) is
    # replaced instead of failing a request.
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
    # Statements are bound on the server and prepared once a connection has run them five times (the hot
    # paths' hand-written ones at once, pvz.core.sql), so PostgreSQL plans them once per connection:
    # planning a query of the ORM with its joins cost up to 5 ms, running it 0.6 ms (docs/performance.md).
    # Off (PVZ_DB_PREPARED=false) behind a pooler in transaction mode older than PgBouncer 1.21.
    DATABASES["default"]["OPTIONS"]["prepare_threshold"] = 5 if env.DB_PREPARED else None
    DATABASES["default"]["OPTIONS"]["server_side_binding"] = env.DB_PREPARED
    # A transaction pooler hands each transaction to any server connection: a named cursor outside a
    # transaction (what .iterator() declares) would be lost between statements.
    DATABASES["default"]["DISABLE_SERVER_SIDE_CURSORS"] = env.DB_TRANSACTION_POOLER
# pvz.core.sql.hot_cursor prepares its statements only when this is on.
PVZ_DB_PREPARED = env.DB_PREPARED
if env.TEST_DATABASE_NAME:
    DATABASES["default"]["TEST"] = {"NAME": env.TEST_DATABASE_NAME}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "pvz.accounts.backends.PhoneCodeBackend",
    "pvz.accounts.backends.PhonePasswordBackend",
]
# Strength of the optional staff password (pvz.accounts.passwords); hashed with Django's default hasher.
AUTH_PASSWORD_VALIDATORS = [
    {
        "NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator",
        "OPTIONS": {"user_attributes": ("phone", "full_name")},
    },
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "web:login"
LOGIN_REDIRECT_URL = "web:pick_point"

SESSION_COOKIE_AGE = env.SESSION_IDLE_SECONDS
# Idle timeout: the expiry restarts when the session is saved, at most once a minute
# (pvz.web.middleware.SessionIdleRefreshMiddleware) rather than on every request.
SESSION_SAVE_EVERY_REQUEST = False
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
# No script reads the CSRF cookie: pages and scripts take the token from the form's hidden input or the
# `csrf-token` meta tag (base.html).
CSRF_COOKIE_HTTPONLY = True
# Security headers (docs/architecture.md, "Security"): these four come from SecurityMiddleware and
# XFrameOptionsMiddleware, CSP and Permissions-Policy from pvz.web.security. No CORS: no response carries
# Access-Control-Allow-Origin, so other origins cannot read the API.
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
if env.PRODUCTION:
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = 365 * 24 * 3600
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True

# API rate limits (pvz.api.ratelimit): "<requests>/<s|min|h>" or "off".
PVZ_API_RATE_LIMIT_USER = env.API_RATE_LIMIT_USER
PVZ_API_RATE_LIMIT_ANON = env.API_RATE_LIMIT_ANON
PVZ_API_RATE_LIMIT_PARTNER = env.API_RATE_LIMIT_PARTNER
PVZ_PARTNER_KEY_OVERLAP_DAYS = env.PARTNER_KEY_OVERLAP_DAYS
PVZ_PARTNER_MANIFEST_MAX_BYTES = env.PARTNER_MANIFEST_MAX_BYTES
PVZ_METRICS_ALLOWED_IPS = env.METRICS_ALLOWED_IPS
PVZ_METRICS_TOKEN = env.METRICS_TOKEN
# The largest body pvz.core.hygiene reads to check it: the largest any operation accepts (the manifest);
# a longer one is refused as too large by its operation before it is read.
PVZ_INPUT_HYGIENE_MAX_BODY = PVZ_PARTNER_MANIFEST_MAX_BYTES

LANGUAGE_CODE = "ru"
LANGUAGES = [("ru", _("Русский")), ("en", _("English"))]
LOCALE_PATHS = [PACKAGE_DIR / "locale"]
TIME_ZONE = "Europe/Moscow"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "staticfiles"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
STATICFILES_DIRS = [PACKAGE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
# Outside production static files are served straight from the source tree: no collectstatic step.
WHITENOISE_USE_FINDERS = not env.PRODUCTION
MEDIA_ROOT = env.MEDIA_ROOT

# The cache holds the API rate-limit counters; with Redis every worker process shares them.
# Redis, when the deployment has one (the cache, the channel layer, `/readyz` pings it).
PVZ_REDIS_URL = env.REDIS_URL
if env.REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": env.REDIS_URL,
            "KEY_PREFIX": env.CHANNEL_PREFIX,
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
if env.REDIS_URL:
    CHANNEL_LAYERS = {
        "default": {
            # Pub/sub: a group message is one PUBLISH, which `pvz.core.broadcast` sends from any process with
            # a plain Redis client, without building an event loop per push.
            "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
            # redis-py 8 times a socket out after 5 s, as long as the layer's blocking read: every idle
            # websocket's receive would fail and reconnect every 5 s, losing pushes sent meanwhile.
            "CONFIG": {
                "hosts": [{"address": env.REDIS_URL, "socket_timeout": 30}],
                "prefix": env.CHANNEL_PREFIX,
            },
        }
    }
else:
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}

TASKS = {
    "default": {
        "BACKEND": (
            "django_tasks.backends.immediate.ImmediateBackend"
            if env.TASKS_IMMEDIATE
            else "django_tasks_db.DatabaseBackend"
        ),
    }
}

PVZ_SMS_BACKEND = env.SMS_BACKEND
PVZ_SMSRU_API_ID = env.SMSRU_API_ID
PVZ_SMSRU_URL = env.SMSRU_URL
PVZ_SMS_SENDER = env.SMS_SENDER
PVZ_SMS_TIMEOUT_SECONDS = env.SMS_TIMEOUT_SECONDS
PVZ_WEBHOOK_TIMEOUT_SECONDS = env.WEBHOOK_TIMEOUT_SECONDS
PVZ_WEBHOOK_BATCH_SIZE = env.WEBHOOK_BATCH_SIZE
PVZ_WEBHOOK_CONCURRENCY = env.WEBHOOK_CONCURRENCY
PVZ_WEBHOOK_RETENTION_DAYS = env.WEBHOOK_RETENTION_DAYS
PVZ_WEBHOOK_ALLOW_PRIVATE_URLS = env.WEBHOOK_ALLOW_PRIVATE_URLS
PVZ_SMS_OUTBOX_PUBLIC = env.SMS_OUTBOX_PUBLIC
PVZ_PUBLIC_URL = env.PUBLIC_URL
PVZ_VAPID_PRIVATE_KEY = env.VAPID_PRIVATE_KEY
PVZ_VAPID_PUBLIC_KEY = env.VAPID_PUBLIC_KEY
PVZ_VAPID_SUBJECT = env.VAPID_SUBJECT
PVZ_PRODUCTION = env.PRODUCTION
# E-mail (second-factor codes): printed to the server log unless an SMTP URL is configured.
EMAIL_BACKEND = env.EMAIL_BACKEND
DEFAULT_FROM_EMAIL = env.DEFAULT_FROM_EMAIL
if env.EMAIL_URL:
    globals().update(env.email_settings(env.EMAIL_URL))
PVZ_RETENTION_DAYS = env.RETENTION_DAYS
PVZ_APPLICATIONS_PER_IP_PER_HOUR = env.APPLICATIONS_PER_IP_PER_HOUR
PVZ_LOCKOUT_PHONE_FAILURES = env.LOCKOUT_PHONE_FAILURES
PVZ_LOCKOUT_IP_FAILURES = env.LOCKOUT_IP_FAILURES
PVZ_LOCKOUT_WINDOW_SECONDS = env.LOCKOUT_WINDOW_SECONDS
PVZ_LOCKOUT_BASE_SECONDS = env.LOCKOUT_BASE_SECONDS
PVZ_LOCKOUT_MAX_SECONDS = env.LOCKOUT_MAX_SECONDS
PVZ_SMS_PHONE_PER_DAY = env.SMS_PHONE_PER_DAY
PVZ_SMS_IP_PER_HOUR = env.SMS_IP_PER_HOUR
PVZ_SMS_IP_PER_DAY = env.SMS_IP_PER_DAY
PVZ_SMS_PLATFORM_PER_DAY = env.SMS_PLATFORM_PER_DAY
PVZ_ANOMALY_UNSCANNED_ISSUES = env.ANOMALY_UNSCANNED_ISSUES
PVZ_ANOMALY_UNSCANNED_MINUTES = env.ANOMALY_UNSCANNED_MINUTES
PVZ_ANOMALY_SMS_VERIFICATIONS = env.ANOMALY_SMS_VERIFICATIONS
PVZ_ANOMALY_SMS_VERIFICATIONS_MINUTES = env.ANOMALY_SMS_VERIFICATIONS_MINUTES
PVZ_ANOMALY_MANUAL_CODES = env.ANOMALY_MANUAL_CODES
PVZ_ANOMALY_MANUAL_CODES_MINUTES = env.ANOMALY_MANUAL_CODES_MINUTES
PVZ_ANOMALY_OUTSIDE_HOURS = env.ANOMALY_OUTSIDE_HOURS
PVZ_ANOMALY_SUSPEND = env.ANOMALY_SUSPEND
# The return-flow board highlights a parcel once it has been in the flow this many days (see docs/domain.md).
PVZ_RETURN_FLOW_OVERDUE_DAYS = 3

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "structured": {"()": "pvz.core.logging.structured_formatter", "json": env.LOG_JSON},
    },
    # A request that met a database outage is logged once, as one line (pvz.config.errors), not again
    # with its traceback by django.request.
    "filters": {
        "no_outage_tracebacks": {"()": "pvz.core.outage.OutageTracebackFilter"},
        "no_refusal_tracebacks": {"()": "pvz.core.refusal_logging.RefusalTracebackFilter"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "structured",
            "filters": ["no_outage_tracebacks"],
        }
    },
    "root": {"handlers": ["console"], "level": env.LOG_LEVEL},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        # A page refused with 403 (PermissionDenied raised by `@point_required` and friends) is one line:
        # Django logs it with the exception's traceback, which says nothing a refusal needs.
        "django.request": {"filters": ["no_refusal_tracebacks"]},
        "uvicorn.access": {"level": "WARNING"},
        # WeasyPrint reports every rendering step at INFO.
        "weasyprint": {"level": "WARNING"},
        "fontTools": {"level": "WARNING"},
    },
}

PVZ_BACKUP_DIR = env.BACKUP_DIR
PVZ_BACKUP_KEY = env.BACKUP_KEY
PVZ_BACKUP_EVERY_HOURS = env.BACKUP_EVERY_HOURS
PVZ_BACKUP_S3_URL = env.BACKUP_S3_URL
PVZ_BACKUP_S3_ENDPOINT = env.BACKUP_S3_ENDPOINT
PVZ_BACKUP_S3_REGION = env.BACKUP_S3_REGION
PVZ_BACKUP_S3_ACCESS_KEY = env.BACKUP_S3_ACCESS_KEY
PVZ_BACKUP_S3_SECRET_KEY = env.BACKUP_S3_SECRET_KEY
