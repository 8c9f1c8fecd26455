#!/usr/bin/env bash
# Installs what the settings-page browser tests need: Debian's chromium (driven headless by
# playwright-core, which downloads no browser of its own) and the fonts it renders with.
# Idempotent; CI runs it before the UI tests:
#   bash tests/ui/install-deps.sh
set -euo pipefail

if command -v chromium >/dev/null 2>&1 || [[ -x /usr/bin/chromium ]]; then
  echo "install-deps(ui): chromium already installed: $(/usr/bin/chromium --version 2>/dev/null || echo present)" >&2
  exit 0
fi
if ! command -v apt-get >/dev/null; then
  echo "install-deps(ui): chromium is missing and there is no apt-get here; install Chromium and make it available as /usr/bin/chromium." >&2
  exit 1
fi
sudo=""
if [[ $(id -u) -ne 0 ]]; then
  if command -v sudo >/dev/null; then sudo="sudo"; else
    echo "install-deps(ui): need root (or sudo) to apt-get install chromium." >&2
    exit 1
  fi
fi
echo "install-deps(ui): apt-get install chromium fonts-dejavu-core" >&2
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends chromium fonts-dejavu-core fonts-liberation >&2
/usr/bin/chromium --version >&2
echo "install-deps(ui): done" >&2
