#!/usr/bin/env bash
# Runs every test suite of the project: the Swift package's tests, then the training package's.
# Expects tools/setup.sh to have run once.
set -euo pipefail
cd "$(dirname "$0")/.."
swift build --build-tests
swift test --skip-build
training/.venv/bin/python -m pytest training/tests -q
