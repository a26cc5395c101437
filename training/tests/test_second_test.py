"""The second occlusion test: coverage of the face hull in its levels' ranges, labels that agree with the mask,
seeded determinism, and that training never imports it."""
import re

import numpy as np
import pytest

from orn import occlusion as oc, paths, second_test as st
from test_occlusion import photo_like, synthetic_face


@pytest.mark.parametrize("level", list(st.LEVELS))
def test_coverage_in_the_levels_range_and_labels_match_mask(level):
    lo, hi = st.LEVELS[level]
    rng = np.random.default_rng(list(st.LEVELS).index(level))
    for k in range(12):
        img, lm = synthetic_face(rng, yaw=0.4 * (k % 2))
        o = st.second_occlusion(img, lm, rng, (lo, hi))
        assert lo <= o.coverage <= hi
        hull = oc.face_mask(lm, img.shape[:2])
        assert o.coverage == pytest.approx((o.mask & hull).sum() / hull.sum())
        xy = np.clip(np.round(lm).astype(int), 0, 127)
        assert (o.visible == ~o.mask[xy[:, 1], xy[:, 0]]).all()
        assert (np.abs(o.image.astype(int) - img).sum(-1)[o.mask] > 0).mean() > 0.9


def test_levels_are_moderate_and_heavy():
    assert st.LEVELS == {"second_moderate": (0.2, 0.3), "second_heavy": (0.4, 0.5)}


def test_second_test_is_seeded_and_fits_real_looking_faces():
    img, lm = photo_like(np.random.default_rng(1))
    for coverage in st.LEVELS.values():
        a, fa = st.occlude_second(img, lm, 7, coverage)
        b, fb = st.occlude_second(img, lm, 7, coverage)
        c, _ = st.occlude_second(img, lm, 8, coverage)
        assert fa and fb and np.array_equal(a, b) and not np.array_equal(a, c)


def test_training_code_never_uses_the_second_test():
    for name in ("train.py", "data.py"):
        source = (paths.TRAINING / "orn" / name).read_text()
        assert not re.search(r"second_test|occlude_second|second_occlusion", source), name


def test_second_test_differs_from_the_training_generator():
    """Same image, landmarks and coverage: the second test's occluders are not the training generator's."""
    img, lm = photo_like(np.random.default_rng(2))
    seen = set()
    for seed in range(6):
        o = st.second_occlusion(img, lm, np.random.default_rng(seed), (0.4, 0.5))
        assert o.family == "second" and o.family not in oc.FAMILIES
        seen.add(o.image.tobytes())
    assert len(seen) == 6


def test_evaluation_and_validation_report_the_second_test():
    import importlib.util
    from orn import validate
    spec = importlib.util.spec_from_file_location("evaluate", paths.TRAINING / "evaluate.py")
    evaluate = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(evaluate)
    for level, coverage in st.LEVELS.items():
        assert evaluate.LEVELS[level] == ("second", coverage)
    assert evaluate.LEVELS["heavy_held_out"][1] == oc.HELD_OUT_FAMILIES
    img, lm = photo_like(np.random.default_rng(3))
    crops = validate.occluded_second(img[None], lm[None], st.LEVELS["second_heavy"])
    assert np.array_equal(crops[0], st.occlude_second(img, lm, 20_000, st.LEVELS["second_heavy"])[0])
    assert not np.array_equal(crops[0], img)
