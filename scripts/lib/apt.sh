# Sourced by the test installers: apt_install LABEL PACKAGE... installs Debian packages as root (or
# through sudo), once, with one clear message when that is impossible.
apt_install() {
  local label=$1
  shift
  if ! command -v apt-get >/dev/null; then
    echo "$label: missing packages $* and no apt-get here; install them with your package manager." >&2
    return 1
  fi
  local sudo=""
  if [[ $(id -u) -ne 0 ]]; then
    if command -v sudo >/dev/null; then sudo="sudo"; else
      echo "$label: need root (or sudo) to apt-get install $*." >&2
      return 1
    fi
  fi
  echo "$label: apt-get install $*" >&2
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "$@" >&2
}
