#!/usr/bin/env bash
# The main job on the embedded defaults: a SQLite file under var/, the bundled directories.
# (The loopback sandbox region with simulated organisations replaces this as it lands.)
set -euo pipefail
cd "$(dirname "$0")/.."
export PROBE_DATABASE_URL=${PROBE_DATABASE_URL:-sqlite:///var/demo.db}
PROBE=${VENV:-.venv}/bin/probe
for name in omsk-kcson omsk-offices rostov; do
  "$PROBE" directory import --bundled "$name"
done
"$PROBE" directory list --region omsk --kind КЦСОН
