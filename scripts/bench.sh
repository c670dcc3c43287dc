#!/usr/bin/env bash
# `make bench`: the three benchmarks in turn, each against its own database derived from DATABASE_URL
# (PostgreSQL: <name>_bench_<what> on the same server, created if missing; SQLite: a sibling file), with the
# broker of CELERY_BROKER_URL. Extra arguments per benchmark: JOBS_ARGS, REPORTS_ARGS, LOAD_ARGS, RB_ARGS.
# Runs every benchmark even when one fails; exits non-zero if any did.
set -uo pipefail
cd "$(dirname "$0")/.."
PY="${VENV:-.venv}/bin/python"
: "${DATABASE_URL:?DATABASE_URL is required}"
: "${CELERY_BROKER_URL:?CELERY_BROKER_URL is required}"

database_for() {  # database_for jobs -> the URL of that benchmark's own database
  local what="$1" url="${DATABASE_URL%%\?*}"
  case "$url" in
    sqlite:*) echo "${url%.sqlite3}-bench-${what}.sqlite3" ;;
    *) echo "${url%/*}/${url##*/}_bench_${what}" ;;
  esac
}

failed=()
run() {  # run <what> <script> [args...]
  local what="$1" script="$2"
  shift 2
  local url
  url="$(database_for "$what")"
  echo "== bench/${script} (database ${url##*/}) =="
  local started=$SECONDS
  if "$PY" -c 'import sys; from bench.load import ensure_database; ensure_database(sys.argv[1])' "$url" &&
    DATABASE_URL="$url" "$PY" "bench/${script}" "$@"; then
    echo "== bench/${script}: done in $((SECONDS - started)) s"
  else
    echo "== bench/${script}: FAILED after $((SECONDS - started)) s"
    failed+=("$script")
  fi
  echo
}

# shellcheck disable=SC2086  # word splitting of the optional argument lists is intended
{
  run jobs jobs.py ${JOBS_ARGS:-}
  run reports reports.py ${REPORTS_ARGS:-}
  run load load.py ${LOAD_ARGS:-}
  run rb rb.py --local ${RB_ARGS:-}
}

if ((${#failed[@]})); then
  echo "failed: ${failed[*]}"
  exit 1
fi
echo "all benchmarks done"
