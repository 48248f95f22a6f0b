#!/usr/bin/env bash
# Installs every build and test dependency of Bulwark from Debian's packages.
# Idempotent: packages already present are left alone; apt lists are refreshed only when a
# package is missing.
set -euo pipefail

PACKAGES=(
  build-essential cmake ninja-build pkg-config git ccache
  clang-16 libclang-rt-16-dev clang-format
  libssl-dev libsodium-dev libargon2-dev
  libsqlite3-dev sqlite3 libpq-dev libpqxx-dev postgresql
  libyaml-cpp-dev nlohmann-json3-dev libtomlplusplus-dev libvalijson-dev
  libre2-dev libhyperscan-dev libcli11-dev libspdlog-dev libfmt-dev libboost-dev
  libgtest-dev libgmock-dev libbenchmark-dev librapidcheck-dev
  softhsm2 opensc libp11-kit-dev
  rsyslog rsyslog-openssl rsyslog-relp openssl
  libcurl4-openssl-dev libldap-dev slapd ldap-utils
  wrk
)

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#PACKAGES[@]} packages present"
  exit 0
fi

echo "install-deps: installing ${missing[*]}"
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
