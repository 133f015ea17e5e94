#!/usr/bin/env bash
# Checks packaging/*.service and *.timer with systemd's own parser (systemd-analyze verify): any
# complaint about them (an unknown key, a bad value, a missing executable) fails the test.
# Usage: verify_units.sh PACKAGING_DIR MXSCAN_BINARY
set -euo pipefail
packaging=$1
binary=$2
if ! command -v systemd-analyze >/dev/null; then
  echo "systemd-analyze is missing (Debian package systemd; scripts/install-deps.sh installs it)"
  exit 1
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# The units name the installed paths; point them at this build and the example settings.
for unit in "$packaging"/*.service "$packaging"/*.timer; do
  sed -e "s|/usr/local/bin/mxscan|$binary|g" \
    -e "s|EnvironmentFile=/etc/mxscan/\([a-z-]*\).env|EnvironmentFile=$packaging/\1.env.example|" \
    "$unit" >"$work/$(basename "$unit")"
done
out=$(SYSTEMD_LOG_LEVEL=warning systemd-analyze verify --man=no "$work"/*.service "$work"/*.timer 2>&1) ||
  {
    echo "$out"
    exit 1
  }
if grep -F "$work" <<<"$out"; then
  exit 1
fi
echo "units verified: $(cd "$work" && echo *)"
