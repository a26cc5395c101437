#!/usr/bin/env bash
# Runs every test suite of the project: the Swift package's tests, the systemd unit checks (verify,
# and the service under a real systemd in a private namespace), then the training package's tests.
# Expects tools/setup.sh to have run once.
set -euo pipefail
cd "$(dirname "$0")/.."
swift build --build-tests
swift test --skip-build
scripts/verify-unit.sh
status=0
scripts/systemd-integration.sh .build/debug/occlumesh-systemd-probe || status=$?
if [ "$status" -eq 77 ]; then
    echo "systemd integration test skipped: systemd cannot run as PID 1 in a namespace on this machine"
elif [ "$status" -ne 0 ]; then
    exit "$status"
fi
training/.venv/bin/python -m pytest training/tests -q
