"""Evaluate on AFLW2000-3D (test only: never used for training or tuning) with ground-truth boxes.

    .venv/bin/python evaluate.py [--baseline runs/baseline/ckpt.pt] [--student runs/student/ckpt.pt] [--teacher]
                                 [--limit N] [--write-card]

Protocol: each image is cropped to its 3DDFA-style `crop_roi_box` and resized to the network input; the 68 predicted
2-D landmarks are mapped back to the image and scored by NME = mean point error / sqrt(w h) of the ground-truth
landmarks' box, per |yaw| bin [0,30], (30,60], (60,90+] (yaw from labels.npz, wrapped to [-180, 180]), the bin mean
and the overall mean. Levels: clean; moderate (occluder covers 20-35 % of the face) and heavy (40-60 %) with all eight
occluder families (the two held out of training included); heavy with the held-out families only
(`occlusion.HELD_OUT_FAMILIES`); second_moderate (20-30 %) and second_heavy (40-50 %) under the second occlusion
test (`orn.second_test`: other shapes, fills and compositing, never seen in training). Occlusions are generated from
the ground-truth landmarks with a fixed seed per image, so every method sees the same occluded pixels.
The teacher (MediaPipe, needs setup.sh --teacher) is scored through the same ICT fit as training labels (468 -> 68);
images where it finds no face are counted and left out of its NME. The second teacher (--teacher-3ddfa, 3DDFA_V2
mb05) reads the same crops resized to its 120x120 input.
Stability (--stability, needs mediapipe for face boxes and video decoding): on every frame of the three videos the
teacher's full-frame landmarks give a square box (AFLW-like framing), every method predicts 68 landmarks in that
crop, and jitter = mean |p(t+1) - 2 p(t) + p(t-1)| (landmark acceleration, image pixels) / sqrt(w h) of the frame's
teacher landmark box, in %: real head motion is smooth, so this is mostly frame-to-frame noise.
Writes runs/eval.json and, with --write-card, the table into docs/model-card.md between the EVAL markers.
"""
import argparse
import json
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # the fit's many small solves crawl with threaded BLAS on a busy CPU
import numpy as np  # noqa: E402
import torch  # noqa: E402
from PIL import Image  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))

from orn import annotations, data, facemodel, fit, occlusion, paths, second_test  # noqa: E402
from orn.predict import LandmarkPredictor  # noqa: E402

LEVELS = {"clean": None, "moderate": ((0.2, 0.35), occlusion.FAMILIES), "heavy": ((0.4, 0.6), occlusion.FAMILIES),
          "heavy_held_out": ((0.4, 0.6), occlusion.HELD_OUT_FAMILIES),
          **{level: ("second", coverage) for level, coverage in second_test.LEVELS.items()}}
BINS = [(0, 30), (30, 60), (60, 1000)]


def crop(image: Image.Image, box, size):
    x0, y0, x1, y1 = box
    return np.asarray(image.transform((size, size), Image.EXTENT, (x0, y0, x1, y1), Image.BILINEAR))


def nme(pred, gt):
    """pred, gt (N, 68, 2) image pixels -> (N,) NME normalised by sqrt(w h) of the ground-truth box."""
    wh = np.ptp(gt[:, :, 0], 1) * np.ptp(gt[:, :, 1], 1)
    return np.linalg.norm(pred - gt, axis=-1).mean(1) / np.sqrt(wh)


def summarise(err, yaw, ok=None):
    ok = np.ones(len(err), bool) if ok is None else ok
    out = {}
    for lo, hi in BINS:
        m = ok & (yaw > lo if lo else yaw >= 0) & (yaw <= hi)
        out[f"{lo}-{min(hi, 90)}"] = float(err[m].mean() * 100) if m.any() else float("nan")
    out["bin_mean"] = float(np.mean([out[k] for k in list(out)[:3]]))
    out["mean"] = float(err[ok].mean() * 100)
    out["scored"] = int(ok.sum())
    return out


class TeacherScorer:
    def __init__(self, size):
        from orn import teacher
        self.teacher = teacher
        self.landmarker = teacher.make_landmarker()
        self.fitter = fit.Fitter(fit.FitConfig(crop=size))
        self.size = size

    def landmarks(self, crops):
        """Detect on every crop, then fit ICT to all detections in one batch (468 -> 68)."""
        out = np.full((len(crops), 68, 2), np.nan, np.float32)
        found, lms, blends = [], [], []
        for i, c in enumerate(crops):
            r = self.teacher.detect_crop(self.landmarker, c)
            if r is not None:
                found.append(i)
                lms.append(r[0])
                blends.append(r[1])
        if found:
            prior = facemodel.blend_mp_to_ict(np.stack(blends), self.fitter.model.expression_names)
            out[found] = self.fitter.fit(np.stack(lms), prior)["lm68"] / self.size
        return out


class Teacher3DDFAScorer:
    """The second teacher (3DDFA_V2 mb05) on the evaluation crops: each crop (the roi box at the network's input
    size) resized to its 120x120 input; 68 keypoints in crop fractions."""

    def __init__(self):
        from orn import teacher3ddfa
        self.teacher = teacher3ddfa.Teacher3DDFA()
        self.side = teacher3ddfa.SIDE

    def landmarks(self, crops):
        small = np.stack([np.asarray(Image.fromarray(c).resize((self.side, self.side), Image.BILINEAR)) for c in crops])
        points, _ = self.teacher.label(small)
        return (points[..., :2] / self.side).astype(np.float32)


class MirrorAveragedScorer:
    """A student's landmarks from the mean of its parameters on each crop and on the crop's mirror image, mapped back
    (`LandmarkPredictor.parameter_averaged_landmarks`): the daemon's `[model] mirror_average`."""

    def __init__(self, predictor):
        self.predictor = predictor

    def landmarks(self, crops):
        return self.predictor.parameter_averaged_landmarks(crops)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--baseline", default=None)
    ap.add_argument("--student", default=None)
    ap.add_argument("--teacher", action="store_true")
    ap.add_argument("--teacher-3ddfa", action="store_true", help="score the second teacher, 3DDFA_V2 mb05")
    ap.add_argument("--limit", type=int, default=None)
    ap.add_argument("--levels", default=",".join(LEVELS))
    ap.add_argument("--out", default=str(paths.RUNS / "eval.json"))
    ap.add_argument("--write-card", action="store_true")
    ap.add_argument("--stability", action="store_true")
    ap.add_argument("--mirror-average", action="store_true",
                    help="also score the student averaged with its mirror image in parameter space "
                         "(what the daemon's [model] mirror_average publishes)")
    ap.add_argument("--merge", action="store_true", help="add to the methods already in --out (e.g. a teacher run)")
    ap.add_argument("--card-only", action="store_true", help="just write the table in --out into the model card")
    args = ap.parse_args(argv)
    if args.card_only:
        write_card(json.load(open(args.out)))
        return 0
    torch.set_num_threads(1)
    labels = np.load(paths.AFLW2000 / "labels.npz")
    N = args.limit or len(labels["names"])
    names, gt = labels["names"][:N], labels["pts68"][:N, :2].transpose(0, 2, 1).astype(np.float32)
    boxes = labels["crop_roi_box"][:N].astype(np.float32)
    yaw = annotations.absolute_yaw(labels["yaw_degrees"][:N])
    S = data.INPUT
    scorers = {}
    if args.teacher:
        scorers["teacher"] = TeacherScorer(S)
    if args.teacher_3ddfa:
        scorers["teacher_3ddfa"] = Teacher3DDFAScorer()
    for name in ("baseline", "student"):
        if getattr(args, name):
            scorers[name] = LandmarkPredictor(getattr(args, name))
    if args.mirror_average and args.student:
        scorers["student_mirror_averaged"] = MirrorAveragedScorer(scorers["student"])
    clean = np.stack([crop(Image.open(paths.AFLW2000 / "images" / n).convert("RGB"), b, S) for n, b in zip(names, boxes)])
    side = (boxes[:, 2] - boxes[:, 0])[:, None, None]
    gt_crop = (gt - boxes[:, None, :2]) / side * S  # crop pixels
    results = dict(images=N, bin_counts=[int(((yaw > lo if lo else yaw >= 0) & (yaw <= hi)).sum()) for lo, hi in BINS],
                   methods={})
    if args.merge and Path(args.out).exists():
        old = json.load(open(args.out))
        assert old["images"] == N, "merge only runs over the same images"
        results["methods"].update(old["methods"])
        if "stability" in old:
            results["stability"] = old["stability"]
    for level in args.levels.split(","):
        spec = LEVELS[level]
        crops = clean.copy()
        if spec and spec[0] == "second":
            for i in range(N):
                crops[i], _ = second_test.occlude_second(clean[i], gt_crop[i], 10_000 + i, spec[1])
        elif spec:
            for i in range(N):
                crops[i], _ = occlusion.occlude_seeded(clean[i], gt_crop[i], 10_000 + i, spec[0], spec[1])
        for name, scorer in scorers.items():
            t0 = time.time()
            pred = np.concatenate([scorer.landmarks(crops[i:i + 256]) for i in range(0, N, 256)])
            pred_img = pred * side + boxes[:, None, :2]
            ok = ~np.isnan(pred_img).any((1, 2))
            err = nme(np.nan_to_num(pred_img), gt)
            r = summarise(err, yaw, ok)
            r["seconds"] = round(time.time() - t0, 1)
            results["methods"].setdefault(name, {})[level] = r
            print(level, name, json.dumps(r), flush=True)
    if args.stability:
        results.setdefault("stability", {}).update(stability(scorers, S))
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    json.dump(results, open(args.out, "w"), indent=1)
    if args.write_card:
        write_card(results)
    return 0


def stability(scorers, S, box_scale=1.47) -> dict:
    """Landmark jitter per method on the videos (see module docstring)."""
    import cv2
    from orn import teacher
    landmarker = teacher.make_landmarker()
    out = {}
    for video in sorted(paths.VIDEOS.glob("*.mp4")):
        cap = cv2.VideoCapture(str(video))
        crops, boxes, sizes = [], [], []
        while True:
            ok, frame = cap.read()
            if not ok:
                break
            rgb = cv2.cvtColor(frame, cv2.COLOR_BGR2RGB)
            r = teacher.detect(landmarker, rgb)
            if r is None:
                crops.append(None)
                continue
            box = teacher.square_box(r[0], box_scale)
            crops.append(teacher.crop_box(rgb, box, S))
            boxes.append(box)
            sizes.append(float(np.sqrt(np.ptp(r[0][:, 0]) * np.ptp(r[0][:, 1]))))
        valid = np.array([c is not None for c in crops])
        stack = np.stack([c for c in crops if c is not None])
        boxes, sizes = np.array(boxes), np.array(sizes)
        consecutive = valid[:-2] & valid[1:-1] & valid[2:]
        pos = np.cumsum(valid) - 1  # frame -> row in stack
        for name, scorer in scorers.items():
            pred = np.concatenate([scorer.landmarks(stack[i:i + 64]) for i in range(0, len(stack), 64)])
            img = pred * (boxes[:, 2] - boxes[:, 0])[:, None, None] + boxes[:, None, :2]
            frames = np.flatnonzero(consecutive) + 1
            a, b, c = img[pos[frames - 1]], img[pos[frames]], img[pos[frames + 1]]
            acc = np.linalg.norm(c - 2 * b + a, axis=-1).mean(1) / sizes[pos[frames]]
            acc = acc[~np.isnan(acc)]
            out.setdefault(name, {})[video.name] = float(acc.mean() * 100) if len(acc) else float("nan")
        print("stability", video.name, {k: v.get(video.name) for k, v in out.items()}, flush=True)
    return out


def table(results) -> str:
    rows = ["| method | level | NME [0,30] | NME (30,60] | NME (60,90] | bin mean | overall | scored |",
            "|---|---|---|---|---|---|---|---|"]
    for name, levels in results["methods"].items():
        for level, r in levels.items():
            rows.append(f"| {name} | {level} | {r['0-30']:.2f} | {r['30-60']:.2f} | {r['60-90']:.2f} | "
                        f"{r['bin_mean']:.2f} | {r['mean']:.2f} | {r['scored']}/{results['images']} |")
    return "\n".join(rows)


def write_card(results) -> None:
    card = paths.REPO / "docs" / "model-card.md"
    text = card.read_text()
    start, end = "<!-- EVAL:START -->", "<!-- EVAL:END -->"
    body = (f"{start}\nAFLW2000-3D, {results['images']} images, ground-truth boxes, NME % (68 points, "
            f"normalised by sqrt(w h) of the ground-truth box); |yaw| bin sizes {results['bin_counts']}.\n\n"
            f"{table(results)}\n")
    if "stability" in results:
        vids = sorted(next(iter(results["stability"].values())))
        body += ("\nStability on the three videos: landmark jitter (mean |second difference| / face size, %):\n\n"
                 f"| method | {' | '.join(vids)} |\n|---|{'---|' * len(vids)}\n")
        for name, r in results["stability"].items():
            body += f"| {name} | {' | '.join(f'{r[v]:.3f}' for v in vids)} |\n"
    body += end
    if start in text:
        text = text[:text.index(start)] + body + text[text.index(end) + len(end):]
    else:
        text += "\n" + body + "\n"
    card.write_text(text)


if __name__ == "__main__":
    raise SystemExit(main())
