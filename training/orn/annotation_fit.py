"""Labels from AFLW's annotation alone, for the training crops the teacher does not find (mostly beyond 60° yaw).

MediaPipe finds no face in 1,719 of the 19,080 AFLW training crops, nearly all turned far from the camera: of the
3,795 crops beyond 60° of yaw, 1,452 have no teacher label, so the network sees few profiles. Their annotated points
(4 to 21, median 11) still fix the head's pose, scale and position and, weakly, its shape.

Each of the 21 AFLW points gets the ICT vertex whose projection lies closest to it on average over teacher-labelled
crops (`select_vertices`, committed as `assets/aflw21_to_ict.npz`; 2.1-2.5 % of the face size for eye and mouth
corners, 7 % for the ear lobes). A crop without teacher labels is then fitted by nonlinear least squares over
rotation, scale, translation and the first `modes` identity coefficients, expression neutral:

    sum_a |project(v_a) - p_a|^2 / sigma_px^2  +  |alpha|^2  +  (yaw(R) - yaw_aflw)^2 / sigma_yaw^2

started from AFLW's own yaw (its sign is the opposite of ours). The identity and expression of such a label are
priors, not measurements, so training uses only its pose and landmarks (`Labels.known` = 0). Its 68 landmarks still come from a
neutral-expression face with 10 identity modes, so the landmark loss teaches that shape where no point was annotated.

    python -m orn.annotation_fit [--select-vertices]     # writes cache/fit-annotated/aflw_annotation_only.npz
"""
import argparse
import time

import numpy as np
from scipy.optimize import least_squares
from scipy.spatial.transform import Rotation

from . import annotations, facemodel, fit, paths

VERTICES = paths.ASSETS / "aflw21_to_ict.npz"


def select_vertices(labels_folder: str = "fit-annotated", sample: int = 3000, seed: int = 0) -> np.ndarray:
    """For each AFLW point, the ICT vertex nearest to it on average (normalised by face size) over `sample`
    teacher-labelled crops. Returns (21,) vertex indices and writes them to assets/aflw21_to_ict.npz."""
    labels = np.load(paths.AFLW_TRAIN / "labels.npz")
    fitted = np.load(paths.CACHE / labels_folder / "aflw.npz")
    row = {n: i for i, n in enumerate(labels["names"])}
    rows = np.array([row[n] for n in fitted["names"]])
    points = annotations.all_in_crop(labels["pts21"][rows], labels["roi_box"][rows].astype(np.float64))
    model = facemodel.load(fitted["alpha"].shape[1])
    chosen = np.random.default_rng(seed).choice(len(rows), min(sample, len(rows)), replace=False)
    sums = np.zeros((21, model.neutral.shape[0]))
    counts = np.zeros(21)
    for batch in np.array_split(chosen, max(1, len(chosen) // 50)):
        projected = fit.project(model.vertices(fitted["alpha"][batch], fitted["beta"][batch]), fitted["R"][batch],
                                fitted["s"][batch], fitted["t"][batch], paths.CROP)
        lm68 = fitted["lm68"][batch]
        size = annotations.face_size(lm68)
        distance = np.linalg.norm(projected[:, None] - points[batch][:, :, None], axis=-1) / size[:, None, None]
        have = np.isfinite(points[batch]).all(-1)
        sums += np.where(have[..., None], distance, 0).sum(0)
        counts += have.sum(0)
    mean = sums / counts[:, None]
    vertices = mean.argmin(1)
    np.savez(VERTICES, ict_index=vertices, mean_distance=mean[np.arange(21), vertices])
    return vertices


def yaw_of(R: np.ndarray) -> np.ndarray:
    """Yaw in degrees of rotations in the fit frame (x right, y up, z towards the camera)."""
    return np.degrees(np.arctan2(R[..., 0, 2], R[..., 2, 2]))


class AnnotationFitter:
    """Pose, scale, translation and a few identity modes from annotated 2-D points alone (expression neutral)."""

    def __init__(self, vertices: np.ndarray, K: int = 40, modes: int = 10, sigma_px: float = 2.0,
                 sigma_yaw: float = 20.0, crop: int = paths.CROP):
        self.model = facemodel.load(K)
        self.points = self.model.subset(vertices)
        self.lm68 = self.model.subset(self.model.landmarks68)
        self.K, self.modes, self.sigma_px, self.sigma_yaw, self.crop = K, modes, sigma_px, sigma_yaw, crop

    def _unpack(self, x):
        R = Rotation.from_rotvec(x[:3]).as_matrix()
        alpha = np.zeros(self.K)
        alpha[:self.modes] = x[6:]
        return R, x[3], x[4:6], alpha

    def _project(self, part, x):
        R, s, t, alpha = self._unpack(x)
        shape = part.vertices(alpha, np.zeros(53))
        return fit.project(shape[None], R[None], np.array([s]), t[None], self.crop)[0], R

    def fit_one(self, points: np.ndarray, yaw_aflw: float) -> dict | None:
        """points (21, 2) crop pixels, NaN where not annotated; yaw_aflw in AFLW's convention (degrees).
        None when the solver fails or ends at a negative scale."""
        have = np.isfinite(points).all(-1)
        target = points[have]
        yaw0 = -yaw_aflw
        R0 = Rotation.from_euler("y", yaw0, degrees=True)
        shape0 = self.points.neutral[have] @ R0.as_matrix().T
        spread = np.sqrt(((target - target.mean(0)) ** 2).sum(-1).mean())
        spread0 = np.sqrt(((shape0[:, :2] - shape0[:, :2].mean(0)) ** 2).sum(-1).mean())
        s0 = spread / max(spread0, 1e-6) / self.crop
        t0 = np.array([target[:, 0].mean() / self.crop - s0 * shape0[:, 0].mean(),
                       -target[:, 1].mean() / self.crop - s0 * shape0[:, 1].mean()])
        x0 = np.r_[R0.as_rotvec(), s0, t0, np.zeros(self.modes)]

        def residuals(x):
            projected, R = self._project(self.points, x)
            yaw_error = (yaw_of(R) - yaw0 + 180) % 360 - 180
            return np.r_[((projected[have] - target) / self.sigma_px).ravel(), x[6:], yaw_error / self.sigma_yaw]

        result = least_squares(residuals, x0, method="lm", max_nfev=2000)
        if not result.success or result.x[3] <= 0:
            return None  # no solution, or one seen from behind (negative scale): no label
        projected, _ = self._project(self.points, result.x)
        R, s, t, alpha = self._unpack(result.x)
        lm68, _ = self._project(self.lm68, result.x)
        return dict(alpha=alpha, beta=np.zeros(53), R=R, s=s, t=t, lm68=lm68,
                    rms_px=np.sqrt(((projected[have] - target) ** 2).sum(-1).mean()), points=int(have.sum()))


def fit_teacher_misses(labels_folder: str = "fit-annotated", minimum_points: int = 6) -> None:
    """Fit every AFLW crop without a teacher label that has at least `minimum_points` annotated points;
    write cache/{labels_folder}/aflw_annotation_only.npz (same keys as orn.fit, K identity modes, beta zero)."""
    labels = np.load(paths.AFLW_TRAIN / "labels.npz")
    teacher = np.load(paths.CACHE / "teacher" / "aflw.npz")
    assert (teacher["names"] == labels["names"]).all()
    points = annotations.all_in_crop(labels["pts21"], labels["roi_box"].astype(np.float64))
    count = np.isfinite(points).all(-1).sum(1)
    index = np.flatnonzero(~teacher["ok"] & (count >= minimum_points))
    fitter = AnnotationFitter(np.load(VERTICES)["ict_index"])
    t0 = time.time()
    results = [fitter.fit_one(points[i], float(labels["yaw_degrees"][i])) for i in index]
    failed = sum(r is None for r in results)
    index = np.array([i for i, r in zip(index, results) if r is not None])
    results = [r for r in results if r is not None]
    keys = ["alpha", "beta", "R", "s", "t", "rms_px", "lm68"]
    arrays = {k: np.stack([r[k] for r in results]).astype(np.float32) for k in keys}
    out = paths.CACHE / labels_folder / "aflw_annotation_only.npz"
    out.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(out, index=index, names=labels["names"][index], K=fitter.K, **arrays)
    print(f"annotation-only fit: {len(index)} crops without a teacher label (of {int((~teacher['ok']).sum())}; "
          f"{failed} without a solution), "
          f"median residual {np.median(arrays['rms_px']):.2f} px, {time.time() - t0:.0f}s -> {out}", flush=True)


def held_out_comparison(count: int = 80, seed: int = 2, bins=((0, 30), (60, 90))) -> None:
    """On teacher-labelled crops, how well each of the eight clear annotated points is predicted when withheld: by the
    teacher-only fit (cache/fit) and by an annotation-only fit of the other points; both read at the data-driven
    vertex of that point. Prints the mean normalised distance (%) per |yaw| bin."""
    labels = np.load(paths.AFLW_TRAIN / "labels.npz")
    teacher_fit = np.load(paths.CACHE / "fit" / "aflw.npz")
    points = annotations.all_in_crop(labels["pts21"], labels["roi_box"].astype(np.float64))
    yaw = annotations.absolute_yaw(labels["yaw_degrees"])
    fitter = AnnotationFitter(np.load(VERTICES)["ict_index"])
    at_points = fitter.points  # the model at the 21 points' vertices only
    clear = [a - 1 for a in annotations.AFLW_TO_68]
    rng = np.random.default_rng(seed)
    for lo, hi in bins:
        rows = rng.choice(np.flatnonzero((yaw[teacher_fit["index"]] > lo) & (yaw[teacher_fit["index"]] <= hi)), count,
                          replace=False)
        teacher_error, annotation_error = [], []
        for r in rows:
            i = teacher_fit["index"][r]
            p = points[i]
            if np.isfinite(p).all(-1).sum() < 7:
                continue
            lm = teacher_fit["lm68"][r]
            size = annotations.face_size(lm)
            shape = at_points.vertices(teacher_fit["alpha"][r], teacher_fit["beta"][r])
            by_teacher = fit.project(shape[None], teacher_fit["R"][r][None], teacher_fit["s"][r:r + 1],
                                     teacher_fit["t"][r][None], paths.CROP)[0]
            for a in clear:
                if not np.isfinite(p[a]).all():
                    continue
                withheld = p.copy()
                withheld[a] = np.nan
                out = fitter.fit_one(withheld, float(labels["yaw_degrees"][i]))
                if out is None:
                    continue
                shape = at_points.vertices(out["alpha"], out["beta"])
                by_annotation = fit.project(shape[None], out["R"][None], np.array([out["s"]]), out["t"][None], paths.CROP)[0]
                teacher_error.append(np.linalg.norm(by_teacher[a] - p[a]) / size)
                annotation_error.append(np.linalg.norm(by_annotation[a] - p[a]) / size)
        print(f"|yaw| ({lo}, {hi}]: withheld point {np.mean(teacher_error) * 100:.2f} % from the teacher fit, "
              f"{np.mean(annotation_error) * 100:.2f} % from the annotation-only fit ({len(teacher_error)} points)", flush=True)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--select-vertices", action="store_true", help="re-derive assets/aflw21_to_ict.npz first")
    ap.add_argument("--labels", default="fit-annotated", help="cache folder of the teacher fit (and of the output)")
    ap.add_argument("--held-out", action="store_true",
                    help="only compare teacher and annotation-only fits on withheld points (teacher-labelled crops)")
    args = ap.parse_args(argv)
    if args.held_out:
        held_out_comparison()
        return 0
    if args.select_vertices:
        print("AFLW 21 -> ICT vertices:", select_vertices(args.labels).tolist(), flush=True)
    fit_teacher_misses(args.labels)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
