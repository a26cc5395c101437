#!/usr/bin/env bash
# The README's first command ends here: starts occlumeshd (release build) on the bundled clip
# samples/face.mp4 with the repository's models, subscribes a client that prints one readable line per
# second (frame rate, latency, each face's track, head angles, strongest expressions, visible landmarks),
# and stops the daemon. Run scripts/setup.sh and `swift build -c release` first.
set -euo pipefail
cd "$(dirname "$0")/.."
work=$(mktemp -d)
trap 'kill "$daemon" 2>/dev/null || true; rm -rf "$work"' EXIT
# A missing face-model file, or one of an older format or landmark definition, is converted (again).
python3 tools/face_model_format.py is-current models/ict-face-model.ocfm \
    --landmark-definition training/assets/landmarks68_ict.npz || tools/setup-face-model.sh
sed -e "s|/usr/share/occlumesh|$PWD/models|" config/occlumesh.toml > "$work/occlumesh.toml"
.build/release/occlumeshd --config "$work/occlumesh.toml" --source samples/face.mp4 \
    --socket "$work/mesh.sock" --realtime --wait-for-clients 1 &
daemon=$!
for _ in $(seq 100); do [ -S "$work/mesh.sock" ] && break; sleep 0.1; done
.build/release/occlumesh subscribe --socket "$work/mesh.sock" --count 90
wait "$daemon"
echo "To watch the mesh live: with the daemon running, .build/release/occlumesh view [--socket PATH], then open http://127.0.0.1:8037/"
