#!/usr/bin/env bash
# Runs every test suite of the project: the Swift packages' tests.
set -euo pipefail
cd "$(dirname "$0")/.."
swift build --build-tests
swift test --skip-build
