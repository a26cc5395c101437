"""The whole-picture face sets of tools/measure-face-score.py: the face lands intact, with no seam and no black."""
import importlib.util
import sys
from pathlib import Path

import numpy as np

TOOLS = Path(__file__).resolve().parents[2] / "tools"
sys.path.insert(0, str(TOOLS))
_spec = importlib.util.spec_from_file_location("measure_face_score", TOOLS / "measure-face-score.py")
tool = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(tool)


def face_crop(seed=0):
    """A 120-px 'face': noise in skin tones, black along its left quarter as an AFLW crop past its photo's edge."""
    rng = np.random.default_rng(seed)
    face = rng.integers(90, 230, (120, 120, 3)).astype(np.uint8)
    face[:, :30] = 0
    return face


def test_pasted_face_is_blended_in_and_its_black_left_out():
    background = np.full((256, 256, 3), 40, np.uint8)
    picture, square = tool.paste(face_crop(), background, np.random.default_rng(1))
    assert picture.shape == (tool.PICTURE, tool.PICTURE, 3)
    changed = np.argwhere(np.abs(picture.astype(int) - 40).max(axis=2) > 0)
    (top, left), (bottom, right) = changed.min(axis=0), changed.max(axis=0)
    side = bottom - top + 1
    assert 0.3 * tool.PICTURE - 2 <= side <= 0.5 * tool.PICTURE and right - left + 1 <= side
    changed_box = np.array([left, top, right + 1, bottom + 1])  # its left quarter, black, is left out
    assert square[0] < left and np.abs(np.array(square[1:]) - changed_box[1:]).max() <= 2, \
        "the square is where the crop went (its feathered rim aside)"
    # The photo mask is blurred 2 px, so a little of the black blends in at its border (22 here); pasted whole it is 0.
    assert picture.min() >= 15, "the crop's black is left out: the background shows there"
    middle = picture[top + side // 2 - 5:top + side // 2 + 5, left + side // 2 - 5:left + side // 2 + 5]
    assert middle.min() >= 80, "the face's middle is the face's"


def test_extended_face_is_intact_in_a_surround_without_black_or_repeats():
    face = np.full((120, 120, 3), 128, np.uint8)
    face[45:75, 45:75] = 255  # one bright feature in the middle of a grey crop
    picture, (x0, y0, x1, y1) = tool.extend(face, np.random.default_rng(2))
    assert picture.shape == (tool.PICTURE, tool.PICTURE, 3) and picture.min() > 0
    bright = np.argwhere(picture.min(axis=2) > 200)
    assert len(bright) and np.ptp(bright, axis=0).max() < 30, "the feature appears once, not mirrored around the crop"
    assert x1 - x0 == y1 - y0 == 120 and (picture[y0 + 60, x0 + 60] == 255).all(), "the square is where it went"


def test_picture_sets_do_not_depend_on_anything_but_their_inputs():
    faces = {"faces clean": [face_crop(i) for i in range(3)]}
    backgrounds = [np.full((256, 256, 3), v, np.uint8) for v in (30, 60, 90)]
    first, second = tool.picture_sets(faces, backgrounds, 13), tool.picture_sets(faces, backgrounds, 13)
    assert list(first) == ["faces clean, pasted", "faces clean, extended"]
    assert all(np.array_equal(a[0], b[0]) and a[1] == b[1] for name in first for a, b in zip(first[name], second[name]))
