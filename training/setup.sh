#!/usr/bin/env bash
# Installs the training environment on a fresh Debian 12, idempotently.
#   training/setup.sh            CI/test environment: Debian's CPU PyTorch + numpy/scipy/Pillow/pytest (apt),
#                                a venv training/.venv that sees them (--system-site-packages), onnx + onnxruntime (pip).
#   training/setup.sh --teacher  also mediapipe==0.10.21 (teacher labelling and the teacher's evaluation only).
# Why apt's torch: PyPI's torch wheel pulls several GB of CUDA libraries; Debian's python3-torch (1.13, CPU) is
# ~100 MB and enough for 2-core CPU training and ONNX export (opset <= 17). On a CUDA machine, install PyPI's torch
# into the venv instead; the code picks CUDA when present and never needs it.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
teacher=0
[[ "${1:-}" == "--teacher" ]] && teacher=1

sudo_() { if [[ $(id -u) -eq 0 ]]; then "$@"; else sudo "$@"; fi; }

apt_pkgs=(python3 python3-venv python3-pip python3-torch python3-numpy python3-scipy python3-pil python3-pytest)
missing=()
for p in "${apt_pkgs[@]}"; do dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p"); done
if (( ${#missing[@]} )); then
  sudo_ apt-get update -q
  sudo_ env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

venv="$here/.venv"
if [[ ! -x "$venv/bin/python" ]]; then
  /usr/bin/python3 -m venv --system-site-packages "$venv"
fi
"$venv/bin/python" -m pip install -q --disable-pip-version-check -r "$here/requirements.txt"
if (( teacher )); then
  "$venv/bin/python" -m pip install -q --disable-pip-version-check -r "$here/requirements-teacher.txt"
fi
"$venv/bin/python" -c "import torch, numpy, scipy, onnx, onnxruntime; print('training env ok: torch', torch.__version__, 'numpy', numpy.__version__, 'onnxruntime', onnxruntime.__version__)"
