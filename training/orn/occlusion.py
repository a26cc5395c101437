"""Synthetic occluders with per-landmark occlusion labels.

Families: hands (palm + fingers, skin-toned, shaded), everyday objects (phone, cup, microphone), sunglasses, face
masks, hair and scarves, textured random blobs. Each is placed where such things occur (mouth, eyes, cheek, chin,
forehead), then scaled by bisection until it covers a sampled fraction of the face (the polygon of the jaw line and
brows of the 68 landmarks) inside the requested range, 10-60 % by default. The result is the composited image, the
occluder mask, the per-landmark visibility (a landmark is occluded when its pixel is under the mask) and the
achieved coverage.

`HELD_OUT` names the family kept out of training, to measure generalisation to unseen occluders.
Only numpy, scipy and Pillow: runs in CI without OpenCV.
"""
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageDraw
from scipy.ndimage import gaussian_filter

FAMILIES = ("hand", "object", "sunglasses", "mask", "hair_scarf", "blob")
HELD_OUT = "object"
TRAIN_FAMILIES = tuple(f for f in FAMILIES if f != HELD_OUT)

JAW = list(range(0, 17))
BROWS_REVERSED = list(range(26, 16, -1))


@dataclass
class Occlusion:
    image: np.ndarray      # (H, W, 3) uint8, occluded
    mask: np.ndarray       # (H, W) bool, True where the occluder is
    visible: np.ndarray    # (68,) bool, True where the landmark is not under the occluder
    coverage: float        # fraction of the face region covered
    family: str


def face_mask(lm68: np.ndarray, shape) -> np.ndarray:
    """The face region: polygon through the jaw line and the (reversed) brows, as a bool (H, W) array."""
    img = Image.new("L", (shape[1], shape[0]), 0)
    ImageDraw.Draw(img).polygon([tuple(map(float, p)) for p in lm68[JAW + BROWS_REVERSED]], fill=1)
    return np.asarray(img, bool)


def landmark_visibility(mask: np.ndarray, lm68: np.ndarray) -> np.ndarray:
    """True for landmarks whose (rounded, clamped) pixel is not occluded."""
    h, w = mask.shape
    x = np.clip(np.round(lm68[:, 0]).astype(int), 0, w - 1)
    y = np.clip(np.round(lm68[:, 1]).astype(int), 0, h - 1)
    return ~mask[y, x]


# ---------- colours and textures ----------

def _skin(rng):
    base = np.array([[224, 172, 140], [198, 134, 98], [141, 85, 56], [236, 196, 170], [90, 56, 38]], float)
    return base[rng.integers(len(base))] * rng.uniform(0.85, 1.1)


def _shading(rng, shape, lo=0.65, hi=1.1):
    h, w = shape
    a = rng.uniform(0, 2 * np.pi)
    yy, xx = np.mgrid[0:h, 0:w] / max(h, w)
    g = np.cos(a) * xx + np.sin(a) * yy
    g = (g - g.min()) / (np.ptp(g) + 1e-6)
    return lo + (hi - lo) * g


def _noise(rng, shape, sigma, amp):
    return gaussian_filter(rng.normal(0, 1, shape), sigma) * amp / (gaussian_filter(np.ones(1), 0)[0])


def _colour_layer(rng, shape, base, texture_amp=0.0, sigma=2.0, stripes=False):
    col = np.broadcast_to(np.asarray(base, float), shape + (3,)).copy()
    col *= _shading(rng, shape)[..., None]
    if texture_amp:
        n = _noise(rng, shape, sigma, 1.0)
        n = n / (n.std() + 1e-6)
        col += (texture_amp * n)[..., None] * rng.uniform(0.5, 1.0, 3)
    if stripes:
        yy, xx = np.mgrid[0:shape[0], 0:shape[1]]
        a, period = rng.uniform(0, np.pi), rng.uniform(4, 12)
        s = np.sin((np.cos(a) * xx + np.sin(a) * yy) * 2 * np.pi / period) > 0
        col = np.where(s[..., None], col, col * rng.uniform(0.4, 0.8) + rng.uniform(0, 80, 3))
    return np.clip(col, 0, 255)


# ---------- geometry helpers ----------

def _capsule(draw, p, q, r):
    draw.line([tuple(p), tuple(q)], fill=255, width=max(1, int(2 * r)))
    for c in (p, q):
        draw.ellipse([c[0] - r, c[1] - r, c[0] + r, c[1] + r], fill=255)


def _rot(a):
    return np.array([[np.cos(a), -np.sin(a)], [np.sin(a), np.cos(a)]])


def _poly(centre, pts, scale, angle):
    return [tuple(map(float, centre + scale * _rot(angle) @ p)) for p in pts]


class _Face:
    """Face frame from the 68 landmarks: anchors and a size unit (inter-ocular-ish distance)."""

    def __init__(self, lm68):
        self.lm = lm68
        self.eye_r, self.eye_l = lm68[36:42].mean(0), lm68[42:48].mean(0)
        self.mouth, self.nose, self.chin = lm68[48:68].mean(0), lm68[30], lm68[8]
        self.unit = max(float(np.linalg.norm(lm68[16] - lm68[0])), 8.0)
        self.roll = float(np.arctan2(*(self.eye_l - self.eye_r)[::-1]))

    def anchor(self, rng, names):
        name = names[rng.integers(len(names))]
        pts = {"mouth": self.mouth, "eyes": (self.eye_r + self.eye_l) / 2, "eye_r": self.eye_r, "eye_l": self.eye_l,
               "cheek_r": self.lm[3] * 0.6 + self.nose * 0.4, "cheek_l": self.lm[13] * 0.6 + self.nose * 0.4,
               "chin": self.chin * 0.7 + self.mouth * 0.3, "nose": self.nose,
               "forehead": self.lm[17:27].mean(0) * 1.3 - self.nose * 0.3}
        return pts[name] + rng.normal(0, 0.06 * self.unit, 2)


# ---------- families: each returns draw(scale) -> L mask, and a colour layer ----------

def _hand(rng, face, shape):
    c = face.anchor(rng, ["mouth", "chin", "cheek_r", "cheek_l", "eyes", "eye_r", "eye_l"])
    ang = rng.uniform(-np.pi, np.pi)
    spread = rng.uniform(0.05, 0.25)
    lengths = rng.uniform(0.7, 1.0, 4)

    def draw(scale):
        img = Image.new("L", shape[::-1], 0)
        d = ImageDraw.Draw(img)
        u = face.unit * 0.35 * scale
        R = _rot(ang)
        d.ellipse([c[0] - u, c[1] - u, c[0] + u, c[1] + u], fill=255)  # palm
        d.polygon(_poly(c, [(-1, -0.9), (1, -0.9), (1, 0.9), (-1, 0.9)], u, ang), fill=255)
        for k in range(4):  # fingers from the palm's top edge
            base = c + R @ np.array([(-0.75 + 0.5 * k) * u, -0.9 * u])
            tip = base + R @ (_rot((k - 1.5) * spread) @ np.array([0, -1.6 * u * lengths[k]]))
            _capsule(d, base, tip, 0.22 * u)
        tb = c + R @ np.array([1.0 * u, 0.2 * u])
        _capsule(d, tb, tb + R @ np.array([0.9 * u, -0.8 * u]), 0.25 * u)  # thumb
        return img

    return draw, _colour_layer(rng, shape, _skin(rng), texture_amp=6, sigma=1.5)


def _object(rng, face, shape):
    kind = rng.integers(3)
    c = face.anchor(rng, ["mouth", "cheek_r", "cheek_l", "chin"])
    ang = rng.uniform(-0.6, 0.6) + (np.pi / 2 if rng.uniform() < 0.3 else 0)
    base = [np.array([30, 30, 35]), np.array([230, 230, 225]) * rng.uniform(0.5, 1), rng.uniform(0, 255, 3)][kind]

    def draw(scale):
        img = Image.new("L", shape[::-1], 0)
        d = ImageDraw.Draw(img)
        u = face.unit * 0.3 * scale
        if kind == 0:  # phone
            d.polygon(_poly(c, [(-1, -2), (1, -2), (1, 2), (-1, 2)], u, ang), fill=255)
        elif kind == 1:  # cup with handle
            d.polygon(_poly(c, [(-1, -1.3), (1, -1.3), (0.8, 1.3), (-0.8, 1.3)], u, ang), fill=255)
            h = c + _rot(ang) @ np.array([1.2 * u, 0])
            d.ellipse([h[0] - 0.5 * u, h[1] - 0.6 * u, h[0] + 0.5 * u, h[1] + 0.6 * u], outline=255, width=max(1, int(0.25 * u)))
        else:  # microphone: head and stick
            d.ellipse([c[0] - u, c[1] - u, c[0] + u, c[1] + u], fill=255)
            _capsule(d, c, c + _rot(ang) @ np.array([0, 3.5 * u]), 0.35 * u)
        return img

    return draw, _colour_layer(rng, shape, base, texture_amp=8, sigma=1.0, stripes=(kind == 2))


def _sunglasses(rng, face, shape):
    tone = rng.uniform(5, 60)
    tint = np.array([tone, tone, tone]) + rng.uniform(0, 25, 3)
    er, el = face.eye_r, face.eye_l

    def draw(scale):
        img = Image.new("L", shape[::-1], 0)
        d = ImageDraw.Draw(img)
        rx, ry = face.unit * 0.16 * scale, face.unit * 0.12 * scale
        for e in (er, el):
            d.ellipse([e[0] - rx, e[1] - ry, e[0] + rx, e[1] + ry], fill=255)
        d.line([tuple(er), tuple(el)], fill=255, width=max(1, int(0.15 * ry)))
        for e, side in ((er, face.lm[0]), (el, face.lm[16])):
            d.line([tuple(e), tuple(side)], fill=255, width=max(1, int(0.12 * ry)))
        return img

    return draw, _colour_layer(rng, shape, tint, texture_amp=4, sigma=3.0)


def _mask(rng, face, shape):
    lm = face.lm
    base = [np.array([150, 190, 220]), np.array([235, 235, 235]), np.array([25, 25, 30]), rng.uniform(0, 255, 3)][rng.integers(4)]

    def draw(scale):
        img = Image.new("L", shape[::-1], 0)
        top = lm[29] + (lm[27] - lm[29]) * (scale - 1.0)  # scale > 1 raises the top edge towards the eyes
        jaw = [lm[k] for k in range(2, 15)]
        pts = [lm[1] * 0.5 + top * 0.5] + jaw + [lm[15] * 0.5 + top * 0.5, top]
        ImageDraw.Draw(img).polygon([tuple(map(float, p)) for p in pts], fill=255)
        return img

    return draw, _colour_layer(rng, shape, base, texture_amp=5, sigma=1.0, stripes=rng.uniform() < 0.3)


def _hair_scarf(rng, face, shape):
    scarf = rng.uniform() < 0.5
    if scarf:
        base, c, ang = rng.uniform(20, 235, 3), face.anchor(rng, ["chin", "mouth"]), face.roll + rng.uniform(-0.3, 0.3)
    else:
        base = np.array([[40, 28, 20], [90, 60, 35], [180, 140, 80], [20, 20, 20]])[rng.integers(4)] * rng.uniform(0.8, 1.2)
        c = face.anchor(rng, ["forehead", "eye_r", "eye_l"])
        ang = face.roll + rng.uniform(-1.0, 1.0)
    wobble = rng.uniform(-0.25, 0.25, 8)

    def draw(scale):
        img = Image.new("L", shape[::-1], 0)
        L, H = face.unit * 1.6, face.unit * 0.25 * scale
        xs = np.linspace(-1, 1, 8)
        top = [(x * L / H, -1 + w) for x, w in zip(xs, wobble)]
        bottom = [(x * L / H, 1 - w) for x, w in zip(xs[::-1], wobble[::-1])]
        ImageDraw.Draw(img).polygon(_poly(c, top + bottom, H, ang), fill=255)
        return img

    colour = _colour_layer(rng, shape, base, texture_amp=18 if not scarf else 6, sigma=0.7, stripes=scarf and rng.uniform() < 0.6)
    return draw, colour


def _blob(rng, face, shape):
    c = face.anchor(rng, ["mouth", "eyes", "cheek_r", "cheek_l", "chin", "nose", "eye_r", "eye_l"])
    n = rng.integers(6, 14)
    radii = rng.uniform(0.5, 1.0, n)
    angles = np.sort(rng.uniform(0, 2 * np.pi, n))

    def draw(scale):
        img = Image.new("L", shape[::-1], 0)
        r = face.unit * 0.35 * scale
        pts = [(c[0] + r * a * np.cos(t), c[1] + r * a * np.sin(t)) for a, t in zip(radii, angles)]
        ImageDraw.Draw(img).polygon(pts, fill=255)
        return img

    return draw, _colour_layer(rng, shape, rng.uniform(0, 255, 3), texture_amp=30, sigma=rng.uniform(0.5, 3))


_BUILDERS = {"hand": _hand, "object": _object, "sunglasses": _sunglasses, "mask": _mask, "hair_scarf": _hair_scarf, "blob": _blob}


def occlude_seeded(image: np.ndarray, lm68: np.ndarray, seed: int, coverage, families=FAMILIES) -> tuple[np.ndarray, bool]:
    """`image` under one occluder drawn with a fixed seed (so every method scored sees the same pixels), and whether
    one fitted; when none fits this face at `coverage`, the image unchanged and False."""
    try:
        return occlude(image, lm68, np.random.default_rng(seed), families=families, coverage=coverage, tries=16).image, True
    except ValueError:
        return image, False


def occlude(image: np.ndarray, lm68: np.ndarray, rng: np.random.Generator, families=TRAIN_FAMILIES,
            coverage=(0.1, 0.6), tries: int = 8) -> Occlusion:
    """Occlude `image` (H, W, 3 uint8) whose face has 68 landmarks `lm68` (pixels) with one occluder from `families`
    covering a fraction of the face drawn uniformly from `coverage`. Returns an Occlusion whose coverage is always
    inside the range (families that cannot reach it on this face are re-drawn); raises if nothing fits."""
    shape = image.shape[:2]
    face = face_mask(lm68, shape)
    area = face.sum()
    if area < 20:
        raise ValueError("face region too small to occlude")
    lo, hi = coverage
    geo = _Face(lm68)
    for _ in range(tries):
        family = families[rng.integers(len(families))]
        target = rng.uniform(lo, hi)
        draw, colour = _BUILDERS[family](rng, geo, shape)
        a, b = 0.05, 6.0  # bisection on scale for coverage ~ target
        best = None
        for _step in range(14):
            s = np.sqrt(a * b)
            m = np.asarray(draw(s), np.uint8) > 127
            cov = float((m & face).sum() / area)
            if lo <= cov <= hi and (best is None or abs(cov - target) < abs(best[1] - target)):
                best = (m, cov, s)
            if cov < target:
                a = s
            else:
                b = s
        if best is None:
            continue
        m, cov, s = best
        alpha = np.asarray(draw(s).resize((shape[1] * 2, shape[0] * 2)).resize(shape[::-1], Image.BILINEAR), float) / 255
        alpha = np.where(m, np.maximum(alpha, 0.85), alpha * 0.6)[..., None]  # soft edge, mask stays exact
        out = image.astype(float) * (1 - alpha) + colour * alpha
        return Occlusion(np.clip(out, 0, 255).astype(np.uint8), m, landmark_visibility(m, lm68), cov, family)
    raise ValueError(f"no occluder of {families} reached coverage {coverage}")
