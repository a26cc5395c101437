"""Each label source against AFLW's human annotation on the validation split, per yaw bin.

For the validation crops (`data.split`, never trained on) with annotated points, the mean distance of the eight
annotated points with a Multi-PIE counterpart (`annotations.AFLW_TO_68`) from the matching landmark of each source, in
% of the face size (sqrt(w h) of the 3DDFA keypoints' box, one normaliser for every source):
  - `mediapipe_ict`: the MediaPipe fit (`cache/fit`, teacher only) read at ICT's own Multi-PIE vertices;
  - `mediapipe_calibrated`: the same fit read at the calibrated landmarks (`assets/landmarks68_ict.npz`);
  - `3ddfa`: the 3DDFA_V2 teacher's keypoints (`cache/teacher3ddfa`);
  - `fused`: the training labels of `orn.fit --fused` (shape from MediaPipe, pose from 3DDFA) read at the calibrated
    landmarks.
MediaPipe sources cover only the crops it found (counts are printed); the others cover all.

    python -m orn.label_sources
"""
import json

import numpy as np

from . import annotations, data, facemodel, fit, paths, teacher3ddfa

BINS = ((0, 30), (30, 60), (60, 1000))


def landmarks_of(fitted: dict, points: facemodel.FaceModel) -> np.ndarray:
    shape = points.neutral + np.einsum("nk,kvc->nvc", fitted["alpha"], points.identity) \
        + np.einsum("ne,evc->nvc", fitted["beta"], points.expression)
    return fit.project(shape, fitted["R"], fitted["s"], fitted["t"], paths.CROP)


def main(argv=None) -> int:
    fused = dict(np.load(paths.CACHE / "fused" / "aflw.npz"))
    _, val = data.split([f"aflw/{n}" for n in fused["names"]])
    names = fused["names"][val]
    annotated = annotations.load_for(names)
    keypoints = teacher3ddfa.load("aflw", names)[..., :2]
    size = annotations.face_size(keypoints)
    labels = np.load(paths.AFLW_TRAIN / "labels.npz")
    row = {n: i for i, n in enumerate(labels["names"])}
    yaw = annotations.absolute_yaw(labels["yaw_degrees"][[row[n] for n in names]])
    model = facemodel.load(40)
    teacher_only = dict(np.load(paths.CACHE / "fit" / "aflw.npz"))
    where = {n: i for i, n in enumerate(teacher_only["names"])}
    found = np.array([n in where for n in names])
    mp = {k: v[[where[n] for n in names[found]]] for k, v in teacher_only.items() if k not in ("K", "annotation_weight")}
    fused_val = {k: v[val] for k, v in fused.items() if isinstance(v, np.ndarray) and v.ndim and len(v) == len(fused["names"])}
    sources = {
        "mediapipe_ict": (found, landmarks_of(mp, model.subset(model.landmarks68))),
        "mediapipe_calibrated": (found, landmarks_of(mp, model.landmark_model())),
        "3ddfa": (np.ones(len(names), bool), keypoints),
        "fused": (np.ones(len(names), bool), landmarks_of(fused_val, model.landmark_model())),
    }
    report = {}
    for name, (mask, lm68) in sources.items():
        error = np.full(len(names), np.nan)
        with np.errstate(invalid="ignore"):
            error[mask] = np.nanmean(annotations.distances(annotated[mask], lm68, size[mask]), 1) * 100
        bins = {}
        for lo, hi in BINS:
            m = (yaw > lo if lo else yaw >= 0) & (yaw <= hi) & np.isfinite(error)
            bins[f"{lo}-{min(hi, 90)}"] = round(float(error[m].mean()), 2) if m.any() else None
        bins["crops"] = int(np.isfinite(error).sum())
        report[name] = bins
        print(name, json.dumps(bins), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
