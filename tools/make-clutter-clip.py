#!/usr/bin/env python3
"""Writes a face-free video of synthetic clutter, for checking that the daemon starts no false track.

    training/.venv/bin/python tools/make-clutter-clip.py OUT.mp4 [--seconds 120] [--seed 5] [--size 640x360]

Scenes of 2-5 seconds, each a canvas twice the frame's size that the camera pans and zooms across, with noise drawn
anew every frame. A canvas is the negatives' clutter (`orn.negatives.clutter`: shapes, lines, stripes, polygons over a
gradient), half of them with hands drawn where a face would be but with no face (the occlusion generator's hand
families, `orn.negatives.hands`, on the 68-point layout of the ICT mean face), a third of them defocused. Frames go to
the ffmpeg tool as raw RGB (libx264, yuv420p, 30 fps; on one thread, so that a seed gives one file whatever CPUs the
process may use, with the same ffmpeg and numpy). Needs numpy, scipy, Pillow and ../shared/data's face model (the
training environment has them).
"""
import argparse
import subprocess
import sys
from pathlib import Path

import numpy as np
from PIL import Image

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "training"))

from orn import facemodel, negatives  # noqa: E402

FPS = 30


def face_layout() -> np.ndarray:
    """The ICT mean face's 68 landmarks seen from the front, centred, unit face size (image axes: y down)."""
    points = facemodel.load(40).landmark_model().neutral[:, :2] * np.array([1.0, -1.0])
    points -= points.mean(0)
    return points / np.sqrt(np.prod(np.ptp(points, axis=0)))


def canvas(rng, side: int, layout: np.ndarray) -> np.ndarray:
    """One scene's square canvas: clutter, with hands half the time, defocused a third of the time."""
    image = negatives.clutter(rng, side)
    if rng.uniform() < 0.5:
        with_hands = negatives.hands(image, layout, rng, size=(0.2, 0.4), attempts=4)
        if with_hands is not None:
            image = with_hands
    if rng.uniform() < 1 / 3:
        image = negatives.defocus(image, rng)
    return image


def scene_frames(image: np.ndarray, frames: int, width: int, height: int, rng):
    """The frames of one scene: a window of the canvas moving and zooming linearly, plus per-frame noise."""
    side = image.shape[0]
    source = Image.fromarray(image)
    start_zoom, end_zoom = rng.uniform(0.45, 0.9, 2)  # window width as a fraction of the canvas
    start, end = rng.uniform(0, 1, 2), rng.uniform(0, 1, 2)
    noise = rng.uniform(2, 8)
    for index in range(frames):
        t = index / max(1, frames - 1)
        zoom = (1 - t) * start_zoom + t * end_zoom
        window = np.array([zoom * side, zoom * side * height / width])
        corner = ((1 - t) * start + t * end) * (side - window)
        box = (corner[0], corner[1], corner[0] + window[0], corner[1] + window[1])
        frame = np.asarray(source.transform((width, height), Image.EXTENT, box, Image.BILINEAR)).astype(np.float32)
        frame += rng.normal(0, noise, frame.shape)
        yield np.clip(frame, 0, 255).astype(np.uint8)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("output")
    ap.add_argument("--seconds", type=float, default=120.0)
    ap.add_argument("--seed", type=int, default=5)
    ap.add_argument("--size", default="640x360", help="WIDTHxHEIGHT")
    args = ap.parse_args(argv)
    width, height = (int(v) for v in args.size.split("x"))
    if not (16 <= width <= 4096 and 16 <= height <= 4096 and 0 < args.seconds <= 3600):
        ap.error("size must be 16..4096 on each side and seconds in (0, 3600]")
    rng = np.random.default_rng(args.seed)
    layout = face_layout()
    encoder = subprocess.Popen(["ffmpeg", "-v", "error", "-y", "-f", "rawvideo", "-pix_fmt", "rgb24", "-s",
                                f"{width}x{height}", "-r", str(FPS), "-i", "-", "-c:v", "libx264", "-preset", "veryfast",
                                "-threads", "1", "-pix_fmt", "yuv420p", args.output], stdin=subprocess.PIPE)
    remaining = int(round(args.seconds * FPS))
    while remaining > 0:
        frames = min(remaining, int(rng.integers(2 * FPS, 5 * FPS + 1)))
        for frame in scene_frames(canvas(rng, 2 * width, layout), frames, width, height, rng):
            encoder.stdin.write(frame.tobytes())
        remaining -= frames
    encoder.stdin.close()
    return encoder.wait()


if __name__ == "__main__":
    raise SystemExit(main())
