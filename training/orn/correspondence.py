"""MediaPipe-468 <-> ICT vertex correspondence, computed once by registering MediaPipe's canonical face to ICT.

The canonical face (468 vertices, centimetres) is inside the teacher bundle
(`geometry_pipeline_metadata_landmarks.binarypb`). We align it to the ICT neutral mesh with a similarity transform
started from ten anatomical anchors (eye corners, nose tip, mouth corners, lips, chin; MediaPipe index <-> ICT's
68-landmark vertex), refine it by similarity ICP against ICT's face area, and take each canonical vertex's nearest ICT
vertex. The residual distance becomes a per-point fitting weight (points that land far from ICT count less).

Output: `training/assets/mp468_to_ict.npz` (ict_index (468,), distance_cm (468,), weight (468,)). It is committed,
so training and CI never need MediaPipe for it. Re-run: `python -m orn.correspondence` (needs mediapipe).
"""
import sys
import zipfile

import numpy as np
from scipy.spatial import cKDTree

from . import facemodel, paths

# (MediaPipe canonical index, Multi-PIE 68 index): outer/inner eye corners, nose tip, mouth corners, lips, chin.
ANCHORS = [(33, 36), (133, 39), (362, 42), (263, 45), (1, 30), (61, 48), (291, 54), (0, 51), (17, 57), (152, 8)]
OUT = paths.ASSETS / "mp468_to_ict.npz"


def canonical_face(task_path=None) -> np.ndarray:
    """The 468x3 canonical face vertices from the task bundle (needs mediapipe's protobuf module)."""
    from mediapipe.modules.face_geometry.protos import geometry_pipeline_metadata_pb2 as pb
    with zipfile.ZipFile(task_path or paths.TEACHER_TASK) as z:
        meta = pb.GeometryPipelineMetadata.FromString(z.read("geometry_pipeline_metadata_landmarks.binarypb"))
    vb = np.array(meta.canonical_mesh.vertex_buffer, np.float32).reshape(-1, 5)  # x y z u v
    return vb[:, :3]


def umeyama(src: np.ndarray, dst: np.ndarray, w: np.ndarray | None = None):
    """Weighted similarity (s, R, t) minimising sum w |s R src + t - dst|^2 (Umeyama 1991)."""
    w = np.ones(len(src)) if w is None else w
    w = w / w.sum()
    mu_s, mu_d = w @ src, w @ dst
    a, b = src - mu_s, dst - mu_d
    cov = (b * w[:, None]).T @ a
    U, S, Vt = np.linalg.svd(cov)
    D = np.eye(3)
    D[2, 2] = np.sign(np.linalg.det(U @ Vt))
    R = U @ D @ Vt
    var = (w * (a ** 2).sum(1)).sum()
    s = np.trace(np.diag(S) @ D) / var
    return s, R, mu_d - s * R @ mu_s


def register(canon: np.ndarray, model: facemodel.FaceModel, iters: int = 20):
    mp_idx = np.array([a for a, _ in ANCHORS])
    ict_idx = model.landmarks68[[b for _, b in ANCHORS]]
    target = model.neutral[:model.face_vertices]
    s, R, t = umeyama(canon[mp_idx], model.neutral[ict_idx])
    tree = cKDTree(target)
    for _ in range(iters):
        moved = s * canon @ R.T + t
        d, nn = tree.query(moved)
        w = np.exp(-(d / (np.median(d) * 3 + 1e-6)) ** 2)  # robust: far pairs count little
        s, R, t = umeyama(canon, target[nn], w)
    moved = s * canon @ R.T + t
    d, nn = tree.query(moved)
    return nn, d, moved


def main() -> int:
    model = facemodel.load(K=1)
    canon = canonical_face()
    nn, d, _ = register(canon, model)
    weight = np.clip(1.0 - (d - 0.3) / 0.7, 0.1, 1.0).astype(np.float32)  # 1 within 3 mm, down to 0.1 at 1 cm
    paths.ASSETS.mkdir(parents=True, exist_ok=True)
    np.savez(OUT, ict_index=nn.astype(np.int32), distance_cm=d.astype(np.float32), weight=weight)
    print(f"{len(nn)} correspondences: median {np.median(d):.3f} cm, 90% {np.percentile(d, 90):.3f} cm, "
          f"max {d.max():.3f} cm -> {OUT}")
    return 0


def load():
    """(ict_index (468,), weight (468,)) from the committed asset."""
    z = np.load(OUT)
    return z["ict_index"].astype(np.int64), z["weight"].astype(np.float32)


if __name__ == "__main__":
    sys.exit(main())
