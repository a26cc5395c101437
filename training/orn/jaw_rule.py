"""Does ICT's pose-dependent jaw-contour rule still help now that the landmarks are calibrated? (issue 12)

    python -m orn.jaw_rule CKPT [--landmark-definition FILE] [--switch-degrees 20]

The daemon reads the 68 landmarks as fixed points of the face (the calibrated definition) and applies
`JawContourRule` only to face-model files without one: once a side of the head has turned toward the camera by more
than the switch angle, that side's jaw landmarks (0-7 on the subject's right, 9-16 on the left) move to ICT's
substitute contour vertices, further back along the mandible where a turned head's jaw line is seen. This scores
both readouts of one checkpoint on the validation split (the crops of orn.validate, never trained on): per level,
the 68-point distance to the 3DDFA teacher's clean keypoints (T, % of the face size) and the jaw contour's alone,
over all faces and over the faces where the rule switched a side. AFLW's annotated points hold no jaw-contour
point, so the rule cannot change orn.validate's A column; T is the measure. As a check of the axis convention it
also prints the share of switched sides whose jaw lies nearer the camera than the other side's (a side turned
toward the camera is the nearer one).
"""
import argparse
import dataclasses
import json

import numpy as np
import torch

from . import annotations, data, facemodel, losses, paths
from .model import rotation_from_6d
from .predict import LandmarkPredictor
from .validate import occluded_crops, validation_crops

RIGHT, LEFT = slice(0, 8), slice(9, 17)  # the subject's right and left jaw contour (8, the chin, never moves)
JAW = slice(0, 17)


def substitute_geometry(face_model: facemodel.FaceModel) -> losses.Geometry:
    """Bases at ICT's substitute contour vertices in the jaw slots (the other slots as ICT's own landmarks)."""
    stored = np.load(paths.FACE_MODEL)
    vertices = face_model.landmarks68.copy()
    vertices[RIGHT] = stored["jaw_right_substitutes"].astype(np.int64)
    vertices[LEFT] = stored["jaw_left_substitutes"].astype(np.int64)
    return losses.Geometry(dataclasses.replace(face_model, landmarks68=vertices), landmarks="ict")


def readouts(predictor: LandmarkPredictor, substitutes: losses.Geometry, crops: np.ndarray, switch: float) -> tuple:
    """(fixed, ruled, right, left, nearer): the calibrated landmarks (N, 68, 2) in input pixels, the same with the
    rule applied, which sides it switched (N,), and per switched side whether its jaw is nearer the camera."""
    fixed, ruled, right, left, nearer = [], [], [], [], []
    limit = np.sin(np.deg2rad(switch))
    for start in range(0, len(crops), 128):
        with torch.no_grad():
            alpha, beta, r6, ts = predictor.model(torch.from_numpy(data.normalise(crops[start:start + 128])))[:4]
            rotation = rotation_from_6d(r6)
            posed = predictor.geometry.posed("lm", alpha, beta, rotation, ts[:, 2], ts[:, :2]).numpy()
            other = substitutes.posed("lm", alpha, beta, rotation, ts[:, 2], ts[:, :2]).numpy()
        lateral = rotation[:, 2, 0].numpy()  # z (towards the camera) of the subject's left-pointing axis
        turned_right, turned_left = -lateral > limit, lateral > limit
        result = posed.copy()
        result[turned_right, RIGHT] = other[turned_right, RIGHT]
        result[turned_left, LEFT] = other[turned_left, LEFT]
        depth_right, depth_left = posed[:, RIGHT, 2].mean(1), posed[:, LEFT, 2].mean(1)
        nearer += list((depth_right > depth_left)[turned_right]) + list((depth_left > depth_right)[turned_left])
        fixed.append(posed[..., :2])
        ruled.append(result[..., :2])
        right.append(turned_right)
        left.append(turned_left)
    return (np.concatenate(fixed) * data.INPUT, np.concatenate(ruled) * data.INPUT, np.concatenate(right),
            np.concatenate(left), np.asarray(nearer, bool))


def distance(prediction: np.ndarray, keypoints: np.ndarray, points=slice(None)) -> np.ndarray:
    """Per face, the mean distance (%) of `points` from the teacher's keypoints over the face size."""
    return np.linalg.norm(prediction[:, points] - keypoints[:, points], axis=-1).mean(1) / \
        annotations.face_size(keypoints) * 100


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("checkpoint")
    ap.add_argument("--landmark-definition", default=None,
                    help="read the landmarks through this definition file (default: the one the checkpoint trained with)")
    ap.add_argument("--switch-degrees", type=float, default=20.0, help="JawContourRule's switch angle")
    args = ap.parse_args(argv)
    torch.set_num_threads(1)
    images, label68, _ = validation_crops("fused")
    crops = occluded_crops(images, label68, "fused")
    predictor = LandmarkPredictor(args.checkpoint, landmark_definition=args.landmark_definition)
    substitutes = substitute_geometry(facemodel.load(predictor.geometry.lm_id.shape[0]))
    for level in ("clean", "moderate", "heavy", "heavy_held_out", "second_heavy"):
        fixed, ruled, right, left, nearer = readouts(predictor, substitutes, crops[level], args.switch_degrees)
        switched = right | left
        row = {"faces": len(fixed), "switched": int(switched.sum()),
               "switched_side_nearer": round(float(nearer.mean()), 3) if len(nearer) else None}
        for name, prediction in (("fixed", fixed), ("rule", ruled)):
            row[f"T_{name}"] = round(float(distance(prediction, label68).mean()), 3)
            row[f"jaw_{name}"] = round(float(distance(prediction, label68, JAW).mean()), 3)
            if switched.any():
                row[f"jaw_{name}_switched"] = round(float(distance(prediction[switched], label68[switched], JAW).mean()), 3)
        print(level, json.dumps(row), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
