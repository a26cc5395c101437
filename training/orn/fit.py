"""Fit the ICT model to the teacher's landmarks: identity, expression, rotation, translation, scale.

Observation: MediaPipe's 468 landmarks of one crop in crop pixels (x right, y down, z in x's pixel scale, smaller
= nearer). We map them to a right-handed frame in crop units, Q = (x/W, -y/H, -z/W), and fit

    Q_i ≈ s R (neutral + A alpha + B beta)_{c(i)} + t            (weak perspective; t_z is a free nuisance)

where c(i) is the committed MediaPipe->ICT correspondence, by alternating (1) the closed-form weighted similarity
(Umeyama) for s, R, t with the shape fixed and (2) regularised linear least squares for alpha, beta with the pose
fixed:  min sum_i w_i |r_i|^2 (z rows down-weighted)  + lam_id |alpha|^2 + lam_ex |beta - beta_teacher|^2,
beta in [0, 1] (active-set clipping). alpha ~ N(0, 1) because ICT's modes are scaled by their standard deviation,
so lam_id = sigma_obs^2 is the MAP weight; the teacher's blendshape scores are the expression prior.

Everything is batched over images. Output per image: alpha (K), beta (53), R (3x3), s, t (2, crop fraction), the
residual RMS in pixels, and the 68 landmarks in crop pixels.
"""
from dataclasses import dataclass

import numpy as np

from . import correspondence, facemodel, paths


@dataclass
class FitConfig:
    K: int = 40
    iters: int = 6
    sigma_px: float = 2.0         # landmark noise assumed for the identity prior
    sigma_blend: float = 0.35     # how far the teacher's blendshape scores are trusted
    z_weight: float = 0.5         # MediaPipe's depth is less reliable than x, y
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
        self.lm68 = self.model.subset(self.model.landmarks68)

    @staticmethod
    def _blend(alpha, beta, m):
        """Shape offsets A alpha + B beta at the subset's vertices, (B, N, 3)."""
        n = m.neutral.shape[0]
        return (alpha @ m.identity.reshape(len(m.identity), -1) + beta @ m.expression.reshape(len(m.expression), -1)).reshape(-1, n, 3)

    def fit(self, lm478: np.ndarray, beta_prior: np.ndarray) -> dict:
        """lm478 (B, >=468, 3) crop pixels; beta_prior (B, 53). Returns a dict of batched arrays."""
        cfg, sub = self.cfg, self.sub
        Q = to_fit_frame(lm478[:, :468].astype(np.float64), cfg.crop)
        B, N = Q.shape[:2]
        K, E = sub.identity.shape[0], sub.expression.shape[0]
        basis = np.concatenate([sub.identity, sub.expression]).astype(np.float64)  # (K+E, N, 3)
        w = np.broadcast_to(self.weight, (B, N)).astype(np.float64)
        alpha = np.zeros((B, K))
        beta = np.clip(beta_prior, 0, 1).astype(np.float64)
        lam_id = (cfg.sigma_px / cfg.crop) ** 2
        lam_ex = lam_id / cfg.sigma_blend ** 2
        reg = np.concatenate([np.full(K, lam_id), np.full(E, lam_ex)])
        prior = np.concatenate([np.zeros((B, K)), beta_prior], 1)
        rw = np.sqrt(w)[..., None] * np.array([1.0, 1.0, np.sqrt(cfg.z_weight)])  # (B, N, 3) row weights
        for _ in range(cfg.iters):
            shape = sub.neutral + self._blend(alpha, beta, sub)
            s, R, t = umeyama_batch(shape, Q, w)
            J = s[:, None, None, None] * (basis[None] @ R.transpose(0, 2, 1)[:, None])  # (B, K+E, N, 3)
            r0 = Q - t[:, None] - s[:, None, None] * np.einsum("bij,nj->bni", R, sub.neutral)
            Jw = (J * rw[:, None]).reshape(B, K + E, -1)
            rw0 = (r0 * rw).reshape(B, -1)
            free = np.ones((B, K + E), bool)
            fixed_val = np.zeros((B, K + E))
            JtJ0 = Jw @ Jw.transpose(0, 2, 1) + np.diag(reg)
            Jtr0 = (Jw @ rw0[..., None])[..., 0] + reg * prior
            for _pass in range(3):  # active set for beta in [0, 1]
                JtJ, Jtr = JtJ0, Jtr0
                # fixed coefficients move to the right-hand side; their rows/cols become identity
                Jtr = Jtr - np.einsum("bkl,bl->bk", JtJ * (~free)[:, None, :], fixed_val)
                A = np.where(free[:, :, None] & free[:, None, :], JtJ, 0.0) + np.eye(K + E) * (~free)[:, :, None]
                rhs = np.where(free, Jtr, fixed_val)
                x = np.linalg.solve(A, rhs[..., None])[..., 0]
                b = x[:, K:]
                over, under = (b > 1) & free[:, K:], (b < 0) & free[:, K:]
                if not (over.any() or under.any()):
                    break
                free[:, K:] &= ~(over | under)
                fixed_val[:, K:] = np.where(over, 1.0, np.where(under, 0.0, fixed_val[:, K:]))
            alpha, beta = x[:, :K], np.clip(x[:, K:], 0, 1)
        shape = sub.neutral + self._blend(alpha, beta, sub)
        s, R, t = umeyama_batch(shape, Q, w)
        pred = project(shape, R, s, t[:, :2], cfg.crop)
        rms = np.sqrt(((pred - lm478[:, :468, :2]) ** 2).sum(-1).mean(-1))
        v68 = self.lm68.neutral + self._blend(alpha, beta, self.lm68)
        return dict(alpha=alpha.astype(np.float32), beta=beta.astype(np.float32), R=R.astype(np.float32),
                    s=s.astype(np.float32), t=t[:, :2].astype(np.float32), rms_px=rms.astype(np.float32),
                    lm68=project(v68, R, s, t[:, :2], cfg.crop).astype(np.float32))
