#!/usr/bin/env python3
"""Records onnxruntime's raw outputs of the converted BlazeFace detectors for a few generated inputs, the
golden files of Tests/FaceTrackingTests (DetectorParityTests), which check that InferenceCore runs the same
networks to the same numbers.

The inputs are made from integer formulas (the Swift test makes them the same way, bit for bit), so only the
outputs are stored: `<sidecar>.<case>.regressors.npy` and `<sidecar>.<case>.classificators.npy`, for the network each
sidecar names (the shipped short-range detector, its MediaPipe original and the full-range one).

Usage (in the detector venv, made by tools/convert-detector.sh):
    .venv/bin/python tools/make-detector-goldens.py [--output Tests/FaceTrackingTests/Fixtures]
"""
import argparse
import json
import os

import numpy as np
import onnxruntime

CASES = {"noise": 1, "rings": 0}  # case name -> seed of the noise pattern (rings ignores it)


def pixels(case: str, size: int) -> np.ndarray:
    """(3, size, size) uint8 pixels of a case; DetectorParityTests.pixels mirrors this exactly."""
    c, y, x = np.meshgrid(np.arange(3, dtype=np.uint64), np.arange(size, dtype=np.uint64),
                          np.arange(size, dtype=np.uint64), indexing="ij")
    mask = np.uint64(0xFFFFFFFF)
    if case == "rings":
        dx, dy = x.astype(np.int64) - size // 2, y.astype(np.int64) - size // 3
        return ((dx * dx + 2 * dy * dy + 40 * c.astype(np.int64)) // 16 % 256).astype(np.uint8)
    seed = np.uint64(CASES[case])
    h = ((x * np.uint64(73856093)) ^ (y * np.uint64(19349663)) ^ (c * np.uint64(83492791))
         ^ (seed * np.uint64(2654435761))) & mask
    h = (h * np.uint64(2246822519)) & mask
    return (h >> np.uint64(24)).astype(np.uint8)


def main():
    root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--output", default=os.path.join(root, "Tests", "FaceTrackingTests", "Fixtures"))
    arguments = parser.parse_args()
    os.makedirs(arguments.output, exist_ok=True)
    for name, cases in [("face_detection_short_range", ["noise", "rings"]), ("face_detection_short_range_mediapipe",
                        ["noise"]), ("face_detection_full_range", ["rings"])]:
        spec = json.load(open(os.path.join(root, "models", name + ".json")))
        session = onnxruntime.InferenceSession(os.path.join(root, "models", spec["model"]),
                                               providers=["CPUExecutionProvider"])
        size = spec["input"]["shape"][2]
        scale = np.float32(spec["input"]["normalization"]["scale"])
        offset = np.float32(spec["input"]["normalization"]["offset"])
        for case in cases:
            tensor = (pixels(case, size).astype(np.float32) * scale + offset)[None]
            regressors, classificators = session.run(["regressors", "classificators"], {"input": tensor})
            for output, values in [("regressors", regressors), ("classificators", classificators)]:
                np.save(os.path.join(arguments.output, f"{name}.{case}.{output}.npy"), values.astype(np.float32))
            print(f"{name} {case}: largest regressor {np.abs(regressors).max():.1f}, "
                  f"largest logit {np.abs(classificators).max():.1f}")


if __name__ == "__main__":
    main()
