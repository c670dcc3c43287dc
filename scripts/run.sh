#!/usr/bin/env bash
# Serve web + Celery workers + beat on the embedded default. Ctrl-C stops every process started here.
set -euo pipefail
BIN="${VENV:-.venv}/bin"
export DJANGO_SETTINGS_MODULE=config.settings.dev
HOST="${HOST:-127.0.0.1}"
PORT="${PORT:-8000}"

pids=()
cleanup() {
  trap - INT TERM EXIT
  echo
  echo "Stopping…"
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap cleanup INT TERM EXIT

"$BIN/python" manage.py runserver "$HOST:$PORT" --noreload &
pids+=($!)
# Notifications, sweepers and reports, with beat; jobs in a worker of their own, one at a time as in production
# (DESIGN.md: one QPU runs one job at a time; the README's qpu worker).
"$BIN/celery" -A config worker -B -Q default,reports --concurrency 2 -l warning -n worker@%h \
  --schedule "${DJANGO_VAR_DIR:-var}/celerybeat-schedule" &
pids+=($!)
"$BIN/celery" -A config worker -Q qpu -P solo -l warning -n qpu@%h &
pids+=($!)

cat <<MSG

  Quantum Facility Records is running (embedded default: SQLite in var/, filesystem broker in var/celery/).
    Portal      http://$HOST:$PORT/portal/     login: minseo.lee / researcher (any demo researcher, same password)
    Admin       http://$HOST:$PORT/admin/      login: ${DJANGO_SUPERUSER_USERNAME:-admin} / ${DJANGO_SUPERUSER_PASSWORD:-admin}
                                                  procurement officer: sora.kang / procurement
    API docs    http://$HOST:$PORT/api/docs/
    Health      http://$HOST:$PORT/readyz
  Press Ctrl-C to stop the web server, the workers and beat.

MSG
# Stop everything as soon as any one process exits.
wait -n
