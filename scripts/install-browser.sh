#!/usr/bin/env bash
# Installs Debian's Chromium when it is missing: the HTML audit report's browser test
# (test/audit-cli/html-report.test.ts) renders the page in it, driven by playwright-core.
# Never `npx playwright install`: the project uses the distribution's browser, nothing is downloaded.
set -euo pipefail
CHROMIUM="${CHROMIUM_PATH:-/usr/bin/chromium}"
if [ -x "$CHROMIUM" ]; then
  echo "install-browser: $CHROMIUM is there ($("$CHROMIUM" --version 2>/dev/null || echo 'version unknown'))"
  exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "install-browser: no apt-get on this machine; install Chromium yourself and set CHROMIUM_PATH to it" >&2
  exit 1
fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  if ! command -v sudo >/dev/null 2>&1; then
    echo "install-browser: installing the 'chromium' package needs root (or sudo)" >&2
    exit 1
  fi
  SUDO=sudo
fi
echo "install-browser: apt-get install chromium"
$SUDO env DEBIAN_FRONTEND=noninteractive apt-get update -qq
$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium
echo "install-browser: $("$CHROMIUM" --version 2>/dev/null || echo "$CHROMIUM installed")"
