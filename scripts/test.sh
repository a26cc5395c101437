#!/usr/bin/env bash
# Runs every test suite of the project: the Swift package's tests, the systemd unit checks (verify,
# and the service under a real systemd in a private namespace), then the training package's tests.
# Expects scripts/setup.sh to have run once.
set -euo pipefail
cd "$(dirname "$0")/.."
swift build --build-tests
swift test --skip-build
# libFuzzer targets (protocol decoder, client state machine, config reader, detector and regressor sidecars, face-model
# file, ONNX importer and planner, video files through FFmpeg): replay the committed corpora, then 10,000 executions
# each (about 3.5 min in all).
tools/fuzz.sh --runs 10000
scripts/verify-unit.sh
# The unit under a real systemd: with the lifecycle probe (synthetic frames), then with the real daemon
# (which needs the trained model, the face model file and ../shared/data; skipped without them).
for binary in .build/debug/occlumesh-systemd-probe .build/debug/occlumeshd; do
    status=0
    scripts/systemd-integration.sh "$binary" || status=$?
    if [ "$status" -eq 77 ]; then
        echo "systemd integration test with $binary skipped (see the SKIP line above)"
    elif [ "$status" -ne 0 ]; then
        exit "$status"
    fi
done
training/.venv/bin/python -m pytest training/tests -q
