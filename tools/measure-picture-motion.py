#!/usr/bin/env python3
"""How rough the face's own motion in the picture is: the floor under any live filter's jitter at low lag.

    training/.venv/bin/python tools/measure-picture-motion.py [--binary .build/release/occlumesh] [CLIP ...]

The causal smoothing of live sources (docs/face-tracking.md, "Lag and jitter") carries the last pose by the motion
measured in the picture and pulls it a share c of the way to each frame's regressed face. Whether a lag under half a
frame is possible at the One Euro filters' jitter depends on how smooth that picture motion is. For each clip
(default: the three in ../shared/data/videos) this runs `occlumesh run CLIP --no-smoothing` once, then replays, in
landmark space, a carried-and-pulled filter whose motion comes from pyramidal Lucas-Kanade (OpenCV) between
consecutive frames, fitted as a similarity (least median of squares) on one of two point sets:

- box: an 8 x 8 grid over the square 1.2 x the last output's landmark box (what the daemon's FaceMotionEstimator sees:
  the whole box, background and jaw included);
- rigid: the last output's brow, nose and eye landmarks (points 17-47), which a talking mouth does not move.

The motion is the mean of the last n similarities; then p(t) = carried + c (regressed - carried). Jitter, lag and
error are tools/measure-lag.py's, on the same landmarks. With n = 1 and a small c the output follows the picture step
by step, so its jitter is the picture's own roughness: no causal filter that follows the picture within half a frame
can be much steadier than that. Also prints the jitter of the zero-phase low-pass (sigma 1 and 2 frames) of the
unsmoothed landmarks, the smoothness lag is measured against. Needs numpy, OpenCV (training/.venv) and ffmpeg.
"""
import argparse
import importlib.util
import sys
import tempfile
from pathlib import Path

import cv2
import numpy as np

ROOT = Path(__file__).resolve().parent.parent
_spec = importlib.util.spec_from_file_location("measure_lag", ROOT / "tools/measure-lag.py")
measure_lag = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(measure_lag)

RIGID_POINTS = list(range(17, 48))  # brows 17-26, nose 27-35, eyes 36-47
LUCAS_KANADE = dict(winSize=(21, 21), maxLevel=3,
                    criteria=(cv2.TERM_CRITERIA_EPS | cv2.TERM_CRITERIA_COUNT, 30, 0.01))
SETTINGS = [("box", 0.15, 3), ("box", 0.15, 1), ("rigid", 0.15, 3), ("rigid", 0.15, 2), ("rigid", 0.15, 1)]


def tracked_points(points, last_output):
    if points == "rigid":
        return last_output[RIGID_POINTS]
    low, high = last_output.min(0), last_output.max(0)
    half = 0.6 * (high - low).max()
    steps = np.linspace(-half, half, 8)
    return np.stack(np.meshgrid(steps, steps), -1).reshape(-1, 2) + (low + high) / 2


def replay(regressed, grey, points, correction, averaged_steps):
    """The carried-and-pulled filter on the regressed landmarks, frame by frame (causal)."""
    output, last, similarities = {}, None, []
    for frame in sorted(regressed):
        current = regressed[frame]
        if last is None or frame - 1 not in regressed or frame >= len(grey):
            last, similarities = current.copy(), []
            output[frame] = last
            continue
        before = tracked_points(points, last).astype(np.float32)
        after, status, _ = cv2.calcOpticalFlowPyrLK(grey[frame - 1], grey[frame], before.reshape(-1, 1, 2), None,
                                                    **LUCAS_KANADE)
        found = status.reshape(-1).astype(bool)
        similarity = None
        if found.sum() >= 3:
            similarity, _ = cv2.estimateAffinePartial2D(before[found], after.reshape(-1, 2)[found], method=cv2.LMEDS)
        carried = last
        if similarity is not None:
            similarities = (similarities + [similarity])[-averaged_steps:]
            mean = np.mean(similarities, axis=0)
            carried = last @ mean[:, :2].T + mean[:, 2]
        last = carried + correction * (current - carried)
        output[frame] = last
    return output


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("clips", nargs="*", type=Path)
    parser.add_argument("--binary", default=str(ROOT / ".build/release/occlumesh"))
    args = parser.parse_args()
    clips = args.clips or sorted((ROOT.parent / "shared/data/videos").glob("*.mp4"))
    for clip in clips:
        with tempfile.TemporaryDirectory() as folder:
            regressed, _ = measure_lag.run(args.binary, clip, Path(folder) / "raw.jsonl", ["--no-smoothing"])
        grey = measure_lag.grey_frames(clip)
        frames = sorted(regressed)
        stacked = np.stack([regressed[frame] for frame in frames])
        size = measure_lag.face_size(stacked)
        low_pass = [measure_lag.jitter(measure_lag.gaussian_lowpass(stacked, sigma), size) for sigma in (1.0, 2.0)]
        print(f"{clip.name}: unsmoothed jitter {measure_lag.jitter(stacked, size):.3f} %, zero-phase low-pass sigma 1 / "
              f"2 frames {low_pass[0]:.3f} / {low_pass[1]:.3f} %", flush=True)
        for points, correction, averaged_steps in SETTINGS:
            result = measure_lag.measure(replay(regressed, grey, points, correction, averaged_steps), regressed)
            print(f"  {points} points, correction {correction}, {averaged_steps} averaged steps: jitter "
                  f"{result['jitter']:.3f} %, lag {result['lag']:.2f} frames, error {result['error']:.2f} %",
                  flush=True)


if __name__ == "__main__":
    sys.exit(main())
