"""The second teacher: 3DDFA_V2's MobileNet-0.5 (120x120), whose 68 keypoints are the points AFLW2000-3D's ground
truth is defined on. Like MediaPipe it never saw occlusions: it labels clean images only.

`../shared/data/teacher-3ddfa/` holds the ONNX regressor (62 parameters: a 3x4 scaled rotation + translation, 40
shape and 10 expression coefficients of its BFM face) and `keypoints68.npz`, the 68-keypoint basis that turns the
parameters into keypoints. Its README gives the recipe this module follows (checked there against the reference
implementation to 0.005 px):
  - input: a square roi crop resized to 120x120, BGR, (pixel - 127.5) / 128, NCHW;
  - p = param * param_std + param_mean; [R | t] = p[0:12] as 3x4; alpha = p[12:52]; beta = p[52:62];
  - v = mean_shape + shape_basis alpha + expression_basis beta, as (68, 3); q = R v + t in the 120-px crop, y up;
  - crop pixels: u = q_x - 1, w = 120 - q_y (the depth q_z, in the same pixel scale, is kept for fitting).
    Those are pixel-index coordinates (pixel i's centre at i, OpenCV's convention); every crop, warp and label in this
    package puts pixel i's centre at i + 0.5 (PIL's), so the keypoints are returned as u + 0.5, w + 0.5. Measured on
    1,500 training crops: the teacher's keypoints of a mirrored crop, reflected back with x -> 119 - x (index), lie
    0.32 px (mean, in x) from its keypoints of the crop; reflected with 120 - x, 1.32 px. Without the half pixel the
    flip augmentation taught the student labels 1.3 px apart for a face and its mirror image.

The AFLW training crops are framed as 3DDFA expects (their roi is the whole crop). The video crops of
`cache/teacher/video.npz` are framed around MediaPipe's landmarks, so they are labelled twice: once as they are, then
again in the roi box of that first answer (the square around the 68 points' box centre, side = the box's larger side
times sqrt(2)), mapped back into the crop.

    python -m orn.teacher3ddfa            # -> cache/teacher3ddfa/{aflw,video}.npz  (about a minute)

Licence: 3DDFA_V2's code is MIT, its weights come from BFM-derived data for academic use: a teacher for labels, never
shipped in a model file or the repository.
"""
import argparse
import time

import numpy as np

from . import paths

TEACHER = paths.DATA / "teacher-3ddfa"
SIDE = 120
# The recipe's coordinates put pixel i's centre at i; ours at i + 0.5 (see the module docstring).
PIXEL_CENTRE = 0.5


class Teacher3DDFA:
    """The 3DDFA_V2 regressor on onnxruntime, decoding to 68 keypoints (x, y image-down, z) in crop pixels."""

    def __init__(self, threads: int = 1):
        import onnxruntime as ort
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        self.session = ort.InferenceSession(str(TEACHER / "mb05_120x120.onnx"), options,
                                            providers=["CPUExecutionProvider"])
        basis = np.load(TEACHER / "keypoints68.npz")
        self.param_mean = basis["param_mean"].astype(np.float64)
        self.param_std = basis["param_std"].astype(np.float64)
        self.mean_shape = basis["mean_shape"].astype(np.float64)
        self.shape_basis = basis["shape_basis"].astype(np.float64)
        self.expression_basis = basis["expression_basis"].astype(np.float64)

    def parameters(self, crops_rgb: np.ndarray) -> np.ndarray:
        """(B, 120, 120, 3) uint8 RGB crops -> (B, 62) de-normalised parameters."""
        x = (crops_rgb[..., ::-1].astype(np.float32) - 127.5) / 128.0
        x = np.ascontiguousarray(x.transpose(0, 3, 1, 2))
        out = np.concatenate([self.session.run(None, {"input": x[i:i + 64]})[0] for i in range(0, len(x), 64)])
        return out.astype(np.float64) * self.param_std + self.param_mean

    def keypoints(self, params: np.ndarray) -> np.ndarray:
        """(B, 62) parameters -> (B, 68, 3) keypoints in 120-px crop pixels with pixel i's centre at i + 0.5: x right,
        y down, z towards the camera (same pixel scale as x)."""
        Rt = params[:, :12].reshape(-1, 3, 4)
        alpha, beta = params[:, 12:52], params[:, 52:62]
        v = self.mean_shape + alpha @ self.shape_basis.T + beta @ self.expression_basis.T
        v = v.reshape(-1, 68, 3)  # 204 values as 68 consecutive (x, y, z) rows
        q = np.einsum("bij,bnj->bni", Rt[:, :, :3], v) + Rt[:, None, :, 3]
        return np.stack([q[..., 0] - 1 + PIXEL_CENTRE, SIDE - q[..., 1] + PIXEL_CENTRE, q[..., 2]], -1)

    def label(self, crops_rgb: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Keypoints (B, 68, 3) and parameters (B, 62) of crops already framed as 3DDFA roi boxes."""
        params = self.parameters(crops_rgb)
        return self.keypoints(params), params


def roi_from_keypoints(points: np.ndarray) -> np.ndarray:
    """(B, 68, >=2) -> (B, 4) square roi boxes (x0, y0, x1, y1): centred on the points' box, side = its larger side
    times sqrt(2) (3DDFA_V2's framing from landmarks)."""
    lo, hi = points[..., :2].min(1), points[..., :2].max(1)
    centre = (lo + hi) / 2
    side = (hi - lo).max(1) * np.sqrt(2)
    return np.concatenate([centre - side[:, None] / 2, centre + side[:, None] / 2], 1)


def recrop(images: np.ndarray, boxes: np.ndarray, side: int = SIDE) -> np.ndarray:
    """Cut each box (may leave the image: black fill) and resize to side x side with bilinear sampling."""
    from PIL import Image
    return np.stack([np.asarray(Image.fromarray(image).transform((side, side), Image.EXTENT, tuple(box),
                                                                  Image.BILINEAR))
                     for image, box in zip(images, boxes)])


def label_reframed(teacher: Teacher3DDFA, crops: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Two passes for crops not framed as roi boxes: keypoints (in the given crops' pixels) from the second pass."""
    first, _ = teacher.label(crops)
    boxes = roi_from_keypoints(first * crops.shape[1] / SIDE)
    points, params = teacher.label(recrop(crops, boxes))
    scale = (boxes[:, 2] - boxes[:, 0]) / SIDE
    points = points * scale[:, None, None]
    points[..., :2] += boxes[:, None, :2]
    return points, params


def label_all(limit: int | None = None) -> None:
    """Label the AFLW training crops and the cached video crops; write cache/teacher3ddfa/{aflw,video}.npz."""
    from PIL import Image
    teacher = Teacher3DDFA()
    out = paths.CACHE / "teacher3ddfa"
    out.mkdir(parents=True, exist_ok=True)
    t0 = time.time()
    names = np.load(paths.AFLW_TRAIN / "labels.npz")["names"][:limit]
    points, params = [], []
    for i in range(0, len(names), 512):
        crops = np.stack([np.asarray(Image.open(paths.AFLW_TRAIN / "crops" / n).convert("RGB")) for n in names[i:i + 512]])
        p, q = teacher.label(crops)
        points.append(p)
        params.append(q)
    np.savez_compressed(out / "aflw.npz", names=names, lm68=np.concatenate(points).astype(np.float32),
                        params=np.concatenate(params).astype(np.float32))
    print(f"3ddfa aflw: {len(names)} crops in {time.time() - t0:.0f}s", flush=True)
    video = paths.CACHE / "teacher" / "video.npz"
    if video.exists():
        v = np.load(video)
        p, q = label_reframed(teacher, v["crops"])
        np.savez_compressed(out / "video.npz", names=v["names"], lm68=p.astype(np.float32), params=q.astype(np.float32))
        print(f"3ddfa video: {len(p)} crops, {time.time() - t0:.0f}s", flush=True)
    else:
        print(f"3ddfa video: skipped, {video} not there (run orn.teacher first)", flush=True)


def load(source: str, names) -> np.ndarray:
    """3DDFA keypoints (N, 68, 3) in crop pixels for the crops named `names` of one source ('aflw' | 'video')."""
    d = np.load(paths.CACHE / "teacher3ddfa" / f"{source}.npz")
    row = {n: i for i, n in enumerate(d["names"])}
    return d["lm68"][np.array([row[n] for n in names], dtype=np.int64)]


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--limit", type=int, default=None, help="label only the first N AFLW crops")
    args = ap.parse_args(argv)
    label_all(args.limit)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
