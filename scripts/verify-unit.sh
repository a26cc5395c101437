#!/usr/bin/env bash
# Checks systemd/occlumesh.service with `systemd-analyze verify`, which must print nothing.
#
# Usage: scripts/verify-unit.sh [BINARY]
#   BINARY: the built daemon (default: the installed /usr/local/bin/occlumeshd if present, else /bin/true).
# verify insists that ExecStart's program exists, so the unit is checked as a copy whose ExecStart points at
# BINARY; every other line is checked exactly as shipped.
set -euo pipefail
cd "$(dirname "$0")/.."
unit=systemd/occlumesh.service
binary=${1:-/usr/local/bin/occlumeshd}
if [[ ! -x $binary ]]; then
    echo "verify-unit: $binary is not an executable; checking the unit with /bin/true in ExecStart" >&2
    binary=/bin/true
fi
binary=$(realpath "$binary")
command -v systemd-analyze >/dev/null || { echo "verify-unit: systemd-analyze not found (apt-get install systemd)" >&2; exit 1; }
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
grep -q '^ExecStart=/usr/local/bin/occlumeshd ' "$unit"
sed "s|^ExecStart=/usr/local/bin/occlumeshd |ExecStart=$binary |" "$unit" > "$scratch/occlumesh.service"
status=0
output=$(systemd-analyze verify "$scratch/occlumesh.service" 2>&1) || status=$?
if [[ $status -ne 0 || -n $output ]]; then
    printf 'verify-unit: systemd-analyze verify failed (exit %s):\n%s\n' "$status" "$output" >&2
    exit 1
fi
echo "verify-unit: systemd-analyze verify printed nothing"
