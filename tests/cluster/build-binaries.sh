#!/usr/bin/env bash
# Builds (once) the control-plane binaries the local test cluster runs, into
#   ${KUBEZILLA_CLUSTER_CACHE:-$HOME/.cache/kubezilla/cluster}/<version-key>/bin
# The key changes whenever a pinned version changes, so a cache is never stale.
# A cold build of kube-apiserver & co takes 20-40 minutes on 2 cores; a warm run is instant. A new key
# with the same Go module versions mostly re-links from Go's build cache (~/.cache/go-build).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
K8S_VERSION=v1.34.4
# The version that follows a module's path in a wrapper's go.mod (single-line or block require).
pinned() { awk -v m="$1" '{for (i = 1; i < NF; i++) if ($i == m) {print $(i + 1); exit}}' "$2"; }
ETCD_VERSION=$(pinned go.etcd.io/etcd/server/v3 "$here/go/etcd/go.mod")
KWOK_VERSION=$(pinned sigs.k8s.io/kwok "$here/go/kwok/go.mod")
METRICS_SERVER_VERSION=$(pinned sigs.k8s.io/metrics-server "$here/go/metrics-server/go.mod")
key="k8s-${K8S_VERSION}_etcd-${ETCD_VERSION}_kwok-${KWOK_VERSION}_metrics-server-${METRICS_SERVER_VERSION}"
out="${KUBEZILLA_CLUSTER_CACHE:-$HOME/.cache/kubezilla/cluster}/$key/bin"
mkdir -p "$out"

export GOFLAGS="${GOFLAGS:--buildvcs=false}"

step() { # name, want-file, build-command...
  local name=$1 want=$2; shift 2
  if [[ -x "$out/$want" ]]; then return; fi
  if ! command -v go >/dev/null; then
    echo "build-binaries: Go is not installed, and $name must be built once. Install Go 1.24+ (https://go.dev/dl or 'apt-get install golang') and retry." >&2
    exit 1
  fi
  local t0=$SECONDS
  echo "build-binaries: building $name (cold build; $BUILD_HINT)..." >&2
  if ! "$@" >&2; then
    echo "build-binaries: building $name failed. It needs Go 1.24+ and the Go module proxy ($(go env GOPROXY)) reachable; see the go output above." >&2
    exit 1
  fi
  echo "build-binaries: $name built in $((SECONDS - t0))s" >&2
}

minor=${K8S_VERSION#v1.}; minor=${minor%%.*}
ver_flags="-s -w"
for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
  ver_flags+=" -X $pkg.gitVersion=$K8S_VERSION -X $pkg.gitMajor=1 -X $pkg.gitMinor=$minor"
  ver_flags+=" -X $pkg.gitTreeState=clean -X $pkg.buildDate=2025-01-01T00:00:00Z"
done

BUILD_HINT="about 2 minutes"
step "etcd $ETCD_VERSION" etcd \
  bash -c "cd '$here/go/etcd' && go build -ldflags '-s -w' -o '$out/etcd' go.etcd.io/etcd/server/v3"
BUILD_HINT="about 5 minutes"
step "kwok $KWOK_VERSION" kwok \
  bash -c "cd '$here/go/kwok' && go build -ldflags '-s -w' -o '$out/' sigs.k8s.io/kwok/cmd/kwok sigs.k8s.io/kwok/cmd/kwokctl"
BUILD_HINT="5-15 minutes on 2 cores"
step "metrics-server $METRICS_SERVER_VERSION" metrics-server \
  bash -c "cd '$here/go/metrics-server' && go build -ldflags '-s -w -X k8s.io/client-go/pkg/version.gitVersion=$METRICS_SERVER_VERSION' -o '$out/' sigs.k8s.io/metrics-server/cmd/metrics-server"
BUILD_HINT="20-40 minutes on 2 cores"
step "kube-apiserver, kube-controller-manager, kube-scheduler $K8S_VERSION" kube-scheduler \
  bash -c "cd '$here/go/kubernetes' && go build -ldflags '$ver_flags' -o '$out/' k8s.io/kubernetes/cmd/kube-apiserver k8s.io/kubernetes/cmd/kube-controller-manager k8s.io/kubernetes/cmd/kube-scheduler"
echo "$out"
