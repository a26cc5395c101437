#!/usr/bin/env bash
# One command to rebuild models/face_detection_{short,full}_range.{onnx,json} from PyPI's mediapipe==0.10.21:
# makes .venv (gitignored) with tools/requirements-detector.txt, converts, and checks parity with TFLite.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
venv="${VENV:-$root/.venv}"
if [ ! -x "$venv/bin/python" ]; then
    python3 -m venv "$venv"
fi
"$venv/bin/pip" install --quiet -r "$root/tools/requirements-detector.txt"
exec "$venv/bin/python" "$root/tools/convert-detector.py" --output-dir "$root/models" "$@"
