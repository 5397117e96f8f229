#!/usr/bin/env bash
# Installs the Debian packages given that are not installed yet; does nothing when all are there.
# `apt-get update` runs once, and only when something is missing. Needs root for an install.
#
#   bash scripts/ensure-debian-packages.sh docker.io docker-registry busybox-static apache2-utils
#
# Or source it and call the function (as .ci/run can):
#   . scripts/ensure-debian-packages.sh; ensure_debian_packages docker.io ...
#
# docker.io: dockerd + client 20.10 (BuildKit without buildx); docker-registry: CNCF Distribution 2.8;
# busybox-static: the root of the local base image; apache2-utils: htpasswd (bcrypt).

ensure_debian_packages() {
  local missing=() pkg
  for pkg in "$@"; do
    if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed'; then
      missing+=("$pkg")
    fi
  done
  if [[ ${#missing[@]} -eq 0 ]]; then
    return 0
  fi
  if [[ $(id -u) -ne 0 ]]; then
    echo "missing Debian packages: ${missing[*]}; install them as root (apt-get install ${missing[*]})" >&2
    return 1
  fi
  printf '\n==> installing Debian packages: %s\n' "${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q
  apt-get install -y -q --no-install-recommends "${missing[@]}"
}

if [[ ${BASH_SOURCE[0]} == "$0" ]]; then
  set -euo pipefail
  if [[ $# -eq 0 ]]; then
    echo "usage: $0 <package>..." >&2
    exit 2
  fi
  ensure_debian_packages "$@"
fi
