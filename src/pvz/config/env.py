"""The only module that reads the process environment (twelve-factor settings).

Everything configurable is declared here with its default; settings.py imports the values.
"""

from __future__ import annotations

import secrets
from pathlib import Path

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
    value = env.str("PVZ_SECRET_KEY", default="")
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
DATABASE: dict = env.db_url("DATABASE_URL", default=_default_db)
# PostgreSQL connection pool per process (app server or worker).
DB_POOL_MIN: int = env.int("PVZ_DB_POOL_MIN", default=2)
DB_POOL_MAX: int = env.int("PVZ_DB_POOL_MAX", default=10)
TEST_DATABASE_NAME: str = env.str("PVZ_TEST_DATABASE_NAME", default="")
REDIS_URL: str = env.str("REDIS_URL", default="")
ALLOWED_HOSTS: list[str] = env.list(
    "PVZ_ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]", "testserver"]
)
CSRF_TRUSTED_ORIGINS: list[str] = env.list("PVZ_CSRF_TRUSTED_ORIGINS", default=[])
LOG_LEVEL: str = env.str("PVZ_LOG_LEVEL", default="INFO")
LOG_JSON: bool = env.bool("PVZ_LOG_JSON", default=PRODUCTION)
SMS_BACKEND: str = env.str("PVZ_SMS_BACKEND", default="pvz.accounts.sms.OutboxSmsGateway")
# The development SMS outbox page open without login: the demo's only way to receive a code. Never in
# production, whatever the variable says.
SMS_OUTBOX_PUBLIC: bool = env.bool("PVZ_SMS_OUTBOX_PUBLIC", default=DEBUG) and not PRODUCTION
# Where customers reach the site (links in messages, e.g. the pickup QR page); empty: paths only.
PUBLIC_URL: str = env.str("PVZ_PUBLIC_URL", default="")
CHANNEL_PREFIX: str = env.str("PVZ_CHANNEL_PREFIX", default="pvz")
TASKS_IMMEDIATE: bool = env.bool("PVZ_TASKS_IMMEDIATE", default=False)
SESSION_IDLE_SECONDS: int = env.int("PVZ_SESSION_IDLE_SECONDS", default=12 * 3600)
# API rate limits, "<requests>/<s|min|h>" or "off": per signed-in user, and per client IP for anonymous calls.
API_RATE_LIMIT_USER: str = env.str("PVZ_API_RATE_LIMIT_USER", default="600/min")
API_RATE_LIMIT_ANON: str = env.str("PVZ_API_RATE_LIMIT_ANON", default="60/min")
