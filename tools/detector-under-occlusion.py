#!/usr/bin/env python3
"""How often occlumesh's face detector would let a partly covered face begin a track.

A new track needs a detection scoring at least `tracking.min_new_face_score` (0.7) on two frames; weaker detections
only continue tracks. A face that is already covered when it first appears depends on that score. This measures it on
the AFLW2000-3D photographs (evaluation only, never for training or tuning): each image clean and with the training
occlusion generator at the evaluation's moderate (20-35 % of the face) and heavy (40-60 %) levels, all eight occluder
families, fixed seeds; the occluded images go to a temporary folder and `occlumesh detect --json` runs on it. Per
level it prints how many faces are found at all (a detection whose box overlaps the 68 ground-truth landmarks' box
with IoU >= 0.5, at any score >= 0.3) and how many of those score >= 0.5, 0.6 and 0.7.

    training/.venv/bin/python tools/detector-under-occlusion.py [--binary .build/release/occlumesh] [--stride 1]
"""
import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
from PIL import Image

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "training"))

from orn import occlusion, paths  # noqa: E402

LEVELS = {"clean": None, "moderate": (0.2, 0.35), "heavy": (0.4, 0.6)}
THRESHOLDS = (0.5, 0.6, 0.7)


def iou(a, b) -> float:
    w = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    h = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - w * h
    return w * h / union if union > 0 else 0.0


def best_matching_score(faces, box) -> float:
    """The highest score among detections overlapping `box` with IoU >= 0.5; 0 when none does."""
    return max([f["score"] for f in faces if iou(f["box"], box) >= 0.5], default=0.0)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--binary", default=str(ROOT / ".build" / "release" / "occlumesh"))
    ap.add_argument("--stride", type=int, default=1, help="every N-th image")
    ap.add_argument("--models", default=str(ROOT / "models"),
                    help="folder holding the models to measure (default: the repository's models/)")
    args = ap.parse_args()
    labels = np.load(paths.AFLW2000 / "labels.npz")
    index = np.arange(0, len(labels["names"]), args.stride)
    points = labels["pts68"][:, :2].transpose(0, 2, 1).astype(np.float64)
    boxes = {str(labels["names"][i]): [*points[i].min(0), *points[i].max(0)] for i in index}
    for level, coverage in LEVELS.items():
        with tempfile.TemporaryDirectory() as folder:
            uncovered = 0
            for i in index:
                name = str(labels["names"][i])
                image = np.asarray(Image.open(paths.AFLW2000 / "images" / name).convert("RGB"))
                if coverage:
                    image, fitted = occlusion.occlude_seeded(image, points[i], 30_000 + int(i), coverage)
                    uncovered += not fitted
                Image.fromarray(image).save(Path(folder) / name.replace(".jpg", ".png"))
            output = subprocess.run([args.binary, "detect", folder, "--json", "--min-score", "0.3",
                                     "--models", args.models], check=True, capture_output=True, text=True).stdout
        scores = []
        for line in output.splitlines():
            result = json.loads(line)
            scores.append(best_matching_score(result["faces"], boxes[result["source"].replace(".png", ".jpg")]))
        scores = np.array(scores)
        found = scores >= 0.3
        print(f"{level}: {len(scores)} images ({uncovered} left clean, no occluder fitted); found {found.sum()} "
              f"({found.mean() * 100:.1f} %); of those scoring >= "
              + ", ".join(f"{t}: {(scores >= t).sum()} ({(scores >= t).sum() / max(found.sum(), 1) * 100:.1f} %)"
                          for t in THRESHOLDS), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
