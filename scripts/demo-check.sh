#!/usr/bin/env bash
# `make demo-check`: proves that `make demo` still produces a playable video of plausible length.
# Records into a temporary folder (docs/demo.mp4 stays as it is), then reads the file back with
# ffprobe and decodes every frame with ffmpeg: one H.264 video stream of 1280x720, 120 to 240 s.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
video="$tmp/demo.mp4"

DEMO_OUT="$video" bash scripts/demo.sh || { echo "demo-check: make demo failed" >&2; exit 1; }

probe() { ffprobe -v error "$@" -of default=noprint_wrappers=1:nokey=1 "$video"; }
stream=$(probe -select_streams v -show_entries stream=codec_name,width,height | paste -sd' ')
duration=$(probe -show_entries format=duration)
size=$(wc -c <"$video")
echo "demo-check: video stream: ${stream:-none}; ${duration:-?} s; $size bytes"
problems=""
[ "$stream" = "h264 1280 720" ] || problems="$problems; expected one H.264 1280x720 video stream"
awk -v d="${duration:-0}" 'BEGIN { exit !(d >= 120 && d <= 240) }' ||
  problems="$problems; expected 120 to 240 seconds"
if ! errors=$(ffmpeg -v error -i "$video" -f null - 2>&1) || [ -n "$errors" ]; then
  problems="$problems; ffmpeg could not decode it: $(printf '%s' "$errors" | head -5)"
fi
if [ -n "$problems" ]; then
  echo "demo-check: ${problems#; }" >&2
  exit 1
fi
echo "demo-check: ok"
