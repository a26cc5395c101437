#!/usr/bin/env bash
# Capture → publish latency on a live source: d6.mp4 re-encoded in real time (`ffmpeg -re`, 30 fps, MPEG-TS)
# into a FIFO that occlumeshd reads as a live stream, one subscriber; prints the daemon's whole-run line
# (latency p50 / p99 over every published frame, frames dropped because a stage was behind).
#
# Usage: Benchmarks/latency.sh [FRAMES]     FRAMES default 600 (20 s)
# Needs: swift build -c release (occlumeshd, occlumesh), models/orn.onnx + orn.json, models/ict-face-model.ocfm.
set -euo pipefail
cd "$(dirname "$0")/.."
source Benchmarks/daemon-config.sh
frames=${1:-600}
clip=$(realpath ../shared/data/videos/d6.mp4)
for file in .build/release/occlumeshd .build/release/occlumesh models/orn.onnx models/ict-face-model.ocfm \
            models/face_detection_short_range.json "$clip"; do
    [[ -e $file ]] || { echo "latency: $file is missing (swift build -c release; scripts/setup.sh)" >&2; exit 1; }
done
scratch=$(mktemp -d)
mkfifo "$scratch/camera.ts"
# On exit: stop what still runs; opening the FIFO read-write releases an ffmpeg still blocked opening it.
trap 'kill $(jobs -p) 2>/dev/null || true; exec 3<>"$scratch/camera.ts"; wait; rm -rf "$scratch"' EXIT
write_daemon_config "$scratch/camera.ts" "$scratch"
# The feed: the clip looped to FRAMES frames at its own 30 fps pace, low-latency H.264 in MPEG-TS.
ffmpeg -nostdin -v error -re -stream_loop -1 -i "$clip" -frames:v "$frames" -an -c:v libx264 -preset veryfast -tune zerolatency \
    -g 30 -f mpegts -y "$scratch/camera.ts" &
feed=$!
.build/release/occlumeshd --config "$scratch/occlumesh.toml" 2> "$scratch/daemon.log" &
daemon=$!
for _ in $(seq 400); do
    [[ -S $scratch/mesh.sock ]] && break
    kill -0 "$feed" 2>/dev/null && kill -0 "$daemon" 2>/dev/null || break
    sleep 0.05
done
[[ -S $scratch/mesh.sock ]] || { echo "latency: the daemon never listened; its log:" >&2; cat "$scratch/daemon.log" >&2; exit 1; }
.build/release/occlumesh subscribe --socket "$scratch/mesh.sock" > /dev/null 2> "$scratch/subscriber.log" \
    || { echo "latency: the subscriber failed:" >&2; cat "$scratch/subscriber.log" >&2; exit 1; }
wait "$daemon" || true
grep "whole run" "$scratch/daemon.log" || { cat "$scratch/daemon.log" >&2; exit 1; }
