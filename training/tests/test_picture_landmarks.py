"""tools/measure-picture-landmarks.py: crop landmarks carried into the picture, and what counts as found and matched."""
import importlib.util
import sys
from pathlib import Path

import numpy as np

TOOLS = Path(__file__).resolve().parents[2] / "tools"
sys.path.insert(0, str(TOOLS))
_spec = importlib.util.spec_from_file_location("measure_picture_landmarks", TOOLS / "measure-picture-landmarks.py")
tool = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(tool)


def test_crop_landmarks_land_where_the_crop_went():
    landmarks = np.array([[0.0, 0.0], [128.0, 64.0]])
    assert np.allclose(tool.placed(landmarks, 128, (100, 50, 164, 114)), [[100, 50], [164, 82]])  # scaled by a half


def test_a_face_counts_on_its_square_matched_by_its_box_and_scored_against_the_reference():
    reference = np.array([[10.0, 10.0], [50.0, 10.0], [30.0, 50.0]])  # box 10..50: size 40
    square = (0, 0, 60, 60)
    right = dict(box=[10, 10, 50, 50], landmarks68=(reference + [4.0, 0.0]).tolist())  # 4 px off: NME 0.1
    off = dict(box=[30, 30, 58, 58], landmarks68=(reference + [8.0, 0.0]).tolist())  # IoU < 0.5: NME 0.2
    elsewhere = dict(box=[100, 100, 140, 140], landmarks68=reference.tolist())  # centred off the square
    records = [dict(source="a", faces=[right]), dict(source="b", faces=[off]), dict(source="c", faces=[elsewhere]),
               dict(source="d", faces=[])]
    result = tool.score(records, {name: reference for name in "abcd"}, {name: square for name in "abcd"})
    assert result["found"] == 2 and result["matched"] == 1
    assert np.allclose(result["of_matched"], [0.1]) and np.allclose(sorted(result["every"]), [0.1, 0.2])
