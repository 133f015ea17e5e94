#!/usr/bin/env bash
# Installs every Debian 12 package mxscan needs to build, test, benchmark and demo. Idempotent and
# non-interactive: it asks apt only for what is missing. This is the project's one list of system
# dependencies (CMake's find_package calls are the other side of it).
set -euo pipefail

packages=(
  # toolchain
  g++ cmake ninja-build pkg-config ccache clang-format clang-14 libclang-rt-14-dev
  # libraries
  libboost1.81-dev libboost-json1.81-dev libssl-dev libc-ares-dev libfmt-dev libsqlite3-dev
  libcli11-dev libidn2-dev libpsl-dev publicsuffix catch2 libjemalloc-dev
  # the list's OpenPGP signatures (publish/): GPGME, and gpg itself, which GPGME runs
  libgpgme-dev gnupg
  # tools the scripts use; perf for bench/run --perf-data and bench/profile
  python3 procps sqlite3 linux-perf
  # tests/unit/cli/special_addresses_test.cpp: strace (every connect(2) mxscan makes) and ip (the
  # addresses of a network namespace; unshare comes with util-linux)
  strace iproute2
  # tests/packaging: systemd's parser checks the units of packaging/
  systemd
  # interoperability tests (tests/interop): an MTA, a web server, a DNSSEC zone signer, an
  # authoritative name server and a validating resolver
  postfix nginx-light ldnsutils nsd unbound
  # the HTML report's browser test (tests/unit/reports/report_chromium_test.cpp): headless
  # Chromium (large: about 350 MB installed with chromium-common) and a font for its screenshots
  chromium fonts-dejavu-core
)

missing=()
for package in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q 'ok installed'; then
    missing+=("$package")
  fi
done

if ((${#missing[@]} == 0)); then
  echo "install-deps: all ${#packages[@]} packages present"
  exit 0
fi

echo "install-deps: installing ${missing[*]}"
sudo=()
if ((EUID != 0)); then
  sudo=(sudo)
fi
export DEBIAN_FRONTEND=noninteractive
if [[ " ${missing[*]} " == *" postfix "* ]]; then
  # "No configuration" writes no main.cf, so the package starts no system Postfix on port 25;
  # the interop test runs its own private instance.
  echo "postfix postfix/main_mailer_type select No configuration" |
    "${sudo[@]}" debconf-set-selections
fi
# nginx, nsd and unbound would start system instances on ports 80 and 53 that nothing uses: the
# tests run private ones. A policy-rc.d that refuses every start (exit 101) keeps them down during
# the install; one that the machine already has is left as it is.
policy=/usr/sbin/policy-rc.d
if [[ ! -e $policy ]]; then
  printf '#!/bin/sh\nexit 101\n' | "${sudo[@]}" tee "$policy" >/dev/null
  "${sudo[@]}" chmod 755 "$policy"
  trap '"${sudo[@]}" rm -f "$policy"' EXIT
fi
"${sudo[@]}" apt-get update -qq
"${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
