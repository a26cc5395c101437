"""The occlusion generator: coverage in range, per-landmark labels that agree with the mask, held-out family."""
import numpy as np
import pytest

from orn import occlusion as oc


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


def synthetic_face(rng, size=128):
    """A noise image with a plausible face's 68 landmarks: the mean face, randomly scaled, rotated, shifted."""
    a = np.radians(rng.uniform(-20, 20))
    R = np.array([[np.cos(a), -np.sin(a)], [np.sin(a), np.cos(a)]])
    lm = TEMPLATE68 @ R.T * size * rng.uniform(0.55, 0.75) + size / 2 + rng.normal(0, 3, 2)
    img = rng.integers(0, 255, (size, size, 3), dtype=np.uint8)
    return img, lm.astype(np.float32)


@pytest.mark.parametrize("family", oc.FAMILIES)
def test_coverage_in_range_and_labels_match_mask(family):
    rng = np.random.default_rng(oc.FAMILIES.index(family))
    for _ in range(6):
        img, lm = synthetic_face(rng)
        o = oc.occlude(img, lm, rng, families=(family,), coverage=(0.1, 0.6))
        assert o.family == family
        assert 0.1 <= o.coverage <= 0.6
        face = oc.face_mask(lm, img.shape[:2])
        assert o.coverage == pytest.approx((o.mask & face).sum() / face.sum())
        xy = np.clip(np.round(lm).astype(int), 0, 127)
        assert (o.visible == ~o.mask[xy[:, 1], xy[:, 0]]).all()
        # pixels outside the occluder's soft edge are untouched
        assert o.image.shape == img.shape and o.image.dtype == np.uint8
        assert (~o.visible).any() or o.coverage < 0.35


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


def test_held_out_family_is_not_trained_on():
    assert oc.HELD_OUT in oc.FAMILIES and oc.HELD_OUT not in oc.TRAIN_FAMILIES
    rng = np.random.default_rng(0)
    img, lm = synthetic_face(rng)
    assert {oc.occlude(img, lm, rng).family for _ in range(40)} <= set(oc.TRAIN_FAMILIES)
