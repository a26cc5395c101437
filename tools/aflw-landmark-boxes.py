#!/usr/bin/env python3
"""Prints the AFLW2000-3D ground truth the detector tests need as JSON (python3 + numpy only; the labels are a
compressed npz): one object per image, {"name": "image00002.jpg", "box": [x0, y0, x1, y1]}, the box spanning the
68 ground-truth landmarks (x, y of `pts68`), in image pixels. Evaluation only: never train on AFLW2000-3D.

Usage: aflw-landmark-boxes.py [LABELS_NPZ]   (default ../shared/data/aflw2000-3d/labels.npz beside the clone)
"""
import json
import os
import sys

import numpy as np


def main():
    root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
    path = sys.argv[1] if len(sys.argv) > 1 else os.path.join(root, "..", "shared", "data", "aflw2000-3d", "labels.npz")
    labels = np.load(path)
    points = labels["pts68"][:, :2, :]
    boxes = np.concatenate([points.min(axis=2), points.max(axis=2)], axis=1)
    json.dump([{"name": str(name), "box": [round(float(v), 3) for v in box]} for name, box in zip(labels["names"], boxes)],
              sys.stdout)


if __name__ == "__main__":
    main()
