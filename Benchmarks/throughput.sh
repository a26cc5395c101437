#!/usr/bin/env bash
# End-to-end throughput: occlumeshd (decode → detect/track → regress → smooth → mesh → publish to one
# subscriber) beside MediaPipe FaceMesh (tracking mode, decode included) on the same clip, as a ratio.
#
# Usage: Benchmarks/throughput.sh [CLIP] [RUNS]
#   CLIP  default ../shared/data/videos/s18.mp4 (1280×720, 282 frames)
#   RUNS  runs of each side (default 3); the best of each is compared, as the machine is shared
# Needs: swift build -c release (occlumeshd and occlumesh), models/orn.onnx + orn.json,
# models/ict-face-model.ocfm, and MediaPipe 0.10.21: training/.venv has it after `training/setup.sh --teacher`;
# otherwise .venv is made here from tools/requirements-detector.txt (VENV= points elsewhere).
set -euo pipefail
cd "$(dirname "$0")/.."
source Benchmarks/daemon-config.sh
clip=$(realpath "${1:-../shared/data/videos/s18.mp4}")
runs=${2:-3}
default_venv=$PWD/.venv
if [[ -x training/.venv/bin/python ]] && training/.venv/bin/python -c "import mediapipe" 2> /dev/null; then
    default_venv=$PWD/training/.venv
fi
venv="${VENV:-$default_venv}"
for file in .build/release/occlumeshd .build/release/occlumesh models/orn.onnx models/orn.json models/ict-face-model.ocfm; do
    [[ -e $file ]] || { echo "throughput: $file is missing (swift build -c release; tools/setup-face-model.sh)" >&2; exit 1; }
done
if [[ ! -x $venv/bin/python ]]; then
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet -r tools/requirements-detector.txt
fi
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
write_daemon_config "$clip" "$scratch"

best_ours=0
for _ in $(seq "$runs"); do
    .build/release/occlumeshd --config "$scratch/occlumesh.toml" --wait-for-clients 1 2> "$scratch/daemon.log" &
    daemon=$!
    for _ in $(seq 200); do [[ -S $scratch/mesh.sock ]] && break; sleep 0.05; done
    .build/release/occlumesh subscribe --socket "$scratch/mesh.sock" > /dev/null 2>&1 || true
    wait "$daemon"
    line=$(grep "whole run" "$scratch/daemon.log")
    fps=$(sed -E 's/.* ([0-9.]+) fps;.*/\1/' <<<"$line")
    echo "occlumeshd: $line"
    best_ours=$(python3 -c "print(max($best_ours, $fps))")
done
best_theirs=0
for _ in $(seq "$runs"); do
    line=$("$venv/bin/python" Benchmarks/mediapipe_facemesh.py "$clip" 2>/dev/null | tail -1)
    echo "mediapipe:  $line"
    fps=$(python3 -c "import json,sys; print(json.loads(sys.argv[1])['fps'])" "$line")
    best_theirs=$(python3 -c "print(max($best_theirs, $fps))")
done
python3 -c "print(f'throughput on $(basename "$clip"): occlumeshd {$best_ours:.1f} fps, MediaPipe FaceMesh {$best_theirs:.1f} fps, ratio {$best_ours / $best_theirs:.2f}x')"
