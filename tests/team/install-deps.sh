#!/usr/bin/env bash
# Installs what the team-deployment tests need beyond the cluster's tools: Debian's HAProxy, the
# real round-robin proxy two server replicas are tested behind (tests/team/replicas.test.ts).
# Idempotent:
#   bash tests/team/install-deps.sh
set -euo pipefail

if command -v haproxy >/dev/null 2>&1 || [[ -x /usr/sbin/haproxy ]]; then
  echo "install-deps(team): haproxy already installed: $( (haproxy -v 2>/dev/null || /usr/sbin/haproxy -v) | head -1)" >&2
  exit 0
fi
# shellcheck source=../../scripts/lib/apt.sh
source "$(dirname "$0")/../../scripts/lib/apt.sh"
apt_install "install-deps(team)" haproxy
/usr/sbin/haproxy -v | head -1 >&2
echo "install-deps(team): done" >&2
