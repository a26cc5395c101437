"""AFLW's human-annotated points on the training crops, and the eight with a clear Multi-PIE 68 counterpart.

AFLW annotates up to 21 points per face (1-based numbering; its "left" is the image's left, measured on the training
crops). Eight of them are the same anatomical points as Multi-PIE landmarks: eye corners 7, 9, 10, 12 -> 36, 39, 42,
45; nose tip 15 -> 30; mouth corners 18, 20 -> 48, 54; chin 21 -> 8. The rest (brows, eye centres, nostril wings,
ear lobes, mouth centre) are defined differently from any 68-point landmark (on the teacher-only fits the brow centres
sit 3.6 px lower than Multi-PIE's upper brow edge, the nostril wings 4.5 px above its outer subnasal points:
`orn.label_check` prints these), so they are left out.
"""
import numpy as np

from . import paths

AFLW_TO_68 = {7: 36, 9: 39, 10: 42, 12: 45, 15: 30, 18: 48, 20: 54, 21: 8}

#: AFLW points with only a nearby Multi-PIE landmark, defined differently (brow corners and centres -> the upper brow
#: edge's ends and middle; nostril wings -> the outer subnasal points). Never used as labels; label_check reports
#: how far apart the two definitions sit.
AFLW_NEAR_68 = {1: 17, 2: 19, 3: 21, 4: 22, 5: 24, 6: 26, 14: 31, 16: 35}


def all_in_crop(pts21: np.ndarray, roi_box: np.ndarray, crop: int = paths.CROP) -> np.ndarray:
    """pts21 (N, 2, 21) as labels.npz stores them (original-image pixels, -1 = not annotated), roi_box (N, 4) ->
    (N, 21, 2) crop pixels, NaN where not annotated."""
    p = pts21.transpose(0, 2, 1).astype(np.float64)
    pc = (p - roi_box[:, None, :2]) * crop / (roi_box[:, None, 2:3] - roi_box[:, None, 0:1])
    return np.where((p >= 0).all(-1, keepdims=True), pc, np.nan)


def load_all_for(names) -> np.ndarray:
    """All 21 AFLW points (N, 21, 2), crop pixels, NaN where missing, for AFLW training crops named `names`."""
    labels = np.load(paths.AFLW_TRAIN / "labels.npz")
    row = {n: i for i, n in enumerate(labels["names"])}
    i = np.array([row[n] for n in names])
    return all_in_crop(labels["pts21"][i], labels["roi_box"][i].astype(np.float64))


def load_for(names) -> np.ndarray:
    """The AFLW_TO_68 points (N, 8, 2), crop pixels, NaN where missing, for AFLW training crops named `names`."""
    return clear_points(load_all_for(names))


def clear_points(points21: np.ndarray) -> np.ndarray:
    """(N, 21, 2) AFLW points -> (N, 8, 2): the AFLW_TO_68 ones, in that order."""
    return points21[:, [a - 1 for a in AFLW_TO_68]]


def face_size(lm68: np.ndarray) -> np.ndarray:
    """sqrt(w h) of each 68-landmark box, (N,): the normaliser of the NME and of every distance here."""
    return np.sqrt(np.ptp(lm68[..., 0], -1) * np.ptp(lm68[..., 1], -1))


def distances(points: np.ndarray, lm68: np.ndarray, size: np.ndarray) -> np.ndarray:
    """(N, 8) distances of the annotated points (N, 8, 2; NaN = missing) from the matching 68 landmarks (N, 68, 2),
    divided by each face's size (N,)."""
    return np.linalg.norm(points - lm68[:, list(AFLW_TO_68.values())], axis=-1) / size[:, None]


def absolute_yaw(yaw_degrees: np.ndarray) -> np.ndarray:
    """|yaw| in [0, 180] degrees from labels.npz's `yaw_degrees` (wrapped to [-180, 180] first)."""
    return np.abs((yaw_degrees + 180) % 360 - 180)
