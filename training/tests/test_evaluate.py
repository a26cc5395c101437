"""The evaluation's NME and yaw-bin summary on hand-made numbers (no AFLW2000-3D needed)."""
import importlib.util
from pathlib import Path

import numpy as np
import pytest

spec = importlib.util.spec_from_file_location("evaluate", Path(__file__).resolve().parent.parent / "evaluate.py")
evaluate = importlib.util.module_from_spec(spec)
spec.loader.exec_module(evaluate)


def test_nme_normalises_by_ground_truth_box():
    gt = np.zeros((1, 68, 2))
    gt[0, :, 0] = np.linspace(0, 200, 68)   # box 200 x 50 -> sqrt(wh) = 100
    gt[0, :, 1] = np.linspace(0, 50, 68)
    pred = gt + np.array([3.0, 4.0])         # every point 5 px off
    assert evaluate.nme(pred, gt)[0] == pytest.approx(0.05)


def test_summary_bins_and_means():
    err = np.array([0.01, 0.03, 0.02, 0.04, 0.10, 0.5])
    yaw = np.array([0.0, 30.0, 45.0, 60.0, 80.0, 10.0])
    ok = np.array([True, True, True, True, True, False])  # the last one was not scored
    s = evaluate.summarise(err, yaw, ok)
    assert s["0-30"] == pytest.approx(2.0) and s["30-60"] == pytest.approx(3.0) and s["60-90"] == pytest.approx(10.0)
    assert s["bin_mean"] == pytest.approx(5.0)
    assert s["mean"] == pytest.approx(4.0) and s["scored"] == 5
