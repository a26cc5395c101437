#!/usr/bin/env bash
# Checks systemd/occlumesh.service and systemd/occlumesh-bridge@.service (as the instance occlumesh-bridge@check) with
# `systemd-analyze verify`, which must print nothing.
#
# Usage: scripts/verify-unit.sh [BINARY]
#   BINARY: the built daemon (default: the installed /usr/local/bin/occlumeshd if present, else /bin/true).
# verify insists that ExecStart's program exists, so the units are checked as copies whose ExecStart points at
# BINARY (the daemon) and at the occlumesh beside it (the bridge, /bin/true without one); every other line is checked
# exactly as shipped.
set -euo pipefail
cd "$(dirname "$0")/.."
unit=systemd/occlumesh.service
bridge_unit=systemd/occlumesh-bridge@.service
binary=${1:-/usr/local/bin/occlumeshd}
if [[ ! -x $binary ]]; then
    echo "verify-unit: $binary is not an executable; checking the unit with /bin/true in ExecStart" >&2
    binary=/bin/true
fi
binary=$(realpath "$binary")
bridge_binary=$(dirname "$binary")/occlumesh
[[ -x $bridge_binary ]] || bridge_binary=/bin/true
command -v systemd-analyze >/dev/null || { echo "verify-unit: systemd-analyze not found (apt-get install systemd)" >&2; exit 1; }
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
grep -q '^ExecStart=/usr/local/bin/occlumeshd ' "$unit"
grep -q '^ExecStart=/usr/local/bin/occlumesh bridge ' "$bridge_unit"
sed "s|^ExecStart=/usr/local/bin/occlumeshd |ExecStart=$binary |" "$unit" > "$scratch/occlumesh.service"
sed "s|^ExecStart=/usr/local/bin/occlumesh bridge |ExecStart=$bridge_binary bridge |" "$bridge_unit" > "$scratch/occlumesh-bridge@check.service"
status=0
output=$(cd "$scratch" && systemd-analyze verify ./occlumesh.service ./occlumesh-bridge@check.service 2>&1) || status=$?
if [[ $status -ne 0 || -n $output ]]; then
    printf 'verify-unit: systemd-analyze verify failed (exit %s):\n%s\n' "$status" "$output" >&2
    exit 1
fi
echo "verify-unit: systemd-analyze verify printed nothing for occlumesh.service and occlumesh-bridge@.service"
