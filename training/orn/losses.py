"""ORN losses (see docs/model-card.md for the reasoning, in the paper's terms).

For a prediction and the teacher's *clean* labels of the same face:
  coefficient distillation   L_id  = sum_k w_k (alpha_k - alpha*_k)^2, w_k = share of ICT's geometric variance in mode k
                             L_exp = mean_e (beta_e - beta*_e)^2
  pose                       L_pose = |r6 - r6*|^2 (6-D rotation) + |T - T*|^2 + (scale/scale* - 1)^2
  projected landmarks        L_lm  = mean_j |p_j - p*_j|  (68 Multi-PIE points, crop fractions; p from the predicted
                                     coefficients and pose through ICT, p* the teacher's clean fitted landmarks)
  dense vertices             L_dense = mean_v |x_v - x*_v|  (every 9th face-area ICT vertex, posed in 3-D crop units,
                                     x* from the teacher's clean coefficients and pose)
  visibility                 L_vis = BCE(visibility, generator labels)
  face score                 L_face = BCE(face, 1 for every training copy, 0 for background crops): the batch carries
                                     `negatives` background crops (orn.negatives) that enter this term only
Identity, expression and dense terms count only where the label's coefficients are measured (target["known"] = 1);
a face labelled from its annotation alone (orn.annotation_fit) teaches pose and landmarks only.
Composite multi-occlusion loss (student): a batch holds G groups of V differently occluded copies of one face;
  L_multi = sum over copies of the per-copy loss  +  lambda_c * mean over groups of
            [ sum_v w.(alpha_v - mean_v alpha)^2 + sum_v (beta_v - mean_v beta)^2 ] / V
i.e. every copy must match the clean teacher, and the copies must agree with one another on identity and expression.
Clean anchor (student, optional, `anchor` weight > 0 with a clean first copy in every group):
  L_anchor = sum over the copies v = 1..V-1 of [ mean_j |p_j,v - sg(p_j,0)| + mean_v' |x_v',v - sg(x_v',0)| ],
averaged over faces like the per-copy terms: each other copy's posed landmarks and dense vertices must match what the
network itself says for the same face seen clean (sg = stop-gradient, so the clean answer is never pulled towards the
occluded ones). Copies 1..V-1 are occluded with the run's occlusion probability (1.0 in configs/student-anchor.json)
when an occluder fits. The teacher label is the same for all copies; the anchor adds the network's own clean answer,
which it can reach, as a second target.
"""
from dataclasses import dataclass, field

import numpy as np
import torch
import torch.nn.functional as F

from . import facemodel
from .model import rotation_from_6d, rotation_to_6d


@dataclass
class LossWeights:
    identity: float = 1.0
    expression: float = 4.0
    pose: float = 1.0
    landmarks: float = 20.0
    dense: float = 10.0
    visibility: float = 0.3
    consistency: float = 1.0
    anchor: float = 0.0
    face: float = 1.0


class Geometry(torch.nn.Module):
    """ICT bases at the 68 calibrated landmarks (`FaceModel.landmark_model`) and a dense face subset, as buffers, for
    projected losses and the landmark readout."""

    def __init__(self, model: facemodel.FaceModel, dense_step: int = 9, landmarks: str = "calibrated",
                 definition=None):
        super().__init__()
        dense = np.arange(0, model.face_vertices, dense_step)
        # "calibrated": the definition file `definition` (default the committed asset);
        # "ict": ICT's own Multi-PIE vertices, the definition models before the calibration were trained with;
        # "symmetric": the calibrated definition made mirror-symmetric (evaluation of mirror averaging)
        marks = {"calibrated": lambda: model.landmark_model(definition), "symmetric": model.symmetric_landmark_model}.get(
            landmarks, lambda: model.subset(model.landmarks68))()
        for name, sub in (("lm", marks), ("dense", model.subset(dense))):
            self.register_buffer(f"{name}_mean", torch.from_numpy(sub.neutral))
            self.register_buffer(f"{name}_id", torch.from_numpy(sub.identity.reshape(sub.identity.shape[0], -1)))
            self.register_buffer(f"{name}_ex", torch.from_numpy(sub.expression.reshape(53, -1)))
        face = model.identity[:, :model.face_vertices]
        var = (face.reshape(face.shape[0], -1) ** 2).sum(1)
        self.register_buffer("id_weight", torch.from_numpy((var / var.sum() * len(var)).astype(np.float32)))

    def shape(self, name, alpha, beta):
        n = getattr(self, f"{name}_mean")
        return n + (alpha @ getattr(self, f"{name}_id") + beta @ getattr(self, f"{name}_ex")).view(-1, n.shape[0], 3)

    def posed(self, name, alpha, beta, R, scale, T):
        """(B, N, 3) posed points in crop units: image-axes x, y (projection) and z towards the camera."""
        cam = scale[:, None, None] * torch.einsum("bij,bnj->bni", R, self.shape(name, alpha, beta))
        return torch.stack([cam[..., 0] + T[:, None, 0], -cam[..., 1] + T[:, None, 1], cam[..., 2]], -1)


def per_sample(pred, target, geo: Geometry, w: LossWeights):
    """Per-sample loss terms (each (B,)), prediction against the teacher's clean labels."""
    alpha, beta, r6, ts, vis = pred[:5]
    R = rotation_from_6d(r6)
    scale, T = ts[:, 2], ts[:, :2]
    t_scale = target["scale"]
    known = target["known"] if "known" in target else torch.ones_like(t_scale)
    terms = {
        "identity": ((alpha - target["alpha"]) ** 2 * geo.id_weight).mean(1) * known,
        "expression": ((beta - target["beta"]) ** 2).mean(1) * known,
        "pose": ((r6 - rotation_to_6d(target["R"])) ** 2).sum(1) + ((T - target["T"]) ** 2).sum(1) * 10
                + (scale / t_scale - 1) ** 2,
        "landmarks": (geo.posed("lm", alpha, beta, R, scale, T)[..., :2] - target["lm68"]).norm(dim=-1).mean(1),
        "dense": (geo.posed("dense", alpha, beta, R, scale, T)
                  - geo.posed("dense", target["alpha"], target["beta"], target["R"], t_scale, target["T"])).norm(dim=-1).mean(1)
                 * known,
        "visibility": F.binary_cross_entropy(vis.clamp(1e-6, 1 - 1e-6), target["visible"], reduction="none").mean(1),
    }
    return terms


def consistency(alpha, beta, copies: int, id_weight):
    """Disagreement of identity and expression across the V copies of each face (rows grouped by face)."""
    a = alpha.view(-1, copies, alpha.shape[1])
    b = beta.view(-1, copies, beta.shape[1])
    da = ((a - a.mean(1, keepdim=True)) ** 2 * id_weight).mean(2)
    db = ((b - b.mean(1, keepdim=True)) ** 2).mean(2)
    return (da + db).mean(1)  # (G,)


def anchor(pred, geo: Geometry, copies: int):
    """Distance of each occluded copy's posed 68 landmarks (2-D) and dense vertices (3-D) from the first (clean)
    copy's, which is held fixed. Rows grouped by face, copy 0 first; returns (G,) means over copies 1..V-1."""
    alpha, beta, r6, ts = pred[:4]
    R, scale, T = rotation_from_6d(r6), ts[:, 2], ts[:, :2]
    per = []
    for name, dims in (("lm", 2), ("dense", 3)):
        x = geo.posed(name, alpha, beta, R, scale, T)[..., :dims]
        x = x.view(-1, copies, *x.shape[1:])
        per.append((x[:, 1:] - x[:, :1].detach()).norm(dim=-1).mean((1, 2)))
    return per[0] + per[1]


def face_score(probability: torch.Tensor, is_face: torch.Tensor) -> torch.Tensor:
    """Binary cross-entropy of the face output (B, 1) against 1 for faces (every training copy, occluded or not) and
    0 for background crops (orn.negatives); mean over the batch."""
    return F.binary_cross_entropy(probability[:, 0].clamp(1e-6, 1 - 1e-6), is_face)


def total(pred, target, geo: Geometry, w: LossWeights, copies: int = 1):
    """The training loss: weighted per-copy terms (summed over a face's copies, averaged over faces), plus the
    composite-loss consistency term when copies > 1, plus the clean-anchor term when its weight is > 0 (the batch must
    then hold a clean first copy per face). Returns (loss, dict of scalar terms for logging)."""
    terms = per_sample(pred, target, geo, w)
    per = sum(getattr(w, k) * v for k, v in terms.items())
    loss = per.view(-1, copies).sum(1).mean()
    logs = {k: float(v.mean()) for k, v in terms.items()}
    if copies > 1:
        c = consistency(pred[0], pred[1], copies, geo.id_weight)
        loss = loss + w.consistency * c.mean() * copies
        logs["consistency"] = float(c.mean())
        if w.anchor > 0:
            a = anchor(pred, geo, copies)
            loss = loss + w.anchor * a.mean() * (copies - 1)
            logs["anchor"] = float(a.mean())
    logs["loss"] = float(loss)
    return loss, logs
