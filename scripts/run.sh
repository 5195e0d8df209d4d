#!/usr/bin/env bash
# Starts the demo: migrations, demo network, then the job worker, the scheduler and the ASGI server.
# Ctrl+C stops all three.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python
PORT="${PORT:-8000}"

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
