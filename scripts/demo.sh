#!/usr/bin/env bash
# The main job on the embedded defaults: the sandbox region on loopback (Postfix, Dovecot and
# SIPp playing the 38 Omsk centres), a SQLite file under var/sandbox, a campaign on a
# compressed clock, the summary, the XLSX protocol and the review UI (kept up until Ctrl-C
# when run in a terminal). Extra arguments go to `probe sandbox` (see --help).
set -euo pipefail
cd "$(dirname "$0")/.."
exec "${VENV:-.venv}/bin/probe" sandbox "$@"
