"""The ICT fit recovers a synthetic face from its own MediaPipe-468 landmarks."""
import numpy as np
import pytest
from scipy.spatial.transform import Rotation

from conftest import needs_data

pytestmark = needs_data


@pytest.fixture(scope="module")
def fitter():
    from orn import fit
    return fit.Fitter(fit.FitConfig(K=40, iters=10))


def synth(fitter, B=12, seed=0, sparse=True):
    from orn import fit
    rng = np.random.default_rng(seed)
    K = fitter.cfg.K
    alpha = rng.normal(0, 1, (B, K))
    beta = np.where(rng.uniform(size=(B, 53)) < 0.1, rng.uniform(0.2, 0.8, (B, 53)), 0.0)
    R = Rotation.from_euler("yxz", np.c_[rng.uniform(-40, 40, B), rng.uniform(-20, 20, B), rng.uniform(-15, 15, B)],
                            degrees=True).as_matrix()
    s = rng.uniform(0.03, 0.045, B)
    t = rng.uniform(0.4, 0.6, (B, 3))
    shape = fitter.sub.neutral + fitter._blend(alpha, beta, fitter.sub)
    Q = s[:, None, None] * np.einsum("bij,bnj->bni", R, shape) + t[:, None]
    lm = np.stack([Q[..., 0] * 120, -Q[..., 1] * 120, -Q[..., 2] * 120], -1)  # MediaPipe-style crop pixels
    v68 = fitter.lm68.neutral + fitter._blend(alpha, beta, fitter.lm68)
    return dict(alpha=alpha, beta=beta, R=R, s=s, t=t, lm=lm, lm68=fit.project(v68, R, s, t[:, :2], 120), rng=rng)


def test_fit_recovers_pose_landmarks_and_expression(fitter):
    g = synth(fitter)
    prior = np.clip(g["beta"] + g["rng"].normal(0, 0.1, g["beta"].shape), 0, 1)  # a noisy teacher
    out = fitter.fit(g["lm"], prior)
    assert out["rms_px"].max() < 0.5
    assert np.abs(out["lm68"] - g["lm68"]).max() < 1.5  # pixels, 120-px crop
    angle = np.degrees(np.arccos(np.clip((np.einsum("bij,bij->b", out["R"], g["R"]) - 1) / 2, -1, 1)))
    assert angle.max() < 2.0
    assert np.abs(out["s"] / g["s"] - 1).max() < 0.06
    assert np.abs(out["t"] - g["t"][:, :2]).max() < 0.01
    err = np.abs(out["beta"] - g["beta"]).mean()
    assert err < 0.05 and err < np.abs(prior - g["beta"]).mean()  # better than the teacher prior alone
    active = g["beta"] > 0
    assert np.abs(out["beta"] - g["beta"])[active].mean() < 0.15
    assert ((out["beta"] >= 0) & (out["beta"] <= 1)).all()


def test_fit_recovers_identity_geometry(fitter):
    """Identity coefficients are only identifiable up to what 468 landmarks see; the 3D shape they make must match."""
    from orn import fit
    g = synth(fitter, seed=1)
    out = fitter.fit(g["lm"], g["beta"])
    sub = fitter.sub
    true = sub.neutral + fitter._blend(g["alpha"], g["beta"], sub)
    got = sub.neutral + fitter._blend(out["alpha"], out["beta"], sub)
    s, R, t = fit.umeyama_batch(got, true, np.ones(true.shape[:2]))
    aligned = s[:, None, None] * np.einsum("bij,bnj->bni", R, got) + t[:, None]
    err = np.linalg.norm(aligned - true, axis=-1).mean()
    spread = np.linalg.norm(true - sub.neutral, axis=-1).mean()
    assert err < 0.2 * spread
    # and the first identity modes (the bulk of the variance) correlate with the truth
    corr = [np.corrcoef(out["alpha"][:, k], g["alpha"][:, k])[0, 1] for k in range(5)]
    assert np.mean(corr) > 0.7


def test_fit_from_mean_face_is_neutral(fitter):
    """The mean face, frontal, fits back to (near) zero identity and expression."""
    from orn import fit
    B = 2
    shape = np.repeat(fitter.sub.neutral[None], B, 0).astype(np.float64)
    R = np.repeat(np.eye(3)[None], B, 0)
    Q = 0.04 * shape + 0.5
    lm = np.stack([Q[..., 0] * 120, -Q[..., 1] * 120, -Q[..., 2] * 120], -1)
    out = fitter.fit(lm, np.zeros((B, 53)))
    assert np.abs(out["alpha"]).max() < 0.05
    assert out["beta"].max() < 0.05
    assert np.allclose(out["R"], R, atol=1e-3)
    assert np.allclose(out["s"], 0.04, rtol=1e-3)


def test_annotated_points_pull_the_fit_to_the_annotation():
    """Teacher landmarks of one face and annotation of the same face with wider-set mouth corners (as the annotators'
    convention differs from the teacher's): the annotated fit lands near the annotation, the teacher-only fit does not,
    and a point that is not annotated (NaN) weighs nothing."""
    from orn import annotations, fit
    teacher_only = fit.Fitter(fit.FitConfig(K=40, iters=10))
    annotated = fit.Fitter(fit.FitConfig(K=40, iters=10, annotation_weight=300.0))
    g = synth(teacher_only, B=6, seed=2)
    points = g["lm68"][:, list(annotations.AFLW_TO_68.values())].astype(np.float64).copy()
    mouth = [5, 6]  # AFLW 18, 20 -> landmarks 48, 54
    centre = points[:, mouth].mean(1, keepdims=True)
    points[:, mouth] = centre + (points[:, mouth] - centre) * 1.15
    plain = teacher_only.fit(g["lm"], g["beta"], points)
    pulled = annotated.fit(g["lm"], g["beta"], points)
    gap = lambda out: np.linalg.norm(out["lm68"][:, [48, 54]] - points[:, mouth], axis=-1).mean()
    assert gap(pulled) < 0.5 * gap(plain)
    assert gap(plain) > 1.0  # pixels: the teacher alone keeps its own mouth width
    missing = points.copy()
    missing[:, mouth] = np.nan
    unannotated = annotated.fit(g["lm"], g["beta"], missing)
    assert np.abs(unannotated["lm68"] - g["lm68"]).max() < 1.5
    assert np.isfinite(unannotated["alpha"]).all()


def synthetic_keypoints(fitter, g, rotation=None):
    """The calibrated landmarks of a synthetic face as 3DDFA-style keypoints: crop pixels, y down, z to the camera."""
    R = g["R"] if rotation is None else rotation
    shape = fitter.lm68.neutral + fitter._blend(g["alpha"], g["beta"], fitter.lm68)
    Q = g["s"][:, None, None] * np.einsum("bij,bnj->bni", R, shape) + g["t"][:, None]
    return np.stack([Q[..., 0] * 120, -Q[..., 1] * 120, Q[..., 2] * 120], -1)


def test_pose_from_keypoints_takes_the_keypoints_pose_and_keeps_the_shape(fitter):
    """The shape from MediaPipe's points, the pose from keypoints that disagree with them by 10 degrees of yaw."""
    g = synth(fitter, seed=3)
    other = np.einsum("ij,bjk->bik", Rotation.from_euler("y", 10, degrees=True).as_matrix(), g["R"])
    keypoints = synthetic_keypoints(fitter, g, other)
    shaped = fitter.fit(g["lm"], g["beta"], keypoints=keypoints)
    posed = fitter.pose_from_keypoints(shaped, keypoints)
    assert np.array_equal(posed["alpha"], shaped["alpha"]) and np.array_equal(posed["beta"], shaped["beta"])
    angle = np.degrees(np.arccos(np.clip((np.einsum("bij,bij->b", posed["R"], other) - 1) / 2, -1, 1)))
    assert angle.max() < 2.0
    assert np.median(posed["keypoint_rms_px"]) < np.median(shaped["keypoint_rms_px"])


def test_fit_without_the_teacher_rests_on_the_keypoints(fitter):
    """A crop MediaPipe missed (teacher_found False, its points garbage) is fitted to the keypoints alone."""
    g = synth(fitter, seed=4)
    keypoints = synthetic_keypoints(fitter, g)
    garbage = g["rng"].uniform(0, 120, g["lm"].shape)
    out = fitter.pose_from_keypoints(fitter.fit(garbage, np.zeros_like(g["beta"]), keypoints=keypoints,
                                                teacher_found=np.zeros(len(garbage), bool)), keypoints)
    assert np.median(out["keypoint_rms_px"]) < 1.5
    angle = np.degrees(np.arccos(np.clip((np.einsum("bij,bij->b", out["R"], g["R"]) - 1) / 2, -1, 1)))
    assert np.median(angle) < 5.0


def test_dense_weight_zero_takes_the_shape_from_the_keypoints():
    """MediaPipe's points of one face, the keypoints of another (the teachers disagreeing on the shape): with the dense
    points' weight 0 the fitted shape reaches the keypoints, with weight 1 it stays between the two."""
    from orn import fit
    dense = fit.Fitter(fit.FitConfig(K=40, iters=10, keypoint_weight=1.0))
    keypoints_only = fit.Fitter(fit.FitConfig(K=40, iters=10, keypoint_weight=1.0, dense_weight=0.0))
    mediapipe_face = synth(dense, seed=5)
    keypoint_face = synth(dense, seed=6)
    keypoints = synthetic_keypoints(dense, keypoint_face)
    def residual(fitter):
        out = fitter.pose_from_keypoints(fitter.fit(mediapipe_face["lm"], keypoint_face["beta"], keypoints=keypoints),
                                         keypoints)
        return np.median(out["keypoint_rms_px"])
    assert residual(keypoints_only) < 1.0
    assert residual(dense) > 2 * residual(keypoints_only)
