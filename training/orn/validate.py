"""Model selection on the training data's validation split, against human annotation (never AFLW2000-3D).

The validation split (`data.split`, 3 % of names by hash, never trained on) holds 559 labelled AFLW training crops,
including some the teacher misses. Every checkpoint is scored on the same crops by the distance of its predicted
landmarks to AFLW's annotated points with a Multi-PIE counterpart (`annotations.AFLW_TO_68`), normalised by sqrt(w h)
of the crop's labelled 68-landmark box, in % — clean, and under the occlusion generator at the evaluation's moderate
(20-35 %) and heavy (40-60 %) levels with fixed seeds; heavy with the families held out of training only
(`heavy_held_out`); and under the second occlusion test that training never sees (`orn.second_test`: moderate
20-30 %, heavy 40-50 %), with `second_heavy/clean` beside `heavy/clean`. The score does not depend on the label set a
checkpoint was trained on, so checkpoints trained against different labels compare fairly.

    python -m orn.validate runs/student/ckpt.pt runs/student-annotated/ckpt.pt
    python -m orn.validate --by-family CKPT     # the heavy level one occluder family at a time (diagnosis only)

Building the occluded crops takes most of the ten minutes a run costs; they are kept in
cache/validation/crops-<key>.npz, the key hashing the label folder, the validation names, the crops and the occlusion
generators' source, so a changed generator or split builds them anew (`--no-cache` always does).
"""
import argparse
import hashlib
import inspect
import json

import numpy as np
import torch

from . import annotations, data, occlusion, paths, second_test
from .predict import LandmarkPredictor

LEVELS = {"clean": None, "moderate": (0.2, 0.35), "heavy": (0.4, 0.6)}
#: The columns whose mean is the selection rule's score (docs/model-card.md, "the selection rule"): T against the
#: 3DDFA teacher's keypoints, A against the annotated points.
RULE_COLUMNS = ("clean", "heavy", "heavy_held_out", "second_heavy")


def validation_crops(labels_folder: str = "fit-annotated"):
    """(images (N, 128, 128, 3) uint8, label landmarks (N, 68, 2) in input pixels, annotated points (N, 8, 2) in
    input pixels, NaN where missing) for the AFLW crops of the validation split that have labels."""
    if labels_folder == "fused":  # every AFLW crop; the 3DDFA keypoints place the occluders and size the face
        fused = np.load(paths.CACHE / "fused" / "aflw.npz")
        names, lm68 = fused["names"], fused["keypoints"].astype(np.float64)
    else:
        sources = [np.load(paths.CACHE / labels_folder / f"{s}.npz") for s in ("aflw", "aflw_annotation_only")]
        names = np.concatenate([s["names"] for s in sources])
        lm68 = np.concatenate([s["lm68"] for s in sources]).astype(np.float64)
    _, val = data.split([f"aflw/{n}" for n in names])
    scale = data.INPUT / paths.CROP
    images = data.load_images(names[val], paths.AFLW_TRAIN / "crops")
    images = np.stack([data.warp(image, data.IDENTITY_GEOMETRY) for image in images])
    return images, lm68[val] * scale, annotations.load_for(names[val]) * scale


def predict(predictor: LandmarkPredictor, images: np.ndarray) -> np.ndarray:
    """68 landmarks (N, 68, 2) in input pixels from a checkpoint's predictor."""
    return predict_batched(predictor.landmarks, images)


def predict_mirrored(predictor: LandmarkPredictor, images: np.ndarray) -> np.ndarray:
    """`predict` on each crop's mirror image, mirrored back (`LandmarkPredictor.mirrored_landmarks`)."""
    return predict_batched(predictor.mirrored_landmarks, images)


def predict_batched(landmarks, images: np.ndarray) -> np.ndarray:
    """`landmarks` (crops -> landmarks in crop fractions) over `images` in batches of 128, in input pixels."""
    return np.concatenate([landmarks(images[i:i + 128]) for i in range(0, len(images), 128)]) * data.INPUT


def score(prediction: np.ndarray, label68: np.ndarray, points: np.ndarray) -> float:
    """Mean normalised distance (%) of the predicted landmarks to the annotated points."""
    return float(np.nanmean(annotations.distances(points, prediction, annotations.face_size(label68))) * 100)


def occluded(images: np.ndarray, label68: np.ndarray, coverage, families=occlusion.FAMILIES) -> np.ndarray:
    """The crops under the occlusion generator at `coverage`, one fixed seed per crop; a crop no occluder fits stays
    clean."""
    return np.stack([occlusion.occlude_seeded(image, lm, 20_000 + i, coverage, families)[0]
                     for i, (image, lm) in enumerate(zip(images, label68))])


def occluded_second(images: np.ndarray, label68: np.ndarray, coverage) -> np.ndarray:
    """The crops under the second occlusion test (`orn.second_test`) at `coverage`, one fixed seed per crop."""
    return np.stack([second_test.occlude_second(image, lm, 20_000 + i, coverage)[0]
                     for i, (image, lm) in enumerate(zip(images, label68))])


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("checkpoints", nargs="+")
    ap.add_argument("--by-family", action="store_true", help="heavy level per occluder family instead")
    ap.add_argument("--labels", default="fit-annotated",
                    help="label folder naming the validation crops and their face boxes (fused: all AFLW crops)")
    ap.add_argument("--no-cache", action="store_true", help="build the occluded crops anew, ignoring the cache")
    ap.add_argument("--mirror-average", action="store_true",
                    help="also score the mean of each crop's landmarks and its mirror image's, mirrored back")
    ap.add_argument("--symmetric-readout", action="store_true",
                    help="read the landmarks through the calibrated definition made mirror-symmetric")
    ap.add_argument("--landmark-definition", default=None,
                    help="read the landmarks through this definition file (default: the one each checkpoint trained with)")
    args = ap.parse_args(argv)
    torch.set_num_threads(1)
    images, label68, points = validation_crops(args.labels)
    print(f"{len(images)} validation crops, {int(np.isfinite(points).all(-1).sum())} annotated points", flush=True)
    if args.by_family:
        heavy = {family: occluded(images, label68, LEVELS["heavy"], (family,)) for family in occlusion.FAMILIES}
        for ckpt in args.checkpoints:
            predictor = LandmarkPredictor(ckpt)
            result = {family: round(score(predict(predictor, crops), label68, points), 3) for family, crops in heavy.items()}
            print(ckpt, "heavy by family", json.dumps(result), flush=True)
        return 0
    crops = occluded_crops(images, label68, args.labels, use_cache=not args.no_cache)
    for ckpt in args.checkpoints:
        predictor = LandmarkPredictor(ckpt, symmetric_readout=args.symmetric_readout,
                                      landmark_definition=args.landmark_definition)
        predictions = {level: predict(predictor, crops[level]) for level in crops}
        report(ckpt, predictions, label68, points, args.labels)
        if args.mirror_average:
            mirrored = {level: predict_mirrored(predictor, crops[level]) for level in crops}
            report(f"{ckpt} mirror-averaged landmarks", {level: (predictions[level] + mirrored[level]) / 2
                                                         for level in crops}, label68, points, args.labels)
            report(f"{ckpt} mirror-averaged parameters", {level: predict_batched(
                predictor.parameter_averaged_landmarks, crops[level]) for level in crops}, label68, points, args.labels)
    return 0


def report(name: str, predictions: dict, label68: np.ndarray, points: np.ndarray, labels_folder: str) -> None:
    """Prints one checkpoint's columns against the annotated points (A), and against the teacher's keypoints (T)
    when the labels are the fused ones."""
    result = {level: round(score(prediction, label68, points), 3) for level, prediction in predictions.items()}
    result["A"] = rule_score(result)
    result["heavy/clean"] = round(result["heavy"] / result["clean"], 3)
    result["second_heavy/clean"] = round(result["second_heavy"] / result["clean"], 3)
    print(name, json.dumps(result), flush=True)
    if labels_folder == "fused":  # the labels are the 3DDFA teacher's clean keypoints: all 68 points compare
        agreement = {level: round(teacher_agreement(prediction, label68), 3) for level, prediction in predictions.items()}
        agreement["T"] = rule_score(agreement)
        print(name, "68-point NME against the 3DDFA teacher's clean keypoints", json.dumps(agreement), flush=True)


def occluded_crops(images: np.ndarray, label68: np.ndarray, labels_folder: str, use_cache: bool = True) -> dict:
    """Every level's crops (clean, moderate, heavy, heavy_held_out, second_moderate, second_heavy), from the cache
    when its key matches (module docstring), else built and stored."""
    key = hashlib.sha256()
    for part in (labels_folder, json.dumps(LEVELS), json.dumps(second_test.LEVELS, default=str),
                 inspect.getsource(occlusion), inspect.getsource(second_test)):
        key.update(part.encode())
    key.update(images.tobytes())
    key.update(label68.tobytes())
    path = paths.CACHE / "validation" / f"crops-{key.hexdigest()[:16]}.npz"
    if use_cache and path.exists():
        with np.load(path) as stored:
            return {level: stored[level] for level in stored.files}
    crops = {level: occluded(images, label68, coverage) if coverage else images for level, coverage in LEVELS.items()}
    crops["heavy_held_out"] = occluded(images, label68, LEVELS["heavy"], occlusion.HELD_OUT_FAMILIES)
    crops.update({level: occluded_second(images, label68, coverage) for level, coverage in second_test.LEVELS.items()})
    path.parent.mkdir(parents=True, exist_ok=True)
    np.savez(path, **crops)
    return crops


def rule_score(columns: dict) -> float:
    """The selection rule's score of one checkpoint: the mean of its `RULE_COLUMNS` (the moderate levels do not
    count)."""
    return round(float(np.mean([columns[level] for level in RULE_COLUMNS])), 3)


def teacher_agreement(prediction: np.ndarray, keypoints: np.ndarray) -> float:
    """Mean 68-point distance (%) of the predictions from the teacher's clean keypoints, over each face's size."""
    return float((np.linalg.norm(prediction - keypoints, axis=-1).mean(1) / annotations.face_size(keypoints)).mean() * 100)


if __name__ == "__main__":
    raise SystemExit(main())
