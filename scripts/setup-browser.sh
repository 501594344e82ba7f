#!/usr/bin/env bash
# Makes sure headless Chromium is here: the report test opens `gamelake report`'s page in it.
# Installs Debian's package when run as root on a machine with apt-get; otherwise says what
# to install. Idempotent.
set -euo pipefail
if [ -n "${GAMELAKE_CHROMIUM:-}" ] || command -v chromium >/dev/null || command -v chromium-browser >/dev/null; then
  exit 0
fi
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium fonts-dejavu-core >/dev/null
  echo "chromium installed"
  exit 0
fi
echo "setup-browser: no chromium found; install it (Debian: apt-get install chromium) or set GAMELAKE_CHROMIUM to a Chromium binary" >&2
exit 1
