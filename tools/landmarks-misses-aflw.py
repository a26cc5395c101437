#!/usr/bin/env python3
"""Faces `occlumesh landmarks` misses on AFLW2000-3D (evaluation only: never for training or tuning), clean and
occluded, per yaw bin, at several tracking.min_face_score values.

    training/.venv/bin/python tools/landmarks-misses-aflw.py [--binary .build/debug/occlumesh] [--stride 1]
        [--thresholds 0.3,0.5] [--levels clean,heavy,second_heavy] [--min-face-score T] [--tracking KEY=VALUE]

Levels: clean; heavy, the training occlusion generator at 40-60 % of the face (all eight families, fixed seeds, as
tools/detector-under-occlusion.py); second_heavy, the second occlusion test that training never sees (orn.second_test,
40-50 %). The images go to a temporary folder and `occlumesh landmarks` runs once per level with a config keeping every
detection (min_face_score = 0); each face line carries the one-pass face score of the crop the verifier scores, so the
faces reported at a threshold T are those scoring at least T (what a run with min_face_score = T reports, up to the
four-face limit, except that the verifier scores the mean of the crop and its mirror image). With `--min-face-score T
--thresholds 0` the verifier decides, as the daemon does; `--tracking KEY=VALUE` adds [tracking] keys (e.g.
reframe_face_score=true). An image is missed when no face is reported; "no match" also counts a reported face whose
box overlaps the 68 ground-truth landmarks' box with IoU < 0.5 as a miss. Yaw bins as the benchmark: [0, 30], (30,
60], (60, 90] degrees. The last two columns are the accuracy of what is reported: the 68-point NME (normalised by
sqrt(w h) of the ground-truth landmark box, mean of the three yaw bins) of the best-overlapping face, over the images
whose best face is matched, and over every image with a face reported at all (a benchmark that scores the faces a
system finds, as issue 12's "its own detector" row, counts the unmatched ones too).
"""
import argparse
import hashlib
import json
import sys
import tempfile
from pathlib import Path

import numpy as np
from PIL import Image

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "training"))

from orn import occlusion, paths, second_test  # noqa: E402
from keep_all_config import add_config_options, keep_all_config, run_landmarks  # noqa: E402

LEVELS = {"clean": None, "heavy": (0.4, 0.6), "second_heavy": (0.4, 0.5)}
BINS = ((0, 30), (30, 60), (60, 90))


def iou(a, b) -> float:
    w = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    h = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - w * h
    return w * h / union if union > 0 else 0.0


def occluded(level, image, lm68, seed):
    coverage = LEVELS[level]
    if coverage is None:
        return image
    if level == "second_heavy":
        return second_test.occlude_second(image, lm68, seed, coverage)[0]
    return occlusion.occlude_seeded(image, lm68, seed, coverage)[0]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--binary", default=str(ROOT / ".build" / "debug" / "occlumesh"))
    ap.add_argument("--stride", type=int, default=1, help="every N-th image")
    ap.add_argument("--models", default=str(ROOT / "models"),
                    help="folder holding the models to measure (default: the repository's models/)")
    ap.add_argument("--thresholds", default=None,
                    help="reported scores to threshold at (default 0.3,0.5; 0 with --min-face-score)")
    ap.add_argument("--levels", default=",".join(LEVELS))
    add_config_options(ap, "tracking.min_face_score of the runs: 0 (the default) keeps every detection and "
                           "--thresholds sort the reported scores; T lets the daemon's verifier decide (--thresholds "
                           "then defaults to 0, and the table's min_face_score column names T)")
    ap.add_argument("--faces", help="a folder: write each level's reported faces there (FOLDER/LEVEL.json), or read "
                                    "them from there instead of running occlumesh again when they were made with the "
                                    "same config, binary, models and stride")
    args = ap.parse_args()
    thresholds = [float(t) for t in (args.thresholds or ("0" if args.min_face_score > 0 else "0.3,0.5")).split(",")]
    labels = np.load(paths.AFLW2000 / "labels.npz")
    index = np.arange(0, len(labels["names"]), args.stride)
    points = labels["pts68"][:, :2].transpose(0, 2, 1).astype(np.float64)
    yaw = np.abs(labels["yaw_degrees"])
    bins = {str(labels["names"][i]): next(k for k, (lo, hi) in enumerate(BINS) if yaw[i] <= hi or k == 2) for i in index}
    truth = {str(labels["names"][i]): [*points[i].min(0), *points[i].max(0)] for i in index}
    marks = {str(labels["names"][i]): points[i] for i in index}
    print("| level | min_face_score | missed (no face) | [0,30] | (30,60] | (60,90] | missed or no match | NME % of matched, "
          "bins, mean | NME % of every face reported, bins, mean |")
    print("|---|---|---|---|---|---|---|---|---|")
    # A saved run is reused only when it was made with the same config, binary (by content: a rebuild keeps the path),
    # models and images.
    run_key = dict(config=keep_all_config(args.min_confidence, args.min_face_score, args.tracking, args.mirror_average),
                   binary=str(Path(args.binary).resolve()), binary_sha256=file_digest(args.binary),
                   models=str(Path(args.models).resolve()), stride=args.stride)
    for level in args.levels.split(","):
        saved = Path(args.faces) / f"{level}.json" if args.faces else None
        record = json.loads(saved.read_text()) if saved and saved.exists() else {}
        if record.get("run") == run_key:
            faces = record["faces"]
        else:
            if record:
                print(f"{saved}: made with other settings, measured again", file=sys.stderr)
            faces = run_level(args, level, index, labels, points)
            if saved:
                saved.parent.mkdir(parents=True, exist_ok=True)
                saved.write_text(json.dumps(dict(run=run_key, faces=faces)))
        report(level, faces, thresholds, bins, truth, marks, args.min_face_score)
    return 0


def file_digest(path) -> str:
    """The SHA-256 of the file at `path`, in hex."""
    with open(path, "rb") as file:
        return hashlib.file_digest(file, "sha256").hexdigest()


def run_level(args, level, index, labels, points):
    """Per image name: the faces `occlumesh landmarks` reports on the image at `level`, every detection kept."""
    with tempfile.TemporaryDirectory() as folder:
        config = Path(folder) / "keep-all.toml"
        config.write_text(keep_all_config(args.min_confidence, args.min_face_score, args.tracking, args.mirror_average))
        images = Path(folder) / "images"
        images.mkdir()
        for i in index:
            name = str(labels["names"][i])
            image = np.asarray(Image.open(paths.AFLW2000 / "images" / name).convert("RGB"))
            Image.fromarray(occluded(level, image, points[i], 30_000 + int(i))).save(images / (Path(name).stem + ".png"))
        records = run_landmarks(args.binary, args.models, images, config, Path(folder) / "out.jsonl")
        faces = {Path(record["source"]).stem + ".jpg": record["faces"] for record in records}
    return faces


def nme(reported, points) -> float:
    """68-point NME of reported landmarks against the ground truth, normalised by sqrt(w h) of its box."""
    size = np.sqrt(np.prod(points.max(0) - points.min(0)))
    return float(np.linalg.norm(np.asarray(reported, np.float64) - points, axis=1).mean() / size)


def bin_means(errors) -> str:
    """The three yaw bins' mean NME (%) and their mean."""
    means = [100 * np.mean(e) if e else float("nan") for e in errors]
    return " / ".join(f"{m:.2f}" for m in means) + f", {np.mean(means):.2f}"


def report(level, faces, thresholds, bins, truth, marks, verifier_threshold=0.0):
    """One table row per threshold (named by the verifier's, `verifier_threshold`, where it decided and the row's
    own is 0)."""
    for threshold in thresholds:
        missed, unmatched = np.zeros(3, int), 0
        counts = np.zeros(3, int)
        errors, every_error = ([], [], []), ([], [], [])
        for name, found in faces.items():
            kept = [f for f in found if f["face_score"] is None or f["face_score"] >= threshold]
            counts[bins[name]] += 1
            if not kept:
                missed[bins[name]] += 1
            overlaps = [iou(f["box"], truth[name]) for f in kept]
            error = (nme(kept[int(np.argmax(overlaps))]["landmarks68"], marks[name])
                     if kept and "landmarks68" in kept[0] else None)
            if error is not None:
                every_error[bins[name]].append(error)
            if not any(o >= 0.5 for o in overlaps):
                unmatched += 1
            elif error is not None:
                errors[bins[name]].append(error)
        total = counts.sum()
        cells = " | ".join(f"{m} / {c} ({m / c:.1%})" for m, c in zip(missed, counts))
        accuracy = " | ".join(bin_means(e) for e in (errors, every_error))
        label = f"{verifier_threshold} (verifier)" if verifier_threshold > 0 and threshold == 0 else threshold
        print(f"| {level} | {label} | {missed.sum()} / {total} ({missed.sum() / total:.2%}) | {cells} | "
              f"{unmatched} ({unmatched / total:.2%}) | {accuracy} |", flush=True)


if __name__ == "__main__":
    raise SystemExit(main())
