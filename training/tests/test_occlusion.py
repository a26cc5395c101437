"""The occlusion generator: coverage of the face hull in range, per-landmark labels that agree with the mask, held-out
families never drawn by the training path, seeded determinism, and occluders that take on the photo's greyscale,
brightness, blur, noise and shadows."""
import inspect

import numpy as np
import pytest
from PIL import Image, ImageDraw
from scipy.ndimage import binary_dilation, binary_erosion, gaussian_filter

from orn import occlusion as oc
from conftest import needs_data


# Mean-face 68 landmarks (ICT neutral, frontal), image axes (y down), centred, unit face width.
TEMPLATE68 = np.array([
    -0.5, -0.267, -0.494, -0.119, -0.471, 0.014, -0.445, 0.142, -0.389, 0.287, -0.292, 0.404, -0.207, 0.452, -0.104, 0.475,
    -0.0, 0.496, 0.104, 0.475, 0.207, 0.452, 0.292, 0.404, 0.389, 0.287, 0.445, 0.142, 0.471, 0.014, 0.494, -0.119,
    0.5, -0.267, -0.395, -0.371, -0.335, -0.424, -0.258, -0.442, -0.164, -0.438, -0.08, -0.419, 0.08, -0.419, 0.164, -0.438,
    0.258, -0.442, 0.335, -0.424, 0.395, -0.371, -0.0, -0.272, -0.0, -0.197, -0.0, -0.127, -0.0, -0.045, -0.085, 0.06,
    -0.041, 0.06, -0.0, 0.064, 0.041, 0.06, 0.085, 0.06, -0.303, -0.251, -0.263, -0.281, -0.189, -0.285, -0.125, -0.238,
    -0.185, -0.227, -0.262, -0.226, 0.125, -0.239, 0.189, -0.285, 0.263, -0.281, 0.303, -0.251, 0.262, -0.226, 0.185, -0.227,
    -0.172, 0.221, -0.116, 0.171, -0.049, 0.147, -0.0, 0.151, 0.049, 0.147, 0.116, 0.171, 0.172, 0.221, 0.122, 0.258,
    0.07, 0.275, -0.0, 0.28, -0.07, 0.275, -0.122, 0.258, -0.15, 0.219, -0.068, 0.206, -0.0, 0.208, 0.068, 0.206,
    0.15, 0.219, 0.073, 0.212, -0.0, 0.213, -0.073, 0.212]).reshape(68, 2)


def synthetic_landmarks(rng, size=128, yaw=0.0):
    """A plausible face's 68 landmarks: the mean face, randomly scaled, rotated, shifted; `yaw` in [0, 1) squeezes
    one side of the face towards the nose as a turned head does."""
    a = np.radians(rng.uniform(-20, 20))
    R = np.array([[np.cos(a), -np.sin(a)], [np.sin(a), np.cos(a)]])
    t = TEMPLATE68.copy()
    t[:, 0] = np.where(t[:, 0] > 0, t[:, 0] * (1 - yaw), t[:, 0] * (1 + 0.3 * yaw))
    lm = t @ R.T * size * rng.uniform(0.55, 0.75) + size / 2 + rng.normal(0, 3, 2)
    return lm.astype(np.float32)


def synthetic_face(rng, size=128, yaw=0.0):
    """A noise image with a plausible face's 68 landmarks."""
    img = rng.integers(0, 255, (size, size, 3), dtype=np.uint8)
    return img, synthetic_landmarks(rng, size, yaw)


def photo_like(rng, size=128, colour=True):
    """A smooth 'photo': coloured rectangles and ellipses, lightly blurred, with a skin-toned face region."""
    img = Image.new("RGB", (size, size), tuple(int(v) for v in rng.integers(30, 220, 3)))
    d = ImageDraw.Draw(img)
    for _ in range(12):
        x0, y0 = rng.integers(0, size, 2)
        x1, y1 = x0 + rng.integers(8, 50), y0 + rng.integers(8, 50)
        (d.rectangle if rng.uniform() < 0.5 else d.ellipse)([x0, y0, x1, y1], fill=tuple(int(v) for v in rng.integers(0, 255, 3)))
    lm = synthetic_landmarks(rng, size)
    d.polygon([tuple(map(float, p)) for p in oc.convex_hull(lm)], fill=(205, 150, 120))
    x = gaussian_filter(np.asarray(img, np.float32), (0.6, 0.6, 0))
    if not colour:
        x = np.repeat(oc.luminance(x)[..., None], 3, -1)
    return np.clip(x, 0, 255).astype(np.uint8), lm


@pytest.mark.parametrize("family", oc.FAMILIES)
def test_coverage_in_range_and_labels_match_mask(family):
    rng = np.random.default_rng(oc.FAMILIES.index(family))
    for k, coverage in enumerate([(0.1, 0.6), (0.2, 0.35), (0.4, 0.6), (0.1, 0.6), (0.4, 0.5), (0.2, 0.3)]):
        img, lm = synthetic_face(rng, yaw=0.4 * (k % 2))
        o = oc.occlude(img, lm, rng, families=(family,), coverage=coverage)
        assert o.family == family
        assert coverage[0] <= o.coverage <= coverage[1]
        hull = oc.face_mask(lm, img.shape[:2])
        assert o.coverage == pytest.approx((o.mask & hull).sum() / hull.sum())
        xy = np.clip(np.round(lm).astype(int), 0, 127)
        assert (o.visible == ~o.mask[xy[:, 1], xy[:, 0]]).all()
        assert o.image.shape == img.shape and o.image.dtype == np.uint8
        # the mask is where the occluder is: those pixels changed, and no pixel far from it (outside its shadow) did
        assert (np.abs(o.image.astype(int) - img).sum(-1)[o.mask] > 0).mean() > 0.95
        if coverage[0] >= 0.4:
            assert (~o.visible).sum() >= 5


def test_coverage_spans_the_requested_range():
    rng = np.random.default_rng(11)
    covs = []
    for _ in range(60):
        img, lm = synthetic_face(rng)
        covs.append(oc.occlude(img, lm, rng).coverage)
    assert min(covs) >= 0.1 and max(covs) <= 0.6
    assert min(covs) < 0.2 and max(covs) > 0.5  # drawn across the range, not bunched in it


def test_face_mask_is_the_convex_hull_of_the_landmarks():
    lm = np.zeros((68, 2))
    lm[:34] = np.stack([np.linspace(10, 90, 34), np.full(34, 10.0)], 1)   # a "U": top edge
    lm[34:51] = np.stack([np.full(17, 10.0), np.linspace(10, 90, 17)], 1)  # left edge
    lm[51:] = np.stack([np.full(17, 90.0), np.linspace(10, 90, 17)], 1)    # right edge; the bottom is open
    m = oc.face_mask(lm, (100, 100))
    assert m[85, 50]  # inside the hull, outside the landmarks' own outline
    assert not m[95, 50] and not m[50, 95]
    assert m.sum() == pytest.approx(80 * 80, rel=0.05)


def test_narrow_range_is_respected():
    rng = np.random.default_rng(3)
    img, lm = synthetic_face(rng)
    for _ in range(5):
        o = oc.occlude(img, lm, rng, coverage=(0.4, 0.45))
        assert 0.4 <= o.coverage <= 0.45


def test_visibility_labels_hand_made():
    mask = np.zeros((10, 10), bool)
    mask[:5, :] = True  # top half occluded
    lm = np.array([[2.0, 1.0], [2.0, 8.0], [-3.0, 2.0], [4.4, 4.6]] + [[5.0, 9.0]] * 64)
    vis = oc.landmark_visibility(mask, lm)
    assert vis[:4].tolist() == [False, True, False, True]  # (4.4, 4.6) rounds to row 5: visible


def test_at_least_two_families_are_held_out_of_training():
    held, train = set(oc.HELD_OUT_FAMILIES), set(oc.TRAIN_FAMILIES)
    assert len(held) >= 2 and held <= set(oc.FAMILIES)
    assert not held & train and held | train == set(oc.FAMILIES)
    rng = np.random.default_rng(0)
    img, lm = synthetic_face(rng)
    assert {oc.occlude(img, lm, rng).family for _ in range(60)} == train  # the default draws every training family


def test_training_path_never_draws_a_held_out_family(monkeypatch):
    """make_batch (the training path) and train.py ask the generator for TRAIN_FAMILIES only."""
    from orn import data, train
    assert inspect.signature(data.make_batch).parameters["families"].default == oc.TRAIN_FAMILIES
    assert "occlusion.TRAIN_FAMILIES" in inspect.getsource(train.StepData.draw)
    drawn, real = [], oc.occlude

    def spy(*args, **kwargs):
        o = real(*args, **kwargs)
        drawn.append((kwargs["families"], o.family))
        return o
    monkeypatch.setattr(oc, "occlude", spy)
    rng = np.random.default_rng(4)
    images = rng.integers(40, 220, (2, 120, 120, 3), dtype=np.uint8)
    lm = np.stack([synthetic_landmarks(rng, 120) for _ in range(2)]) / 120
    lab = data.Labels(np.zeros((2, 4), np.float32), np.zeros((2, 53), np.float32), np.tile(np.eye(3, dtype=np.float32), (2, 1, 1)),
                      np.full(2, 0.03, np.float32), np.full((2, 2), 0.5, np.float32), lm.astype(np.float32), np.ones(2, np.float32))
    for step in range(8):
        data.make_batch(images, lab, [0, 1], rng, np.arange(53), copies=3, occlude_p=1.0, augment=False, out=120)
    assert len(drawn) >= 40
    assert all(f == oc.TRAIN_FAMILIES and fam not in oc.HELD_OUT_FAMILIES for f, fam in drawn)


def test_seeded_occlusion_is_deterministic():
    img, lm = photo_like(np.random.default_rng(5))
    for families in (oc.FAMILIES, oc.HELD_OUT_FAMILIES):
        a, fa = oc.occlude_seeded(img, lm, 123, (0.4, 0.6), families)
        b, fb = oc.occlude_seeded(img, lm, 123, (0.4, 0.6), families)
        c, _ = oc.occlude_seeded(img, lm, 124, (0.4, 0.6), families)
        assert fa and fb and np.array_equal(a, b) and not np.array_equal(a, c)


@pytest.mark.parametrize("family", oc.FAMILIES)
def test_greyscale_photo_gets_a_greyscale_occluder(family):
    rng = np.random.default_rng(20 + oc.FAMILIES.index(family))
    grey, lm = photo_like(rng, colour=False)
    colour, _ = photo_like(np.random.default_rng(20 + oc.FAMILIES.index(family)), colour=True)
    chroma = []
    for seed in range(4):
        o = oc.occlude(grey, lm, np.random.default_rng(seed), families=(family,))
        assert (o.image[..., 0] == o.image[..., 1]).all() and (o.image[..., 1] == o.image[..., 2]).all()
        c = oc.occlude(colour, lm, np.random.default_rng(seed), families=(family,)).image.astype(int)
        chroma.append(np.abs(c[..., 0] - c[..., 2])[o.mask].mean())
    assert max(chroma) > 3  # a colour photo's occluder is not grey


def test_occluder_takes_the_photos_brightness():
    rng = np.random.default_rng(8)
    img, lm = photo_like(rng)
    dark = (img * 0.35).astype(np.uint8)
    for family in ("hand", "mask", "scarf"):
        a = oc.occlude(img, lm, np.random.default_rng(1), families=(family,), coverage=(0.3, 0.4))
        b = oc.occlude(dark, lm, np.random.default_rng(1), families=(family,), coverage=(0.3, 0.4))
        both = a.mask & b.mask
        assert oc.luminance(b.image[both].astype(float)).mean() < 0.6 * oc.luminance(a.image[both].astype(float)).mean()


def test_photo_blur_and_noise_are_measured():
    rng = np.random.default_rng(9)
    img = Image.new("L", (256, 256), 40)
    d = ImageDraw.Draw(img)
    for _ in range(8):
        x, y = rng.integers(0, 200, 2)
        d.ellipse([x, y, x + rng.integers(20, 80), y + rng.integers(20, 80)], fill=int(rng.integers(80, 240)))
    L = np.asarray(img.reduce(2), float)
    assert oc.blur_sigma(L) < 0.8
    assert oc.blur_sigma(gaussian_filter(L, 2.0)) == pytest.approx(2.0, abs=0.35)
    noisy = gaussian_filter(L, 1.5) + rng.normal(0, 6, L.shape)
    assert oc.noise_sigma(noisy) == pytest.approx(6, rel=0.2)
    assert oc.blur_sigma(noisy, oc.noise_sigma(noisy)) == pytest.approx(1.5, abs=0.35)


def _edge_energy(o):
    """Mean squared gradient of the occluded image along the occluder's edge."""
    L = oc.luminance(o.image.astype(float))
    gy, gx = np.gradient(L)
    edge = o.mask ^ np.roll(o.mask, 1, 0) | o.mask ^ np.roll(o.mask, 1, 1)
    return float((gx * gx + gy * gy)[edge].mean())


def test_occluder_takes_the_photos_blur_and_noise():
    rng = np.random.default_rng(10)
    img, lm = photo_like(rng)
    blurred = np.clip(gaussian_filter(img.astype(float), (2.5, 2.5, 0)), 0, 255).astype(np.uint8)
    noisy = np.clip(img + np.random.default_rng(0).normal(0, 10, img.shape), 0, 255).astype(np.uint8)
    sharp_e, blur_e, clean_n, noisy_n = [], [], [], []
    for seed in range(4):
        kw = dict(families=("hand",), coverage=(0.3, 0.4))
        a = oc.occlude(img, lm, np.random.default_rng(seed), **kw)
        b = oc.occlude(blurred, lm, np.random.default_rng(seed), **kw)
        c = oc.occlude(noisy, lm, np.random.default_rng(seed), **kw)
        sharp_e.append(_edge_energy(a))
        blur_e.append(_edge_energy(b))
        inner = binary_erosion(a.mask & c.mask, iterations=3)
        # robust pixel-noise level inside the occluder: creases and nails are sparse, noise is everywhere
        hp = lambda x: 1.4826 * np.median(np.abs(x - gaussian_filter(x, 1.0))[inner])  # noqa: E731
        clean_n.append(hp(oc.luminance(a.image.astype(float))))
        noisy_n.append(hp(oc.luminance(c.image.astype(float))))
    assert np.mean(blur_e) < 0.5 * np.mean(sharp_e)
    assert np.mean(noisy_n) > 2 * np.mean(clean_n)


def test_occluder_casts_a_shadow_on_the_face():
    img = np.full((128, 128, 3), 160, np.uint8)
    lm = synthetic_landmarks(np.random.default_rng(12))
    darker = 0
    for seed in range(6):
        o = oc.occlude(img, lm, np.random.default_rng(seed), families=("hand",), coverage=(0.2, 0.3))
        outside = ~binary_dilation(o.mask, iterations=2)
        darker += (o.image[outside].astype(int).mean(-1) < 150).sum() > 20
    assert darker >= 2


@needs_data
def test_texture_bank_is_cut_outside_faces():
    from orn import paths
    patches, sources = oc.texture_bank()
    assert len(patches) > 300
    lab = np.load(paths.AFLW_TRAIN / "labels.npz")
    names = lab["names"]
    for (i, x, y) in sources[::37]:
        assert oc._training_name(str(names[i]))  # never a validation crop
        p = lab["pts21"][i].T
        p = p[(p[:, 0] >= 0) & (p[:, 1] >= 0)]
        p = (p - lab["roi_box"][i, :2]) * paths.CROP / (lab["roi_box"][i, 2] - lab["roi_box"][i, 0])
        hull = Image.new("L", (paths.CROP, paths.CROP), 0)
        ImageDraw.Draw(hull).polygon([tuple(map(float, q)) for q in oc.convex_hull(p)], fill=1)
        assert not np.asarray(hull, bool)[y:y + oc.TEXTURE, x:x + oc.TEXTURE].any()  # no annotated face inside


@needs_data
def test_check_tool_labels_real_crops_and_draws_the_sheet(tmp_path):
    from orn import occlusion_check
    images, lm = occlusion_check.real_crops(6)
    assert images.shape == (6, 128, 128, 3) and lm.shape == (6, 68, 2)
    assert ((lm > 0) & (lm < 128)).mean() > 0.95  # the teacher's landmarks land in the crop
    for image, points in zip(images, lm):
        assert oc.occlude_seeded(image, points, 0, (0.4, 0.6))[1]
    occlusion_check.sheet(images, lm, tmp_path / "sheet.png", columns=2)
    assert Image.open(tmp_path / "sheet.png").size == (2 * 128 + 140, 128 * (len(oc.FAMILIES) + 2))
