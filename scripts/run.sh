#!/usr/bin/env bash
# Starts the demo: migrations, demo network, then the job worker, the scheduler and the ASGI server.
# Ctrl+C stops all three.
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

pids=()
cleanup() {
  trap - INT TERM EXIT
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap cleanup INT TERM EXIT

$PY -m pvz db_worker --interval 2 --no-reload &
pids+=($!)
$PY -m pvz run_scheduler &
pids+=($!)
$PY -m uvicorn pvz.config.asgi:application --host 127.0.0.1 --port "$PORT" --no-access-log --lifespan off &
pids+=($!)
echo "OpenPVZ: http://127.0.0.1:${PORT}  (Ctrl+C stops the server, the worker and the scheduler)"
wait -n "${pids[@]}"
