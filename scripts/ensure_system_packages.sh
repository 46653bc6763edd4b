#!/usr/bin/env bash
# Install the Debian packages the tests need (Redis, Chromium) when they are missing.
# PostgreSQL's binaries are expected at $PG_BIN (Debian's postgresql-15).
set -euo pipefail
PG_BIN="${PG_BIN:-/usr/lib/postgresql/15/bin}"
missing=()
command -v redis-server >/dev/null || missing+=(redis-server)
command -v chromium >/dev/null || missing+=(chromium)
[ -x "$PG_BIN/pg_ctl" ] || missing+=(postgresql-15)
if [ "${#missing[@]}" -gt 0 ]; then
  echo "Installing system packages: ${missing[*]}"
  SUDO=""; [ "$(id -u)" = "0" ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi
