#!/usr/bin/env python3
"""The regressor's face score on the daemon's own crops, for choosing tracking.min_face_score / lost_face_score.

    training/.venv/bin/python tools/measure-face-score.py [--binary .build/debug/occlumesh] [--work DIR] [--count N]

Everything goes through `occlumesh landmarks` (the real Swift path: detector, full-range fallback, crop framed on the
detector box, regressor), with a config that keeps every detection (`min_face_score = 0`), and reads the `face_score`
each face line carries (the regression stage's one-pass score on the crop the verifier scores; the verifier's own
decision also takes the mirrored mean, `tracking.mirror_face_score`). With `--min-face-score T` the verifier decides
instead, and "with a detection" counts what the daemon reports at T; `--tracking KEY=VALUE` adds [tracking] keys
(e.g. reframe_face_score=true). Images are made here, in a
temporary folder (never committed), from:

Background, no face in the picture (`--count` images per kind):
  - clip: squares cut from the frames of the three clips in ../shared/data/videos away from the face (the detector's
    box grown 1.5x overlaps none); note the training negatives were cut from the same clips' frames (85 % of them);
  - clutter: drawn shapes, stripes and gradients with noise (orn.negatives.clutter, fresh seeds);
  - texture: blurred multi-scale noise, stripes, checkerboards and wood-like rings, some in skin colours;
  - hands: clutter or clip background with one or two hands (the occlusion generator's hand families) drawn where a
    face would be, but no face;
  - blob: a shaded skin-coloured oval on clutter, head-sized, with no features (orn.negatives.skin_oval; training sees
    such ovals, under hands, when a config sets `negatives_hands`);
  - mosaic / part: validation face crops shuffled in a 4x4 grid / zoomed 2.5-4x away from the centre
    (orn.negatives; faces never trained on, arrangements never seen).
Each image, face or background, goes through three times: as the detector sees it (a false track needs a detection, at
min_confidence, whose crop passes the face score) and twice with --boxes, a head-sized box in the middle so the
regressor is asked about every image (the worst case: any detection there would be verified) — framed by the
regressor sidecar's detection framing so that its crop is exactly the image, and 4 % larger, so that the crop
reaches past the image into the black the cropper writes there, as for a detection at the frame's edge (before
session 14 the box was sized by the framing of session 10, and every box-driven crop had such bands).

Faces: the AFLW training crops of the validation split (orn.validate.validation_crops("fused"), never trained on),
clean and under the occlusion generator's heavy level (40-60 % of the face covered, all eight families, fixed seeds).
A face is found when the detector finds it; its face score is then the verifier's. The same faces are also put into
400-px pictures (`picture_sets`: pasted on clip background, and extended by their own blurred edges), where the face is
a third of the picture as in a photo and the detector's box can sit off it; those go through detector-driven only, and
a face there counts only when its box is centred in the square where the face was put.

Prints, per set, how many images gave a detection and the share of those (and of all images) whose face score
reaches each threshold, and writes every score to DIR/scores.json.
"""
import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
from PIL import Image, ImageFilter

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "training"))

from orn import negatives, occlusion, paths  # noqa: E402
from orn.validate import LEVELS, occluded, validation_crops  # noqa: E402
from keep_all_config import add_config_options, keep_all_config, run_landmarks  # noqa: E402
from video_guard import face_free_cuts  # noqa: E402

THRESHOLDS = (0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95)
SIDE = 256


def clip_squares(binary, count, rng):
    """Face-free squares from the clips' frames, resized to SIDE."""
    import cv2
    per_clip = -(-count // 3)
    out = []
    for clip in sorted(paths.VIDEOS.glob("*.mp4")):
        lines = subprocess.run([binary, "detect", str(clip), "--json", "--min-score", "0.3"], check=True,
                               capture_output=True, text=True).stdout.splitlines()
        boxes = {}
        for line in lines:
            record = json.loads(line)
            if record["faces"]:
                boxes[record["frame"]] = np.array(record["faces"][0]["box"])
        capture = cv2.VideoCapture(str(clip))
        frames = []
        while True:
            ok, bgr = capture.read()
            if not ok:
                break
            frames.append(bgr[..., ::-1])
        taken = 0
        for attempt in range(per_clip * 50):
            if taken == per_clip:
                break
            index = int(rng.integers(len(frames)))
            if index not in boxes:
                continue
            frame = frames[index]
            h, w = frame.shape[:2]
            box = boxes[index]
            centre, half = (box[:2] + box[2:]) / 2, (box[2:] - box[:2]) * 0.75
            face = np.concatenate([centre - half, centre + half])
            side = rng.uniform(0.12, 0.5) * min(h, w)
            x0, y0 = rng.uniform(0, w - side), rng.uniform(0, h - side)
            if x0 < face[2] and face[0] < x0 + side and y0 < face[3] and face[1] < y0 + side:
                continue
            square = frame[int(y0):int(y0 + side), int(x0):int(x0 + side)]
            out.append(np.asarray(Image.fromarray(np.ascontiguousarray(square)).resize((SIDE, SIDE), Image.BILINEAR)))
            taken += 1
    return out[:count]


def texture(rng):
    """Noise, stripes, checkerboard or rings, sometimes in skin colours."""
    y, x = np.mgrid[0:SIDE, 0:SIDE].astype(np.float32) / SIDE
    kind = int(rng.integers(4))
    if kind == 0:
        field = sum(np.asarray(Image.fromarray((rng.uniform(0, 255, (n, n))).astype(np.uint8)).resize(
            (SIDE, SIDE), Image.BICUBIC), np.float32) / 255 * rng.uniform(0.2, 1) for n in (4, 8, 16, 64))
        field = (field - field.min()) / (np.ptp(field) + 1e-6)
    elif kind == 1:
        angle, period = rng.uniform(0, np.pi), rng.uniform(0.03, 0.25)
        field = 0.5 + 0.5 * np.sin(2 * np.pi * (x * np.cos(angle) + y * np.sin(angle)) / period)
    elif kind == 2:
        n = int(rng.integers(3, 16))
        field = ((np.floor(x * n) + np.floor(y * n)) % 2).astype(np.float32)
    else:
        cx, cy = rng.uniform(-0.5, 1.5, 2)
        field = 0.5 + 0.5 * np.sin(np.hypot(x - cx, y - cy) * rng.uniform(20, 80) + 3 * np.sin(x * 7))
    if rng.uniform() < 0.4:
        low, high = np.array([90, 50, 35]) * rng.uniform(0.6, 1.6), np.array([230, 180, 150]) * rng.uniform(0.8, 1.1)
    else:
        low, high = rng.uniform(0, 255, 3), rng.uniform(0, 255, 3)
    image = low + (high - low) * field[..., None] + rng.normal(0, rng.uniform(0, 10), (SIDE, SIDE, 3))
    return np.clip(image, 0, 255).astype(np.uint8)


SKIN = np.array([[230, 180, 150], [205, 145, 110], [150, 95, 65], [240, 205, 180], [100, 62, 42]], float)


def _palette_skin(rng, photo):
    """Hands in skin tones: the generator would take the (absent) face's colour from the background."""
    return np.clip(SKIN[rng.integers(len(SKIN))] * rng.uniform(0.9, 1.08), 20, 250)


def background_sets(binary, count, faces, label68, seed):
    rng = np.random.default_rng(seed)
    clip = clip_squares(binary, count, rng)
    sets = {"clip": clip, "clutter": [negatives.clutter(rng, SIDE) for _ in range(count)],
            "texture": [texture(rng) for _ in range(count)]}
    layout = negatives.mean_layout(label68)
    occlusion._skin_albedo = _palette_skin  # no face to take the hands' colour from
    made = []
    while len(made) < count:
        base = negatives.clutter(rng, SIDE) if rng.uniform() < 0.5 else clip[int(rng.integers(len(clip)))]
        image = negatives.hands(base, layout, rng, size=(0.35, 0.6), attempts=6)
        if image is not None:
            made.append(image)
    sets["hands"] = made
    sets["blob"] = [negatives.skin_oval(negatives.clutter(rng, SIDE), rng) for _ in range(count)]
    picks = rng.integers(len(faces), size=count)
    sets["mosaic"] = [negatives.mosaic(faces[i], rng, SIDE) for i in picks]
    sets["part"] = [negatives.part(faces[i], rng, SIDE) for i in picks]
    return sets


PICTURE = 400
PICTURE_BACKGROUNDS = 90  # clip squares the faces are pasted on, 30 per clip


def feather(side: int) -> np.ndarray:
    """(side, side) blending weights: 1 inside, falling linearly to 0 over the outer 15 % of each edge."""
    ramp = np.clip(np.minimum(np.arange(side), np.arange(side)[::-1]) / (0.15 * side), 0, 1)
    return np.minimum.outer(ramp, ramp)


def paste(face: np.ndarray, background: np.ndarray, rng) -> tuple[np.ndarray, tuple]:
    """`face` (a square crop) scaled to 30-50 % of a PICTURE-px copy of `background` at a random place, its edges
    feathered over the outer 15 % and its black (outside-the-photo) parts left out, so that no square seam is drawn;
    and the square (x0, y0, x1, y1) the crop covers."""
    canvas = np.asarray(Image.fromarray(background).resize((PICTURE, PICTURE), Image.BILINEAR), np.float32)
    side = int(rng.uniform(0.3, 0.5) * PICTURE)
    scaled = np.asarray(Image.fromarray(face).resize((side, side), Image.BILINEAR), np.float32)
    photo = np.asarray(Image.fromarray((scaled.max(axis=2) > 8).astype(np.uint8) * 255).filter(
        ImageFilter.GaussianBlur(2)), np.float32) / 255
    alpha = (feather(side) * photo)[..., None]
    x0, y0 = (int(v) for v in rng.integers(0, PICTURE - side + 1, 2))
    region = canvas[y0:y0 + side, x0:x0 + side]
    canvas[y0:y0 + side, x0:x0 + side] = alpha * scaled + (1 - alpha) * region
    return np.clip(canvas, 0, 255).astype(np.uint8), (x0, y0, x0 + side, y0 + side)


def extend(face: np.ndarray, rng) -> tuple[np.ndarray, tuple]:
    """`face` continued into a PICTURE-px picture, at a random place, by its own edge pixels drawn outwards and blurred
    (a defocused surround in the crop's colours), the crop blended in over its outer 15 %: no foreign background and
    no seam, but a surround of streaks no photo has; and the square (x0, y0, x1, y1) the crop covers."""
    spare, side = PICTURE - face.shape[0], face.shape[0]
    left, top = (int(v) for v in rng.integers(spare // 5, spare - spare // 5 + 1, 2))
    padded = np.pad(face, ((top, spare - top), (left, spare - left), (0, 0)), mode="edge")
    surround = np.asarray(Image.fromarray(padded).filter(ImageFilter.GaussianBlur(8)), np.float32)
    alpha = feather(side)[..., None]
    region = surround[top:top + side, left:left + side]
    surround[top:top + side, left:left + side] = alpha * face + (1 - alpha) * region
    return np.clip(surround, 0, 255).astype(np.uint8), (left, top, left + side, top + side)


def picture_sets(face_sets: dict, backgrounds: list, seed: int) -> dict:
    """Each face set's faces inside whole pictures (a face a third of the picture, as in a photo, not filling it), as
    (picture, the square the face's crop covers) pairs: pasted on a clip background, and extended by its own blurred
    edges. Two constructions with different flaws (a
    blended edge on a foreign background; a streaked surround): a decision should hold on both. (Reflecting the crop
    outwards was tried and left: at this size it repeats the face, mirrored, around it.)"""
    rng = np.random.default_rng(seed + 2)
    sets = {}
    for name, faces in face_sets.items():
        sets[f"{name}, pasted"] = [paste(face, backgrounds[int(rng.integers(len(backgrounds)))], rng) for face in faces]
        sets[f"{name}, extended"] = [extend(face, rng) for face in faces]
    return sets


def write(folder: Path, images):
    folder.mkdir(parents=True, exist_ok=True)
    for i, image in enumerate(images):
        Image.fromarray(np.ascontiguousarray(image)).save(folder / f"{i:05d}.png")


def on_square(faces: list, square) -> list:
    """The reported faces whose box is centred in `square` (x0, y0, x1, y1): in a picture, a face counts only where
    it was put; a detection elsewhere is the background's."""
    x0, y0, x1, y1 = square
    return [f for f in faces if x0 <= (f["box"][0] + f["box"][2]) / 2 < x1 and y0 <= (f["box"][1] + f["box"][3]) / 2 < y1]


def landmarks(binary, models, folder: Path, config: Path, boxes=None, inside=None):
    """Per image file name: the face scores of the faces `occlumesh landmarks` reports; with `inside` (file name ->
    square x0, y0, x1, y1), only those whose box is centred in the file's square."""
    out = folder.parent / f"{Path(boxes).stem if boxes else folder.name}.jsonl"
    scores = {}
    for record in run_landmarks(binary, models, folder, config, out, boxes):
        faces = record["faces"] if inside is None else on_square(record["faces"], inside[record["source"]])
        scores[record["source"]] = [face["face_score"] for face in faces]
    return scores


def summary(name, scores, images):
    """One table row: detections, and the share of images with a face score at or above each threshold."""
    best = np.array([max(s) for s in scores.values() if s])
    cells = [f"{(best >= t).sum()}" for t in THRESHOLDS]
    print(f"| {name} | {images} | {len(best)} | " + " | ".join(cells) + " |", flush=True)
    return best


def videos(binary, models, work: Path, config: Path):
    """`occlumesh run` on the three clips (faces: the tracks' face scores, frame by frame) and on face-free video (the
    parts of s18.mp4 left and right of the face, and samples/sample.mp4), with every new detection kept as a track
    (`config`): the face scores a false track would have."""
    import subprocess as sp
    sources = {clip.stem: clip for clip in sorted(paths.VIDEOS.glob("*.mp4"))}
    sources.update(face_free_cuts(work))
    sources["sample"] = ROOT / "samples" / "sample.mp4"
    print("\n| video | frames | tracks | frames with a face | face score of the tracked faces: min / 1 % / median |")
    print("|---|---|---|---|---|")
    for name, path in sources.items():
        out = work / f"run-{name}.jsonl"
        sp.run([binary, "run", str(path), "--jsonl", str(out), "--models", str(models), "--config", str(config)],
               check=True, stderr=sp.DEVNULL)
        records = [json.loads(line) for line in out.read_text().splitlines()]
        faces = [face for record in records for face in record["faces"]]
        scores = np.array([face["face_score"] for face in faces])
        spread = (f"{scores.min():.3f} / {np.percentile(scores, 1):.3f} / {np.median(scores):.3f}" if len(scores) else "-")
        print(f"| {name} | {len(records)} | {len({face['track'] for face in faces})} | "
              f"{sum(1 for record in records if record['faces'])} | {spread} |", flush=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--binary", default=str(ROOT / ".build" / "debug" / "occlumesh"))
    parser.add_argument("--models", default=str(ROOT / "models"),
                        help="folder holding the models to measure (default: the repository's models/)")
    parser.add_argument("--work", help="folder for the made images and outputs (default: a temporary one)")
    parser.add_argument("--count", type=int, default=500, help="background images per kind")
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--detector-driven-only", action="store_true",
                        help="stop after the detector-driven table (what a change to the detector's looks moves)")
    parser.add_argument("--videos", action="store_true",
                        help="instead: occlumesh run on the clips and on face-free video, every new detection a track")
    add_config_options(parser, "tracking.min_face_score: 0 (the default) keeps every detection and the tables "
                               "threshold the reported scores; T lets the daemon's verifier decide, so 'with a "
                               "detection' counts what it reports at T (what a second look changes)")
    args = parser.parse_args()
    work = Path(args.work or tempfile.mkdtemp(prefix="face-score-"))
    config = work / "keep-all.toml"
    work.mkdir(parents=True, exist_ok=True)
    config.write_text(keep_all_config(args.min_confidence, args.min_face_score, args.tracking, args.mirror_average))

    if args.videos:
        videos(args.binary, args.models, work, config)
        return 0
    faces, label68, _ = validation_crops("fused")
    face_sets = {"faces clean": faces, "faces heavy": occluded(faces, label68, LEVELS["heavy"])}
    backgrounds = background_sets(args.binary, args.count, faces, label68, args.seed)
    print(f"{len(faces)} validation faces; background kinds: "
          + ", ".join(f"{k} {len(v)}" for k, v in backgrounds.items()) + f"; work folder {work}", flush=True)

    header = "| set | images | with a detection | " + " | ".join(f"≥ {t}" for t in THRESHOLDS) + " |"
    results = {}
    print("\nDetector-driven (as the tracker verifies a new detection):\n" + header)
    print("|" + "---|" * (len(THRESHOLDS) + 3))
    # Backgrounds of their own, so that the pictures are the same whatever --count is.
    pictures = picture_sets(face_sets, clip_squares(args.binary, PICTURE_BACKGROUNDS, np.random.default_rng(args.seed + 1)),
                            args.seed)
    squares = {name: {f"{i:05d}.png": square for i, (_, square) in enumerate(pairs)} for name, pairs in pictures.items()}
    pictures = {name: [picture for picture, _ in pairs] for name, pairs in pictures.items()}
    for name, images in list(face_sets.items()) + list(pictures.items()) + list(backgrounds.items()):
        folder = work / name.replace(" ", "-").replace(",", "")
        write(folder, images)
        # In a picture, a face counts only where it was put: a detection elsewhere is the background's.
        scores = landmarks(args.binary, args.models, folder, config, inside=squares.get(name))
        results[name] = [max(s) if s else None for s in scores.values()]
        summary(name, scores, len(images))

    if args.detector_driven_only:
        (work / "scores.json").write_text(json.dumps(results))
        return 0
    # The box whose crop (the regressor sidecar's detection framing) is exactly the image, and one 4 % larger, whose
    # crop reaches past the image into black bands, as a detection at the frame's edge does.
    framing = json.loads((Path(args.models) / "orn.json").read_text())["crop"]["framing"]["detection"]
    for label, reach in (("box", 1.0), ("box, black bands", 1.04)):
        print(f"\nEvery image, {label} (a head-sized box in the middle, its crop {reach:.2f} of the image; "
              "the regressor asked about each):\n" + header)
        print("|" + "---|" * (len(THRESHOLDS) + 3))
        for name, images in list(face_sets.items()) + list(backgrounds.items()):
            folder = work / name.replace(" ", "-")
            side = np.asarray(images[0]).shape[0]  # faces are 120-px crops, background SIDE
            box = side * reach / framing["side_scale"]
            centre = np.array([side / 2, side / 2]) - np.array(framing["centre_shift"]) * box
            boxes = work / f"{name.replace(' ', '-')}-{label.replace(', ', '-').replace(' ', '-')}.json"
            boxes.write_text(json.dumps({f"{i:05d}.png": [float(centre[0] - box / 2), float(centre[1] - box / 2),
                                                          float(centre[0] + box / 2), float(centre[1] + box / 2)]
                                         for i in range(len(images))}))
            scores = landmarks(args.binary, args.models, folder, config, boxes)
            results[f"{name} ({label})"] = [max(s) if s else None for s in scores.values()]
            summary(f"{name} ({label})", scores, len(images))
    (work / "scores.json").write_text(json.dumps(results))
    for name in face_sets:
        values = np.array([v for v in results[name] if v is not None])
        print(f"{name}: face score percentiles 0.5/1/2/5/10 %: "
              + ", ".join(f"{np.percentile(values, q):.3f}" for q in (0.5, 1, 2, 5, 10)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
