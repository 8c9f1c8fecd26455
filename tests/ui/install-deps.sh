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
# shellcheck source=../../scripts/lib/apt.sh
source "$(dirname "$0")/../../scripts/lib/apt.sh"
apt_install "install-deps(ui)" chromium fonts-dejavu-core fonts-liberation
/usr/bin/chromium --version >&2
echo "install-deps(ui): done" >&2
