#!/usr/bin/env bash
# Makes samples/sample.mp4, the clip the README's first command runs on: two seconds of FFmpeg's
# testsrc2 pattern, H.264 4:2:0, 320x240 at 25 fps. Generated, so nothing third-party is bundled.
set -euo pipefail
cd "$(dirname "$0")/.."
ffmpeg -v error -y -f lavfi -i testsrc2=size=320x240:rate=25 -frames:v 50 \
    -c:v libx264 -preset veryslow -crf 30 -pix_fmt yuv420p -movflags +faststart -map_metadata -1 samples/sample.mp4
