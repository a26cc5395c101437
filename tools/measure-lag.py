#!/usr/bin/env python3
"""Jitter and lag of the daemon's smoothed landmarks, measured on its own output.

    python3 tools/measure-lag.py [--binary .build/release/occlumesh] [--config FILE] [CLIP ...]

For each clip (default: the three in ../shared/data/videos) `occlumesh run CLIP --jsonl` runs twice: as the daemon
smooths (with --config's [tracking] and [smoothing.*] tables when given) and with --no-smoothing (every frame as
regressed). On the frames where both report the first track's face:

- jitter: mean over frames of the mean over the 68 landmarks of |p(t+1) - 2 p(t) + p(t-1)| (landmark acceleration)
  divided by the face size sqrt(w h) of the frame's unsmoothed landmark box, in % (the measure training/evaluate.py
  --stability uses); printed for the smoothed and the unsmoothed output;
- lag: the time shift tau (frames) that best aligns the smoothed landmarks s(t) with the unsmoothed ones after a
  zero-phase low-pass (Gaussian, sigma 2 frames, so noise does not pull the fit and no delay is added): tau minimises
  sum_t |s(t) - r(t - tau)|^2 over all landmark coordinates (in face sizes), r interpolated linearly, searched over
  -3..6 frames in 0.01 steps. Positive tau: the smoothed output trails. The unsmoothed output against its own
  low-pass gives ~0.
- error: mean over frames and landmarks of |s(t) - r(t)| (no shift) divided by the frame's face size, in %: how far
  the output sits from the low-passed face on the same frame. A filter can buy low jitter and lag with a drift away
  from the face (a carried pose corrected too slowly), which neither of the two numbers above shows.

Also prints each clip's share of repeated frames: frames whose grey levels differ from the previous frame's by under
0.3 on average (a video converted to a higher frame rate repeats frames, so its motion comes in uneven steps, which
the jitter measure counts as the face's own jitter). Needs numpy and the ffmpeg command. Prints one line per clip and
the mean.
"""
import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent


def run(binary, clip, out, extra):
    subprocess.run([binary, "run", str(clip), "--jsonl", str(out), "--models", str(ROOT / "models")] + extra,
                   check=True, stderr=subprocess.DEVNULL)
    frames = {}
    first_track = None
    for line in out.read_text().splitlines():
        record = json.loads(line)
        faces = record["faces"]
        if not faces:
            continue
        if first_track is None:
            first_track = faces[0]["track"]
        for face in faces:
            if face["track"] == first_track:
                frames[record["frame"]] = np.array(face["landmarks68"], dtype=np.float64)
    return frames, first_track


def grey_frames(clip):
    """The clip's frames as grey levels, (frames, height, width) uint8, decoded by ffmpeg."""
    size = subprocess.run(["ffprobe", "-v", "error", "-select_streams", "v:0", "-show_entries", "stream=width,height",
                           "-of", "csv=p=0", str(clip)], check=True, capture_output=True, text=True).stdout.split(",")
    width, height = int(size[0]), int(size[1])
    data = subprocess.run(["ffmpeg", "-v", "error", "-i", str(clip), "-f", "rawvideo", "-pix_fmt", "gray", "-"],
                          check=True, capture_output=True).stdout
    return np.frombuffer(data, np.uint8).reshape(-1, height, width)


def repeated_frames(clip):
    """Share of the clip's frames (after the first) whose mean absolute grey-level difference from the previous
    frame is under 0.3."""
    frames = grey_frames(clip).astype(np.int16)
    differences = np.array([np.abs(frames[i] - frames[i - 1]).mean() for i in range(1, len(frames))])
    return float((differences < 0.3).mean()) if len(differences) else 0.0


def gaussian_lowpass(x, sigma=2.0):
    """Zero-phase Gaussian low-pass along axis 0 (edges padded by reflection)."""
    radius = int(4 * sigma)
    t = np.arange(-radius, radius + 1)
    kernel = np.exp(-0.5 * (t / sigma) ** 2)
    kernel /= kernel.sum()
    padded = np.concatenate([x[radius:0:-1], x, x[-2:-radius - 2:-1]])
    out = np.empty_like(x)
    flat = padded.reshape(len(padded), -1)
    result = np.stack([np.convolve(flat[:, k], kernel, mode="valid") for k in range(flat.shape[1])], axis=1)
    return result.reshape(x.shape)


def shifted(r, tau):
    """r(t - tau) by linear interpolation, for t in range(len(r)) (edges clamped)."""
    t = np.arange(len(r)) - tau
    lo = np.clip(np.floor(t).astype(int), 0, len(r) - 1)
    hi = np.clip(lo + 1, 0, len(r) - 1)
    w = np.clip(t - np.floor(t), 0, 1)[:, None]
    return r[lo] * (1 - w) + r[hi] * w


def face_size(landmarks):
    """Per frame, sqrt(w h) of the landmarks' box, (frames, 68, 2) -> (frames,)."""
    return np.sqrt(np.ptp(landmarks[:, :, 0], axis=1) * np.ptp(landmarks[:, :, 1], axis=1))


def jitter(landmarks, size):
    """Mean over frames of the mean over landmarks of |p(t+1) - 2 p(t) + p(t-1)|, divided by the frame's face size
    `size`, in %."""
    acceleration = np.linalg.norm(landmarks[2:] - 2 * landmarks[1:-1] + landmarks[:-2], axis=-1).mean(1) / size[1:-1]
    return float(acceleration.mean() * 100)


def measure(smoothed, raw):
    frames = sorted(set(smoothed) & set(raw))
    # The longest run of consecutive frames.
    runs, start = [], 0
    for i in range(1, len(frames) + 1):
        if i == len(frames) or frames[i] != frames[i - 1] + 1:
            runs.append(frames[start:i])
            start = i
    frames = max(runs, key=len)
    s = np.stack([smoothed[f] for f in frames])
    r = np.stack([raw[f] for f in frames])
    size = face_size(r)
    scale = np.median(size)
    s_n, ref = s.reshape(len(s), -1) / scale, gaussian_lowpass(r).reshape(len(r), -1) / scale
    r_n = r.reshape(len(r), -1) / scale
    margin = 8
    taus = np.arange(-3, 6.001, 0.01)

    def best(x):
        errors = [np.mean((x[margin:-margin] - shifted(ref, tau)[margin:-margin]) ** 2) for tau in taus]
        return float(taus[int(np.argmin(errors))])

    low = gaussian_lowpass(r)
    error = float((np.linalg.norm(s - low, axis=-1).mean(1) / size).mean() * 100)
    return {"frames": len(frames), "jitter": jitter(s, size), "jitter_raw": jitter(r, size), "lag": best(s_n), "lag_raw": best(r_n),
            "error": error}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("clips", nargs="*", type=Path)
    default = ROOT / ".build/release/occlumesh"
    parser.add_argument("--binary", default=str(default if default.exists() else ROOT / ".build/debug/occlumesh"))
    parser.add_argument("--config")
    args = parser.parse_args()
    clips = args.clips or sorted((ROOT.parent / "shared/data/videos").glob("*.mp4"))
    extra = ["--config", args.config] if args.config else []
    results = []
    with tempfile.TemporaryDirectory() as folder:
        for clip in clips:
            smoothed, _ = run(args.binary, clip, Path(folder) / "smoothed.jsonl", extra)
            raw, _ = run(args.binary, clip, Path(folder) / "raw.jsonl", extra + ["--no-smoothing"])
            result = measure(smoothed, raw)
            results.append(result)
            print(f"{clip.name}: {result['frames']} frames, jitter {result['jitter']:.3f} % (unsmoothed "
                  f"{result['jitter_raw']:.3f} %), lag {result['lag']:.2f} frames (unsmoothed {result['lag_raw']:.2f}), "
                  f"error {result['error']:.2f} %, repeated frames {100 * repeated_frames(clip):.0f} %", flush=True)
    print(f"mean: jitter {np.mean([r['jitter'] for r in results]):.3f} %, lag {np.mean([r['lag'] for r in results]):.2f} frames, "
          f"error {np.mean([r['error'] for r in results]):.2f} %; worst lag {max(r['lag'] for r in results):.2f}")


if __name__ == "__main__":
    sys.exit(main())
