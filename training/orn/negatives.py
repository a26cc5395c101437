"""Background crops: the negatives of the face score (model output `face`).

The daemon runs the regressor on the crop of every detection; the face score lets it confirm a weak detection at once
and drop background the detector likes (docs/face-tracking.md: background reaches a detector score of 0.55 on the
clips). Positives are every training copy, clean or occluded, frontal or profile. Negatives come from five sources,
each drawn at random per sample:
  - `video`: squares cut from the frames of the three clips away from the face (the MediaPipe face box grown 1.5x
    overlaps none of them), cached once in cache/negatives/video.npz with the frame they came from;
  - `border`: the part of an AFLW training crop outside its face (a corner square, scaled up): real photos' background;
  - `part`: a 2.5-4x zoom into a face crop away from its centre (skin, hair, an ear, clothing): texture without a face;
  - `mosaic`: a face crop cut into a 4x4 grid and shuffled: face colours and edges without a face's layout;
  - `clutter`: drawn shapes, stripes, gradients and noise;
  - `hands` (only when `make` is given a face layout): one or two hands of the occlusion generator over a
    featureless, shaded skin-coloured oval where a head would be, on clutter or a video crop: a face's colour, outline
    and occluder with none of its features (`hands_on_skin`).
With `banded` > 0, that share of the crops gets black bands along one to three of its edges, as the daemon's crop of
a detection near the frame's edge has (black outside the frame): face crops near a photo's edge have them in
training, negatives never had, and the face score learned the bands as a sign of a face (v2i: featureless skin ovals
scoring >= 0.8 rise from 12 to 98 of 200 with 4-px and 3-px bands).
With `defocused` > 0, that share of the crops is then thrown out of focus (`defocus`): the blurred background of a
video, a person sitting far behind, is where the detector and a face score trained on sharp negatives see faces.
The video negatives are split by frame (`data.split` over their names) so validation never sees training frames.

    python -m orn.negatives        # writes cache/negatives/video.npz (needs mediapipe; about a minute)
"""
import argparse
import time

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

from . import data, occlusion, paths

KINDS = ("video", "border", "part", "mosaic", "clutter")
HAND_FAMILIES = ("hand", "two_hands")


def build_video_cache(every: int = 5, per_frame: int = 3, seed: int = 0) -> None:
    """Cut background squares (120x120 after resizing) from every `every`-th frame of the clips."""
    from . import teacher
    landmarker = teacher.make_landmarker()
    rng = np.random.default_rng(seed)
    crops, names = [], []
    t0 = time.time()
    for video in sorted(paths.VIDEOS.glob("*.mp4")):
        for index, rgb in teacher.video_frames(video, every):
            found = teacher.detect(landmarker, rgb)
            if found is None:
                continue
            face = teacher.square_box(found[0], 1.5)
            h, w = rgb.shape[:2]
            taken = 0
            for k in range(per_frame * 20):
                side = rng.uniform(0.12, 0.5) * min(h, w)
                x0, y0 = rng.uniform(0, w - side), rng.uniform(0, h - side)
                box = np.array([x0, y0, x0 + side, y0 + side])
                overlap = (min(box[2], face[2]) - max(box[0], face[0])) > 0 and \
                          (min(box[3], face[3]) - max(box[1], face[1])) > 0
                if not overlap:
                    crops.append(teacher.crop_box(rgb, box.astype(np.float32)))
                    names.append(f"{video.stem}/{index:05d}/{k}")
                    taken += 1
                    if taken == per_frame:
                        break
        print(f"negatives {video.name}: {len(names)} so far, {time.time() - t0:.0f}s", flush=True)
    out = paths.CACHE / "negatives" / "video.npz"
    out.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(out, crops=np.stack(crops), names=np.array(names))
    print(f"negatives: {len(names)} video background crops -> {out}", flush=True)


def load_video(split: str = "train") -> np.ndarray:
    """The cached video background crops of one split ('train' | 'val'), (N, 120, 120, 3) uint8; empty when the
    cache is missing."""
    path = paths.CACHE / "negatives" / "video.npz"
    if not path.exists():
        return np.zeros((0, paths.CROP, paths.CROP, 3), np.uint8)
    cache = np.load(path)
    frames = ["/".join(n.split("/")[:2]) for n in cache["names"]]
    train, val = data.split([f"negative/{f}" for f in frames], val_fraction=0.15)
    return cache["crops"][train if split == "train" else val]


def _resize(image: np.ndarray, box, out: int) -> np.ndarray:
    return np.asarray(Image.fromarray(image).transform((out, out), Image.EXTENT, tuple(float(v) for v in box),
                                                       Image.BILINEAR))


def border(face: np.ndarray, rng, out: int) -> np.ndarray:
    """A corner square of a face crop, at most 28 % of its side (the 68-landmark box spans the middle ~70 %, and a
    face is rounder than its box), scaled up."""
    n = face.shape[0]
    side = rng.uniform(0.18, 0.28) * n
    x0 = rng.choice([0.0, n - side])
    y0 = rng.choice([0.0, n - side])
    return _resize(face, (x0, y0, x0 + side, y0 + side), out)


def part(face: np.ndarray, rng, out: int) -> np.ndarray:
    """A 2.5-4x zoom into a face crop, centred away from the crop's centre."""
    n = face.shape[0]
    side = n / rng.uniform(2.5, 4.0)
    angle, radius = rng.uniform(0, 2 * np.pi), rng.uniform(0.25, 0.45) * n
    cx, cy = n / 2 + radius * np.cos(angle), n / 2 + radius * np.sin(angle)
    return _resize(face, (cx - side / 2, cy - side / 2, cx + side / 2, cy + side / 2), out)


def mosaic(face: np.ndarray, rng, out: int, grid: int = 4) -> np.ndarray:
    """The crop cut into grid x grid tiles, shuffled and reassembled."""
    image = _resize(face, (0, 0, face.shape[1], face.shape[0]), out - out % grid)
    t = image.shape[0] // grid
    tiles = [image[r * t:(r + 1) * t, c * t:(c + 1) * t] for r in range(grid) for c in range(grid)]
    order = rng.permutation(len(tiles))
    rows = [np.concatenate([tiles[order[r * grid + c]] for c in range(grid)], 1) for r in range(grid)]
    return _resize(np.concatenate(rows, 0), (0, 0, t * grid, t * grid), out)


def clutter(rng, out: int) -> np.ndarray:
    """Random shapes, lines and stripes over a gradient, blurred a little, with noise."""
    base = rng.uniform(0, 255, 3)
    ramp = rng.uniform(-80, 80, 3)
    y = np.linspace(0, 1, out)[:, None, None]
    image = np.clip(base + ramp * y + np.zeros((out, out, 3)), 0, 255).astype(np.uint8)
    canvas = Image.fromarray(image)
    draw = ImageDraw.Draw(canvas)
    for _ in range(int(rng.integers(3, 12))):
        colour = tuple(int(c) for c in rng.uniform(0, 255, 3))
        x0, y0, x1, y1 = rng.uniform(-0.2, 1.2, 4) * out
        box = [min(x0, x1), min(y0, y1), max(x0, x1), max(y0, y1)]
        kind = rng.integers(4)
        if kind == 0:
            draw.ellipse(box, fill=colour)
        elif kind == 1:
            draw.rectangle(box, fill=colour)
        elif kind == 2:
            draw.line([x0, y0, x1, y1], fill=colour, width=int(rng.integers(1, 12)))
        else:
            draw.polygon([tuple(p) for p in rng.uniform(-0.1, 1.1, (int(rng.integers(3, 7)), 2)) * out], fill=colour)
    canvas = canvas.filter(ImageFilter.GaussianBlur(rng.uniform(0, 2)))
    noisy = np.asarray(canvas).astype(np.float32) + rng.normal(0, rng.uniform(0, 12), (out, out, 3))
    return np.clip(noisy, 0, 255).astype(np.uint8)


def defocus(image: np.ndarray, rng, radius=(1.0, 4.0)) -> np.ndarray:
    """A Gaussian blur of a radius drawn from `radius` (pixels): an out-of-focus background."""
    return np.asarray(Image.fromarray(image).filter(ImageFilter.GaussianBlur(rng.uniform(*radius))))


def mean_layout(landmarks: np.ndarray) -> np.ndarray:
    """The mean 68-point layout of faces (N, 68, 2), centred on 0 with unit face size (sqrt of the box's w h): where
    a face's features would be, for drawing hands with no face behind them."""
    centred = landmarks - landmarks.mean(1, keepdims=True)
    size = np.sqrt(np.prod(np.ptp(landmarks, axis=1), axis=1))[:, None, None]
    return (centred / size).mean(0)


def hands(background: np.ndarray, layout: np.ndarray, rng, size=(0.3, 0.6), attempts: int = 1):
    """Hands (the occlusion generator's hand families, 30-60 % coverage) drawn where a face of `size` times the
    image side would be, on a background with no face: the occluder without the face, a negative the detector and
    the face score must reject. None when no hand fitted in `attempts` tries."""
    side = background.shape[0]
    points = layout * rng.uniform(*size) * side + rng.uniform(0.35, 0.65, 2) * side
    for _ in range(attempts):
        try:
            return occlusion.occlude(background, points, rng, families=HAND_FAMILIES, coverage=(0.3, 0.6)).image
        except ValueError:
            continue
    return None


def skin_oval(background: np.ndarray, rng, centre=None, width=None) -> np.ndarray:
    """A shaded, featureless skin-coloured oval the size of a head on `background` (side x side x 3), blurred a little:
    a face's colour and outline with none of its features. Its centre and width (pixels) are drawn when not given."""
    side = background.shape[0]
    skin = np.array([200, 150, 120]) * rng.uniform(0.45, 1.15)
    w = rng.uniform(0.3, 0.5) * side if width is None else width
    h = w * rng.uniform(1.15, 1.4)
    cx, cy = rng.uniform(0.35, 0.65, 2) * side if centre is None else centre
    y, x = np.mgrid[0:side, 0:side].astype(np.float32)
    r = np.hypot((x - cx) / (w / 2), (y - cy) / (h / 2))
    shade = np.clip(1.05 - 0.35 * r ** 2 + 0.15 * (x - cx) / w, 0.4, 1.1)
    inside = np.clip((1 - r) * 12, 0, 1)[..., None]
    image = background.astype(np.float32) * (1 - inside) + np.clip(skin * shade[..., None], 0, 255) * inside
    return np.asarray(Image.fromarray(image.astype(np.uint8)).filter(ImageFilter.GaussianBlur(rng.uniform(0.5, 2))))


def hands_on_skin(background: np.ndarray, layout: np.ndarray, rng) -> np.ndarray:
    """One or two hands (the occlusion generator's hand families, 30-60 % of the face hull) over a `skin_oval` placed
    where a face of 35-75 % of the image side would be (`layout`: `mean_layout`; in the validation crops a face's
    size is 57-73 % of the side, 5th to 95th percentile); the hands take the oval's colour, as they take a face's.
    The oval alone when no hand fits."""
    side = background.shape[0]
    points = layout * rng.uniform(0.35, 0.75) * side + rng.uniform(0.4, 0.6, 2) * side
    extent = np.ptp(points, axis=0)
    centre = points.mean(0) - np.array([0.0, 0.1 * extent[1]])  # a head reaches above the brows
    oval = skin_oval(background, rng, centre=centre, width=1.15 * extent[0])
    try:
        return occlusion.occlude(oval, points, rng, families=HAND_FAMILIES, coverage=(0.3, 0.6)).image
    except ValueError:
        return oval


def black_bands(image: np.ndarray, rng, widest: float = 0.25) -> np.ndarray:
    """`image` with black bands along one to three of its four edges, each up to `widest` of the side
    (`occlusion.frame_edge_bands`)."""
    banded = image.copy()
    banded[occlusion.frame_edge_bands(image.shape[0], rng, widest)] = 0
    return banded


def make(faces: np.ndarray, video: np.ndarray, count: int, rng, out: int = data.INPUT,
         defocused: float = 0.0, layout: np.ndarray | None = None, banded: float = 0.0,
         framing: data.Framing | None = None) -> np.ndarray:
    """`count` background images (count, out, out, 3) uint8, each from a random source (`video` only when video
    crops are given, `hands` only when a face `layout` is), with `framing` framed as the faces of a batch are
    (`data.Framing.frame`), then a `defocused` share of them blurred (`defocus`, 1-4 px) and a `banded` share given
    black edge bands (`black_bands`); `faces` are the face crops the other sources cut from (never whole faces)."""
    kinds = (KINDS if len(video) else KINDS[1:]) + (("hands",) if layout is not None else ())
    images = []
    for _ in range(count):
        kind = kinds[int(rng.integers(len(kinds)))]
        face = faces[int(rng.integers(len(faces)))]
        if kind == "video":
            image = _resize(video[int(rng.integers(len(video)))], (0, 0, paths.CROP, paths.CROP), out)
        elif kind == "border":
            image = border(face, rng, out)
        elif kind == "part":
            image = part(face, rng, out)
        elif kind == "mosaic":
            image = mosaic(face, rng, out)
        elif kind == "hands":
            base = clutter(rng, out) if not len(video) or rng.uniform() < 0.5 else \
                _resize(video[int(rng.integers(len(video)))], (0, 0, paths.CROP, paths.CROP), out)
            image = hands_on_skin(base, layout, rng)
        else:
            image = clutter(rng, out)
        if rng.uniform() < 0.5:
            image = image[:, ::-1]
        if framing is not None:
            image = framing.frame(image, rng, out)
        if defocused > 0 and rng.uniform() < defocused:
            image = defocus(np.ascontiguousarray(image), rng)
        if banded > 0 and rng.uniform() < banded:
            image = black_bands(np.ascontiguousarray(image), rng)
        images.append(image)
    return np.stack(images)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.parse_args(argv)
    build_video_cache()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
