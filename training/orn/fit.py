"""Fit the ICT model to the teacher's landmarks: identity, expression, rotation, translation, scale.

Observation: MediaPipe's 468 landmarks of one crop in crop pixels (x right, y down, z in x's pixel scale, smaller
= nearer). We map them to a right-handed frame in crop units, Q = (x/W, -y/H, -z/W), and fit

    Q_i ≈ s R (neutral + A alpha + B beta)_{c(i)} + t            (weak perspective; t_z is a free nuisance)

where c(i) is the committed MediaPipe->ICT correspondence, by alternating (1) the closed-form weighted similarity
(Umeyama) for s, R, t with the shape fixed and (2) regularised linear least squares for alpha, beta with the pose
fixed:  min sum_i w_i |r_i|^2 (z rows down-weighted)  + lam_id |alpha|^2 + lam_ex |beta - beta_teacher|^2,
beta in [0, 1] (active-set clipping). alpha ~ N(0, 1) because ICT's modes are scaled by their standard deviation,
so lam_id = sigma_obs^2 is the MAP weight; the teacher's blendshape scores are the expression prior.

Human annotation, where a crop has it (AFLW's 21 points; `annotations.AFLW_TO_68` names the eight with a clear
Multi-PIE counterpart), enters step (2) as extra 2-D rows at the ICT vertex of that 68-landmark, each weighted
`annotation_weight` times a MediaPipe point. The teacher and the annotators place the eye and mouth corners and the
chin differently by about 2 px on a 120-px crop (`python -m orn.label_check`); AFLW2000-3D's 68 points were fitted to
AFLW's annotation, so the annotated rows pull the labels towards that convention. The pose then comes from the
last linear solve (R from step 1, s and t from step 2) so that it, too, sees the annotation.

Everything is batched over images. Output per image: alpha (K), beta (53), R (3x3), s, t (2, crop fraction), the
residual RMS in pixels, and the 68 landmarks in crop pixels.
"""
from dataclasses import dataclass

import numpy as np

from . import annotations, correspondence, facemodel, paths


@dataclass
class FitConfig:
    K: int = 40
    iters: int = 6
    sigma_px: float = 2.0         # landmark noise assumed for the identity prior
    sigma_blend: float = 0.35     # how far the teacher's blendshape scores are trusted
    z_weight: float = 0.5         # MediaPipe's depth is less reliable than x, y
    annotation_weight: float = 0.0  # weight of one human-annotated point relative to one MediaPipe point
    keypoint_weight: float = 0.3    # weight of one 3DDFA keypoint relative to one MediaPipe point (see fit_fused)
    dense_weight: float = 1.0       # weight of MediaPipe's 468 points in the shape; 0: its blendshapes are the prior
    crop: int = paths.CROP


def umeyama_batch(src, dst, w):
    """Batched weighted similarity: src, dst (B, N, 3), w (B, N) -> s (B,), R (B, 3, 3), t (B, 3)."""
    w = w / w.sum(1, keepdims=True)
    mu_s = np.einsum("bn,bnc->bc", w, src)
    mu_d = np.einsum("bn,bnc->bc", w, dst)
    a, b = src - mu_s[:, None], dst - mu_d[:, None]
    cov = np.einsum("bn,bni,bnj->bij", w, b, a)
    U, S, Vt = np.linalg.svd(cov)
    d = np.sign(np.linalg.det(U @ Vt))
    D = np.zeros_like(cov)
    D[:, 0, 0] = 1
    D[:, 1, 1] = 1
    D[:, 2, 2] = d
    R = U @ D @ Vt
    var = np.einsum("bn,bnc->b", w, a ** 2)
    s = (S[:, 0] + S[:, 1] + d * S[:, 2]) / var
    t = mu_d - s[:, None] * np.einsum("bij,bj->bi", R, mu_s)
    return s, R, t


def to_fit_frame(lm: np.ndarray, crop: int) -> np.ndarray:
    """(.., 468, 3) crop pixels -> right-handed crop units (x/W, -y/H, -z/W)."""
    return np.stack([lm[..., 0] / crop, -lm[..., 1] / crop, -lm[..., 2] / crop], -1)


def project(vertices: np.ndarray, R: np.ndarray, s: np.ndarray, t: np.ndarray, crop: int) -> np.ndarray:
    """(B, N, 3) model vertices -> (B, N, 2) crop pixels, with t (B, 2) in crop fraction."""
    cam = s[:, None, None] * np.einsum("bij,bnj->bni", R, vertices)
    return np.stack([(cam[..., 0] + t[:, None, 0]) * crop, -(cam[..., 1] + t[:, None, 1]) * crop], -1)


class Fitter:
    def __init__(self, cfg: FitConfig = FitConfig(), model: facemodel.FaceModel | None = None):
        self.cfg = cfg
        self.model = model or facemodel.load(cfg.K)
        idx, self.weight = correspondence.load()
        self.sub = self.model.subset(idx)
        # The calibrated landmarks; before `orn.landmark_calibration` has written them (its own input is the
        # teacher-only fit, which uses no landmark), ICT's Multi-PIE vertices stand in.
        self.lm68 = (self.model.landmark_model() if facemodel.LANDMARK_DEFINITION.exists()
                     else self.model.subset(self.model.landmarks68))
        self.annotated = self.lm68.subset(np.array(list(annotations.AFLW_TO_68.values())))

    @staticmethod
    def _blend(alpha, beta, m):
        """Shape offsets A alpha + B beta at the subset's vertices, (B, N, 3)."""
        n = m.neutral.shape[0]
        return (alpha @ m.identity.reshape(len(m.identity), -1) + beta @ m.expression.reshape(len(m.expression), -1)).reshape(-1, n, 3)

    def fit(self, lm478: np.ndarray, beta_prior: np.ndarray, annotated: np.ndarray | None = None,
            keypoints: np.ndarray | None = None, teacher_found: np.ndarray | None = None) -> dict:
        """lm478 (B, >=468, 3) crop pixels; beta_prior (B, 53); annotated (B, 8, 2) crop pixels of the
        `annotations.AFLW_TO_68` points, NaN where not annotated (used when cfg.annotation_weight > 0);
        keypoints (B, 68, 3) the 3DDFA teacher's keypoints in crop pixels (x right, y down, z towards the camera),
        fitted at the calibrated landmarks with cfg.keypoint_weight each; teacher_found (B,) False where MediaPipe
        found no face (its rows then weigh nothing: the fit rests on the keypoints and annotation).
        Returns a dict of batched arrays."""
        cfg, sub = self.cfg, self.sub
        Q = to_fit_frame(lm478[:, :468].astype(np.float64), cfg.crop)
        B = Q.shape[0]
        w = np.broadcast_to(self.weight, (B, Q.shape[1])).astype(np.float64)
        if teacher_found is not None:
            w = w * teacher_found[:, None]
        w = w * cfg.dense_weight
        if keypoints is not None:
            k = keypoints.astype(np.float64) / cfg.crop
            Q = np.concatenate([Q, np.stack([k[..., 0], -k[..., 1], k[..., 2]], -1)], 1)
            w = np.concatenate([w, np.full((B, 68), cfg.keypoint_weight)], 1)
            sub = facemodel.FaceModel.concatenate(sub, self.lm68)
        N = Q.shape[1]
        K, E = sub.identity.shape[0], sub.expression.shape[0]
        basis = np.concatenate([sub.identity, sub.expression]).astype(np.float64)  # (K+E, N, 3)
        rw = np.sqrt(w)[..., None] * np.array([1.0, 1.0, np.sqrt(cfg.z_weight)])  # (B, N, 3) row weights
        neutral = sub.neutral
        use_annotation = annotated is not None and cfg.annotation_weight > 0
        if use_annotation:  # extra 2-D rows: x, y weighted, z row zero; a missing point weighs nothing
            have = np.isfinite(annotated).all(-1)
            Qa = np.nan_to_num(to_fit_frame(np.concatenate([annotated, np.zeros_like(annotated[..., :1])], -1), cfg.crop))
            rwa = np.sqrt(cfg.annotation_weight * have)[..., None] * np.array([1.0, 1.0, 0.0])
            Q, rw = np.concatenate([Q, Qa], 1), np.concatenate([rw, rwa], 1)
            neutral = np.concatenate([sub.neutral, self.annotated.neutral])
            basis = np.concatenate([basis, np.concatenate([self.annotated.identity, self.annotated.expression])], 1)
        P = Q.shape[1]
        alpha = np.zeros((B, K))
        beta = np.clip(beta_prior, 0, 1).astype(np.float64)
        lam_id = (cfg.sigma_px / cfg.crop) ** 2
        lam_ex = lam_id / cfg.sigma_blend ** 2
        prior = np.concatenate([np.zeros((B, K)), beta_prior], 1)
        M = 1 + K + E + 3  # unknowns: scale, s*alpha, s*beta, t (linear for a fixed rotation)
        eye3 = np.broadcast_to(np.eye(3)[:, None, :], (3, P, 3))
        for _ in range(cfg.iters):
            shape = sub.neutral + self._blend(alpha, beta, sub)
            s, R, t = umeyama_batch(shape, Q[:, :N], w)
            Rt = R.transpose(0, 2, 1)[:, None]
            cols = np.concatenate([(neutral[None, None] @ Rt), basis[None] @ Rt,
                                   np.broadcast_to(eye3, (B, 3, P, 3))], 1)            # (B, M, P, 3)
            Jw = (cols * rw[:, None]).reshape(B, M, -1)
            Qw = (Q * rw).reshape(B, -1)
            # MAP prior on alpha = a / s and beta = b / s, linearised at the current scale
            reg = np.concatenate([np.zeros((B, 1)), np.repeat((np.r_[np.full(K, lam_id), np.full(E, lam_ex)])[None], B, 0)
                                  / s[:, None] ** 2, np.zeros((B, 3))], 1)
            target = np.concatenate([np.zeros((B, 1)), prior * s[:, None], np.zeros((B, 3))], 1)
            JtJ = Jw @ Jw.transpose(0, 2, 1) + reg[:, :, None] * np.eye(M)
            Jtr = (Jw @ Qw[..., None])[..., 0] + reg * target
            free = np.ones((B, M), bool)
            fixed_val = np.zeros((B, M))
            ex = slice(1 + K, 1 + K + E)
            for _pass in range(4):  # active set for beta = b / s in [0, 1]
                rhs = Jtr - np.einsum("bkl,bl->bk", JtJ * (~free)[:, None, :], fixed_val)
                A = np.where(free[:, :, None] & free[:, None, :], JtJ, 0.0) + np.eye(M) * (~free)[:, :, None]
                x = np.linalg.solve(A, np.where(free, rhs, fixed_val)[..., None])[..., 0]
                b = x[:, ex] / x[:, :1]
                over, under = (b > 1) & free[:, ex], (b < 0) & free[:, ex]
                if not (over.any() or under.any()):
                    break
                free[:, ex] &= ~(over | under)
                fixed_val[:, ex] = np.where(over, x[:, :1], np.where(under, 0.0, fixed_val[:, ex]))
            alpha, beta = x[:, 1:1 + K] / x[:, :1], np.clip(x[:, ex] / x[:, :1], 0, 1)
        shape = sub.neutral + self._blend(alpha, beta, sub)
        if use_annotation:
            s, t = x[:, 0], x[:, -3:]
        else:
            s, R, t = umeyama_batch(shape, Q[:, :N], w)
        pred = project(shape, R, s, t[:, :2], cfg.crop)
        rms = np.sqrt(((pred[:, :468] - lm478[:, :468, :2]) ** 2).sum(-1).mean(-1))
        v68 = self.lm68.neutral + self._blend(alpha, beta, self.lm68)
        result = dict(alpha=alpha.astype(np.float32), beta=beta.astype(np.float32), R=R.astype(np.float32),
                      s=s.astype(np.float32), t=t[:, :2].astype(np.float32), rms_px=rms.astype(np.float32),
                      lm68=project(v68, R, s, t[:, :2], cfg.crop).astype(np.float32))
        if keypoints is not None:
            result["keypoint_rms_px"] = np.sqrt(((pred[:, 468:] - keypoints[..., :2]) ** 2).sum(-1).mean(-1)).astype(np.float32)
            if teacher_found is not None:  # without the teacher's points, the keypoints' residual is the fit's
                result["rms_px"] = np.where(teacher_found, result["rms_px"], result["keypoint_rms_px"])
        return result

    def pose_from_keypoints(self, result: dict, keypoints: np.ndarray) -> dict:
        """The fit's shape (identity, expression) kept, its pose re-estimated from the 3DDFA keypoints alone: the
        similarity that best maps the shape's calibrated landmarks onto the keypoints (B, 68, 3 crop pixels, z
        towards the camera). Pose from the teacher that is strong at pose, shape from the one with dense points.
        Returns a copy of `result` with R, s, t, lm68 and keypoint_rms_px replaced."""
        crop = self.cfg.crop
        shape = self.lm68.neutral + self._blend(result["alpha"].astype(np.float64), result["beta"].astype(np.float64),
                                                self.lm68)
        k = keypoints.astype(np.float64) / crop
        target = np.stack([k[..., 0], -k[..., 1], k[..., 2]], -1)
        s, R, t = umeyama_batch(shape, target, np.ones(shape.shape[:2]))
        lm68 = project(shape, R, s, t[:, :2], crop)
        out = dict(result)
        out.update(R=R.astype(np.float32), s=s.astype(np.float32), t=t[:, :2].astype(np.float32),
                   lm68=lm68.astype(np.float32),
                   keypoint_rms_px=np.sqrt(((lm68 - keypoints[..., :2]) ** 2).sum(-1).mean(-1)).astype(np.float32))
        return out


def fit_cache(source: str, cfg: FitConfig = FitConfig(), batch: int = 256, out: str = "fit") -> None:
    """Fit every labelled image of cache/teacher/{source}.npz; write cache/{out}/{source}.npz. AFLW crops use their
    annotated points when cfg.annotation_weight > 0 (video crops have none)."""
    import time
    src = np.load(paths.CACHE / "teacher" / f"{source}.npz")
    fitter = Fitter(cfg)
    ok = src["ok"]
    idx = np.flatnonzero(ok)
    prior = facemodel.blend_mp_to_ict(src["blend52"], fitter.model.expression_names)
    points = annotations.load_for(src["names"][idx]) if source == "aflw" and cfg.annotation_weight > 0 else None
    keys = ["alpha", "beta", "R", "s", "t", "rms_px", "lm68"]
    res = {k: [] for k in keys}
    t0 = time.time()
    for i in range(0, len(idx), batch):
        j = idx[i:i + batch]
        result = fitter.fit(src["lm478"][j], prior[j], None if points is None else points[i:i + batch])
        for k in keys:
            res[k].append(result[k])
        if (i // batch) % 10 == 0:
            print(f"fit {source} {i}/{len(idx)} {time.time() - t0:.0f}s", flush=True)
    res = {k: np.concatenate(v) for k, v in res.items()}
    out_path = paths.CACHE / out / f"{source}.npz"
    out_path.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(out_path, index=idx, names=src["names"][idx], K=cfg.K,
                        annotation_weight=cfg.annotation_weight if points is not None else 0.0, **res)
    print(f"fit {source}: {len(idx)} images, median rms {np.median(res['rms_px']):.2f} px, "
          f"95% {np.percentile(res['rms_px'], 95):.2f} px, {time.time() - t0:.0f}s -> {out_path}", flush=True)


def fit_fused(source: str, cfg: FitConfig, batch: int = 256, out: str = "fused") -> None:
    """Both teachers and the annotation, each where it is strong, for every crop of a source (`aflw`: all 19,080
    training crops, whether MediaPipe found a face or not; `video`): the shape (identity, expression) from a fit to
    MediaPipe's 468 points and blendshapes where it found the face, with AFLW's annotated points and, lightly,
    3DDFA's 68 keypoints at the calibrated landmarks; then the pose from the keypoints alone
    (`Fitter.pose_from_keypoints`). The keypoints stay light in the shape fit because the teachers disagree on shape:
    on 1,500 crops, identity coefficients (N(0, 1) a priori) grow from rms 1.30 (keypoint weight 0) to 1.37 / 1.78 /
    2.63 at weights 0.3 / 1 / 3 while the keypoints' residual after the pose fit stays at 2.0 px; 0.3 is the default.
    With `cfg.dense_weight` 0 MediaPipe's points leave the shape fit and only its blendshape scores remain, as the
    expression prior: the shape is then fitted to the keypoints and the annotation alone (the `fused-keypoints` labels of
    training/README.md, session 16).
    Writes cache/{out}/{source}.npz with the fit, `keypoints` (N, 68, 2) the 3DDFA points in crop pixels (the
    landmark target in training), `known` (MediaPipe found the face: identity and expression are measured), the
    residuals, and `annotation_nme` (mean distance of the 3DDFA keypoints from the annotated points over face size,
    NaN without annotation) so that gross teacher failures can be dropped."""
    import time
    from . import teacher3ddfa
    fitter = Fitter(cfg)
    if source == "aflw":
        names = np.load(paths.AFLW_TRAIN / "labels.npz")["names"]
    else:
        names = np.load(paths.CACHE / "teacher" / "video.npz")["names"]
    mediapipe = np.load(paths.CACHE / "teacher" / f"{source}.npz")
    row = {n: i for i, n in enumerate(mediapipe["names"])}
    mp_index = np.array([row.get(n, -1) for n in names])
    found = (mp_index >= 0) & mediapipe["ok"][np.maximum(mp_index, 0)]
    lm478 = np.where(found[:, None, None], mediapipe["lm478"][np.maximum(mp_index, 0)], 0.0)
    prior = np.where(found[:, None], facemodel.blend_mp_to_ict(mediapipe["blend52"][np.maximum(mp_index, 0)],
                                                               fitter.model.expression_names), 0.0)
    keypoints = teacher3ddfa.load(source, names)
    points = annotations.load_for(names) if source == "aflw" else np.full((len(names), 8, 2), np.nan)
    use_points = points if cfg.annotation_weight > 0 else None
    keys = ["alpha", "beta", "R", "s", "t", "rms_px", "keypoint_rms_px", "lm68"]
    res = {k: [] for k in keys}
    t0 = time.time()
    for i in range(0, len(names), batch):
        j = slice(i, i + batch)
        result = fitter.fit(lm478[j], prior[j], None if use_points is None else use_points[j], keypoints[j], found[j])
        result = fitter.pose_from_keypoints(result, keypoints[j])
        for k in keys:
            res[k].append(result[k])
    res = {k: np.concatenate(v) for k, v in res.items()}
    size = annotations.face_size(keypoints[..., :2])
    with np.errstate(invalid="ignore"):
        annotation_nme = np.nanmean(annotations.distances(points, keypoints[..., :2], size), 1)
    out_path = paths.CACHE / out / f"{source}.npz"
    out_path.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(out_path, names=names, K=cfg.K, annotation_weight=cfg.annotation_weight,
                        keypoint_weight=cfg.keypoint_weight, dense_weight=cfg.dense_weight,
                        known=found.astype(np.float32),
                        keypoints=keypoints[..., :2].astype(np.float32), annotation_nme=annotation_nme.astype(np.float32),
                        **res)
    print(f"fused fit {source}: {len(names)} crops ({found.sum()} with MediaPipe), median rms {np.median(res['rms_px']):.2f} px, "
          f"keypoint rms median {np.median(res['keypoint_rms_px']):.2f} / 95% {np.percentile(res['keypoint_rms_px'], 95):.2f} px, "
          f"{time.time() - t0:.0f}s -> {out_path}", flush=True)


#: The shipped labels: one AFLW-annotated point weighs as much as 10 teacher points (the teacher's 468 errors move
#: together; an annotator's are independent). `python -m orn.label_check --labels fit-annotated --held-out 1024
#: --weights 10,30,100,300,1000` (each point withheld in turn, 1,024 training crops): the withheld point lies 4.42 %
#: from the teacher-only fit, 4.31 / 4.21 / 4.11 / 4.05 / 4.11 % at those weights, while the fits' identity
#: coefficients, alpha ~ N(0, 1) a priori, grow from rms 1.14 to 1.26 / 1.57 / 2.11 / 2.72 / 3.26: past 10 the fit
#: bends the face to hit eight points.
ANNOTATION_WEIGHT = 10.0


def main(argv=None) -> int:
    """Single-threaded BLAS is advised (OPENBLAS_NUM_THREADS=1): the batched 98x98 solves run several times faster
    than with threads on a shared 2-core machine."""
    import argparse
    ap = argparse.ArgumentParser(description="Fit ICT to the cached teacher labels (python -m orn.fit).")
    ap.add_argument("--K", type=int, default=FitConfig.K)
    ap.add_argument("--annotation-weight", type=float, default=ANNOTATION_WEIGHT,
                    help="weight of one AFLW-annotated point relative to one teacher point (0: teacher only)")
    ap.add_argument("--out", default="fit-annotated", help="cache folder to write (training configs name it as `labels`)")
    ap.add_argument("--fused", action="store_true",
                    help="fit both teachers (MediaPipe + 3DDFA keypoints) and the annotation for every crop "
                         "(needs orn.teacher, orn.teacher3ddfa and the calibrated landmarks); default --out fused")
    ap.add_argument("--keypoint-weight", type=float, default=FitConfig.keypoint_weight)
    ap.add_argument("--dense-weight", type=float, default=FitConfig.dense_weight,
                    help="with --fused: weight of MediaPipe's 468 points in the shape (0: keypoints and annotation "
                         "alone, MediaPipe's blendshapes the expression prior)")
    ap.add_argument("sources", nargs="*", default=["video", "aflw"])
    args = ap.parse_args(argv)
    if args.dense_weight < 0 or (args.dense_weight == 0 and not args.fused):
        ap.error("--dense-weight must be >= 0, and 0 only with --fused (the keypoints then carry the fit)")
    for source in args.sources:
        cfg = FitConfig(K=args.K, annotation_weight=args.annotation_weight, keypoint_weight=args.keypoint_weight,
                        dense_weight=args.dense_weight)
        if args.fused:
            fit_fused(source, cfg, out="fused" if args.out == "fit-annotated" else args.out)
        else:
            fit_cache(source, cfg, out=args.out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
