"""Our 68-landmark definition, calibrated to the benchmark's convention (3DDFA_V2 / AFLW2000-3D keypoints).

ICT-FaceKit's own `landmarks68` are Multi-PIE vertices chosen by ICT's authors; AFLW2000-3D's ground truth is 68 fixed
keypoints of a fitted BFM face, the points the second teacher (`orn.teacher3ddfa`) predicts. For each of the 68 we
choose the point on the ICT mesh that best reproduces the teacher's keypoints over training crops:

  1. every crop's ICT face from the MediaPipe fit (`cache/fit`, teacher only: the fit never saw the 3DDFA points,
     so the choice is not circular), projected into the crop;
  2. the face-area vertex whose projections lie closest, in the mean squared 2-D distance, to the teacher's keypoint
     over the crops (balanced over the yaw bins [0,30], (30,60], (60,90], so profile faces weigh as much as frontal);
  3. refined to a barycentric point on one of the triangles around that vertex (within two rings): projection is
     linear, so the best weights on a triangle are a 2-unknown least-squares problem, kept inside the triangle.

With `--checkpoint CKPT` the faces of step 1 are instead the trained student's own predictions on clean training
crops (every AFLW training crop the fused labels keep, `data.load_fused`'s rules): a *readout calibration* that
chooses the points on the mesh the student's reconstructed faces best reproduce the teacher's keypoints with. The
student was trained against the previous definition, so its faces carry that definition's compromises; this step
reads them out where they are right, and changes nothing in the network or the mesh. The validation split is never
used.

The result, `assets/landmarks68_ict.npz` (`vertices` (68, 3) int, `weights` (68, 3) float32, rows sum to 1), is the one
definition every part reads: training's losses and readout (`facemodel.FaceModel.landmark_model`), the face-model
file the daemon and `occlumesh landmarks` load (tools/convert-face-model.py), and the evaluation.

    python -m orn.landmark_calibration [--crops-per-bin 1500]
    python -m orn.landmark_calibration --checkpoint runs/v2b-continue/ckpt.pt --crops-per-bin 3000
    python -m orn.landmark_calibration --symmetric --checkpoint CKPT --out runs/NAME/landmarks68.npz
"""
import argparse
import json
import sys
import time

import numpy as np

from . import annotations, data, facemodel, fit, paths, teacher3ddfa

ASSET = paths.ASSETS / "landmarks68_ict.npz"
BINS = ((0, 30), (30, 60), (60, 1000))


def sample_crops(crops_per_bin: int, seed: int = 0):
    """Training-split AFLW crops with a good teacher fit, up to `crops_per_bin` per |yaw| bin: their fit (dict of
    arrays) and their 3DDFA keypoints (N, 68, 2) in crop pixels."""
    fitted = dict(np.load(paths.CACHE / "fit" / "aflw.npz"))
    train, _ = data.split([f"aflw/{n}" for n in fitted["names"]])
    labels = np.load(paths.AFLW_TRAIN / "labels.npz")
    row = {n: i for i, n in enumerate(labels["names"])}
    yaw = annotations.absolute_yaw(labels["yaw_degrees"][[row[n] for n in fitted["names"]]])
    good = np.zeros(len(yaw), bool)
    good[train] = True
    good &= fitted["rms_px"] <= 3.0
    chosen, weight = yaw_balanced(np.flatnonzero(good), yaw, crops_per_bin, seed)
    sample = {k: v[chosen] for k, v in fitted.items() if k not in ("K", "annotation_weight")}
    return sample, teacher3ddfa.load("aflw", sample["names"])[..., :2], weight


def yaw_balanced(candidates: np.ndarray, yaw: np.ndarray, crops_per_bin: int, seed: int):
    """Up to `crops_per_bin` of the candidate rows per |yaw| bin (sorted), and weights under which each bin weighs
    the same in total (so profile faces count as much as frontal ones)."""
    rng = np.random.default_rng(seed)
    chosen = []
    for lo, hi in BINS:
        pool = candidates[(yaw[candidates] > lo if lo else yaw[candidates] >= 0) & (yaw[candidates] <= hi)]
        chosen.append(rng.choice(pool, min(crops_per_bin, len(pool)), replace=False))
    chosen = np.sort(np.concatenate(chosen))
    weight = np.ones(len(chosen))
    for lo, hi in BINS:
        m = (yaw[chosen] > lo if lo else yaw[chosen] >= 0) & (yaw[chosen] <= hi)
        weight[m] = 1.0 / max(1, m.sum())
    return chosen, weight / weight.sum()


def student_crops(checkpoint: str, crops_per_bin: int, seed: int = 0):
    """Training-split AFLW crops the fused labels keep, up to `crops_per_bin` per |yaw| bin: the student's predicted
    faces on the clean crops (dict of arrays in `fit.project`'s terms), the 3DDFA keypoints (N, 68, 2) in crop pixels,
    and the bin-balancing weights."""
    from .predict import LandmarkPredictor

    fused = dict(np.load(paths.CACHE / "fused" / "aflw.npz"))
    train, _ = data.split([f"aflw/{n}" for n in fused["names"]])
    with np.errstate(invalid="ignore"):
        kept = (fused["keypoint_rms_px"] <= data.FUSED_MAX_KEYPOINT_RMS_PX) \
            & ~(fused["annotation_nme"] > data.FUSED_MAX_ANNOTATION_NME)
    candidates = train[kept[train]]
    labels = np.load(paths.AFLW_TRAIN / "labels.npz")
    row = {n: i for i, n in enumerate(labels["names"])}
    yaw = annotations.absolute_yaw(labels["yaw_degrees"][[row[n] for n in fused["names"]]])
    chosen, weight = yaw_balanced(candidates, yaw, crops_per_bin, seed)
    network = LandmarkPredictor(checkpoint).model
    parts = []
    for start in range(0, len(chosen), 256):
        crops = data.load_images(fused["names"][chosen[start:start + 256]], paths.AFLW_TRAIN / "crops")
        parts.append(student_faces(network, np.stack([data.warp(image, data.IDENTITY_GEOMETRY) for image in crops])))
    sample = {key: np.concatenate([part[key] for part in parts]) for key in parts[0]}
    return sample, fused["keypoints"][chosen][..., :2].astype(np.float64), weight


def student_faces(network, crops: np.ndarray) -> dict:
    """A student network's faces for (B, S, S, 3) uint8 network-input crops, in `fit.project`'s terms (alpha, beta,
    R, s, t), so `projected` reads any mesh point of them in crop pixels."""
    import torch

    from .model import rotation_from_6d

    with torch.no_grad():
        alpha, beta, r6, ts = network(torch.from_numpy(data.normalise(crops)))[:4]
    ts = ts.numpy()
    # the network's translation is in crop fractions with image axes (y down); fit.project's t has y up
    return dict(alpha=alpha.numpy(), beta=beta.numpy(), R=rotation_from_6d(r6).numpy(), s=ts[:, 2],
                t=np.stack([ts[:, 0], -ts[:, 1]], 1))


def projected(model: facemodel.FaceModel, sample: dict, vertices: np.ndarray) -> np.ndarray:
    """(N, len(vertices), 2) crop pixels of the given ICT vertices for every fitted crop."""
    sub = model.subset(vertices)
    shape = sub.neutral + np.einsum("nk,kvc->nvc", sample["alpha"], sub.identity) \
        + np.einsum("ne,evc->nvc", sample["beta"], sub.expression)
    return fit.project(shape, sample["R"], sample["s"], sample["t"], paths.CROP)


def nearest_vertices(model, sample, target, weight, chunk: int = 400):
    """Per landmark, the face-area vertex with the least weighted mean squared distance; and that cost (68, V)."""
    V = model.face_vertices
    cost = np.zeros((68, V))
    for start in range(0, V, chunk):
        vertices = np.arange(start, min(V, start + chunk))
        p = projected(model, sample, vertices)                     # (N, c, 2)
        d = ((p[:, None] - target[:, :, None]) ** 2).sum(-1)        # (N, 68, c)
        cost[:, vertices] = np.einsum("n,nlc->lc", weight, d)
    return cost.argmin(1), cost


def rings(triangles: np.ndarray, vertex: int, depth: int = 2) -> np.ndarray:
    """Triangles within `depth` rings of a vertex: depth 1, the triangles around it; depth 2, also those around its
    neighbours."""
    near = {vertex}
    for _ in range(depth - 1):
        hit = np.isin(triangles, list(near)).any(1)
        near |= set(triangles[hit].ravel().tolist())
    return np.flatnonzero(np.isin(triangles, list(near)).any(1))


def best_on_triangle(P: np.ndarray, q: np.ndarray, weight: np.ndarray):
    """P (N, 3, 2) projected corners, q (N, 2) targets: barycentric weights (3,) inside the triangle minimising the
    weighted mean squared distance, and that cost."""
    def cost(w):
        return float(weight @ ((np.einsum("k,nkc->nc", w, P) - q) ** 2).sum(-1))

    # point = P0 + u (P1 - P0) + v (P2 - P0): linear least squares in (u, v), weighted over crops
    A = np.stack([P[:, 1] - P[:, 0], P[:, 2] - P[:, 0]], -1)     # (N, 2, 2)
    r = q - P[:, 0]
    AtA = np.einsum("n,nci,ncj->ij", weight, A, A)
    Atr = np.einsum("n,nci,nc->i", weight, A, r)
    candidates = []
    u, v = np.linalg.solve(AtA + 1e-12 * np.eye(2), Atr)
    if u >= 0 and v >= 0 and u + v <= 1:
        candidates.append(np.array([1 - u - v, u, v]))
    for a, b in ((0, 1), (1, 2), (0, 2)):  # the best point on each edge, then the corners
        d = P[:, b] - P[:, a]
        t = np.clip(np.einsum("n,nc,nc->", weight, d, q - P[:, a]) / max(np.einsum("n,nc,nc->", weight, d, d), 1e-12), 0, 1)
        w = np.zeros(3)
        w[a], w[b] = 1 - t, t
        candidates.append(w)
    best = min(candidates, key=cost)
    return best, cost(best)


def progress(message: str, started: float) -> None:
    """One line on stderr with the seconds since `started`: the run takes minutes and prints its result last."""
    print(f"landmark_calibration: {message} ({time.time() - started:.0f} s)", file=sys.stderr, flush=True)


def calibrate(crops_per_bin: int = 1500, model: facemodel.FaceModel | None = None, checkpoint: str | None = None) -> dict:
    started = time.time()
    model = model or facemodel.load(40)
    sample, target, weight = student_crops(checkpoint, crops_per_bin) if checkpoint else sample_crops(crops_per_bin)
    progress(f"{len(weight)} crops {'of the student' if checkpoint else 'of the fit'} read", started)
    nearest, cost = nearest_vertices(model, sample, target, weight)
    progress("nearest vertices found", started)
    face = model.triangles[model.triangles.max(1) < model.face_vertices]  # triangles of the face area only
    vertices = np.zeros((68, 3), np.int64)
    weights = np.zeros((68, 3), np.float32)
    refined = np.zeros(68)
    for k in range(68):
        best = (np.array([nearest[k]] * 3), np.array([1.0, 0, 0]), cost[k, nearest[k]])
        for t in rings(face, nearest[k]):
            corners = face[t]
            w, c = best_on_triangle(projected(model, sample, corners), target[:, k], weight)
            if c < best[2]:
                best = (corners, w, c)
        vertices[k], weights[k], refined[k] = best[0], best[1], best[2]
    old = cost[np.arange(68), model.landmarks68]
    return dict(vertices=vertices, weights=weights, crops=len(weight),
                rms_old_px=np.sqrt(old), rms_vertex_px=np.sqrt(cost[np.arange(68), nearest]), rms_px=np.sqrt(refined))


def calibrate_symmetric(crops_per_bin: int = 1500, model: facemodel.FaceModel | None = None,
                        checkpoint: str | None = None) -> dict:
    """A mirror-symmetric definition: the two landmarks of each left/right pair (`facemodel.FLIP68`) are one barycentric
    point and its mirror image (the same weights on the mirrored corners), chosen together to reproduce both keypoints;
    a midline landmark is a mesh vertex or the midpoint of a vertex and its mirror image, so it lies on the symmetry
    plane. The readout of a mirrored face is then the mirror of its readout, which test-time mirror averaging needs; the
    teacher's keypoints themselves are mirror-consistent to 0.3 px (`orn.teacher3ddfa`)."""
    started = time.time()
    model = model or facemodel.load(40)
    sample, target, weight = student_crops(checkpoint, crops_per_bin) if checkpoint else sample_crops(crops_per_bin)
    progress(f"{len(weight)} crops {'of the student' if checkpoint else 'of the fit'} read", started)
    return symmetric_definition(model, sample, target, weight, started)


def symmetric_definition(model, sample: dict, target: np.ndarray, weight: np.ndarray, started: float) -> dict:
    """`calibrate_symmetric` on given faces (`projected`'s terms), keypoints (N, 68, 2) and crop weights (N,)."""
    nearest, cost = nearest_vertices(model, sample, target, weight)
    progress("nearest vertices found", started)
    V = model.face_vertices
    mirror = model.mirror_vertices(np.arange(V))
    usable = mirror < V  # a face-area vertex whose mirror image is in the face area too
    face = model.triangles[model.triangles.max(1) < V]
    face = face[usable[face].all(1)]
    vertices = np.zeros((68, 3), np.int64)
    weights = np.zeros((68, 3), np.float32)
    midline = [k for k in range(68) if facemodel.FLIP68[k] == k]
    midpoint_cost = midline_costs(model, sample, target[:, midline], weight, mirror)
    for slot, k in enumerate(midline):
        candidate = np.where(usable, midpoint_cost[slot], np.inf)
        v = int(candidate.argmin())
        vertices[k] = (v, mirror[v], v)
        weights[k] = (1.0, 0.0, 0.0) if mirror[v] == v else (0.5, 0.5, 0.0)
    for k in range(68):
        partner = int(facemodel.FLIP68[k])
        if partner <= k:  # the midline, or a pair already chosen from its other side
            continue
        pair_cost = np.where(usable, cost[k] + cost[partner, np.minimum(mirror, V - 1)], np.inf)
        start = int(pair_cost.argmin())
        best = (np.array([start] * 3), np.array([1.0, 0, 0]), pair_cost[start])
        for t in rings(face, start):
            corners = face[t]
            P = np.concatenate([projected(model, sample, corners), projected(model, sample, mirror[corners])])
            q = np.concatenate([target[:, k], target[:, partner]])
            w, c = best_on_triangle(P, q, np.concatenate([weight, weight]))
            if c < best[2]:
                best = (corners, w, c)
        vertices[k], weights[k] = best[0], best[1]
        vertices[partner], weights[partner] = mirror[best[0]], best[1]
    progress("symmetric points chosen", started)
    rms = np.sqrt([float(weight @ ((np.einsum("i,nic->nc", weights[k], projected(model, sample, vertices[k]))
                                     - target[:, k]) ** 2).sum(-1)) for k in range(68)])
    old = cost[np.arange(68), model.landmarks68]
    return dict(vertices=vertices, weights=weights, crops=len(weight),
                rms_old_px=np.sqrt(old), rms_vertex_px=np.sqrt(cost[np.arange(68), nearest]), rms_px=rms)


def midline_costs(model, sample, target, weight, mirror, chunk: int = 400) -> np.ndarray:
    """(L, V): for each midline target (N, L, 2), the weighted mean squared distance of the midpoint of each face-area
    vertex and its mirror image (projection is linear, so the midpoint projects to the mean of the projections)."""
    V = len(mirror)
    cost = np.zeros((target.shape[1], V))
    for start in range(0, V, chunk):
        vertices = np.arange(start, min(V, start + chunk))
        p = (projected(model, sample, vertices) + projected(model, sample, np.minimum(mirror[vertices], V - 1))) / 2
        d = ((p[:, None] - target[:, :, None]) ** 2).sum(-1)
        cost[:, vertices] = np.einsum("n,nlc->lc", weight, d)
    return cost


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--crops-per-bin", type=int, default=1500)
    ap.add_argument("--checkpoint", help="calibrate the readout of this trained student (its faces, not the fit's)")
    ap.add_argument("--symmetric", action="store_true",
                    help="constrain left/right pairs to mirror each other and midline points to the symmetry plane")
    ap.add_argument("--out", default=str(ASSET))
    args = ap.parse_args(argv)
    result = (calibrate_symmetric if args.symmetric else calibrate)(args.crops_per_bin, checkpoint=args.checkpoint)
    facemodel.save_landmark_definition(args.out, result["vertices"], result["weights"])
    summary = {key: round(float(np.mean(result[key])), 3) for key in ("rms_old_px", "rms_vertex_px", "rms_px")}
    jaw = slice(0, 17)
    summary.update({f"{key}_jaw": round(float(np.mean(result[key][jaw])), 3) for key in ("rms_old_px", "rms_px")})
    print(json.dumps(dict(crops=result["crops"], out=args.out, **summary)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
