"""A second occlusion test, deliberately unlike the training generator (`orn.occlusion`), that training never sees.

Nothing in `orn.train` or `orn.data` imports this module (a test checks it). Its occluders share nothing with the
training families but the coverage definition (the convex hull of the 68 landmarks, `occlusion.face_mask`):
- shapes: rectangles, ellipses and random star-shaped polygons, each under a random perspective (a homography of
  its square), one or two pieces per image, placed anywhere inside the face hull (not at the anchors the training
  families use), at any angle;
- fills with other colour statistics: checkerboards, stripes, linear gradients, uniform or salt-and-pepper or blocky
  noise in colours drawn uniformly in HSV (neon included), a flat colour, or a patch of the same photo's own
  surroundings (outside the face hull), mirrored and re-zoomed: never a training image;
- compositing: either hard, aliased edges (nearest-neighbour) at full opacity, or a feathered alpha edge at 75-95 %
  opacity; no match to the photo's light, blur or noise (the training generator matches all three).
Made once per image with a fixed seed (`occlude_second`), at moderate (20-30 % of the face hull) and heavy
(40-50 %) coverage (`LEVELS`). `evaluate.py` reports them as `second_moderate` / `second_heavy`, `orn.validate` as
extra columns.
"""
import numpy as np
from PIL import Image, ImageDraw
from scipy.ndimage import gaussian_filter

from .occlusion import Occlusion, face_mask, landmark_visibility

LEVELS = {"second_moderate": (0.2, 0.3), "second_heavy": (0.4, 0.5)}
SHAPES = ("rectangle", "ellipse", "polygon")
FILLS = ("checker", "stripes", "gradient", "uniform_noise", "salt_pepper", "blocks", "flat", "self")
LOCAL = 64  # side of a piece's own square canvas


def _hsv_colour(rng):
    h, s, v = rng.uniform(0, 1), rng.uniform(0, 1), rng.uniform(0.05, 1)
    i, f = int(h * 6) % 6, h * 6 - int(h * 6)
    p, q, t = v * (1 - s), v * (1 - f * s), v * (1 - (1 - f) * s)
    return np.array([(v, t, p), (q, v, p), (p, v, t), (p, q, v), (t, p, v), (v, p, q)][i]) * 255


def _fill(rng, kind, image, outside):
    n = LOCAL
    yy, xx = np.mgrid[0:n, 0:n].astype(np.float32)
    a, b = _hsv_colour(rng), _hsv_colour(rng)
    if kind == "checker":
        p = rng.integers(4, 17)
        t = (((xx // p) + (yy // p)) % 2)[..., None]
        return a * t + b * (1 - t)
    if kind == "stripes":
        ang, p = rng.uniform(0, np.pi), rng.uniform(3, 14)
        t = (np.sin((np.cos(ang) * xx + np.sin(ang) * yy) * 2 * np.pi / p) > 0)[..., None]
        return a * t + b * (1 - t)
    if kind == "gradient":
        ang = rng.uniform(0, 2 * np.pi)
        t = np.cos(ang) * xx + np.sin(ang) * yy
        t = ((t - t.min()) / (np.ptp(t) + 1e-6))[..., None]
        return a * t + b * (1 - t)
    if kind == "uniform_noise":
        return rng.uniform(0, 255, (n, n, 3))
    if kind == "salt_pepper":
        t = rng.uniform(size=(n, n))
        out = np.broadcast_to(a, (n, n, 3)).copy()
        out[t < 0.2] = 0
        out[t > 0.8] = 255
        return out
    if kind == "blocks":
        k = rng.integers(4, 12)
        small = rng.uniform(0, 255, (k, k, 3)).astype(np.uint8)
        return np.asarray(Image.fromarray(small).resize((n, n), Image.NEAREST), np.float32)
    if kind == "self":
        ys, xs = np.nonzero(outside)
        if len(ys) > 50:
            size = int(rng.integers(12, 40))
            j = rng.integers(len(ys))
            y0 = int(np.clip(ys[j] - size // 2, 0, image.shape[0] - size))
            x0 = int(np.clip(xs[j] - size // 2, 0, image.shape[1] - size))
            patch = image[y0:y0 + size, x0:x0 + size]
            patch = np.rot90(patch, rng.integers(4))[:, ::-1]
            return np.asarray(Image.fromarray(np.ascontiguousarray(patch)).resize((n, n), Image.BICUBIC), np.float32)
    return np.broadcast_to(a, (n, n, 3)).astype(np.float32)


def _shape_mask(rng, kind) -> Image.Image:
    n = LOCAL
    img = Image.new("L", (n, n), 0)
    d = ImageDraw.Draw(img)
    if kind == "rectangle":
        d.rectangle([0, 0, n - 1, n - 1], fill=255)
    elif kind == "ellipse":
        d.ellipse([0, 0, n - 1, n - 1], fill=255)
    else:
        k = int(rng.integers(5, 10))
        t = np.sort(rng.uniform(0, 2 * np.pi, k))
        r = rng.uniform(0.35, 1.0, k) * (n / 2 - 1)
        d.polygon([(float(n / 2 + ri * np.cos(ti)), float(n / 2 + ri * np.sin(ti))) for ri, ti in zip(r, t)], fill=255)
    return img


def _homography(src, dst):
    """The 8 PIL PERSPECTIVE coefficients mapping output points `dst` to input points `src` (4 each)."""
    A, b = [], []
    for (x, y), (u, v) in zip(dst, src):
        A.append([x, y, 1, 0, 0, 0, -u * x, -u * y])
        A.append([0, 0, 0, x, y, 1, -v * x, -v * y])
        b += [u, v]
    return np.linalg.solve(np.array(A, float), np.array(b, float))


class _Piece:
    def __init__(self, rng, lm68, image, outside):
        self.shape = Image.fromarray(np.asarray(_shape_mask(rng, SHAPES[rng.integers(len(SHAPES))])))
        self.fill = _fill(rng, FILLS[rng.integers(len(FILLS))], image, outside)
        w = rng.dirichlet(np.ones(3))
        self.centre = w @ lm68[rng.choice(68, 3, replace=False)]  # anywhere inside the face hull
        self.angle = rng.uniform(0, 2 * np.pi)
        self.aspect = rng.uniform(0.4, 1.0)
        self.corners = np.array([[-1, -1], [1, -1], [1, 1], [-1, 1]], float) + rng.normal(0, 0.22, (4, 2))
        self.hard = rng.uniform() < 0.5
        self.opacity = 1.0 if self.hard else rng.uniform(0.75, 0.95)
        self.feather = rng.uniform(0.8, 2.5)

    def coefficients(self, size):
        c, s = np.cos(self.angle), np.sin(self.angle)
        R = np.array([[c, -s], [s, c]])
        dst = self.centre + (self.corners * np.array([1.0, self.aspect]) * size) @ R.T
        src = np.array([[0, 0], [LOCAL, 0], [LOCAL, LOCAL], [0, LOCAL]], float)
        return _homography(src, dst)

    def alpha(self, shape, size, final=False) -> np.ndarray:
        coef = self.coefficients(size)
        resample = Image.NEAREST if (self.hard or not final) else Image.BILINEAR
        a = np.asarray(self.shape.transform(shape[::-1], Image.PERSPECTIVE, tuple(coef), resample), np.float32) / 255
        if final and not self.hard:
            a = np.clip(gaussian_filter(a, self.feather), 0, 1) * self.opacity
            a = np.where(a >= 0.5 * self.opacity, np.maximum(a, 0.5), a)  # keep the mask's edge where the shape is
        return a

    def colour(self, shape, size) -> np.ndarray:
        coef = self.coefficients(size)
        img = Image.fromarray(np.clip(self.fill, 0, 255).astype(np.uint8))
        return np.asarray(img.transform(shape[::-1], Image.PERSPECTIVE, tuple(coef), Image.BILINEAR), np.float32)


def second_occlusion(image: np.ndarray, lm68: np.ndarray, rng: np.random.Generator, coverage, tries: int = 16) -> Occlusion:
    """One draw of the second test: one or two pieces covering a fraction of the face hull inside `coverage`.
    Returns an Occlusion (family "second"); raises ValueError when nothing fits."""
    shape = image.shape[:2]
    lm68 = np.asarray(lm68, np.float64)
    face = face_mask(lm68, shape)
    area = face.sum()
    if area < 20:
        raise ValueError("face region too small to occlude")
    lo, hi = coverage
    unit = float(np.sqrt(area))
    for _ in range(tries):
        pieces = [_Piece(rng, lm68, image, ~face) for _ in range(1 if rng.uniform() < 0.6 else 2)]
        target = rng.uniform(lo, hi)
        a, b, best = 0.02, 3.0, None
        for _step in range(16):
            s = np.sqrt(a * b)
            m = np.maximum.reduce([p.alpha(shape, s * unit) for p in pieces]) >= 0.5
            cov = float((m & face).sum() / area)
            if lo <= cov <= hi and (best is None or abs(cov - target) < abs(best[0] - target)):
                best = (cov, s)
            if best is not None and abs(cov - target) < 0.01:
                break
            a, b = (s, b) if cov < target else (a, s)
        if best is None:
            continue
        size = best[1] * unit
        out = image.astype(np.float32)
        A = np.zeros(shape, np.float32)
        for p in pieces:
            alpha = p.alpha(shape, size, final=True)
            out = out * (1 - alpha[..., None]) + p.colour(shape, size) * alpha[..., None]
            A = alpha + A * (1 - alpha)
        mask = A >= 0.5
        cov = float((mask & face).sum() / area)
        if not lo <= cov <= hi:
            continue
        return Occlusion(np.clip(out + 0.5, 0, 255).astype(np.uint8), mask, landmark_visibility(mask, lm68), cov, "second")
    raise ValueError(f"no second-test occluder reached coverage {coverage}")


def occlude_second(image: np.ndarray, lm68: np.ndarray, seed: int, coverage) -> tuple[np.ndarray, bool]:
    """`image` under the second test's occluder for `seed` (every method scored sees the same pixels), and whether one
    fitted; the image unchanged and False when none did."""
    try:
        return second_occlusion(image, lm68, np.random.default_rng(seed), coverage).image, True
    except ValueError:
        return image, False
