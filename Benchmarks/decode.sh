#!/usr/bin/env bash
# Decode benchmark: occlumesh's FFmpegSource (decode + swscale to RGB, via `occlumesh probe`) against
# the reference `ffmpeg -v error -i CLIP -pix_fmt rgb24 -f null -` on the same clips, run alternately.
# Prints frames/s for both and the ratio ours/ffmpeg (≥ 1.0 means no overhead over FFmpeg itself).
# Usage: Benchmarks/decode.sh [runs]   (default 5 runs per tool and clip; the median is reported)
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-5}
work=${TMPDIR:-/tmp}/occlumesh-bench
mkdir -p "$work"

swift build -c release --product occlumesh >/dev/null
ours=.build/release/occlumesh

make_clip() {  # name size frames
    local path="$work/$1.mp4"
    [ -f "$path" ] || ffmpeg -v error -y -f lavfi -i "testsrc2=size=$2:rate=30" -frames:v "$3" \
        -c:v libx264 -preset fast -pix_fmt yuv420p "$path"
    echo "$path"
}

clips=("$(make_clip h264-1080p 1920x1080 300)" "$(make_clip h264-720p 1280x720 300)")
[ -f ../shared/data/videos/s18.mp4 ] && clips+=("../shared/data/videos/s18.mp4")

seconds() { local start end; start=$(date +%s.%N); "$@" >/dev/null; end=$(date +%s.%N); echo "$end - $start" | bc -l; }
median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }

printf '%-28s %8s %12s %12s %8s\n' clip frames ours_fps ffmpeg_fps ratio
for clip in "${clips[@]}"; do
    frames=$(ffprobe -v error -count_frames -select_streams v:0 -show_entries stream=nb_read_frames -of csv=p=0 "$clip")
    ours_times=(); ffmpeg_times=()
    for _ in $(seq "$runs"); do
        ours_times+=("$(seconds "$ours" probe "$clip")")
        ffmpeg_times+=("$(seconds ffmpeg -v error -i "$clip" -pix_fmt rgb24 -f null -)")
    done
    ours_fps=$(echo "$frames / $(median "${ours_times[@]}")" | bc -l)
    ffmpeg_fps=$(echo "$frames / $(median "${ffmpeg_times[@]}")" | bc -l)
    printf '%-28s %8d %12.1f %12.1f %8.2f\n' "$(basename "$clip")" "$frames" "$ours_fps" "$ffmpeg_fps" \
        "$(echo "$ours_fps / $ffmpeg_fps" | bc -l)"
done
