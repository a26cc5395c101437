"""Training samples: clean crops with the teacher's fitted labels, geometric and photometric augmentation, and
(for the student) V differently occluded copies of each face.

Coordinates: labels live in *crop fractions* (x right, y down, 0..1 across the network's input). A face projects as
    p = scale * F(R v) + T,   F(x, y, z) = (x, -y)
with v an ICT vertex in cm, R the head rotation, scale in crop fractions per cm, T = (tx, ty). An augmentation is a
2-D similarity (and optional mirror) of the crop; the labels follow it exactly: for a similarity with zoom k, in-plane
image rotation Q and shift, R' = Rz(Q^T) R, scale' = k scale, T' = k Q (T - c) + c + d; a mirror maps R to M R M
(M = diag(-1, 1, 1)), T_x to 1 - T_x, swaps left/right expressions and mirrors the 68 landmarks. Identity is kept under
a mirror (ICT's identity modes are near-symmetric: a small, documented approximation).
"""
import hashlib
import io
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageFilter

from . import facemodel, occlusion, paths

INPUT = 128


@dataclass
class Labels:
    """Per-image teacher labels (arrays over N images)."""
    alpha: np.ndarray   # (N, K)
    beta: np.ndarray    # (N, 53)
    R: np.ndarray       # (N, 3, 3)
    scale: np.ndarray   # (N,) crop fraction per cm
    T: np.ndarray       # (N, 2) crop fraction, image axes
    lm68: np.ndarray    # (N, 68, 2) crop fraction, image axes
    known: np.ndarray   # (N,) 1 where identity and expression are measured (teacher), 0 where they are priors

    def take(self, idx):
        return Labels(*(getattr(self, f)[idx] for f in self.__dataclass_fields__))


def labels_from_fit(fit: dict, crop: int = paths.CROP, known: bool = True) -> Labels:
    """Convert cache/fit arrays (crop pixels; T with y up) to crop-fraction labels in image axes."""
    T = np.stack([fit["t"][:, 0], -fit["t"][:, 1]], 1)
    return Labels(fit["alpha"].astype(np.float32), fit["beta"].astype(np.float32), fit["R"].astype(np.float32),
                  fit["s"].astype(np.float32), T.astype(np.float32), (fit["lm68"] / crop).astype(np.float32),
                  np.full(len(T), float(known), np.float32))


def load_images(names, folder) -> np.ndarray:
    return np.stack([np.asarray(Image.open(folder / n).convert("RGB")) for n in names])


def aflw_images(names) -> np.ndarray:
    """All fitted AFLW crops in the order of `names`, decoded once into cache/images_aflw.npy (memory-mapped).
    The names it holds are kept beside it (images_aflw.names.npy); a label folder whose names differ, or a cache
    without them, decodes it again, so rows can never belong to other images."""
    cached, held = paths.CACHE / "images_aflw.npy", paths.CACHE / "images_aflw.names.npy"
    names = np.asarray(names)
    if not (cached.exists() and held.exists() and np.array_equal(np.load(held), names)):
        held.unlink(missing_ok=True)  # from here until both are written, the cache holds no names: never trusted
        for path, array in ((cached, load_images(names, paths.AFLW_TRAIN / "crops")), (held, names)):
            partial = path.with_suffix(".partial.npy")
            np.save(partial, array)
            partial.replace(path)  # a reader that mapped the old file keeps it; nobody sees half a file
    return np.load(cached, mmap_mode="r")


def data_hash(names, lab: Labels) -> str:
    """sha256 over the image names and every label field (float32, in `Labels`' field order): names the exact
    training data, so two label sets that differ only in their landmark targets, pose or `known` mask differ here."""
    digest = hashlib.sha256()
    for n in names:
        digest.update(n.encode())
    for field in Labels.__dataclass_fields__:
        digest.update(field.encode())
        digest.update(np.ascontiguousarray(getattr(lab, field), dtype=np.float32).tobytes())
    return digest.hexdigest()


#: Annotation-only labels (orn.annotation_fit) whose residual to the annotated points exceeds this are dropped:
#: about the worst 3 %, where the annotation contradicts any ICT face.
ANNOTATION_ONLY_MAX_RMS_PX = 5.0


def load_dataset(max_rms_px: float = 3.0, limit: int | None = None, labels_folder: str = "fit",
                 teacher_misses: bool = False):
    """All labelled training images (AFLW crops + video crops) with their labels, names and data hash.
    `labels_folder` is the cache folder `orn.fit` wrote (`fit`: teacher only; `fit-annotated`: teacher and AFLW's
    annotated points). Images whose teacher fit residual exceeds max_rms_px are dropped (teacher failures).
    `teacher_misses` adds the AFLW crops the teacher did not find, labelled from their annotation alone
    (`orn.annotation_fit`; pose and landmarks only, `Labels.known` = 0)."""
    if labels_folder.startswith("fused"):
        return load_fused(limit, max_rms_px, labels_folder)
    images, labels, names = [], [], []
    sources = ("aflw", "video", "aflw_annotation_only") if teacher_misses else ("aflw", "video")
    for source in sources:
        fit = dict(np.load(paths.CACHE / labels_folder / f"{source}.npz"))
        threshold = ANNOTATION_ONLY_MAX_RMS_PX if source == "aflw_annotation_only" else max_rms_px
        keep = np.flatnonzero(fit["rms_px"] <= threshold)[:limit]
        if source == "aflw":
            imgs = np.asarray(aflw_images(fit["names"])[keep])
        elif source == "video":
            imgs = np.load(paths.CACHE / "teacher" / "video.npz")["crops"][fit["index"][keep]]
        else:
            imgs = load_images(fit["names"][keep], paths.AFLW_TRAIN / "crops")
        images.append(imgs)
        labels.append(labels_from_fit({k: v[keep] for k, v in fit.items() if k not in ("K", "annotation_weight")},
                                      known=source != "aflw_annotation_only"))
        names += [f"{'aflw' if source.startswith('aflw') else source}/{n}" for n in fit["names"][keep]]
    lab = Labels(*(np.concatenate([getattr(l, f) for l in labels]) for f in Labels.__dataclass_fields__))
    return np.concatenate(images), lab, names, data_hash(names, lab)


#: Fused labels (`orn.fit --fused`): crops whose shape, posed by the keypoints, misses the 3DDFA keypoints by more
#: than this (RMS, 120-px crop; median 1.97 px where MediaPipe found the face, 2.52 px where it did not, 95th
#: percentiles 3.49 / 4.23) are dropped, and so are crops whose keypoints lie further than FUSED_MAX_ANNOTATION_NME
#: from AFLW's annotated points (mean over the annotated ones, in face sizes; 110 crops): both mark a teacher failure.
FUSED_MAX_KEYPOINT_RMS_PX = 5.0
FUSED_MAX_ANNOTATION_NME = 0.15
#: Where MediaPipe's own points miss the fitted shape by more than this (RMS px; median 1.54, 99th percentile 3.16),
#: as for the teacher-only labels, its identity and expression are not trusted: the crop still teaches pose and
#: landmarks (`known` = 0), as a crop MediaPipe missed does. It is the config's `max_rms_px` (default 3.0), as for the
#: other label sets.


def load_fused(limit: int | None = None, max_rms_px: float = 3.0, folder: str = "fused"):
    """The fused labels of `orn.fit --fused` in cache/`folder`: every AFLW crop and video crop with both teachers'
    fit, the 3DDFA keypoints as the 68-landmark target (`Labels.lm68`), and `known` = MediaPipe found the face and
    its points fit (identity and expression measured; otherwise pose and landmarks only): MediaPipe's points lie
    within max_rms_px of the fitted shape. Where MediaPipe's points were left out of the shape (`dense_weight` 0,
    `fused-keypoints`), the shape is measured by the keypoints and `known` marks the crops with MediaPipe's blendshape
    prior (a crop it missed teaches pose and landmarks only, as before)."""
    images, labels, names = [], [], []
    for source in ("aflw", "video"):
        fit = dict(np.load(paths.CACHE / folder / f"{source}.npz"))
        with np.errstate(invalid="ignore"):
            bad_annotation = fit["annotation_nme"] > FUSED_MAX_ANNOTATION_NME  # NaN (no annotation) passes
        if float(fit.get("dense_weight", 1.0)) > 0:
            fit["known"] = fit["known"] * (fit["rms_px"] <= max_rms_px)
        keep = np.flatnonzero((fit["keypoint_rms_px"] <= FUSED_MAX_KEYPOINT_RMS_PX) & ~bad_annotation)[:limit]
        if source == "aflw":
            imgs = np.asarray(aflw_images(fit["names"])[keep])
        else:
            imgs = np.load(paths.CACHE / "teacher" / "video.npz")["crops"][keep]
        lab = labels_from_fit({k: v[keep] for k, v in fit.items() if k in ("alpha", "beta", "R", "s", "t", "lm68")})
        lab.lm68 = (fit["keypoints"][keep] / paths.CROP).astype(np.float32)
        lab.known = fit["known"][keep].astype(np.float32)
        images.append(imgs)
        labels.append(lab)
        names += [f"{source}/{n}" for n in fit["names"][keep]]
    lab = Labels(*(np.concatenate([getattr(l, f) for l in labels]) for f in Labels.__dataclass_fields__))
    return np.concatenate(images), lab, names, data_hash(names, lab)


def split(names, val_fraction=0.03):
    """Deterministic train/val split by name hash."""
    h = np.array([int(hashlib.md5(n.encode()).hexdigest()[:8], 16) / 16 ** 8 for n in names])
    return np.flatnonzero(h >= val_fraction), np.flatnonzero(h < val_fraction)


# ---------------- augmentation ----------------

M3 = np.diag([-1.0, 1.0, 1.0]).astype(np.float32)


@dataclass
class Geometry:
    """Image-fraction map q = A p + b (A includes an optional mirror), with its parts for the labels."""
    k: float
    theta: float
    d: np.ndarray
    flip: bool

    @property
    def Q(self):
        c, s = np.cos(self.theta), np.sin(self.theta)
        return np.array([[c, -s], [s, c]], np.float32)

    def apply_points(self, p):
        q = self.k * (p - 0.5) @ self.Q.T + 0.5 + self.d
        if self.flip:
            q = np.stack([1 - q[..., 0], q[..., 1]], -1)
        return q

    def matrix(self):
        """(A, b) with apply_points(p) = p @ A.T + b."""
        A = self.k * self.Q
        b = 0.5 + self.d - A @ np.array([0.5, 0.5], np.float32)
        if self.flip:
            F = np.diag([-1.0, 1.0]).astype(np.float32)
            A, b = F @ A, F @ b + np.array([1.0, 0.0], np.float32)
        return A, b


@dataclass(frozen=True)
class Framing:
    """How a training crop is framed: its zoom jittered by exp(±scale), its centre shifted by up to ±shift of the crop
    per axis (with a rotation of ±15° and a mirror half the time, `random_geometry`), and what it shows beyond the
    photo's crop, `fill` "black" or "reflect" (`warp`). One value per run, used for faces and, where a config frames
    them too, for background crops, so that the framing itself is no sign of a face."""
    scale: float = 0.1
    shift: float = 0.05
    fill: str = "black"

    def __post_init__(self):
        if not (0 <= self.scale <= 0.5 and 0 <= self.shift <= 0.25 and self.fill in ("black", "reflect")):
            raise ValueError(f"framing needs 0 <= scale <= 0.5, 0 <= shift <= 0.25 and fill black or reflect, "
                             f"not {self}")

    def frame(self, image: np.ndarray, rng, out: int = INPUT) -> np.ndarray:
        """`image` (a square crop) under a random geometry of this framing, out x out."""
        return warp(np.ascontiguousarray(image), random_geometry(rng, framing=self), out, self.fill)


FRAMING = Framing()  # the training framing's jitter unless a config sets another


def random_geometry(rng, strength=1.0, framing: Framing = FRAMING) -> Geometry:
    """A random augmentation: zoom exp(±framing.scale), rotation ±15°, shift ±framing.shift of the crop per axis, a
    mirror half the time (all scaled by `strength`)."""
    scale, shift = framing.scale, framing.shift
    return Geometry(k=float(np.exp(rng.uniform(-scale, scale) * strength)), theta=float(np.radians(rng.uniform(-15, 15) * strength)),
                    d=(rng.uniform(-shift, shift, 2) * strength).astype(np.float32), flip=bool(rng.uniform() < 0.5 * strength))


IDENTITY_GEOMETRY = Geometry(1.0, 0.0, np.zeros(2, np.float32), False)


def warp(image: np.ndarray, g: Geometry, out: int = INPUT, fill: str = "black") -> np.ndarray:
    """Resample a square crop under the geometry into out x out (PIL samples at pixel centres). What lies outside the
    crop is black, or with `fill` "reflect" the crop mirrored at its edges as far as the output's corners reach."""
    n = image.shape[0]
    A, b = g.matrix()
    Ai = np.linalg.inv(A)
    # output pixel (x, y) -> fraction q = (x, y)/out -> p = Ai (q - b) -> input pixel p * n
    M = Ai * (n / out)
    off = -Ai @ b * n
    if fill == "reflect":
        corners = Ai @ (np.array([[0, 1, 0, 1], [0, 0, 1, 1]], np.float32) - b[:, None])  # input fractions
        margin = int(np.ceil(max(0.0, -corners.min(), corners.max() - 1) * n)) + 2
        image = np.pad(image, ((margin, margin), (margin, margin), (0, 0)), mode="symmetric")
        off = off + margin
    elif fill != "black":
        raise ValueError(f"fill must be 'black' or 'reflect', not {fill!r}")
    data = (M[0, 0], M[0, 1], off[0], M[1, 0], M[1, 1], off[1])
    return np.asarray(Image.fromarray(image).transform((out, out), Image.AFFINE, data, resample=Image.BILINEAR))


def transform_labels(lab: Labels, i: int, g: Geometry, flip_expr: np.ndarray) -> dict:
    """Labels of image i under geometry g (see module docstring)."""
    Qt = g.Q.T
    Rz = np.eye(3, dtype=np.float32)
    Rz[:2, :2] = Qt
    R = Rz @ lab.R[i]
    T = g.k * (lab.T[i] - 0.5) @ g.Q.T + 0.5 + g.d
    beta, lm = lab.beta[i], g.apply_points(lab.lm68[i])
    if g.flip:
        R = M3 @ R @ M3
        T = np.array([1 - T[0], T[1]], np.float32)
        beta = beta[flip_expr]
        lm = lm[facemodel.FLIP68]
    return dict(alpha=lab.alpha[i], beta=beta, R=R.astype(np.float32), scale=np.float32(g.k * lab.scale[i]),
                T=T.astype(np.float32), lm68=lm.astype(np.float32), known=lab.known[i])


def photometric(img: np.ndarray, rng) -> np.ndarray:
    """Colour (brightness, contrast, saturation), blur, noise and JPEG, each at random."""
    x = img.astype(np.float32)
    x = x * rng.uniform(0.7, 1.3) + rng.uniform(-25, 25)
    mean = x.mean()
    x = (x - mean) * rng.uniform(0.7, 1.3) + mean
    grey = x.mean(-1, keepdims=True)
    x = grey + (x - grey) * rng.uniform(0.6, 1.4)
    if rng.uniform() < 0.3:
        x = x + rng.normal(0, rng.uniform(2, 10), x.shape)
    out = Image.fromarray(np.clip(x, 0, 255).astype(np.uint8))
    if rng.uniform() < 0.3:
        out = out.filter(ImageFilter.GaussianBlur(rng.uniform(0.3, 1.5)))
    if rng.uniform() < 0.4:
        buf = io.BytesIO()
        out.save(buf, "JPEG", quality=int(rng.integers(25, 90)))
        out = Image.open(io.BytesIO(buf.getvalue())).convert("RGB")
    return np.asarray(out)


def in_crop(lm: np.ndarray) -> np.ndarray:
    return (lm >= 0).all(-1) & (lm < 1).all(-1)


def make_batch(images, lab: Labels, idx, rng, flip_expr, copies: int = 1, occlude_p: float = 0.0,
               families=occlusion.TRAIN_FAMILIES, coverage=(0.1, 0.6), augment: bool = True, out: int = INPUT,
               clean_first: bool = False, edge_bands: float = 0.0, framing: Framing = FRAMING) -> dict:
    """A batch of len(idx) * copies samples, copies of one face adjacent (group g = rows g*copies ... +copies-1).
    Copies share geometry (so they share every label) and differ in occlusion and photometrics. With `clean_first`
    the first copy of each face is never occluded (the clean anchor of losses.anchor). An `edge_bands` share of the
    copies that may be occluded also gets black bands along its edges (`occlusion.frame_edge_bands`: a face at the
    frame's edge, as the daemon crops it); landmarks under a band are not visible. `framing` sets how far the crop's
    zoom and shift are jittered and what it shows beyond the photo's crop (`Framing`)."""
    xs, vis, targets = [], [], []
    for i in idx:
        g = random_geometry(rng, framing=framing) if augment else IDENTITY_GEOMETRY
        base = warp(images[i], g, out, framing.fill)
        t = transform_labels(lab, i, g, flip_expr)
        px = t["lm68"] * out
        for c in range(copies):
            # A landmark outside the photo's crop lands, zoomed out, on black or mirrored pixels: not visible.
            img, v = base, in_crop(t["lm68"]) & in_crop(lab.lm68[i])
            if occlude_p and not (clean_first and c == 0) and rng.uniform() < occlude_p:
                try:
                    o = occlusion.occlude(base, px, rng, families=families, coverage=coverage)
                    img, v = o.image, v & o.visible
                except ValueError:
                    pass  # face too small or nothing fits: keep the clean copy
            if edge_bands and not (clean_first and c == 0) and rng.uniform() < edge_bands:
                bands = occlusion.frame_edge_bands(out, rng)
                img = img.copy()
                img[bands] = 0
                pixel = np.clip(px.astype(int), 0, out - 1)
                v = v & ~bands[pixel[:, 1], pixel[:, 0]]
            xs.append(photometric(img, rng) if augment else img)
            vis.append(v)
            targets.append(t)
    batch = {k: np.stack([t[k] for t in targets]) for k in targets[0]}
    batch["image"] = normalise(np.stack(xs))
    batch["visible"] = np.stack(vis).astype(np.float32)
    return batch


MEAN, STD = 0.5, 0.5  # network input = (RGB / 255 - MEAN) / STD, NCHW


def normalise(images: np.ndarray) -> np.ndarray:
    """(B, H, W, 3) uint8 -> (B, 3, H, W) float32 network input."""
    return ((images.astype(np.float32) / 255.0 - MEAN) / STD).transpose(0, 3, 1, 2).copy()
