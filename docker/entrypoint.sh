#!/bin/sh
# Container entry point: migrate the schema, then become the requested role.
#   scheduler  probe run --web          (plans, enqueues, serves the review UI)
#   worker     probe worker              (executes checks from the queue; PostgreSQL only)
#   web        probe web                 (the review UI alone)
#   migrate    probe db upgrade, then exit
#   anything else is run as a probe sub-command, e.g. `campaign list`.
set -eu

: "${PROBE_DATABASE_URL:?set PROBE_DATABASE_URL (postgresql://user@host/db or sqlite:///path)}"
PROBE=${PROBE_BIN:-probe}

wait_for_database() {
  tries=${PROBE_DB_WAIT_SECONDS:-60}
  while ! "$PROBE" db current >/dev/null 2>&1; do
    tries=$((tries - 1))
    if [ "$tries" -le 0 ]; then
      echo "entrypoint: the database at PROBE_DATABASE_URL does not answer" >&2
      exit 1
    fi
    sleep 1
  done
}

role=${1:-scheduler}
[ "$#" -gt 0 ] && shift

case "$role" in
  migrate)
    wait_for_database
    exec "$PROBE" db upgrade
    ;;
  scheduler)
    wait_for_database
    "$PROBE" db upgrade
    exec "$PROBE" run --web "$@"
    ;;
  worker)
    wait_for_database
    exec "$PROBE" worker "$@"
    ;;
  web)
    wait_for_database
    exec "$PROBE" web --host 0.0.0.0 "$@"
    ;;
  *)
    exec "$PROBE" "$role" "$@"
    ;;
esac
