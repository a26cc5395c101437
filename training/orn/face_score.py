"""The face score's ROC on the validation split: faces (clean and heavily occluded) against background crops.

Faces: the validation split's AFLW crops (never trained on; `orn.validate.validation_crops`), clean and under the
generator's heavy level (40-60 % of the face covered, fixed seeds). Background: the validation frames' video
background crops (`orn.negatives.load_video("val")`, frames never trained on) and 2,000 crops of the other kinds cut
from the validation faces with a fixed seed. Reports, for each face set, the share of faces above the threshold that
rejects 99 % of the background, and the area under the ROC curve; and the same for the background thrown out of focus
(`defocused`: every crop blurred 1-4 px, fixed seed), the video background where a sharp-trained score fails; and
faces and background alike with black bands along one to three edges (`banded`: `negatives.black_bands`, fixed
seeds), as the daemon's crops of detections at the frame's edge have them — bands must say neither face nor
background.

    python -m orn.face_score CKPT [CKPT ...]
"""
import argparse
import json

import numpy as np
import torch

from . import data, negatives
from .export import load_model
from .validate import LEVELS, occluded, validation_crops


def scores(model, images: np.ndarray) -> np.ndarray:
    """Face probabilities (N,) of uint8 crops (N, S, S, 3)."""
    with torch.no_grad():
        return np.concatenate([model(torch.from_numpy(data.normalise(images[i:i + 128])))[5][:, 0].numpy()
                               for i in range(0, len(images), 128)])


def background_crops(faces: np.ndarray, count: int = 2000, seed: int = 77) -> np.ndarray:
    """Validation background: the held-out video frames' crops and `count` crops of the other kinds."""
    video = negatives.load_video("val")
    others = negatives.make(faces, np.zeros((0,) + video.shape[1:], np.uint8), count, np.random.default_rng(seed))
    if len(video):
        video = np.stack([negatives._resize(v, (0, 0, v.shape[1], v.shape[0]), data.INPUT) for v in video])
        return np.concatenate([video, others])
    return others


def banded(images: np.ndarray, seed: int) -> np.ndarray:
    """Every crop of `images` with black edge bands (`negatives.black_bands`), drawn with a fixed seed."""
    rng = np.random.default_rng(seed)
    return np.stack([negatives.black_bands(image, rng) for image in images])


def roc(face: np.ndarray, background: np.ndarray, reject: float = 0.99) -> dict:
    """Share of faces above the threshold that rejects `reject` of the background, and the ROC's area."""
    threshold = float(np.quantile(background, reject))
    order = np.sort(background)
    auc = float(np.searchsorted(order, face, side="left").mean() / len(order))
    return dict(threshold=round(threshold, 4), faces_above=round(float((face > threshold).mean()), 4), auc=round(auc, 4))


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("checkpoints", nargs="+")
    args = ap.parse_args(argv)
    torch.set_num_threads(1)
    images, label68, _ = validation_crops("fused")
    faces = {"clean": images, "heavy": occluded(images, label68, LEVELS["heavy"])}
    background = background_crops(images)
    blur = np.random.default_rng(78)
    defocused = np.stack([negatives.defocus(crop, blur) for crop in background])
    banded_background = banded(background, 79)
    banded_faces = {f"{name}_banded": banded(crops, 80) for name, crops in faces.items()}
    print(f"{len(images)} validation faces, {len(background)} background crops", flush=True)
    for ckpt in args.checkpoints:
        model, _ = load_model(ckpt)
        back = scores(model, background)
        face = {name: scores(model, crops) for name, crops in faces.items()}
        result = {name: roc(value, back) for name, value in face.items()}
        back = scores(model, defocused)
        result.update({f"{name}_vs_defocused": roc(value, back) for name, value in face.items()})
        back = scores(model, banded_background)
        result.update({name: roc(scores(model, crops), back) for name, crops in banded_faces.items()})
        print(ckpt, json.dumps(result), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
