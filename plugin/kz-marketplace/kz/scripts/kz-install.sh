#!/bin/sh
# Registers the running Kubezilla MCP server with Claude Code at user scope, replacing any older
# "kubezilla" entry, then checks the connection. Prints the token's fingerprint, never the token.
#
# Usage: sh kz-install.sh [URL]
#   URL                   default $KUBEZILLA_MCP_URL, else http://127.0.0.1:7331/mcp
#   KUBEZILLA_CONFIG_DIR  where mcp.token lives (default: the per-OS Kubezilla directory)
#   KZ_CLAUDE             the claude executable (default: claude on PATH)
# Exit: 0 registered and connected, 1 not registered, 2 registered but the server did not answer.
set -u

url="${1:-${KUBEZILLA_MCP_URL:-http://127.0.0.1:7331/mcp}}"
claude_bin="${KZ_CLAUDE:-claude}"

fail() { printf 'kz-install: %s\n' "$*" >&2; exit 1; }

case "$url" in
  http://*/mcp | https://*/mcp) ;;
  *) fail "\"$url\" is not an MCP URL (expected http://HOST:PORT/mcp)." ;;
esac
command -v "$claude_bin" >/dev/null 2>&1 || fail "the claude CLI was not found on PATH."

# The per-OS token directory, as the server computes it.
if [ -n "${KUBEZILLA_CONFIG_DIR:-}" ]; then
  config_dir="$KUBEZILLA_CONFIG_DIR"
else
  case "$(uname -s 2>/dev/null)" in
    Darwin) config_dir="$HOME/Library/Application Support/KubezillaDesktop" ;;
    MINGW* | MSYS* | CYGWIN* | Windows_NT)
      base="${LOCALAPPDATA:-$HOME/AppData/Local}"
      command -v cygpath >/dev/null 2>&1 && base="$(cygpath -u "$base")"
      config_dir="$base/KubezillaDesktop" ;;
    *) config_dir="${XDG_CONFIG_HOME:-$HOME/.config}/KubezillaDesktop" ;;
  esac
fi
token_file="$config_dir/mcp.token"

if [ -r "$token_file" ]; then
  token="$(tr -d ' \t\r\n' <"$token_file")"
  source_label="$token_file"
elif command -v kubezilla-mcp >/dev/null 2>&1 && kubezilla-mcp token --fingerprint >/dev/null 2>&1; then
  token="$(kubezilla-mcp token 2>/dev/null | tr -d ' \t\r\n')"
  source_label="kubezilla-mcp token"
else
  fail "no token at $token_file. Enable the MCP server first (Kubezilla settings page, or \`kubezilla-mcp serve --enable\`)."
fi
printf '%s' "$token" | grep -Eq '^kz_[A-Za-z0-9_-]{43}$' || fail "$source_label does not hold a Kubezilla token (kz_...). Regenerate it in the settings page or with \`kubezilla-mcp token --regenerate\`."

fingerprint_of() {
  if command -v sha256sum >/dev/null 2>&1; then printf '%s' "$1" | sha256sum
  elif command -v shasum >/dev/null 2>&1; then printf '%s' "$1" | shasum -a 256
  elif command -v openssl >/dev/null 2>&1; then printf '%s' "$1" | openssl dgst -sha256 -r
  else printf '%s' "$1" | node -e 'let s="";process.stdin.on("data",(d)=>(s+=d)).on("end",()=>console.log(require("crypto").createHash("sha256").update(s).digest("hex")))'
  fi | sed 's/^[^0-9a-f]*//' | cut -c1-12
}
fingerprint="sha256:$(fingerprint_of "$token")"

# Everything claude prints goes through here, so the token can never reach the transcript.
redact() { sed "s/$token/kz_<redacted>/g"; }

# An older registration would shadow (local scope) or block (user scope) the new one. A project's
# shared .mcp.json is left alone.
for scope in local user; do
  if "$claude_bin" mcp remove --scope "$scope" kubezilla >/dev/null 2>&1; then
    printf 'removed the older kubezilla entry (%s scope)\n' "$scope"
  fi
done

added="$("$claude_bin" mcp add --scope user kubezilla --transport http "$url" --header "Authorization: Bearer $token" 2>&1)" ||
  fail "claude mcp add failed: $(printf '%s' "$added" | redact | tr '\n' ' ')"

status_line="$("$claude_bin" mcp list 2>&1 | redact | grep '^kubezilla:' | head -n 1)"
printf 'registered: kubezilla -> %s (user scope, token %s from %s)\n' "$url" "$fingerprint" "$source_label"
printf 'claude mcp list: %s\n' "${status_line:-kubezilla not listed}"
case "$status_line" in
  *Connected*) exit 0 ;;
  *) exit 2 ;;
esac
