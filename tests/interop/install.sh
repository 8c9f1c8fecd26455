#!/usr/bin/env bash
# Installs the real MCP clients the interop tests drive (tests/interop/*.test.ts):
#   - Node.js 22 (npm package node@22) under ~/.cache/kubezilla/node22, because the MCP Inspector
#     CLI 2.x, the Claude Code CLI and the conformance suite need Node 22 while the project itself
#     also runs on Node 20;
#   - tests/interop/node_modules from tests/interop/package-lock.json (npm ci), installed with
#     Node 22 first on PATH.
# Idempotent: a second run with nothing changed only checks and prints what it found.
# Override the Node 22 location with KUBEZILLA_NODE22_PREFIX (the tests read the same variable).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
prefix="${KUBEZILLA_NODE22_PREFIX:-$HOME/.cache/kubezilla/node22}"
node22_bin="$prefix/node_modules/node/bin"
node22="$node22_bin/node"

fail() {
  echo "tests/interop/install.sh: error: $*" >&2
  exit 1
}
say() { echo "tests/interop/install.sh: $*"; }

command -v npm >/dev/null 2>&1 || fail "npm is not on PATH; install Node.js 20.19+ or 22 (with npm) first."

is_node22() { [ -x "$node22" ] && [ "$("$node22" -p 'process.versions.node.split(".")[0]' 2>/dev/null)" = "22" ]; }

if is_node22; then
  say "Node $("$node22" --version) already in $prefix"
else
  say "installing Node 22 into $prefix (npm install node@22)…"
  mkdir -p "$prefix" || fail "cannot create $prefix"
  npm install --prefix "$prefix" --no-save --no-audit --no-fund --loglevel=error node@22 \
    || fail "npm install node@22 into $prefix failed (see npm's message above); check network access to the npm registry."
  is_node22 || fail "after npm install node@22, $node22 is missing or not Node 22 (the node package's postinstall downloads the binary; it may have been blocked: rerun without --ignore-scripts)."
  say "installed Node $("$node22" --version)"
fi

export PATH="$node22_bin:$PATH"

# npm ci wipes node_modules every time, so skip it when the lock file and Node are unchanged.
stamp="$here/node_modules/.kubezilla-install-stamp"
if command -v sha256sum >/dev/null 2>&1; then hash() { sha256sum; }; else hash() { shasum -a 256; }; fi
want="$(cat "$here/package-lock.json" "$here/package.json" | hash | cut -d' ' -f1) node-$(node --version)"
bins=(claude inspector conformance)
all_bins() { for b in "${bins[@]}"; do [ -x "$here/node_modules/.bin/$b" ] || return 1; done; }

if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ] && all_bins; then
  say "clients already installed in tests/interop/node_modules (lock file unchanged)"
else
  say "installing the interop clients with $(node --version): npm ci --prefix tests/interop…"
  npm ci --prefix "$here" --no-audit --no-fund --loglevel=error \
    || fail "npm ci in tests/interop failed (see npm's message above). If package.json changed, run 'npm install --prefix tests/interop' with Node 22 on PATH and commit the new package-lock.json."
  all_bins || fail "npm ci finished but tests/interop/node_modules/.bin lacks one of: ${bins[*]}"
  echo "$want" >"$stamp"
fi

for b in "${bins[@]}"; do
  version="$("$here/node_modules/.bin/$b" --version 2>/dev/null | head -n1)" \
    || fail "$b is installed but '$b --version' failed under $(node --version)"
  say "ok: $b $version"
done
