"""Label quality: how far the teacher's fitted 68 landmarks lie from AFLW's human-annotated points.

The eight AFLW points with a clear Multi-PIE counterpart (`annotations.AFLW_TO_68`) are compared with the fitted 68
landmarks; distances are normalised by sqrt(w h) of the fitted 68-landmark box, in %, like the NME. Part of the gap is
definitional (where an annotator puts the chin or a mouth corner), not teacher error.

A fit that uses the annotation (`orn.fit --annotation-weight W`) is close to it by construction, so `--held-out` scores
it fairly: for each of the eight points in turn, a sample of crops is re-fitted with that point withheld, and only the
withheld point is scored.

    python -m orn.label_check [--labels fit-annotated] [--held-out 1500]
"""
import argparse
import warnings

import numpy as np

from . import annotations, facemodel, fit, paths


def agreement(points: np.ndarray, lm68: np.ndarray) -> np.ndarray:
    """points (N, 8, 2) crop pixels (NaN = missing), lm68 (N, 68, 2) crop pixels -> (N, 8) normalised distances."""
    return annotations.distances(points, lm68, annotations.face_size(lm68))


def offsets(points: np.ndarray, lm68: np.ndarray, pairs: dict = annotations.AFLW_TO_68) -> np.ndarray:
    """Mean (annotation - landmark) per point in crop pixels, (P, 2), for points (N, P, 2) matching the 68 landmarks
    `pairs` names: the systematic part of the disagreement (NaN for a point annotated nowhere)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # numpy warns on an all-NaN column; NaN is the answer
        return np.nanmean(points - lm68[:, list(pairs.values())], 0)


def teacher_coverage(bins=((0, 30), (30, 60), (60, 90), (90, 180))) -> str:
    """How many AFLW training crops the teacher labels, per |yaw| bin (AFLW's yaw, wrapped)."""
    ok = np.load(paths.CACHE / "teacher" / "aflw.npz")["ok"]
    yaw = annotations.absolute_yaw(np.load(paths.AFLW_TRAIN / "labels.npz")["yaw_degrees"])
    parts = []
    for lo, hi in bins:
        in_bin = ((yaw >= lo) if lo == 0 else (yaw > lo)) & (yaw <= hi)
        parts.append(f"{'[' if lo == 0 else '('}{lo}, {hi}] {int(ok[in_bin].sum())} of {int(in_bin.sum())}")
    return "teacher labels, per |yaw| bin: " + ", ".join(parts)


def held_out(weight: float, count: int, seed: int = 0, yaw_range=None) -> tuple[np.ndarray, float]:
    """(count, 8) normalised distances of each withheld annotated point from a fit that saw the other seven,
    on `count` teacher-labelled crops (with |yaw| in `yaw_range` degrees when given), and the rms of those fits'
    identity coefficients (~1 when the fit respects the identity prior alpha ~ N(0, 1))."""
    teacher = np.load(paths.CACHE / "teacher" / "aflw.npz")
    rng = np.random.default_rng(seed)
    pool = teacher["ok"]
    if yaw_range:
        yaw = annotations.absolute_yaw(np.load(paths.AFLW_TRAIN / "labels.npz")["yaw_degrees"])
        pool = pool & (yaw > yaw_range[0]) & (yaw <= yaw_range[1])
    idx = np.sort(rng.choice(np.flatnonzero(pool), count, replace=False))
    points = annotations.load_for(teacher["names"][idx])
    fitter = fit.Fitter(fit.FitConfig(annotation_weight=weight))
    lm478 = teacher["lm478"][idx]
    prior = facemodel.blend_mp_to_ict(teacher["blend52"][idx], fitter.model.expression_names)
    out = np.full((count, 8), np.nan)
    squares = []
    for p in range(8):
        withheld = points.copy()
        withheld[:, p] = np.nan
        fits = [fitter.fit(lm478[j], prior[j], withheld[j]) for j in np.array_split(np.arange(count), max(1, count // 256))]
        out[:, p] = agreement(points, np.concatenate([f["lm68"] for f in fits]))[:, p]
        squares += [float((f["alpha"].astype(np.float64) ** 2).mean()) for f in fits]
    return out, float(np.sqrt(np.mean(squares)))


def report(name: str, e: np.ndarray) -> str:
    return (f"{name}: {np.isfinite(e).sum()} annotated points on {len(e)} crops: mean {np.nanmean(e) * 100:.2f} %, "
            "per point " + ", ".join(f"{a}->{b}: {v * 100:.2f}" for (a, b), v in zip(annotations.AFLW_TO_68.items(),
                                                                                   np.nanmean(e, 0))))


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--labels", default="fit", help="cache folder of the fit to check (fit, fit-annotated)")
    ap.add_argument("--held-out", type=int, default=0, metavar="N",
                    help="also re-fit N crops leaving each point out, for annotation weights 0 and --weights")
    ap.add_argument("--weights", default="10,30,100")
    ap.add_argument("--yaw", default=None, metavar="LO,HI", help="held-out crops with |yaw| in (LO, HI] degrees only")
    args = ap.parse_args(argv)
    yaw_range = tuple(float(v) for v in args.yaw.split(",")) if args.yaw else None
    result = np.load(paths.CACHE / args.labels / "aflw.npz")
    points = annotations.load_for(result["names"])
    print(report(args.labels, agreement(points, result["lm68"])))
    print(f"residual to the teacher: median {np.median(result['rms_px']):.2f} px, over 3 px (dropped by training) "
          f"{(result['rms_px'] > 3).mean() * 100:.2f} % of {len(result['rms_px'])} crops")
    print("mean offset (annotation - landmark), px: " + ", ".join(
        f"{b}: ({dx:+.2f}, {dy:+.2f})" for b, (dx, dy) in zip(annotations.AFLW_TO_68.values(), offsets(points, result["lm68"]))))
    near = annotations.load_all_for(result["names"])[:, [a - 1 for a in annotations.AFLW_NEAR_68]]
    print("mean offset of the differently defined points (annotation - nearby landmark), px: " + ", ".join(
        f"{a}->{b}: ({dx:+.2f}, {dy:+.2f})" for (a, b), (dx, dy)
        in zip(annotations.AFLW_NEAR_68.items(), offsets(near, result["lm68"], annotations.AFLW_NEAR_68))))
    print(teacher_coverage())
    if args.held_out:
        for weight in [0.0] + [float(w) for w in args.weights.split(",")]:
            distance, identity_rms = held_out(weight, args.held_out, yaw_range=yaw_range)
            print(report(f"held out, annotation weight {weight:g}", distance) + f"; identity rms {identity_rms:.2f}",
                  flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
