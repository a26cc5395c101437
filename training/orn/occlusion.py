"""Synthetic occluders that look like part of the photo, with per-landmark occlusion labels.

Families (`FAMILIES`):
- `hand`: one hand with its forearm entering from outside the face, in one of four poses (fingers spread, flat with
  the fingers together, fist, edge-on), knuckle creases and finger gaps; skin sampled from the photo's own face (or,
  sometimes, another skin tone).
- `two_hands`: two hands together (over both eyes, framing the cheeks, one on the mouth and one on the eyes, clasped
  under the chin).
- `mask`: partial face masks: surgical (pleats, ear loops), pulled down under the nose, hanging from one ear, cloth with
  a texture.
- `hair`: locks of hair swept over the forehead, eyes and cheek, drawn strand by strand, with stray strands past the
  lock's edge (these are thin and half transparent: under them a landmark stays visible).
- `scarf`: a scarf or collar over the chin and mouth, or a hood / beanie pulled down from above, with folds and a
  fabric texture.
- `patch`: foreground clutter: a smooth random shape filled with texture cut from another training image outside its
  face (see `texture_bank`).
- `held_object` (held out): a phone, cup, microphone, card or bottle held with fingers wrapped over its edge.
- `eyewear` (held out): sunglasses (tinted lenses with a reflection, frame, temples), goggles or a visor band.

Every occluder is made part of the photo (`_Photo` measures it once per call): its colours are albedos lit by the
photo's exposure and colour cast and by the face's own left-right / top-bottom shading gradient; its saturation
follows the photo's (a greyscale photo gets a greyscale occluder, pixel for pixel); it casts a soft shadow on the face
away from the light; it is blurred to the photo's measured blur (gradient energy before and after a known Gaussian,
noise-corrected) and gets the photo's measured noise level (Immerkaer's estimator). Parts are shaded as volumes (darker
towards their edges).

Coverage is measured on the face hull (the convex hull of the 68 landmarks, `face_mask`): each occluder is scaled by
bisection until it covers a sampled fraction of the hull inside the requested range (10-60 % by default). The result
is the composited image, the occluder mask (alpha >= 0.5), the per-landmark visibility (a landmark is occluded when its
pixel is under the mask) and the achieved coverage, always inside the range.

`HELD_OUT_FAMILIES` are never drawn by the training path (`TRAIN_FAMILIES`): they measure generalisation to unseen
occluders. A second, deliberately different generator that training never sees is `orn.second_test`.
Only numpy, scipy and Pillow: runs in CI without OpenCV. Textures come from `../shared/data` when present (a
procedural texture otherwise).
"""
import hashlib
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageDraw
from scipy.ndimage import distance_transform_edt, gaussian_filter

from . import paths

FAMILIES = ("hand", "two_hands", "mask", "hair", "scarf", "patch", "held_object", "eyewear")
HELD_OUT_FAMILIES = ("held_object", "eyewear")
HELD_OUT = HELD_OUT_FAMILIES  # older name (orn.export writes it into orn.json)
TRAIN_FAMILIES = tuple(f for f in FAMILIES if f not in HELD_OUT_FAMILIES)


@dataclass
class Occlusion:
    image: np.ndarray      # (H, W, 3) uint8, occluded
    mask: np.ndarray       # (H, W) bool, True where the occluder is (alpha >= 0.5)
    visible: np.ndarray    # (68,) bool, True where the landmark is not under the occluder
    coverage: float        # fraction of the face hull covered
    family: str


def convex_hull(points: np.ndarray) -> np.ndarray:
    """Counter-clockwise convex hull (Andrew's monotone chain) of (N, 2) points."""
    p = sorted(set(map(tuple, np.asarray(points, float).tolist())))
    if len(p) < 3:
        return np.array(p).reshape(-1, 2)

    def half(seq):
        out = []
        for q in seq:
            while len(out) >= 2 and ((out[-1][0] - out[-2][0]) * (q[1] - out[-2][1])
                                     - (out[-1][1] - out[-2][1]) * (q[0] - out[-2][0])) <= 0:
                out.pop()
            out.append(q)
        return out[:-1]
    return np.array(half(p) + half(p[::-1]))


def frame_edge_bands(side: int, rng, widest: float = 0.25) -> np.ndarray:
    """A (side, side) bool mask of bands along one to three of a square crop's four edges, each up to `widest` of the
    side: where the daemon's crop of a detection near the frame's edge reaches outside the frame (it writes black
    there). Positives (`data.make_batch`) and negatives (`negatives.black_bands`) both get them, so that the face
    score learns the bands as a sign of neither."""
    mask = np.zeros((side, side), bool)
    for edge in rng.permutation(4)[:int(rng.integers(1, 4))]:
        width = int(rng.uniform(0.02, widest) * side)
        if edge == 0:
            mask[:width] = True
        elif edge == 1:
            mask[side - width:] = True
        elif edge == 2:
            mask[:, :width] = True
        else:
            mask[:, side - width:] = True
    return mask


def face_mask(lm68: np.ndarray, shape) -> np.ndarray:
    """The face hull: the convex hull of the 68 landmarks, as a bool (H, W) array."""
    img = Image.new("L", (shape[1], shape[0]), 0)
    ImageDraw.Draw(img).polygon([tuple(map(float, p)) for p in convex_hull(lm68)], fill=1)
    return np.asarray(img, bool)


def landmark_visibility(mask: np.ndarray, lm68: np.ndarray) -> np.ndarray:
    """True for landmarks whose (rounded, clamped) pixel is not occluded."""
    h, w = mask.shape
    x = np.clip(np.round(lm68[:, 0]).astype(int), 0, w - 1)
    y = np.clip(np.round(lm68[:, 1]).astype(int), 0, h - 1)
    return ~mask[y, x]


def luminance(rgb: np.ndarray) -> np.ndarray:
    return rgb[..., 0] * 0.299 + rgb[..., 1] * 0.587 + rgb[..., 2] * 0.114


# ---------- the photo: what an occluder must match ----------

TYPICAL_SKIN = np.array([200.0, 150.0, 120.0])  # a mid skin tone under neutral light, normal exposure


def noise_sigma(L: np.ndarray) -> float:
    """Noise standard deviation of a luminance image (robust Immerkaer estimate: median of a Laplacian difference)."""
    c = (L[:-2, :-2] + L[:-2, 2:] + L[2:, :-2] + L[2:, 2:] - 2 * (L[:-2, 1:-1] + L[2:, 1:-1] + L[1:-1, :-2] + L[1:-1, 2:])
         + 4 * L[1:-1, 1:-1])  # the Immerkaer kernel [[1, -2, 1], [-2, 4, -2], [1, -2, 1]]
    return float(1.4826 * np.median(np.abs(c)) / 6)


def blur_sigma(L: np.ndarray, noise: float = 0.0, s0: float = 1.0) -> float:
    """Gaussian blur (pixels) of the edges in a luminance image: the gradient energy of a blurred step falls as 1/sigma,
    so re-blurring by s0 keeps the fraction rho = sigma / sqrt(sigma^2 + s0^2) of it. Noise energy is subtracted first.
    A sharp, anti-aliased edge reads about 0.5."""
    gy, gx = np.gradient(L)
    e = float((gx * gx + gy * gy).mean()) - noise * noise
    b = gaussian_filter(L, s0)
    by, bx = np.gradient(b)
    eb = float((bx * bx + by * by).mean()) - 0.05 * noise * noise
    rho = float(np.clip(eb / max(e, 1e-9), 0.0, 0.995))
    return s0 * rho / np.sqrt(1 - rho * rho)


class _Photo:
    """Measurements of the photo around the face that an occluder has to share."""

    def __init__(self, image: np.ndarray, face: np.ndarray, geo: "_Face"):
        rgb = image.astype(np.float32)
        ys, xs = np.nonzero(face)
        y0, y1, x0, x1 = ys.min(), ys.max() + 1, xs.min(), xs.max() + 1
        win = rgb[y0:y1, x0:x1]
        small = rgb[::2, ::2]  # whole-photo statistics from every other pixel
        self.grey = bool(np.abs(small[..., 0] - small[..., 1]).mean() + np.abs(small[..., 1] - small[..., 2]).mean() < 2.0)
        L = luminance(win)
        self.noise = noise_sigma(L) if min(L.shape) > 4 else 0.0
        self.blur = min(blur_sigma(L, self.noise), 2.5) if min(L.shape) > 8 else 0.5
        sub = max(1, len(ys) // 2000)
        pix = rgb[ys[::sub], xs[::sub]]
        lum = luminance(pix)
        lo, hi = np.percentile(lum, [30, 90])
        mid = pix[(lum >= lo) & (lum <= hi)]
        self.skin = (mid if len(mid) else pix).mean(0)  # the face's own colour in this photo
        level = float(luminance(self.skin))
        self.exposure = float(np.clip(level / luminance(TYPICAL_SKIN), 0.3, 1.6))
        world = small.reshape(-1, 3).mean(0)
        cast_world = world / max(world.mean(), 1.0)
        cast_skin = (self.skin / max(self.skin.mean(), 1.0)) / (TYPICAL_SKIN / TYPICAL_SKIN.mean())
        self.cast = np.clip(np.sqrt(np.clip(cast_world, 0.5, 2) * np.clip(cast_skin, 0.5, 2)), 0.8, 1.25)
        chroma = np.abs(small - small.mean(-1, keepdims=True)).mean()
        self.saturation = 0.0 if self.grey else float(np.clip(chroma / 22.0, 0.25, 1.15))
        # the face's shading gradient: L ~ a + b u + c v, (u, v) in face units about the face centre
        step = max(1, len(ys) // 1500)
        u = (xs[::step] - geo.centre[0]) / geo.unit
        v = (ys[::step] - geo.centre[1]) / geo.unit
        A = np.stack([np.ones_like(u), u, v], 1)
        coef = np.linalg.lstsq(A, luminance(rgb[ys[::step], xs[::step]]), rcond=None)[0]
        self.gradient = np.clip(coef[1:] / max(coef[0], 10.0), -0.9, 0.9)
        self.geo = geo

    def light(self, albedo: np.ndarray, shape, window) -> np.ndarray:
        """Albedo colours (h, w, 3, in 0..255 under neutral light) as this photo would show them, inside `window`."""
        (y0, y1), (x0, x1) = window
        v, u = np.mgrid[y0:y1, x0:x1].astype(np.float32)
        u = (u - self.geo.centre[0]) / self.geo.unit
        v = (v - self.geo.centre[1]) / self.geo.unit
        shade = np.clip(1 + self.gradient[0] * u + self.gradient[1] * v, 0.45, 1.4)
        col = albedo * (self.exposure * shade)[..., None] * self.cast
        grey = luminance(col)[..., None]
        return grey + (col - grey) * self.saturation if not self.grey else np.repeat(grey, 3, -1)


# ---------- textures cut from other training images, outside their faces ----------

_BANK = None
TEXTURE = 28  # side of a bank patch, crop pixels


def _training_name(name: str) -> bool:
    """True when an AFLW crop is in the training split (data.split's rule: md5 of 'aflw/<name>' >= 0.03)."""
    return int(hashlib.md5(f"aflw/{name}".encode()).hexdigest()[:8], 16) / 16 ** 8 >= 0.03


def non_face_region(pts: np.ndarray, shape) -> np.ndarray:
    """True outside a generous face region of an AFLW crop: the hull of its annotated points grown 35 % about their
    centre and extended upwards over the forehead by half the face height."""
    c = pts.mean(0)
    grown = c + (pts - c) * 1.35
    height = max(np.ptp(pts[:, 1]), np.ptp(pts[:, 0]), 10.0)
    above = grown - np.array([0.0, 0.5 * height])
    img = Image.new("L", (shape[1], shape[0]), 0)
    ImageDraw.Draw(img).polygon([tuple(map(float, p)) for p in convex_hull(np.concatenate([grown, above]))], fill=1)
    return ~np.asarray(img, bool)


def texture_bank(images: int = 400, per_image: int = 3):
    """(patches (M, TEXTURE, TEXTURE, 3) uint8, sources (M, 3) int: crop index in labels.npz, x, y) cut from AFLW
    training-split crops where the whole patch lies outside `non_face_region` (hair, clothes, background: never a
    face). Deterministic; loaded once per process; empty without the data."""
    global _BANK
    if _BANK is not None:
        return _BANK
    labels_file = paths.AFLW_TRAIN / "labels.npz"
    patches, sources = [], []
    if labels_file.exists():
        lab = np.load(labels_file)
        names, roi, pts21 = lab["names"], lab["roi_box"], lab["pts21"]
        order = [i for i in np.argsort(names) if _training_name(str(names[i]))]
        rng = np.random.default_rng(0)
        for i in order[::max(1, len(order) // images)][:images]:
            p = pts21[i].T
            p = p[(p[:, 0] >= 0) & (p[:, 1] >= 0)]
            if len(p) < 6:
                continue
            side = roi[i, 2] - roi[i, 0]
            p = (p - roi[i, :2]) * paths.CROP / side
            img = np.asarray(Image.open(paths.AFLW_TRAIN / "crops" / names[i]).convert("RGB"))
            free = non_face_region(p, img.shape[:2])
            ok = np.pad(free, ((1, 0), (1, 0))).astype(np.int32).cumsum(0).cumsum(1)
            T = TEXTURE
            cand = [(y, x) for y in range(0, img.shape[0] - T + 1, 4) for x in range(0, img.shape[1] - T + 1, 4)
                    if ok[y + T, x + T] - ok[y, x + T] - ok[y + T, x] + ok[y, x] == T * T]
            for j in rng.permutation(len(cand))[:per_image]:
                y, x = cand[j]
                patch = img[y:y + T, x:x + T]
                lum = luminance(patch.astype(float))
                if lum.std() < 4 or lum.mean() < 25:  # flat black borders and blown-out sky: no texture
                    continue
                patches.append(patch)
                sources.append((i, x, y))
    _BANK = (np.array(patches, np.uint8).reshape(-1, TEXTURE, TEXTURE, 3), np.array(sources, int).reshape(-1, 3))
    return _BANK


def _texture(rng, shape, unit, mean=None) -> np.ndarray:
    """An (H, W, 3) albedo texture: a bank patch, flipped / turned, zoomed with the face and mirror-tiled; a
    procedural one without the bank. `mean`: recolour to this mean albedo."""
    patches = texture_bank()[0]
    if len(patches):
        t = patches[rng.integers(len(patches))].astype(np.float32)
        t = np.rot90(t, rng.integers(4))
        if rng.uniform() < 0.5:
            t = t[:, ::-1]
        zoom = float(np.clip(unit / 80.0 * rng.uniform(1.6, 3.0), 0.5, 10.0))  # mostly one patch, few mirror seams
        n = max(4, int(round(TEXTURE * zoom)))
        t = np.asarray(Image.fromarray(np.clip(t, 0, 255).astype(np.uint8)).resize((n, n), Image.BILINEAR), np.float32)
        reps = (int(np.ceil(shape[0] / n)) + 1, int(np.ceil(shape[1] / n)) + 1)
        tile = np.concatenate([np.concatenate([t[::1 - 2 * (a % 2)][:, ::1 - 2 * (b % 2)] for b in range(reps[1])], 1)
                               for a in range(reps[0])], 0)
        oy, ox = rng.integers(n), rng.integers(n)
        t = tile[oy:oy + shape[0], ox:ox + shape[1]]
        # another photo's lighting: bring it to a neutral, random brightness
        t = t / max(float(luminance(t.reshape(-1, 3).mean(0))), 8.0) * rng.uniform(70, 190)
    else:
        base = rng.uniform(30, 220, 3)
        n = gaussian_filter(rng.normal(0, 1, shape), rng.uniform(0.7, 3))
        t = base * (1 + 0.35 * (n / (n.std() + 1e-6)))[..., None]
    if mean is not None:
        t = t / np.maximum(t.reshape(-1, 3).mean(0), 1.0) * mean
    return np.clip(t, 0, 255)


# ---------- geometry helpers ----------

def _rot(a):
    return np.array([[np.cos(a), -np.sin(a)], [np.sin(a), np.cos(a)]])


def _unit(a):
    return np.array([np.cos(a), np.sin(a)])


class _Canvas:
    """PIL drawing in image coordinates at a supersampling factor k."""

    def __init__(self, shape, k):
        self.k = k
        self.img = Image.new("L", (shape[1] * k, shape[0] * k), 0)
        self.d = ImageDraw.Draw(self.img)

    def polygon(self, pts, fill=255):
        self.d.polygon([(float(x) * self.k, float(y) * self.k) for x, y in pts], fill=fill)

    def circle(self, c, r, fill=255):
        k = self.k
        self.d.ellipse([(c[0] - r) * k, (c[1] - r) * k, (c[0] + r) * k, (c[1] + r) * k], fill=fill)

    def ellipse(self, c, rx, ry, angle, fill=255, n=24):
        t = np.linspace(0, 2 * np.pi, n, endpoint=False)
        pts = np.stack([rx * np.cos(t), ry * np.sin(t)], 1) @ _rot(angle).T + c
        self.polygon(pts, fill)

    def capsule(self, p, q, r0, r1=None, fill=255):
        """A tapered capsule from p (radius r0) to q (radius r1)."""
        r1 = r0 if r1 is None else r1
        p, q = np.asarray(p, float), np.asarray(q, float)
        d = q - p
        n = np.array([-d[1], d[0]]) / (np.linalg.norm(d) + 1e-9)
        self.polygon([p + n * r0, q + n * r1, q - n * r1, p - n * r0], fill)
        self.circle(p, r0, fill)
        self.circle(q, r1, fill)

    def line(self, pts, width, fill=255):
        self.d.line([(float(x) * self.k, float(y) * self.k) for x, y in pts], fill=fill,
                    width=max(1, int(round(width * self.k))), joint="curve")

    def alpha(self) -> np.ndarray:
        img = self.img.reduce(self.k) if self.k > 1 else self.img
        return np.asarray(img, np.float32) / 255.0


class _Face:
    """Face frame from the 68 landmarks: anchors and a size unit (face width)."""

    def __init__(self, lm68):
        self.lm = lm68
        self.eye_r, self.eye_l = lm68[36:42].mean(0), lm68[42:48].mean(0)
        self.mouth, self.nose, self.chin = lm68[48:68].mean(0), lm68[30], lm68[8]
        self.centre = lm68.mean(0)
        self.unit = max(float(np.linalg.norm(lm68[16] - lm68[0])), float(np.ptp(lm68[:, 1])) * 0.9, 8.0)
        self.roll = float(np.arctan2(*(self.eye_l - self.eye_r)[::-1]))
        self.up = _rot(self.roll) @ np.array([0.0, -1.0])  # towards the forehead
        self.brows = lm68[17:27].mean(0)

    def anchor(self, rng, names, jitter=0.06):
        name = names[rng.integers(len(names))]
        pts = {"mouth": self.mouth, "eyes": (self.eye_r + self.eye_l) / 2, "eye_r": self.eye_r, "eye_l": self.eye_l,
               "cheek_r": self.lm[3] * 0.6 + self.nose * 0.4, "cheek_l": self.lm[13] * 0.6 + self.nose * 0.4,
               "chin": self.chin * 0.7 + self.mouth * 0.3, "nose": self.nose,
               "forehead": self.brows * 1.3 - self.nose * 0.3}
        return pts[name] + rng.normal(0, jitter * self.unit, 2)


def _skin_albedo(rng, photo: _Photo):
    """A hand's albedo: mostly the face's own skin (un-lit), sometimes another tone."""
    if rng.uniform() < 0.75:
        lit = photo.skin / (photo.exposure * photo.cast)
        if photo.saturation > 0:
            g = luminance(lit)
            lit = g + (lit - g) / max(photo.saturation, 0.25)
        alb = lit * rng.uniform(0.95, 1.15) * np.array([1.0, rng.uniform(0.94, 1.0), rng.uniform(0.9, 1.0)])
    else:
        pal = np.array([[230, 180, 150], [205, 145, 110], [150, 95, 65], [240, 205, 180], [100, 62, 42]], float)
        alb = pal[rng.integers(len(pal))] * rng.uniform(0.9, 1.08)
    return np.clip(alb, 20, 250)


# ---------- parts: a shape, its albedo, how it is shaded ----------

@dataclass
class _Part:
    draw: object              # draw(canvas, s) on a _Canvas
    albedo: object            # albedo(shape) -> (H, W, 3) float, or an RGB triple
    volume: float = 0.3       # darkening towards the part's edges
    width: float = 0.08       # fall-off of that darkening, in face units at s = 1
    details: object = None    # details(dark canvas, light canvas, s): creases, pleats, reflections
    alpha_scale: float = 1.0  # < 1: half-transparent (hair strands)
    soft: float = 0.0         # extra edge blur in pixels at a 128-pixel face (hair)


def _hand(rng, face: _Face, cx, direction, pose, skin, size=0.3):
    """Draw functions of one hand with its forearm: palm centre cx, fingers pointing along `direction` (radians)."""
    R = _rot(direction + np.pi / 2)  # hand frame: -y along the fingers, +x across the palm
    spread = {"spread": rng.uniform(0.25, 0.45), "flat": rng.uniform(0.0, 0.05)}.get(pose, 0.0)
    lengths = np.array([0.72, 0.92, 1.0, 0.9]) * rng.uniform(0.9, 1.1, 4)
    side = 1 if rng.uniform() < 0.5 else -1  # which side the thumb is on
    arm_len = rng.uniform(2.5, 4.0)

    def geometry(s):
        u = face.unit * size * s
        P = lambda x, y: cx + R @ np.array([x * side, y]) * u  # noqa: E731
        fingers = []
        if pose in ("spread", "flat"):
            for k in range(4):
                base = P(-0.72 + 0.48 * k, -0.85)
                a = (k - 1.5) * spread
                tip = base + R @ (_rot(a * side) @ np.array([0, -1.95 * lengths[k]])) * u
                fingers.append((base, tip, 0.25 * u, 0.2 * u))
            thumb = (P(0.9, 0.15), P(1.6 + spread, -0.7), 0.27 * u, 0.22 * u)
        else:
            thumb = (P(0.95, 0.05), P(-0.1, -0.55), 0.27 * u, 0.23 * u) if pose == "fist" else (P(0.3, 0.4), P(0.5, -0.6), 0.2 * u, 0.17 * u)
        return u, P, fingers, thumb

    def draw(c: _Canvas, s):
        u, P, fingers, thumb = geometry(s)
        c.capsule(P(0, 0.8), P(0, 0.8 + arm_len), 0.6 * u, 0.72 * u)  # wrist and forearm
        if pose == "edge":
            c.capsule(P(0, 0.6), P(0, -1.9), 0.45 * u, 0.3 * u)
        else:
            c.polygon([P(-0.95, -0.9), P(0.95, -0.9), P(1.0, 0.5), P(0.55, 1.0), P(-0.55, 1.0), P(-1.0, 0.5)])
            if pose == "fist":  # the folded fingers: a rounded band over the palm's top
                c.polygon([P(-0.98, -0.95), P(0.98, -0.95), P(0.98, -1.1), P(-0.98, -1.1)])
                c.capsule(P(-0.7, -1.12), P(0.7, -1.12), 0.3 * u)
        for f in fingers:
            c.capsule(*f)
        c.capsule(*thumb)

    def details(dark: _Canvas, light: _Canvas, s):
        u, P, fingers, thumb = geometry(s)
        w = max(0.5, 0.03 * u)
        for base, tip, r0, r1 in fingers:
            d = tip - base
            n = np.array([-d[1], d[0]]) / (np.linalg.norm(d) + 1e-9)
            for t in (0.38, 0.68):  # knuckle creases
                m = base + d * t
                dark.line([m - n * r0 * 0.7, m + n * r0 * 0.7], w, fill=110)
            light.ellipse(tip - d / (np.linalg.norm(d) + 1e-9) * r1 * 0.6, r1 * 0.55, r1 * 0.75,
                          np.arctan2(d[1], d[0]) + np.pi / 2, fill=70)  # nail
            if pose == "flat":
                dark.line([base + n * r0, tip + n * r1 * 0.9], w, fill=200)  # gap to the next finger
        if pose == "fist":
            for k in range(3):
                dark.line([P(-0.48 + 0.48 * k, -1.15), P(-0.48 + 0.48 * k, -0.45)], w, fill=170)
            dark.line([P(-1.0, -0.55), P(1.0, -0.55)], w, fill=150)
        if pose == "edge":
            dark.line([P(-0.1, 0.4), P(-0.1, -1.6)], w, fill=120)
        dark.line([P(-0.6, 0.85), P(0.6, 0.85)], w, fill=90)  # wrist crease

    return _Part(draw, skin, volume=0.25, width=0.12 * size / 0.3, details=details)


def _pose(rng):
    return ("spread", "flat", "fist", "edge")[rng.choice(4, p=[0.35, 0.35, 0.2, 0.1])]


def _finger_direction(rng, face):
    """Fingers mostly point up (the arm comes from below or the side), sometimes down (a hand from above)."""
    base = face.roll - np.pi / 2
    return base + (rng.uniform(-1.3, 1.3) if rng.uniform() < 0.85 else np.pi + rng.uniform(-0.6, 0.6))


def _b_hand(rng, face, photo, shape):
    c = face.anchor(rng, ["mouth", "chin", "cheek_r", "cheek_l", "eyes", "eye_r", "eye_l", "nose", "forehead"])
    return [_hand(rng, face, c, _finger_direction(rng, face), _pose(rng), _skin_albedo(rng, photo))]


def _b_two_hands(rng, face, photo, shape):
    skin = _skin_albedo(rng, photo)
    layout = rng.integers(4)
    up = face.roll - np.pi / 2
    if layout == 0:    # over both eyes, fingers up and inwards
        spots = [(face.eye_r, up + rng.uniform(0.1, 0.5)), (face.eye_l, up - rng.uniform(0.1, 0.5))]
    elif layout == 1:  # framing the cheeks
        spots = [(face.lm[4] * 0.7 + face.nose * 0.3, up + rng.uniform(-0.3, 0.2)),
                 (face.lm[12] * 0.7 + face.nose * 0.3, up + rng.uniform(-0.2, 0.3))]
    elif layout == 2:  # one on the mouth, one on the eyes
        spots = [(face.mouth, up + rng.uniform(-1.2, 1.2)), ((face.eye_r + face.eye_l) / 2, up + rng.uniform(-1.2, 1.2))]
    else:              # clasped under the chin
        spots = [(face.chin + (face.lm[6] - face.lm[10]) * 0.25, up + 0.3), (face.chin - (face.lm[6] - face.lm[10]) * 0.25, up - 0.3)]
    return [_hand(rng, face, c + rng.normal(0, 0.05 * face.unit, 2), a, _pose(rng), skin, size=0.26) for c, a in spots]


def _b_mask(rng, face, photo, shape):
    lm = face.lm
    kind = ("surgical", "surgical", "down", "hanging", "cloth")[rng.integers(5)]
    colour = [np.array([150, 195, 225]), np.array([238, 238, 240]), np.array([30, 30, 34]), np.array([200, 215, 235]),
              rng.uniform(20, 235, 3)][rng.integers(5)] * rng.uniform(0.9, 1.05)
    hull = convex_hull(lm)
    hull = np.concatenate([face.centre + (hull - face.centre) * 1.1, [face.chin - face.up * face.unit * 0.1]])
    hull = convex_hull(hull)
    ear_r, ear_l = lm[0] * 0.8 + lm[1] * 0.2, lm[16] * 0.8 + lm[15] * 0.2
    hang = 0.0 if kind != "hanging" else rng.choice([-1, 1]) * rng.uniform(0.2, 0.4)
    pivot = ear_r if hang > 0 else ear_l
    across = _rot(face.roll) @ np.array([1.0, 0.0])
    bow = rng.uniform(0.15, 0.35)
    xs = np.linspace(-1.3, 1.3, 11)

    def turn(pts):
        return (pts - pivot) @ _rot(hang).T + pivot if hang else pts

    def top_curve(s, below=0.0):
        # s moves the top edge from the chin (s ~ 0.05) over the mouth and nose towards the eyes (s ~ 6)
        t = 1.6 * (1 - np.exp(-0.55 * s)) - (0.4 if kind == "down" else 0.0)
        top = face.chin + (lm[27] - face.chin) * t
        drop = np.linalg.norm(top - face.chin) * below
        return np.array([top + across * x * face.unit * 0.5 - face.up * (bow * x * x * face.unit * 0.25 + drop) for x in xs])

    def draw(c: _Canvas, s):
        c.polygon(turn(hull))
        curve = top_curve(s)
        c.polygon(turn(np.concatenate([curve, [curve[-1] + face.up * face.unit * 4, curve[0] + face.up * face.unit * 4]])), fill=0)

    def details(dark: _Canvas, light: _Canvas, s):
        w = max(0.5, 0.012 * face.unit)
        if kind != "cloth":
            for f in (0.28, 0.5, 0.72):  # pleats, following the mask's curve
                line = turn(top_curve(s, f)[2:-2])
                dark.line(line, w * 1.5, fill=120)
                light.line(line + face.up * face.unit * 0.025, w, fill=60)
        if kind != "hanging":
            curve = top_curve(s, 0.15)
            for corner, ear in ((curve[2], ear_r), (curve[-3], ear_l)):
                dark.line([corner, ear], w, fill=60)

    if kind == "cloth":
        albedo = lambda shp: _texture(rng, shp, face.unit, mean=colour)  # noqa: E731
    else:
        albedo = colour
    return [_Part(draw, albedo, volume=0.2, width=0.1, details=details)]


def _bezier(p0, p1, p2, n=12):
    t = np.linspace(0, 1, n)[:, None]
    return (1 - t) ** 2 * p0 + 2 * (1 - t) * t * p1 + t * t * p2


def _b_hair(rng, face, photo, shape):
    pal = np.array([[35, 25, 20], [70, 45, 28], [120, 80, 45], [190, 150, 90], [115, 112, 110], [110, 45, 25]], float)
    colour = pal[rng.choice(6, p=[0.35, 0.25, 0.15, 0.1, 0.08, 0.07])] * rng.uniform(0.8, 1.1)
    locks = []
    for _ in range(1 if rng.uniform() < 0.7 else 2):
        side = rng.choice([-1, 1])
        root = face.brows + face.up * face.unit * rng.uniform(0.45, 0.7) + _rot(face.roll) @ np.array([side * rng.uniform(-0.1, 0.3), 0]) * face.unit
        end = face.anchor(rng, ["cheek_r", "cheek_l", "mouth", "chin"], 0.1) if side > 0 else face.anchor(rng, ["cheek_l", "cheek_r", "chin"], 0.1)
        bend = (root + end) / 2 + _rot(face.roll) @ np.array([-side * rng.uniform(0.1, 0.4), 0]) * face.unit
        locks.append((root, bend, end, rng.uniform(0.7, 1.0), rng.normal(0, 1, 90), rng.uniform(0.0, 1.0, 90)))

    def centre(lock, s):
        root, bend, end, width, _, _ = lock
        # s widens the lock and pulls its curve over the face
        pull = float(np.clip(0.25 + 0.22 * s, 0.25, 1.2))
        line = _bezier(root, bend, root + (end - root) * pull)
        line = np.concatenate([root + np.outer(np.linspace(1.5, 0.15, 6), face.up * face.unit), line])  # over the scalp
        return line, width * face.unit * 0.12 * s

    ripple = rng.uniform(0.85, 1.15, (2, 18))

    def band(line, half, taper=0.2, head=6):
        d = np.gradient(line, axis=0)
        n = np.stack([-d[:, 1], d[:, 0]], 1) / (np.linalg.norm(d, axis=1, keepdims=True) + 1e-9)
        w = half * np.concatenate([np.full(head, 1.15), np.linspace(1.0, taper, len(line) - head)])
        # ragged edges: each side's width wobbles along the lock
        a, b = w * ripple[0][:len(w)], w * ripple[1][:len(w)]
        return np.concatenate([line + n * a[:, None], (line - n * b[:, None])[::-1]]), n

    def draw(c: _Canvas, s):
        for lock in locks:
            line, half = centre(lock, s)
            outline, n = band(line, half)
            c.polygon(outline)
            k0 = 6 + int((len(line) - 6) * 0.55)
            tail = line[k0:]
            step = tail[-1] - tail[-2]
            for j, o in enumerate(lock[4][-3:]):  # the tip frays into thinner locks
                sub = np.concatenate([tail, tail[-1:] + step * np.array([[1.0], [2.0]]) * (1 + 0.5 * abs(o))])
                sub = sub + n[-1] * half * 0.3 * np.clip(o, -1.5, 1.5) * np.linspace(0, 1, len(sub))[:, None]
                c.polygon(band(sub, half * 0.35, 0.05, head=0)[0])

    def strays(c: _Canvas, s):
        for lock in locks:
            line, half = centre(lock, s)
            _, n = band(line, half)
            for j, (o, bright) in enumerate(zip(lock[4][:14], lock[5])):  # stray strands just past the lock's edge
                k0 = 6 + int((len(line) - 6) * 0.3)
                off = n[k0:] * half * (0.9 + 0.25 * abs(o)) * np.sign(o) * np.linspace(0.8, 0.5, len(line) - k0)[:, None]
                c.line(line[k0:] + off, max(0.5, 0.006 * face.unit), fill=int(150 + 100 * bright))

    def details(dark: _Canvas, light: _Canvas, s):
        for lock in locks:
            line, half = centre(lock, s)
            _, n = band(line, half)
            w = max(0.5, 0.005 * face.unit)
            taper = np.concatenate([np.full(6, 1.0), np.linspace(1.0, 0.25, len(line) - 6)])[:, None]
            for o, b in zip(lock[4][14:], lock[5][14:]):  # strands inside the lock
                off = n * half * np.clip(o / 2.2, -0.95, 0.95) * taper
                (dark if b < 0.6 else light).line(line + off, w, fill=int(30 + 110 * abs(b - 0.6)))

    return [_Part(draw, colour, volume=0.35, width=0.06, details=details, soft=0.7),
            _Part(strays, colour, volume=0.0, alpha_scale=0.45)]


def _b_scarf(rng, face, photo, shape):
    from_top = rng.uniform() < 0.3
    texture = rng.uniform() < 0.6
    colour = rng.uniform(25, 225, 3)
    wob = rng.uniform(-0.08, 0.08, 9)
    folds = rng.uniform(0.5, 1.5, 4)
    down = -face.up
    across = _rot(face.roll) @ np.array([1.0, 0.0])

    def outline(s):
        t = 1.5 * (1 - np.exp(-0.55 * s))  # how far over the face the edge comes
        if from_top:
            edge0 = face.brows + face.up * face.unit * 0.45 - face.up * face.unit * (t * 0.6 - 0.05)
            far = edge0 + face.up * face.unit * 3
        else:
            edge0 = face.chin + face.up * face.unit * (t * 0.65 - 0.12)
            far = edge0 - face.up * face.unit * 3
        xs = np.linspace(-1.4, 1.4, 9) * face.unit
        edge = [edge0 + across * x + face.up * w * face.unit * (1 - 2 * from_top) - (face.up * face.unit * 0.15 * (x / face.unit) ** 2 if not from_top else -face.up * face.unit * 0.12 * (x / face.unit) ** 2)
                for x, w in zip(xs, wob)]
        return np.array(edge + [far + across * xs[-1], far + across * xs[0]])

    def draw(c: _Canvas, s):
        c.polygon(outline(s))

    def details(dark: _Canvas, light: _Canvas, s):
        pts = outline(s)
        w = max(1.0, 0.02 * face.unit)
        for k, f in enumerate(folds):  # folds parallel to the edge
            off = (down if not from_top else face.up) * face.unit * 0.09 * (k + 1) * f
            (dark if k % 2 == 0 else light).line(pts[:9] + off, w * f, fill=110)

    albedo = (lambda shp: _texture(rng, shp, face.unit, mean=colour if rng.uniform() < 0.4 else None)) if texture else colour
    return [_Part(draw, albedo, volume=0.25, width=0.08, details=details)]


def _smooth_shape(rng, n=10):
    """A smooth random closed shape as radius(angle) harmonics."""
    amp = rng.normal(0, 1, 4) * np.array([0.18, 0.12, 0.07, 0.04])
    ph = rng.uniform(0, 2 * np.pi, 4)
    t = np.linspace(0, 2 * np.pi, 36, endpoint=False)
    r = 1 + sum(a * np.cos((k + 2) * t + p) for k, (a, p) in enumerate(zip(amp, ph)))
    return np.stack([np.cos(t), np.sin(t)], 1) * np.clip(r, 0.4, 1.6)[:, None]


def _b_patch(rng, face, photo, shape):
    c = face.anchor(rng, ["mouth", "eyes", "cheek_r", "cheek_l", "chin", "nose", "eye_r", "eye_l", "forehead"], 0.12)
    ang, aspect = rng.uniform(0, np.pi), rng.uniform(0.5, 1.0)
    base = _smooth_shape(rng) * np.array([1.0, aspect]) @ _rot(ang).T
    # sometimes it enters from outside the frame (a shoulder, a foreground object)
    out = _unit(rng.uniform(0, 2 * np.pi)) if rng.uniform() < 0.35 else None  # a foreground object from the frame

    def draw(cv: _Canvas, s):
        r = face.unit * 0.3 * s
        cv.polygon(c + base * r)
        if out is not None:
            cv.polygon(c + out * r * 1.6 + base * r * 1.3)

    return [_Part(draw, lambda shp: _texture(rng, shp, face.unit), volume=0.15, width=0.1)]


def _b_held_object(rng, face, photo, shape):
    kind = ("phone", "cup", "mic", "card", "bottle")[rng.integers(5)]
    c = face.anchor(rng, ["mouth", "cheek_r", "cheek_l", "chin", "nose", "eyes"])
    ang = face.roll + rng.uniform(-0.5, 0.5) + (np.pi / 2 if kind in ("phone", "card") and rng.uniform() < 0.3 else 0)
    R = _rot(ang)
    skin = _skin_albedo(rng, photo)
    dims = {"phone": (0.55, 1.1), "cup": (0.6, 0.75), "mic": (0.35, 0.35), "card": (0.9, 0.6), "bottle": (0.3, 1.2)}[kind]
    side = rng.choice([-1, 1])
    colour = {"phone": np.array([28, 28, 32]) * rng.uniform(0.8, 2.5), "cup": rng.uniform(40, 240, 3),
              "mic": np.array([60, 60, 64]), "card": np.array([235, 232, 222]) * rng.uniform(0.8, 1.0),
              "bottle": rng.uniform(30, 220, 3)}[kind]

    def frame(s):
        u = face.unit * 0.35 * s
        return u, (lambda x, y: c + R @ np.array([x, y]) * u)

    def body(cv: _Canvas, s):
        u, P = frame(s)
        w, h = dims
        if kind == "mic":
            cv.circle(c, w * u)
            cv.capsule(P(0, 0.2), P(0, 3.2), 0.2 * u, 0.26 * u)
        elif kind == "cup":
            cv.polygon([P(-w, -h), P(w, -h), P(w * 0.85, h), P(-w * 0.85, h)])
            cv.ellipse(P(0, h), w * 0.85 * u, 0.15 * u, ang)
            cv.ellipse(P(side * w * 1.15, 0), 0.35 * u, 0.45 * u, ang)
        elif kind == "bottle":
            cv.capsule(P(0, -h * 0.2), P(0, h), w * u)
            cv.capsule(P(0, -h), P(0, -h * 0.2), w * 0.45 * u, w * u)
        else:
            r = 0.12 * u
            cv.polygon([P(-w, -h) + R @ np.array([r, 0]), P(w, -h) - R @ np.array([r, 0]), P(w, h), P(-w, h)])
            cv.circle(P(-w, -h) + R @ np.array([r, r]), r)
            cv.circle(P(w, -h) + R @ np.array([-r, r]), r)
            cv.polygon([P(-w, -h) + R @ np.array([0, r]), P(w, -h) + R @ np.array([0, r]), P(w, h), P(-w, h)])

    def body_details(dark: _Canvas, light: _Canvas, s):
        u, P = frame(s)
        w, h = dims
        wl = max(0.5, 0.012 * face.unit * s)
        if kind == "phone":
            light.polygon([P(-w * 0.8, -h * 0.85), P(-w * 0.1, -h * 0.85), P(-w * 0.7, h * 0.6), P(-w * 0.8, h * 0.6)], fill=50)
            dark.circle(P(w * 0.6, -h * 0.8), 0.07 * u, fill=200)
        elif kind == "card":
            for k in range(5):
                y = -h * 0.6 + k * h * 0.28
                dark.line([P(-w * 0.8, y), P(w * rng.uniform(0.2, 0.8), y)], wl * 2, fill=150)
        elif kind == "mic":
            for k in range(-3, 4):
                dark.line([P(k * w / 4, -w), P(k * w / 4, w)], wl, fill=120)
                dark.line([P(-w, k * w / 4), P(w, k * w / 4)], wl, fill=120)
        else:
            light.line([P(-w * 0.5, -h * 0.8), P(-w * 0.45, h * 0.8)], 0.12 * u, fill=80)

    def fingers(cv: _Canvas, s):
        u, P = frame(s)
        w, h = dims
        if kind == "mic":
            for k in range(4):  # a fist round the handle
                cv.capsule(P(-0.35, 1.0 + 0.32 * k), P(0.35, 1.0 + 0.32 * k), 0.16 * u)
            cv.capsule(P(0.45, 0.9), P(0.25, 1.9), 0.18 * u)
            return
        for k in range(3 if kind != "card" else 2):  # fingers round one edge, their tips on the front
            y = -h * 0.5 + k * 0.36 + (0.1 if kind == "card" else 0)
            cv.capsule(P(side * (w + 0.45), y + 0.1), P(side * (w - 0.3), y), 0.15 * u, 0.13 * u)
        cv.capsule(P(-side * (w + 0.5), 0.3), P(-side * (w - 0.3), 0.0), 0.17 * u, 0.15 * u)  # the thumb

    def palm(cv: _Canvas, s):
        u, P = frame(s)
        w, h = dims
        if kind == "mic":
            return
        cv.polygon([P(side * (w + 0.1), -h * 0.6), P(side * (w + 0.75), -h * 0.6), P(side * (w + 1.0), h * 0.8),
                    P(side * (w + 0.1), h * 0.9)])
        cv.capsule(P(side * (w + 0.6), h * 0.7), P(side * (w + 1.2), h + 2.5), 0.55 * u, 0.6 * u)  # wrist, forearm

    tex = kind in ("cup", "bottle", "card") and rng.uniform() < 0.4
    albedo = (lambda shp: _texture(rng, shp, face.unit, mean=colour)) if tex else colour
    return [_Part(palm, skin, volume=0.35, width=0.1),
            _Part(body, albedo, volume=0.3 if kind in ("cup", "bottle", "mic") else 0.12, width=0.1, details=body_details),
            _Part(fingers, skin, volume=0.35, width=0.05)]


def _b_eyewear(rng, face, photo, shape):
    kind = ("sunglasses", "sunglasses", "goggles", "visor")[rng.integers(4)]
    tint = np.array([20, 20, 22]) + rng.uniform(0, 40) + rng.uniform(0, 30, 3)
    frame_col = [np.array([15, 15, 15]), np.array([120, 80, 40]), np.array([180, 180, 185]), rng.uniform(20, 230, 3)][rng.integers(4)]
    er, el = face.eye_r, face.eye_l
    ear_r, ear_l = face.lm[0], face.lm[16]
    shape_k = rng.uniform(0.6, 1.0)
    gap = max(float(np.linalg.norm(el - er)), 2.0)

    def radii(r):
        """Lens half-axes: the lenses grow taller rather than into each other."""
        rx = min(r * 1.1, 0.48 * gap)
        return rx, r * shape_k * max(1.0, r * 1.1 / rx) ** 0.7

    def lenses(cv: _Canvas, s):
        r = face.unit * 0.14 * s
        if kind == "sunglasses":
            for e in (er, el):
                cv.ellipse(e + face.up * r * 0.1, *radii(r), face.roll, n=20)
        else:
            mid = (er + el) / 2
            half = np.linalg.norm(el - er) / 2 + r
            cv.ellipse(mid, half * 1.05, r * (0.9 if kind == "goggles" else 0.7), face.roll, n=28)

    def frame(cv: _Canvas, s):
        r = face.unit * 0.14 * s
        w = max(1.0, 0.035 * face.unit)
        along = _rot(face.roll) @ np.array([1.0, 0.0])  # from the right eye towards the left
        if kind == "sunglasses":
            rx = radii(r)[0]
            outer_r, outer_l = er - along * rx, el + along * rx
            cv.line([er + along * rx * 0.95, el - along * rx * 0.95], w * 1.2)  # the bridge, between the lenses
        else:
            half = np.linalg.norm(el - er) / 2 + r
            outer_r, outer_l = (er + el) / 2 - along * half, (er + el) / 2 + along * half
        for outer, ear in ((outer_r, ear_r), (outer_l, ear_l)):  # temples, from the rims to the ears
            cv.line([outer, ear], w * (3 if kind == "goggles" else 1))
        for e in ((er, el) if kind == "sunglasses" else ((er + el) / 2,)):
            t = np.linspace(0, 2 * np.pi, 20)
            rx, ry = radii(r) if kind == "sunglasses" else (np.linalg.norm(el - er) / 2 + r, r * 0.9)
            pts = np.stack([rx * np.cos(t), ry * np.sin(t)], 1) @ _rot(face.roll).T + e + (face.up * r * 0.1 if kind == "sunglasses" else 0)
            cv.line(pts, w)

    def reflections(dark: _Canvas, light: _Canvas, s):
        r = face.unit * 0.14 * s
        a = rng.uniform(-0.8, 0.8)
        for e in (er, el):
            ends = e + _unit(a + np.pi / 2) * r * 0.7, e - _unit(a + np.pi / 2) * r * 0.7
            for k, f in ((-0.35, 70), (0.1, 35)):  # a soft sheen across each lens
                light.line([ends[0] + _unit(a) * r * k, ends[1] + _unit(a) * r * k], r * 0.3, fill=f)

    return [_Part(lenses, tint, volume=0.1, width=0.05, details=reflections),
            _Part(frame, frame_col, volume=0.15, width=0.02)]


_BUILDERS = {"hand": _b_hand, "two_hands": _b_two_hands, "mask": _b_mask, "hair": _b_hair, "scarf": _b_scarf,
             "patch": _b_patch, "held_object": _b_held_object, "eyewear": _b_eyewear}


# ---------- compositing ----------

def _union_mask(parts, s, shape) -> np.ndarray:
    """The occluder mask at scale s, drawn once without supersampling (for the coverage bisection)."""
    cv = _Canvas(shape, 1)
    for p in parts:
        if p.alpha_scale >= 0.5:
            p.draw(cv, s)
    return np.asarray(cv.img) > 127


def _composite(image, parts, s, photo: _Photo, face: _Face, rng):
    """The occluded image and the occluder's alpha (float, H x W)."""
    shape = image.shape[:2]
    H, W = shape
    k = 2 if max(shape) <= 512 else 1
    extra = max(0.0, photo.blur ** 2 - 0.5 ** 2) ** 0.5  # supersampled edges already read ~0.5
    alphas = []
    for p in parts:
        cv = _Canvas(shape, k)
        p.draw(cv, s)
        a = cv.alpha() * p.alpha_scale
        alphas.append(gaussian_filter(a, p.soft * face.unit / 90) if p.soft else a)
    union = np.maximum.reduce(alphas)
    ys, xs = np.nonzero(union > 0)
    if len(ys) == 0:
        return image.copy(), union
    m = int(np.ceil(3 * extra + 2))
    y0, y1, x0, x1 = max(0, ys.min() - m), min(H, ys.max() + m + 1), max(0, xs.min() - m), min(W, xs.max() + m + 1)
    win = ((y0, y1), (x0, x1))
    wshape = (y1 - y0, x1 - x0)
    white = rng.normal(0, 1, wshape).astype(np.float32)  # surface texture (pixel noise is the photo's, added last)
    fine, coarse = gaussian_filter(white, 1.0), gaussian_filter(white, max(1.5, 0.04 * face.unit))
    grain = (1 + rng.uniform(0.01, 0.025) * fine / (fine.std() + 1e-6)
             + rng.uniform(0.02, 0.06) * coarse / (coarse.std() + 1e-6))
    P = np.zeros(wshape + (3,), np.float32)  # premultiplied colour, parts painted in order
    A = np.zeros(wshape, np.float32)
    for p, a in zip(parts, alphas):
        a = a[y0:y1, x0:x1]
        alb = p.albedo(shape)[y0:y1, x0:x1] if callable(p.albedo) else np.broadcast_to(np.asarray(p.albedo, np.float32), wshape + (3,))
        shade = grain.copy()
        if p.volume:
            d = distance_transform_edt(a > 0.5)
            w = max(1.0, p.width * face.unit * min(s, 2.0))
            shade -= p.volume * (1 - np.minimum(d / w, 1.0)) ** 2
        if p.details is not None:
            dark, light = _Canvas(shape, 1), _Canvas(shape, 1)
            p.details(dark, light, s)
            dk = np.asarray(dark.img, np.float32)[y0:y1, x0:x1] / 255
            lt = np.asarray(light.img, np.float32)[y0:y1, x0:x1] / 255
            if extra < 0.6:  # details are drawn without supersampling: soften them a little
                dk, lt = gaussian_filter(dk, 0.5), gaussian_filter(lt, 0.5)
            shade *= (1 - 0.45 * dk) * (1 + 0.6 * lt)
        col = photo.light(alb * shade[..., None], shape, win)
        P = col * a[..., None] + P * (1 - a[..., None])
        A = a + A * (1 - a)
    out = image.astype(np.float32)
    # a soft shadow on the face, cast away from the light
    if rng.uniform() < 0.7:
        g = photo.gradient
        away = -g / (np.linalg.norm(g) + 1e-6) if np.linalg.norm(g) > 0.05 else _unit(rng.uniform(0, 2 * np.pi))
        off = away * face.unit * rng.uniform(0.02, 0.1)
        sigma = face.unit * rng.uniform(0.03, 0.08)
        dy, dx = int(round(off[1])), int(round(off[0]))
        m = int(np.ceil(3 * sigma)) + 1  # the shadow's window: the occluder's, moved and grown by its blur
        sy0, sy1 = max(0, y0 + min(dy, 0) - m), min(H, y1 + max(dy, 0) + m)
        sx0, sx1 = max(0, x0 + min(dx, 0) - m), min(W, x1 + max(dx, 0) + m)
        sh = np.zeros((sy1 - sy0, sx1 - sx0), np.float32)
        ty0, tx0 = y0 + dy - sy0, x0 + dx - sx0  # where the moved occluder window lands (clipped to the image)
        a0, b0 = max(ty0, 0), max(tx0, 0)
        a1, b1 = min(ty0 + A.shape[0], sh.shape[0]), min(tx0 + A.shape[1], sh.shape[1])
        if a1 > a0 and b1 > b0:
            sh[a0:a1, b0:b1] = A[a0 - ty0:a1 - ty0, b0 - tx0:b1 - tx0]
        sh = gaussian_filter(sh, sigma)
        out[sy0:sy1, sx0:sx1] *= 1 - (rng.uniform(0.2, 0.5) * sh)[..., None]
    if extra > 0.05:
        P = gaussian_filter(P, (extra, extra, 0))
        A = gaussian_filter(A, extra)
    region = out[y0:y1, x0:x1]
    comp = P + region * (1 - A[..., None])
    if photo.noise > 0.3:
        n = rng.normal(0, photo.noise, wshape)
        n = np.repeat(n[..., None], 3, -1) if photo.grey else n[..., None] + rng.normal(0, photo.noise * 0.3, wshape + (3,))
        comp += n * A[..., None]
    out[y0:y1, x0:x1] = comp
    full = np.zeros(shape, np.float32)
    full[y0:y1, x0:x1] = A
    return np.clip(out + 0.5, 0, 255).astype(np.uint8), full


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
    covering a fraction of the face hull drawn uniformly from `coverage`, matched to the photo (see the module
    docstring). Returns an Occlusion whose coverage is always inside the range (families that cannot reach it on this
    face are re-drawn); raises ValueError if nothing fits."""
    shape = image.shape[:2]
    face = face_mask(lm68, shape)
    area = face.sum()
    if area < 20:
        raise ValueError("face region too small to occlude")
    lo, hi = coverage
    geo = _Face(np.asarray(lm68, np.float64))
    photo = _Photo(image, face, geo)
    for _ in range(tries):
        family = families[rng.integers(len(families))]
        target = rng.uniform(lo, hi)
        parts = _BUILDERS[family](rng, geo, photo, shape)
        a, b = 0.05, 6.0  # bisection on scale for coverage ~ target
        best = None
        for _step in range(12):
            s = np.sqrt(a * b)
            cov = float((_union_mask(parts, s, shape) & face).sum() / area)
            if lo <= cov <= hi and (best is None or abs(cov - target) < abs(best[0] - target)):
                best = (cov, s)
            if best is not None and abs(cov - target) < 0.015:
                break
            if cov < target:
                a = s
            else:
                b = s
        if best is None:
            continue
        out, alpha = _composite(image, parts, best[1], photo, geo, rng)
        mask = alpha >= 0.5
        cov = float((mask & face).sum() / area)
        if not lo <= cov <= hi:  # blur and supersampling moved the edge out of range: draw again
            continue
        return Occlusion(out, mask, landmark_visibility(mask, lm68), cov, family)
    raise ValueError(f"no occluder of {families} reached coverage {coverage}")
