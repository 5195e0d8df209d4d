#!/usr/bin/env bash
# The whole check: lint, types, migrations, OpenAPI drift, then pytest on SQLite and again on PostgreSQL.
# With CI=true a missing PostgreSQL or Chromium fails the run instead of being skipped.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python
CI="${CI:-false}"
started=$SECONDS

step() { printf '\n==> %s\n' "$*"; }

step "Chromium for the browser tests"
if ! command -v chromium >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) \
      || echo "could not install chromium with apt-get"
  fi
fi
if command -v chromium >/dev/null 2>&1; then
  chromium --version 2>/dev/null || true
elif [ "$CI" = true ]; then
  echo "Chromium is missing and CI=true: failing" >&2
  exit 1
else
  echo "Chromium is missing: browser tests will be skipped"
fi

step "PgBouncer and nginx for the several-servers test"
missing=()
command -v pgbouncer >/dev/null 2>&1 || missing+=(pgbouncer)
command -v nginx >/dev/null 2>&1 || missing+=(nginx-light)
if [ "${#missing[@]}" -gt 0 ] && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  # Only the programs: the test starts its own pgbouncer and nginx on free ports.
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null) \
    || echo "could not install ${missing[*]} with apt-get"
fi
for tool in pgbouncer nginx; do
  command -v "$tool" >/dev/null 2>&1 && echo "$tool: $(command -v "$tool")" || echo "$tool is missing: its test will fail"
done

step "Lint, types, import layers, migrations, OpenAPI drift"
.venv/bin/ruff check src tests bench
.venv/bin/ruff format --check src tests bench
.venv/bin/mypy
.venv/bin/lint-imports
env -u DATABASE_URL $PY -m pvz makemigrations --check --dry-run
env -u DATABASE_URL $PY -m pvz export_openapi --check

step "Test suite on SQLite"
sqlite_started=$SECONDS
# A file database (not in-memory) so SQLite runs in WAL mode with queued writers, as `make run` does.
env -u DATABASE_URL PVZ_TEST_DATABASE_NAME="$PWD/var/test.sqlite3" .venv/bin/pytest -q tests
echo "SQLite pass: $((SECONDS - sqlite_started)) s"

PG_URL="${PVZ_TEST_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/postgres}"
step "Test suite on PostgreSQL (${PG_URL})"
if ! $PY - "$PG_URL" <<'PYEOF'
import sys

import environ
import psycopg

cfg = environ.Env.db_url_config(sys.argv[1])
try:
    psycopg.connect(
        dbname=cfg["NAME"], user=cfg.get("USER") or None, password=cfg.get("PASSWORD") or None,
        host=cfg.get("HOST") or None, port=cfg.get("PORT") or None, connect_timeout=5,
    ).close()
except Exception as exc:
    print(f"PostgreSQL is not reachable: {exc}", file=sys.stderr)
    sys.exit(1)
PYEOF
then
  if [ "$CI" = true ]; then
    echo "PostgreSQL is required when CI=true: failing" >&2
    exit 1
  fi
  echo "PostgreSQL pass skipped (set PVZ_TEST_DATABASE_URL or start PostgreSQL on 127.0.0.1:5432)"
  echo "make test took $((SECONDS - started)) s"
  exit 0
fi
echo "make test so far: $((SECONDS - started)) s"
DATABASE_URL="$PG_URL" .venv/bin/pytest -q tests
