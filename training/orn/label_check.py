"""Label quality: how far the teacher's fitted 68 landmarks lie from AFLW's human-annotated points.

Eight of AFLW's 21 points have a clear Multi-PIE counterpart (measured on the training crops: AFLW's "left" is the
image's left): eye corners 7, 9, 10, 12 -> 36, 39, 42, 45; nose tip 15 -> 30; mouth corners 18, 20 -> 48, 54;
chin 21 -> 8. Distances are normalised by sqrt(w h) of the fitted 68-landmark box, in %, like the NME.
Part of the gap is definitional (where an annotator puts the chin or a mouth corner), not teacher error.

    python -m orn.label_check
"""
import numpy as np

from . import paths

PAIRS = {7: 36, 9: 39, 10: 42, 12: 45, 15: 30, 18: 48, 20: 54, 21: 8}


def agreement(pts21, roi_box, lm68, crop=paths.CROP):
    """pts21 (N, 21, 2) original-image pixels (-1 = missing), roi_box (N, 4), lm68 (N, 68, 2) crop pixels ->
    (N, 8) normalised distances (nan where AFLW has no annotation)."""
    pc = (pts21 - roi_box[:, None, :2]) * crop / (roi_box[:, None, 2:3] - roi_box[:, None, 0:1])
    valid = (pts21 >= 0).all(-1)
    size = np.sqrt(np.ptp(lm68[:, :, 0], 1) * np.ptp(lm68[:, :, 1], 1))
    out = [np.where(valid[:, a - 1], np.linalg.norm(pc[:, a - 1] - lm68[:, b], axis=-1) / size, np.nan)
           for a, b in PAIRS.items()]
    return np.stack(out, 1)


def main() -> int:
    labels = np.load(paths.AFLW_TRAIN / "labels.npz")
    fit = np.load(paths.CACHE / "fit" / "aflw.npz")
    i = fit["index"]
    e = agreement(labels["pts21"][i].transpose(0, 2, 1), labels["roi_box"][i], fit["lm68"])
    print(f"{np.isfinite(e).sum()} annotated points on {len(i)} crops: mean {np.nanmean(e) * 100:.2f} %, per point "
          + ", ".join(f"{a}->{b}: {v * 100:.2f}" for (a, b), v in zip(PAIRS.items(), np.nanmean(e, 0))))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
