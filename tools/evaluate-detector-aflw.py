#!/usr/bin/env python3
"""Reference measurement of a converted detector on AFLW2000-3D (evaluation only), run with onnxruntime:
the fraction of images where a face is found (best anchor ≥ the sidecar's minimum score) and where that
box overlaps the ground-truth 68-landmark box with IoU ≥ 0.5. Decoding follows the sidecar, as the Swift
DetectionDecoder does; the Swift test on InferenceCore must reach the same figures.

Usage (in the detector venv): evaluate-detector-aflw.py [--model models/face_detection_short_range] [--data DIR]
"""
import argparse
import json
import os

import cv2
import numpy as np
import onnxruntime


def intersection_over_union(a, b):
    low, high = np.maximum(a[:2], b[:2]), np.minimum(a[2:], b[2:])
    overlap = np.prod(np.clip(high - low, 0, None))
    return overlap / (np.prod(a[2:] - a[:2]) + np.prod(b[2:] - b[:2]) - overlap)


def main():
    root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default=os.path.join(root, "models", "face_detection_short_range"))
    parser.add_argument("--data", default=os.path.join(root, "..", "shared", "data", "aflw2000-3d"))
    arguments = parser.parse_args()
    spec = json.load(open(arguments.model + ".json"))
    session = onnxruntime.InferenceSession(arguments.model + ".onnx", providers=["CPUExecutionProvider"])
    labels = np.load(os.path.join(arguments.data, "labels.npz"))
    anchors = np.array(spec["anchors"]["centers"], np.float32)
    size = spec["input"]["shape"][2]
    decoding = spec["decoding"]
    normalization = spec["input"]["normalization"]
    found, overlapping = 0, 0
    for name, points in zip(labels["names"], labels["pts68"]):
        image = cv2.cvtColor(cv2.imread(os.path.join(arguments.data, "images", str(name))), cv2.COLOR_BGR2RGB)
        height, width = image.shape[:2]
        scale = size / max(height, width)
        resized = cv2.resize(image, (round(width * scale), round(height * scale)), interpolation=cv2.INTER_AREA)
        canvas = np.zeros((size, size, 3), np.uint8)
        top, left = (size - resized.shape[0]) // 2, (size - resized.shape[1]) // 2
        canvas[top:top + resized.shape[0], left:left + resized.shape[1]] = resized
        tensor = (canvas.astype(np.float32) * normalization["scale"] + normalization["offset"]).transpose(2, 0, 1)[None]
        regressors, logits = session.run(["regressors", "classificators"], {"input": tensor})
        clip = decoding["score_clipping_thresh"]
        with np.errstate(over="ignore"):  # exp(100) overflows float32 to inf, giving score 0 as intended
            scores = 1 / (1 + np.exp(-np.clip(logits[0, :, 0], -clip, clip)))
        best = int(scores.argmax())
        if scores[best] < decoding["min_score_thresh"]:
            continue
        found += 1
        row = regressors[0, best]
        center = row[:2] / [decoding["x_scale"], decoding["y_scale"]] + anchors[best]
        extent = row[2:4] / [decoding["w_scale"], decoding["h_scale"]]
        box = np.concatenate([center - extent / 2, center + extent / 2]) * size
        box = (box - [left, top, left, top]) / scale
        truth = np.array([points[0].min(), points[1].min(), points[0].max(), points[1].max()])
        overlapping += intersection_over_union(box, truth) >= 0.5
    count = len(labels["names"])
    print(f"{os.path.basename(arguments.model)}: face found in {found}/{count} ({found / count:.1%}); "
          f"box IoU ≥ 0.5 with the landmark box in {overlapping}/{count} ({overlapping / count:.1%})")


if __name__ == "__main__":
    main()
