#!/usr/bin/env bash
# Installs everything `npm test` needs on a fresh Debian machine (run as root, or with sudo), then
# caches it under ~/.cache/kubezilla so later runs take seconds:
#   - the local Kubernetes control plane (Go build, 20-40 min cold), helm 3 + helm 4, kubectl, OpenSSH
#   - Node 22 and the real MCP clients (Claude Code CLI, MCP Inspector, conformance suite)
#   - Debian's Chromium for the settings-page tests
#   - Debian's HAProxy for the team-deployment replica tests
# Each step is idempotent and stops with a message naming what is missing.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
for step in tests/cluster/install-deps.sh tests/interop/install.sh tests/ui/install-deps.sh tests/team/install-deps.sh; do
  echo "install-test-deps: $step" >&2
  bash "$root/$step"
done
