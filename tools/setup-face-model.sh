#!/usr/bin/env bash
# Makes the runtime face-model file (docs/face-model-format.md) that FaceModel loads. Nothing of the model
# is committed; this builds it:
#   1. from ../shared/data/face-model/ict-face-light.npz when that file is present (the usual case here);
#   2. otherwise by cloning ICT-FaceKit (MIT, github.com/ICT-VGL/ICT-FaceKit) and converting its
#      FaceXModel/ OBJ folder. The OBJs carry no 68-landmark indices, so this path needs them from
#      --landmarks FILE (json or npz with landmarks68, jaw_right_substitutes, jaw_left_substitutes).
#      Path 2 is implemented but untested: GitHub is unreachable from the machine it was written on.
# The file also carries the calibrated 68-landmark definition, by default training/assets/landmarks68_ict.npz
# (--landmark-definition NPZ picks another, --no-landmark-definition writes none).
# Needs python3 with numpy (and git for path 2).
#
# Usage: tools/setup-face-model.sh [--identity-count K] [--output FILE] [--landmarks FILE] [--source NPZ|DIR]
#                                  [--landmark-definition NPZ | --no-landmark-definition]
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
output="$root/models/ict-face-model.ocfm"
identity_count=40
landmarks=""
source=""
definition=(--landmark-definition "$root/training/assets/landmarks68_ict.npz")
while [ $# -gt 0 ]; do
    case "$1" in
        --identity-count) identity_count="$2"; shift 2 ;;
        --output) output="$2"; shift 2 ;;
        --landmarks) landmarks="$2"; shift 2 ;;
        --source) source="$2"; shift 2 ;;
        --landmark-definition) definition=(--landmark-definition "$2"); shift 2 ;;
        --no-landmark-definition) definition=(--no-landmark-definition); shift ;;
        -h|--help) sed -n '2,17p' "$0"; exit 0 ;;
        *) echo "setup-face-model: unknown argument $1" >&2; exit 2 ;;
    esac
done
shared_npz="$root/../shared/data/face-model/ict-face-light.npz"
extra=()
if [ -z "$source" ] && [ -f "$shared_npz" ]; then
    source="$shared_npz"
elif [ -z "$source" ]; then
    cache="${XDG_CACHE_HOME:-$HOME/.cache}/occlumesh/ICT-FaceKit"
    if [ ! -d "$cache/FaceXModel" ]; then
        echo "setup-face-model: $shared_npz absent; cloning ICT-FaceKit into $cache" >&2
        mkdir -p "$(dirname "$cache")"
        git clone --depth 1 https://github.com/ICT-VGL/ICT-FaceKit.git "$cache"
    fi
    source="$cache/FaceXModel"
fi
if [ -d "$source" ]; then
    if [ -z "$landmarks" ]; then
        echo "setup-face-model: converting the OBJ folder $source needs --landmarks FILE (see the header of this script)" >&2
        exit 2
    fi
    extra=(--landmarks "$landmarks")
fi
mkdir -p "$(dirname "$output")"
python3 "$root/tools/convert-face-model.py" "$source" --output "$output" --identity-count "$identity_count" \
    "${definition[@]}" "${extra[@]}"
