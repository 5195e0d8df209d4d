#!/usr/bin/env bash
# Starts the demo: migrations, demo network, then the job worker, the scheduler and the ASGI server under
# supervisord, which restarts any of them that dies. Ctrl+C stops all three.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python
PORT="${PORT:-8000}"

# Live updates from the job worker (e.g. expiry) reach browsers only through a shared channel layer:
# use the local Redis when it answers and REDIS_URL is not set; otherwise the in-memory layer.
if [ -z "${REDIS_URL:-}" ] && $PY -c "import redis; redis.Redis(socket_connect_timeout=1).ping()" 2>/dev/null; then
  export REDIS_URL=redis://127.0.0.1:6379/0
fi
echo "Channel layer: ${REDIS_URL:-in-memory (one process; set REDIS_URL to share live updates)}"

# The demo shows the product's own error pages (not Django's debug pages) and opens the SMS outbox,
# its only way to deliver login codes.
export PVZ_DEBUG="${PVZ_DEBUG:-false}" PVZ_SMS_OUTBOX_PUBLIC="${PVZ_SMS_OUTBOX_PUBLIC:-true}"
# Links in the demo SMS (the customer's pickup QR page) point at this server.
export PVZ_PUBLIC_URL="${PVZ_PUBLIC_URL:-http://127.0.0.1:${PORT}}"

$PY -m pvz migrate --noinput
$PY -m pvz demo_network --url "http://127.0.0.1:${PORT}"

# supervisord runs the job worker, the scheduler and the web server (scripts/supervisord.conf): a child that
# dies is logged and restarted; Ctrl+C stops all three.
export PVZ_ROOT="$PWD" PVZ_RUN_DIR="$PWD/var/run" PVZ_HOST="${PVZ_HOST:-127.0.0.1}" PORT
mkdir -p "$PVZ_RUN_DIR"
echo "OpenPVZ: http://${PVZ_HOST}:${PORT}  (Ctrl+C stops the server, the worker and the scheduler)"
exec .venv/bin/supervisord -c scripts/supervisord.conf
