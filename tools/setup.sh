#!/usr/bin/env bash
# Installs what building and testing occlumesh needs on Debian 12: the FFmpeg and libv4l2
# development packages and the ffmpeg/ffprobe tools the tests compare against.
# Idempotent: installs only what is missing. Swift 6 itself must already be on PATH.
set -euo pipefail

packages=(pkg-config ffmpeg libavformat-dev libavcodec-dev libswscale-dev libavutil-dev libv4l-dev)
missing=()
for package in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
if [ ${#missing[@]} -gt 0 ]; then
    sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
command -v swift >/dev/null || { echo "setup: swift 6 is not on PATH (install it from swift.org)" >&2; exit 1; }
