"""The label-agreement measure on a hand-made case."""
import numpy as np

from orn import label_check


def test_agreement_hand_made():
    lm68 = np.zeros((1, 68, 2))
    lm68[0, :, 0] = np.linspace(0, 60, 68)  # box 60 x 15 -> size 30
    lm68[0, :, 1] = np.linspace(0, 15, 68)
    box = np.array([[100.0, 200.0, 340.0, 440.0]])  # 240-px box -> crop scale 0.5
    pts = np.full((1, 21, 2), -1.0)
    for a, b in label_check.PAIRS.items():
        pts[0, a - 1] = lm68[0, b] * 2 + box[0, :2]  # exactly on the landmark
    pts[0, 14] += [12.0, 0]  # nose tip 6 crop px off -> 6 / 30 = 0.2
    pts[0, 20] = -1          # chin not annotated
    e = label_check.agreement(pts, box, lm68, crop=120)
    assert np.isnan(e[0, 7])
    assert np.allclose(e[0, :7], [0, 0, 0, 0, 0.2, 0, 0])
