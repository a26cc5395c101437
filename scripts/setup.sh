#!/usr/bin/env bash
# Installs what building and testing occlumesh needs on Debian 12: the FFmpeg and libv4l2
# development packages, the ffmpeg/ffprobe tools the tests compare against, numpy, the training environment
# (training/setup.sh), python-osc (the OSC receiver the bridge tests send to), three.js (libjs-three, which
# `occlumesh view` serves) and Chromium with websocket-client (the viewer's browser test drives it headless).
# Idempotent: installs only what is missing. Swift 6 itself must already be on PATH.
set -euo pipefail

packages=(pkg-config systemd ffmpeg libavformat-dev libavcodec-dev libswscale-dev libavutil-dev libv4l-dev libjs-three chromium)
missing=()
for package in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
if [ ${#missing[@]} -gt 0 ]; then
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
# The face-model converter and the tests' numpy references need numpy for whichever python3 is first on PATH.
if ! python3 -c 'import numpy' 2>/dev/null; then
    if [ "$(command -v python3)" = /usr/bin/python3 ]; then
        DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends python3-numpy
    else
        python3 -m pip install --quiet numpy
    fi
fi
command -v swift >/dev/null || { echo "setup: swift 6 is not on PATH (install it from swift.org)" >&2; exit 1; }

# The face-model file the daemon, `occlumesh run` and their tests load (gitignored), made from ../shared's ICT
# model when that is present. A file that is missing, of an older format version (the daemon refuses those) or
# carrying another landmark definition than training/assets/landmarks68_ict.npz is converted again.
root="$(cd "$(dirname "$0")/.." && pwd)"
face_model="$root/models/ict-face-model.ocfm"
if [ -f "$root/../shared/data/face-model/ict-face-light.npz" ] && ! python3 "$root/tools/face_model_format.py" \
        is-current "$face_model" --landmark-definition "$root/training/assets/landmarks68_ict.npz"; then
    [ -f "$face_model" ] && echo "setup: $face_model is out of date (format or landmark definition); converting it again"
    "$root/tools/setup-face-model.sh"
fi

# The training package's environment (Debian's CPU PyTorch, onnx, onnxruntime), which its tests use.
"$(dirname "$0")/../training/setup.sh"

# python-osc's server is the real receiver the bridge tests check what `occlumesh bridge` sends against.
# websocket-client speaks the DevTools protocol to headless Chromium in the viewer's browser test.
"$root/training/.venv/bin/python" -m pip install -q --disable-pip-version-check "python-osc==1.10.2" "websocket-client==1.8.0"
