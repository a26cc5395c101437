#!/usr/bin/env bash
# Installs occlumesh: daemon binary, the occlumesh command beside it, the systemd units (daemon and bridge), config
# (kept if present) and model files.
#
# Usage: scripts/install.sh --binary PATH [--model-dir DIR] [--destdir DIR]
#   --binary     the built daemon executable (e.g. .build/release/occlumeshd); the occlumesh command built beside it
#                (subscribe, view, bridge) is installed too, with systemd/occlumesh-bridge@.service
#   --model-dir  directory whose files go to /usr/share/occlumesh (the paths in [model] of the config): normally
#                models/, holding orn.onnx + orn.json, ict-face-model.ocfm (tools/setup-face-model.sh) and
#                the detectors' sidecars with the ONNX files they name (face_detection_short_range.json names
#                face_detection_short_range_occlusion.onnx)
#   --destdir    stage into DIR instead of / (packaging, tests); skips creating the user and reloading systemd
set -euo pipefail
cd "$(dirname "$0")/.."
binary="" model_dir="" destdir=""
while [[ $# -gt 0 ]]; do
    case $1 in
        --binary) binary=$2; shift 2 ;;
        --model-dir) model_dir=$2; shift 2 ;;
        --destdir) destdir=${2%/}; shift 2 ;;
        *) echo "install: unknown argument $1" >&2; exit 64 ;;
    esac
done
[[ -x $binary ]] || { echo "install: --binary must name the built daemon executable" >&2; exit 64; }

install -D -m 0755 "$binary" "$destdir/usr/local/bin/occlumeshd"
install -D -m 0644 systemd/occlumesh.service "$destdir/etc/systemd/system/occlumesh.service"
command=$(dirname "$binary")/occlumesh
if [[ -x $command ]]; then
    install -D -m 0755 "$command" "$destdir/usr/local/bin/occlumesh"
    install -D -m 0644 systemd/occlumesh-bridge@.service "$destdir/etc/systemd/system/occlumesh-bridge@.service"
else
    echo "install: no occlumesh beside $binary: the command and the bridge unit are not installed" >&2
fi
if [[ -e $destdir/etc/occlumesh/occlumesh.toml ]]; then
    echo "install: keeping existing $destdir/etc/occlumesh/occlumesh.toml"
else
    install -D -m 0644 config/occlumesh.toml "$destdir/etc/occlumesh/occlumesh.toml"
fi
install -d -m 0755 "$destdir/usr/share/occlumesh"
if [[ -n $model_dir ]]; then
    find "$model_dir" -maxdepth 1 -type f -exec install -m 0644 -t "$destdir/usr/share/occlumesh" {} +
fi
install -D -m 0644 docs/protocol.md "$destdir/usr/share/doc/occlumesh/protocol.md"

if [[ -z $destdir ]]; then
    if ! getent passwd occlumesh >/dev/null; then
        getent group video >/dev/null || groupadd --system video
        useradd --system --user-group --groups video --no-create-home --home-dir /nonexistent \
            --shell /usr/sbin/nologin occlumesh
    fi
    if [[ -d /run/systemd/system ]]; then systemctl daemon-reload; fi
    echo "install: done; start with: systemctl enable --now occlumesh"
else
    echo "install: staged into $destdir"
fi
