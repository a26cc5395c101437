"""AFLW's human-annotated points on the training crops, and the eight with a clear Multi-PIE 68 counterpart.

AFLW annotates up to 21 points per face (1-based numbering; its "left" is the image's left, measured on the training
crops). Eight of them are the same anatomical points as Multi-PIE landmarks: eye corners 7, 9, 10, 12 -> 36, 39, 42,
45; nose tip 15 -> 30; mouth corners 18, 20 -> 48, 54; chin 21 -> 8. The rest (brows, eye centres, nostril wings,
ear lobes, mouth centre) are defined differently from any 68-point landmark (the brows sit 3-4 px lower than
Multi-PIE's upper brow edge, the nostril wings 4.5 px above its subnasal points), so they are left out.
"""
import numpy as np

from . import paths

AFLW_TO_68 = {7: 36, 9: 39, 10: 42, 12: 45, 15: 30, 18: 48, 20: 54, 21: 8}


def to_crop(pts21: np.ndarray, roi_box: np.ndarray, crop: int = paths.CROP) -> np.ndarray:
    """pts21 (N, 21, 2) original-image pixels (-1 = not annotated), roi_box (N, 4) -> (N, 8, 2) crop pixels of the
    AFLW_TO_68 points, NaN where not annotated."""
    pc = (pts21 - roi_box[:, None, :2]) * crop / (roi_box[:, None, 2:3] - roi_box[:, None, 0:1])
    pc = np.where((pts21 >= 0).all(-1, keepdims=True), pc, np.nan)
    return pc[:, [a - 1 for a in AFLW_TO_68]]


def load_for(names) -> np.ndarray:
    """The AFLW_TO_68 points (N, 8, 2), crop pixels, NaN where missing, for AFLW training crops named `names`."""
    labels = np.load(paths.AFLW_TRAIN / "labels.npz")
    row = {n: i for i, n in enumerate(labels["names"])}
    i = np.array([row[n] for n in names])
    return to_crop(labels["pts21"][i].transpose(0, 2, 1).astype(np.float64), labels["roi_box"][i].astype(np.float64))
