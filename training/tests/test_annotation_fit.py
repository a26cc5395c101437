"""Labels from annotated points alone recover the pose and landmarks of a synthetic face."""
import numpy as np
from scipy.spatial.transform import Rotation

from conftest import needs_data

pytestmark = needs_data


def test_annotation_fit_recovers_a_turned_face():
    from orn import annotation_fit, fit
    vertices = np.load(annotation_fit.VERTICES)["ict_index"]
    fitter = annotation_fit.AnnotationFitter(vertices)
    rng = np.random.default_rng(0)
    for yaw in (-70.0, -20.0, 45.0, 80.0):
        alpha = np.zeros(fitter.K)
        alpha[:fitter.modes] = rng.normal(0, 0.5, fitter.modes)
        R = Rotation.from_euler("yxz", [yaw, rng.uniform(-10, 10), rng.uniform(-10, 10)], degrees=True).as_matrix()
        s, t = 0.045, np.array([0.5, -0.5])
        shape = fitter.model.neutral + np.einsum("k,kvc->vc", alpha, fitter.model.identity)
        points = fit.project(shape[vertices][None], R[None], np.array([s]), t[None], 120)[0]
        points[rng.choice(21, 8, replace=False)] = np.nan  # annotators mark what they see: 13 of 21 here
        truth68 = fit.project(shape[fitter.model.landmarks68][None], R[None], np.array([s]), t[None], 120)[0]
        # AFLW's yaw has the opposite sign to ours and is only roughly right: start 10 degrees off
        out = fitter.fit_one(points, -yaw + 10)
        assert out["rms_px"] < 0.5
        assert abs(annotation_fit.yaw_of(out["R"]) - yaw) < 4, yaw
        assert np.linalg.norm(out["lm68"] - truth68, axis=-1).mean() < 2.0, yaw  # pixels of a 120-px crop
        assert (out["beta"] == 0).all()


def test_missing_points_map_to_nan():
    from orn import annotations
    pts21 = np.full((1, 2, 21), -1.0)
    pts21[0, :, 14] = [220.0, 320.0]  # nose tip
    crop = annotations.all_in_crop(pts21, np.array([[100.0, 200.0, 340.0, 440.0]]))
    assert np.allclose(crop[0, 14], [60, 60])
    assert np.isnan(crop[0, np.arange(21) != 14]).all()


def test_aflw_yaw_has_the_opposite_sign_to_ours_on_real_crops():
    """The annotation-only fit starts from -AFLW yaw; pin that sign on real data. Fitted from a frontal start with
    no yaw prior, only the annotated points decide which way each face turns."""
    from orn import annotation_fit, annotations, paths
    labels = np.load(paths.AFLW_TRAIN / "labels.npz")
    points = annotations.all_in_crop(labels["pts21"], labels["roi_box"].astype(np.float64))
    complete = np.isfinite(points).all(-1).sum(1) >= 8
    yaw_aflw = (labels["yaw_degrees"] + 180) % 360 - 180
    fitter = annotation_fit.AnnotationFitter(np.load(annotation_fit.VERTICES)["ict_index"], sigma_yaw=1e6)
    for lo, hi in ((30, 80), (-80, -30)):
        index = np.flatnonzero((yaw_aflw > lo) & (yaw_aflw < hi) & complete)[:20]
        fits = [fitter.fit_one(points[i], 0.0) for i in index]
        assert all(f is not None for f in fits), (lo, hi)
        ours = np.array([annotation_fit.yaw_of(f["R"]) for f in fits])
        assert (np.sign(ours) == -np.sign(yaw_aflw[index])).mean() >= 0.9, (lo, hi, ours)
        assert np.median(np.abs(ours + yaw_aflw[index])) < 15, (lo, hi, ours)
