"""AFLW's annotated points mapped into the crop, and the label-agreement measure, on hand-made cases."""
import numpy as np

from orn import annotations, label_check


def test_annotated_points_map_into_the_crop():
    box = np.array([[100.0, 200.0, 340.0, 440.0]])  # 240-px box -> crop scale 0.5
    pts = np.full((1, 21, 2), -1.0)
    pts[0, 6] = [160.0, 260.0]   # AFLW 7 (outer corner of the image-left eye) -> crop (30, 30)
    pts[0, 20] = [220.0, 400.0]  # AFLW 21 (chin) -> crop (60, 100)
    crop = annotations.clear_points(annotations.all_in_crop(pts.transpose(0, 2, 1), box, crop=120))
    assert crop.shape == (1, 8, 2)
    assert np.allclose(crop[0, 0], [30, 30]) and np.allclose(crop[0, 7], [60, 100])
    assert np.isnan(crop[0, 1:7]).all()  # not annotated


def test_agreement_hand_made():
    lm68 = np.zeros((1, 68, 2))
    lm68[0, :, 0] = np.linspace(0, 60, 68)  # box 60 x 15 -> size 30
    lm68[0, :, 1] = np.linspace(0, 15, 68)
    points = lm68[:, list(annotations.AFLW_TO_68.values())].copy()  # exactly on the landmarks
    points[0, 4] += [6.0, 0]  # nose tip 6 px off -> 6 / 30 = 0.2
    points[0, 7] = np.nan     # chin not annotated
    e = label_check.agreement(points, lm68)
    assert np.isnan(e[0, 7])
    assert np.allclose(e[0, :7], [0, 0, 0, 0, 0.2, 0, 0])
    assert np.allclose(label_check.offsets(points, lm68)[4], [6.0, 0])
