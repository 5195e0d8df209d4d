"""The only module that reads the process environment (twelve-factor settings).

Everything configurable is declared here with its default; settings.py imports the values.
"""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import Any

import environ

BASE_DIR = Path(__file__).resolve().parents[3]
VAR_DIR = BASE_DIR / "var"

env = environ.Env()
_env_file = BASE_DIR / ".env"
if _env_file.exists():
    environ.Env.read_env(str(_env_file))

DEBUG: bool = env.bool("PVZ_DEBUG", default=True)
PRODUCTION: bool = env.bool("PVZ_PRODUCTION", default=False)


class MissingSecretError(RuntimeError):
    """Production refuses to start without its secrets."""


def _secret_key() -> str:
    value: str = env.str("PVZ_SECRET_KEY", default="")
    if value:
        return value
    if PRODUCTION:
        raise MissingSecretError("PVZ_SECRET_KEY must be set when PVZ_PRODUCTION=true")
    # Development: generate once and keep it under var/ so sessions survive restarts.
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    path = VAR_DIR / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(50))
        path.chmod(0o600)
    return path.read_text().strip()


SECRET_KEY: str = _secret_key()

_default_db = f"sqlite:///{VAR_DIR / 'pvz.sqlite3'}"
if PRODUCTION and not env.str("DATABASE_URL", default=""):
    raise MissingSecretError("DATABASE_URL must be set when PVZ_PRODUCTION=true")
DATABASE: dict[str, Any] = env.db_url("DATABASE_URL", default=_default_db)
# PostgreSQL connection pool per process (app server or worker).
DB_POOL_MIN: int = env.int("PVZ_DB_POOL_MIN", default=2)
DB_POOL_MAX: int = env.int("PVZ_DB_POOL_MAX", default=10)
# How long a request waits for a pooled connection before it answers 503 (the database is down or busy).
DB_POOL_TIMEOUT: float = env.float("PVZ_DB_POOL_TIMEOUT", default=10.0)
# Behind PgBouncer (or another pooler) in transaction mode: no server-side cursors, and no prepared
# statements unless the pooler keeps them (PgBouncer 1.21+ with max_prepared_statements: then leave
# PVZ_DB_PREPARED on). docs/deploy.md § PgBouncer.
DB_TRANSACTION_POOLER: bool = env.bool("PVZ_DB_TRANSACTION_POOLER", default=False)
DB_PREPARED: bool = env.bool("PVZ_DB_PREPARED", default=not DB_TRANSACTION_POOLER)
TEST_DATABASE_NAME: str = env.str("PVZ_TEST_DATABASE_NAME", default="")
REDIS_URL: str = env.str("REDIS_URL", default="")
ALLOWED_HOSTS: list[str] = env.list(
    "PVZ_ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]", "testserver"]
)
CSRF_TRUSTED_ORIGINS: list[str] = env.list("PVZ_CSRF_TRUSTED_ORIGINS", default=[])
LOG_LEVEL: str = env.str("PVZ_LOG_LEVEL", default="INFO")
LOG_JSON: bool = env.bool("PVZ_LOG_JSON", default=PRODUCTION)
SMS_BACKEND: str = env.str("PVZ_SMS_BACKEND", default="pvz.accounts.sms.OutboxSmsGateway")
# The SMS.ru gateway (PVZ_SMS_BACKEND=pvz.accounts.smsru.SmsRuGateway): its API key, endpoint, sender name.
SMSRU_API_ID: str = env.str("PVZ_SMSRU_API_ID", default="")
SMSRU_URL: str = env.str("PVZ_SMSRU_URL", default="https://sms.ru/sms/send")
SMS_SENDER: str = env.str("PVZ_SMS_SENDER", default="")
SMS_TIMEOUT_SECONDS: float = env.float("PVZ_SMS_TIMEOUT_SECONDS", default=10.0)
# Partner webhooks: per-request timeout, deliveries claimed per batch, parallel requests per worker.
WEBHOOK_TIMEOUT_SECONDS: float = env.float("PVZ_WEBHOOK_TIMEOUT_SECONDS", default=5.0)
WEBHOOK_BATCH_SIZE: int = env.int("PVZ_WEBHOOK_BATCH_SIZE", default=100)
WEBHOOK_CONCURRENCY: int = env.int("PVZ_WEBHOOK_CONCURRENCY", default=8)
# Delivered webhooks (deliveries, attempts, events) are kept this many days; dead ones three times as long.
WEBHOOK_RETENTION_DAYS: int = env.int("PVZ_WEBHOOK_RETENTION_DAYS", default=30)
# Webhook endpoints on private, loopback or link-local addresses (SSRF guard off): only for closed networks.
WEBHOOK_ALLOW_PRIVATE_URLS: bool = env.bool("PVZ_WEBHOOK_ALLOW_PRIVATE_URLS", default=False)
# The development SMS outbox page open without login: the demo's only way to receive a code. Never in
# production, whatever the variable says.
SMS_OUTBOX_PUBLIC: bool = env.bool("PVZ_SMS_OUTBOX_PUBLIC", default=DEBUG) and not PRODUCTION
# Where customers reach the site (links in messages, e.g. the pickup QR page); empty: paths only.
PUBLIC_URL: str = env.str("PVZ_PUBLIC_URL", default="")
# Web Push (VAPID) keys, base64url (`python -m pvz vapid_keys` makes a pair); without them push is off.
VAPID_PRIVATE_KEY: str = env.str("PVZ_VAPID_PRIVATE_KEY", default="")
VAPID_PUBLIC_KEY: str = env.str("PVZ_VAPID_PUBLIC_KEY", default="")
VAPID_SUBJECT: str = env.str("PVZ_VAPID_SUBJECT", default="mailto:admin@localhost")
CHANNEL_PREFIX: str = env.str("PVZ_CHANNEL_PREFIX", default="pvz")
TASKS_IMMEDIATE: bool = env.bool("PVZ_TASKS_IMMEDIATE", default=False)
SESSION_IDLE_SECONDS: int = env.int("PVZ_SESSION_IDLE_SECONDS", default=12 * 3600)
# API rate limits, "<requests>/<s|min|h>" or "off": per signed-in user, and per client IP for anonymous calls.
API_RATE_LIMIT_USER: str = env.str("PVZ_API_RATE_LIMIT_USER", default="600/min")
API_RATE_LIMIT_ANON: str = env.str("PVZ_API_RATE_LIMIT_ANON", default="60/min")
# Per partner API key (the partner API, /api/v1/partner/).
API_RATE_LIMIT_PARTNER: str = env.str("PVZ_API_RATE_LIMIT_PARTNER", default="1200/min")
# Days a rotated partner API key keeps working next to its replacement.
PARTNER_KEY_OVERLAP_DAYS: int = env.int("PVZ_PARTNER_KEY_OVERLAP_DAYS", default=7)
# Largest manifest body the partner API reads (POST /api/v1/partner/carriages, JSON or CSV): 10 000 lines.
PARTNER_MANIFEST_MAX_BYTES: int = env.int("PVZ_PARTNER_MANIFEST_MAX_BYTES", default=20 * 1024 * 1024)
# Who may read /metrics (docs/deploy.md § Metrics): client addresses or networks (REMOTE_ADDR, the real
# client's behind the trusted proxy), and a bearer token that opens it from anywhere (empty: no token).
METRICS_ALLOWED_IPS: list[str] = env.list("PVZ_METRICS_ALLOWED_IPS", default=["127.0.0.1", "::1"])
METRICS_TOKEN: str = env.str("PVZ_METRICS_TOKEN", default="")
# Days after a point closes before its customers' personal data is anonymised (docs/domain.md).
RETENTION_DAYS: int = env.int("PVZ_RETENTION_DAYS", default=365)
# Opening applications accepted from one IP address per hour.
APPLICATIONS_PER_IP_PER_HOUR: int = env.int("PVZ_APPLICATIONS_PER_IP_PER_HOUR", default=3)
# Lockouts after failed codes/passwords (per phone, per IP, rolling window; across codes, so above the
# 5 tries a single code allows); the length doubles with each further lockout within a day.
LOCKOUT_PHONE_FAILURES: int = env.int("PVZ_LOCKOUT_PHONE_FAILURES", default=10)
LOCKOUT_IP_FAILURES: int = env.int("PVZ_LOCKOUT_IP_FAILURES", default=20)
LOCKOUT_WINDOW_SECONDS: int = env.int("PVZ_LOCKOUT_WINDOW_SECONDS", default=15 * 60)
LOCKOUT_BASE_SECONDS: int = env.int("PVZ_LOCKOUT_BASE_SECONDS", default=60)
LOCKOUT_MAX_SECONDS: int = env.int("PVZ_LOCKOUT_MAX_SECONDS", default=3600)
# SMS code limits against SMS pumping: per phone a day, per IP an hour and a day, the platform a day.
SMS_PHONE_PER_DAY: int = env.int("PVZ_SMS_PHONE_PER_DAY", default=10)
SMS_IP_PER_HOUR: int = env.int("PVZ_SMS_IP_PER_HOUR", default=20)
SMS_IP_PER_DAY: int = env.int("PVZ_SMS_IP_PER_DAY", default=50)
SMS_PLATFORM_PER_DAY: int = env.int("PVZ_SMS_PLATFORM_PER_DAY", default=10000)
# Anomaly rules over counter operations: N events by one operator within M minutes; suspend on a flag.
ANOMALY_UNSCANNED_ISSUES: int = env.int("PVZ_ANOMALY_UNSCANNED_ISSUES", default=3)
ANOMALY_UNSCANNED_MINUTES: int = env.int("PVZ_ANOMALY_UNSCANNED_MINUTES", default=60)
ANOMALY_SMS_VERIFICATIONS: int = env.int("PVZ_ANOMALY_SMS_VERIFICATIONS", default=10)
ANOMALY_SMS_VERIFICATIONS_MINUTES: int = env.int("PVZ_ANOMALY_SMS_VERIFICATIONS_MINUTES", default=30)
ANOMALY_MANUAL_CODES: int = env.int("PVZ_ANOMALY_MANUAL_CODES", default=5)
ANOMALY_MANUAL_CODES_MINUTES: int = env.int("PVZ_ANOMALY_MANUAL_CODES_MINUTES", default=10)
ANOMALY_OUTSIDE_HOURS: bool = env.bool("PVZ_ANOMALY_OUTSIDE_HOURS", default=True)
ANOMALY_SUSPEND: bool = env.bool("PVZ_ANOMALY_SUSPEND", default=False)
# E-mail for second-factor codes: the console backend (codes in the server log) unless PVZ_EMAIL_URL is set
# (smtp+tls://user:password@host:587); tests use Django's in-memory outbox.
EMAIL_URL: str = env.str("PVZ_EMAIL_URL", default="")
EMAIL_BACKEND: str = env.str("PVZ_EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL: str = env.str("PVZ_DEFAULT_FROM_EMAIL", default="OpenPVZ <noreply@openpvz.local>")


def email_settings(url: str) -> dict[str, object]:
    """Django's EMAIL_* settings from an SMTP URL."""
    config: dict[str, object] = environ.Env.email_url_config(url)
    return config


# Backups (python -m pvz backup / restore; docs/operations.md): where the archives go, the Fernet key that
# encrypts them (empty: not encrypted), and how often the periodic job makes one (0: never).
# Uploaded and generated files (photos, signed documents): backed up with the database.
MEDIA_ROOT: str = env.str("PVZ_MEDIA_ROOT", default=str(VAR_DIR / "media"))
BACKUP_DIR: str = env.str("PVZ_BACKUP_DIR", default=str(VAR_DIR / "backups"))
BACKUP_KEY: str = env.str("PVZ_BACKUP_KEY", default="")
BACKUP_EVERY_HOURS: float = env.float("PVZ_BACKUP_EVERY_HOURS", default=24.0)
# An S3-compatible bucket instead of the directory: s3://bucket/prefix, the endpoint of a provider other than
# AWS (Yandex Object Storage: https://storage.yandexcloud.net), its region and keys.
BACKUP_S3_URL: str = env.str("PVZ_BACKUP_S3_URL", default="")
BACKUP_S3_ENDPOINT: str = env.str("PVZ_BACKUP_S3_ENDPOINT", default="")
BACKUP_S3_REGION: str = env.str("PVZ_BACKUP_S3_REGION", default="")
BACKUP_S3_ACCESS_KEY: str = env.str("PVZ_BACKUP_S3_ACCESS_KEY", default="")
BACKUP_S3_SECRET_KEY: str = env.str("PVZ_BACKUP_S3_SECRET_KEY", default="")
