"""Losses on hand-made cases, with a tiny made-up face model (no data needed)."""
import numpy as np
import pytest
import torch

from orn import facemodel, losses
from orn.model import rotation_from_6d, rotation_to_6d


def tiny_model(K=4, V=120, seed=0):
    rng = np.random.default_rng(seed)
    return facemodel.FaceModel(
        neutral=rng.normal(0, 5, (V, 3)).astype(np.float32),
        identity=(rng.normal(0, 0.3, (K, V, 3)) * np.array([2, 1, 0.5, 0.25])[:K, None, None]).astype(np.float32),
        expression=rng.normal(0, 0.3, (53, V, 3)).astype(np.float32), expression_names=[f"e{i}" for i in range(53)],
        triangles=np.zeros((0, 3), np.int32), landmarks68=np.arange(68), face_vertices=V)


def rot_y(deg):
    a = np.radians(deg)
    return torch.tensor([[np.cos(a), 0, np.sin(a)], [0, 1, 0], [-np.sin(a), 0, np.cos(a)]], dtype=torch.float32)


@pytest.fixture
def setup():
    torch.manual_seed(0)
    geo = losses.Geometry(tiny_model(), dense_step=1, landmarks="ict")
    B = 6
    R = torch.stack([rot_y(d) for d in np.linspace(-40, 40, B)])
    alpha, beta = torch.randn(B, 4), torch.rand(B, 53)
    scale, T = torch.full((B,), 0.04), torch.full((B, 2), 0.5)
    lm = geo.posed("lm", alpha, beta, R, scale, T)[..., :2]
    vis = (torch.rand(B, 68) > 0.3).float()
    target = dict(alpha=alpha, beta=beta, R=R, scale=scale, T=T, lm68=lm, visible=vis)
    pred = (alpha.clone(), beta.clone(), rotation_to_6d(R), torch.cat([T, scale[:, None]], 1), vis.clone())
    return geo, target, pred


def test_perfect_prediction_scores_zero(setup):
    geo, target, pred = setup
    terms = losses.per_sample(pred, target, geo, losses.LossWeights())
    for k, v in terms.items():
        assert v.shape == (6,)
        assert float(v.abs().max()) < 1e-4, k


def test_translation_error_shows_in_landmarks_and_dense_exactly(setup):
    geo, target, pred = setup
    ts = pred[3].clone()
    ts[:, 0] += 0.01  # move the face 1 % of the crop to the right
    terms = losses.per_sample((pred[0], pred[1], pred[2], ts, pred[4]), target, geo, losses.LossWeights())
    assert torch.allclose(terms["landmarks"], torch.full((6,), 0.01), atol=1e-5)
    assert torch.allclose(terms["dense"], torch.full((6,), 0.01), atol=1e-5)
    assert torch.allclose(terms["pose"], torch.full((6,), 10 * 0.01 ** 2), atol=1e-6)
    assert float(terms["identity"].max()) == 0 and float(terms["expression"].max()) == 0


def test_identity_weighted_by_mode_variance(setup):
    geo, target, pred = setup
    w = geo.id_weight
    assert w.sum().item() == pytest.approx(4.0, rel=1e-5)
    assert (w[:-1] > w[1:]).all()  # the tiny model's modes shrink: so do their weights
    errs = []
    for k in (0, 3):
        a = pred[0].clone()
        a[:, k] += 1.0
        errs.append(losses.per_sample((a,) + pred[1:], target, geo, losses.LossWeights())["identity"])
    assert torch.allclose(errs[0], w[0] / 4 * torch.ones(6)) and torch.allclose(errs[1], w[3] / 4 * torch.ones(6))


def test_visibility_bce_hand_made(setup):
    geo, target, pred = setup
    vis = torch.full((6, 68), 0.5)
    terms = losses.per_sample(pred[:4] + (vis,), target, geo, losses.LossWeights())
    assert torch.allclose(terms["visibility"], torch.full((6,), float(np.log(2))), atol=1e-5)


def test_consistency_term():
    id_w = torch.ones(2)
    # one face, 3 copies: alpha (0,0), (1,0), (2,0) -> mean (1,0); squared deviations 1, 0, 1 -> per-copy mean over 2
    # dims: 0.5, 0, 0.5 -> mean over copies 1/3; beta identical -> 0
    alpha = torch.tensor([[0.0, 0], [1, 0], [2, 0]])
    beta = torch.zeros(3, 53)
    assert losses.consistency(alpha, beta, 3, id_w).tolist() == pytest.approx([1 / 3])
    same = torch.ones(6, 2)
    assert losses.consistency(same, torch.zeros(6, 53), 3, id_w).tolist() == [0.0, 0.0]


def test_composite_loss_sums_copies_and_adds_disagreement(setup):
    geo, target, pred = setup
    w = losses.LossWeights()
    # 2 faces x 3 copies (rows 0-2 and 3-5 predict the same face), then one copy's expression changes
    groups = [0, 0, 0, 3, 3, 3]
    beta = pred[1][groups].clone()
    beta[1] = (beta[1] + 0.2).clamp(0, 1)
    p = (pred[0][groups], beta) + pred[2:]
    single, _ = losses.total(p, target, geo, w, copies=1)
    multi, logs = losses.total(p, target, geo, w, copies=3)
    # per-copy part: copies=1 averages over 6 samples, copies=3 sums 3 copies and averages over 2 faces -> x3
    per = losses.per_sample(p, target, geo, w)
    per_sum = sum(getattr(w, k) * v for k, v in per.items())
    assert float(single) == pytest.approx(float(per_sum.mean()), rel=1e-5)
    c = losses.consistency(p[0], p[1], 3, geo.id_weight)
    assert float(multi) == pytest.approx(float(per_sum.view(2, 3).sum(1).mean() + w.consistency * c.mean() * 3), rel=1e-5)
    assert float(c[0]) > 1e-3 and abs(float(c[1])) < 1e-9


def test_rotation_6d_round_trip():
    R = torch.stack([rot_y(d) for d in (-80, 0, 33)])
    assert torch.allclose(rotation_from_6d(rotation_to_6d(R)), R, atol=1e-6)
    noisy = rotation_to_6d(R) * 2.5  # scale does not matter after Gram-Schmidt
    assert torch.allclose(rotation_from_6d(noisy), R, atol=1e-6)


def test_annotation_only_labels_teach_pose_and_landmarks_only(setup):
    """Where the label's coefficients are priors (known = 0), wrong identity and expression cost nothing, while a
    wrong position still costs the same in landmarks and pose."""
    geo, target, pred = setup
    known = torch.tensor([1.0, 0.0, 1.0, 0.0, 1.0, 0.0])
    alpha, beta, ts = pred[0] + 0.5, (pred[1] + 0.2).clamp(0, 1), pred[3].clone()
    ts[:, 0] += 0.01
    wrong = (alpha, beta, pred[2], ts, pred[4])
    measured = losses.per_sample(wrong, target, geo, losses.LossWeights())
    masked = losses.per_sample(wrong, dict(target, known=known), geo, losses.LossWeights())
    for term in ("identity", "expression", "dense"):
        assert float(measured[term].min()) > 0
        assert torch.allclose(masked[term], measured[term] * known), term
    for term in ("landmarks", "pose", "visibility"):
        assert torch.allclose(masked[term], measured[term]), term


def test_anchor_measures_occluded_copies_against_the_held_clean_copy(setup):
    geo, target, pred = setup
    # 2 faces x 3 copies, copy 0 of each the clean anchor; copies 1-2 of face 0 sit 1 % of the crop to the right
    groups = [0, 0, 0, 3, 3, 3]
    ts = pred[3][groups].clone()
    ts[1:3, 0] += 0.01
    r6 = pred[2][groups].clone().requires_grad_(True)
    ts.requires_grad_(True)
    p = (pred[0][groups], pred[1][groups], r6, ts, pred[4][groups])
    a = losses.anchor(p, geo, 3)
    # landmarks (2-D) and dense vertices (3-D) each off by 0.01 -> 0.02 for face 0, nothing for face 1
    assert a.tolist() == pytest.approx([0.02, 0.0], abs=1e-5)
    a.sum().backward()
    assert float(ts.grad[0].abs().max()) == 0 and float(r6.grad[0].abs().max()) == 0  # the anchor is held
    assert float(ts.grad[1].abs().max()) > 0


def test_anchor_weight_enters_the_composite_loss(setup):
    geo, target, pred = setup
    groups = [0, 0, 0, 3, 3, 3]
    ts = pred[3][groups].clone()
    ts[2, 1] += 0.02
    p = (pred[0][groups], pred[1][groups], pred[2][groups], ts, pred[4][groups])
    plain, _ = losses.total(p, target, geo, losses.LossWeights(), copies=3)
    anchored, logs = losses.total(p, target, geo, losses.LossWeights(anchor=5.0), copies=3)
    assert float(anchored - plain) == pytest.approx(5.0 * float(losses.anchor(p, geo, 3).mean()) * 2, rel=1e-5)
    assert logs["anchor"] > 0
