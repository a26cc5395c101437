#!/usr/bin/env python3
"""How right the landmarks of every face `occlumesh landmarks` reports in whole pictures are, on validation faces.

    training/.venv/bin/python tools/measure-picture-landmarks.py [--binary .build/release/occlumesh] [--models DIR]
        [--work DIR] [--min-face-score 0.8] [--tracking KEY=VALUE]

AFLW2000-3D shows that a face counted as found can still be reported far off (docs/face-tracking.md, "Session 26":
a quarter of the heavily covered faces beyond 30° of yaw), but AFLW2000-3D is for evaluation only. This is the same
measurement on data that may be used to choose: the picture sets of tools/measure-face-score.py (the same seeds, so
the same pictures): the validation split's AFLW training crops (never trained on), clean and under the occlusion
generator's heavy level, pasted at 30–50 % of a 400-px clip background or extended by their own blurred edges. The
reference is each crop's fused teacher keypoints (3DDFA_V2's 68, the labels the student learns) carried into the
picture. The run uses the daemon's verifier at `--min-face-score` (0.8, the default's value).

Per set: the pictures with a face reported on the face's square (its box centred in it), those whose best-overlapping
box matches the reference landmarks' box (IoU ≥ 0.5), and the 68-point NME (normalised by sqrt(w h) of the reference
box) of that face over the matched pictures and over every picture with a face reported, as mean and median.
"""
import argparse
import importlib.util
import sys
import tempfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "training"))
sys.path.insert(0, str(ROOT / "tools"))

from keep_all_config import add_config_options, keep_all_config, run_landmarks  # noqa: E402
from orn.validate import LEVELS, occluded, validation_crops  # noqa: E402


def tool(name: str, file: str):
    """Another tool of this folder (their file names are not module names), for the pieces it already has."""
    spec = importlib.util.spec_from_file_location(name, ROOT / "tools" / file)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


face_score_tool = tool("measure_face_score", "measure-face-score.py")  # the pictures, the square a face counts on
misses_tool = tool("landmarks_misses_aflw", "landmarks-misses-aflw.py")  # box IoU and the 68-point NME


def placed(landmarks: np.ndarray, crop_side: int, square) -> np.ndarray:
    """A crop's landmarks (crop pixels) where the crop went in its picture: scaled to the square and moved there."""
    x0, y0, x1, _ = square
    return landmarks * ((x1 - x0) / crop_side) + np.array([x0, y0], np.float64)


def score(records: list, references: dict, squares: dict) -> dict:
    """Found, matched and the NME of the best-overlapping face on its square, per the docstring."""
    found = matched = 0
    every, of_matched = [], []
    for record in records:
        name = record["source"]
        reference = references[name]
        truth = [*reference.min(0), *reference.max(0)]
        faces = face_score_tool.on_square(record["faces"], squares[name])
        if not faces:
            continue
        found += 1
        overlaps = [misses_tool.iou(f["box"], truth) for f in faces]
        error = misses_tool.nme(faces[int(np.argmax(overlaps))]["landmarks68"], reference)
        every.append(error)
        if max(overlaps) >= 0.5:
            matched += 1
            of_matched.append(error)
    return dict(found=found, matched=matched, every=np.array(every), of_matched=np.array(of_matched))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--binary", default=str(ROOT / ".build" / "release" / "occlumesh"))
    parser.add_argument("--models", default=str(ROOT / "models"))
    parser.add_argument("--work", help="folder for the pictures and outputs (default: a temporary one)")
    parser.add_argument("--seed", type=int, default=13, help="measure-face-score's seed (its pictures)")
    add_config_options(parser, "tracking.min_face_score: the daemon's verifier decides what is reported")
    parser.set_defaults(min_face_score=0.8)
    args = parser.parse_args()
    if args.min_face_score <= 0:
        parser.error("--min-face-score must be above 0: the verifier decides what is reported")
    work = Path(args.work or tempfile.mkdtemp(prefix="picture-landmarks-"))
    work.mkdir(parents=True, exist_ok=True)
    config = work / "config.toml"
    config.write_text(keep_all_config(args.min_confidence, args.min_face_score, args.tracking, args.mirror_average))

    faces, label68, _ = validation_crops("fused")
    face_sets = {"faces clean": faces, "faces heavy": occluded(faces, label68, LEVELS["heavy"])}
    backgrounds = face_score_tool.clip_squares(args.binary, face_score_tool.PICTURE_BACKGROUNDS,
                                               np.random.default_rng(args.seed + 1))
    pictures = face_score_tool.picture_sets(face_sets, backgrounds, args.seed)
    print(f"{len(faces)} validation faces a set; pictures and outputs in {work}\n")
    print("| set | pictures | face reported on its square | box matched (IoU ≥ 0.5) | NME % matched: mean, median "
          "| NME % every face reported: mean, median |\n|---|---|---|---|---|---|")
    for name, pairs in pictures.items():
        folder = work / name.replace(" ", "-").replace(",", "")
        face_score_tool.write(folder, [picture for picture, _ in pairs])
        squares = {f"{i:05d}.png": square for i, (_, square) in enumerate(pairs)}
        references = {f"{i:05d}.png": placed(label68[i], faces.shape[1], square)
                      for i, (_, square) in enumerate(pairs)}
        records = run_landmarks(args.binary, args.models, folder, config, work / f"{folder.name}.jsonl")
        result = score(records, references, squares)

        def spread(values):
            return f"{100 * values.mean():.2f}, {100 * np.median(values):.2f}" if len(values) else "-"
        print(f"| {name} | {len(pairs)} | {result['found']} | {result['matched']} | {spread(result['of_matched'])} | "
              f"{spread(result['every'])} |", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
