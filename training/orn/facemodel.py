"""The ICT-FaceKit "Light" morphable model, and the name maps between MediaPipe and ICT blendshapes.

A face is `neutral + identity_basis[:K] . alpha + expression_basis . beta` (centimetres, +y up, +z out of the face),
alpha ~ N(0, 1) (modes are pre-scaled by their standard deviation), beta in [0, 1] with ARKit names.
"""
from dataclasses import dataclass

import numpy as np

from . import paths

# MediaPipe's 52 blendshape categories, in its output order (index 0 is "_neutral", which has no ICT counterpart).
MP_BLENDSHAPES = [
    "_neutral", "browDownLeft", "browDownRight", "browInnerUp", "browOuterUpLeft", "browOuterUpRight", "cheekPuff",
    "cheekSquintLeft", "cheekSquintRight", "eyeBlinkLeft", "eyeBlinkRight", "eyeLookDownLeft", "eyeLookDownRight",
    "eyeLookInLeft", "eyeLookInRight", "eyeLookOutLeft", "eyeLookOutRight", "eyeLookUpLeft", "eyeLookUpRight",
    "eyeSquintLeft", "eyeSquintRight", "eyeWideLeft", "eyeWideRight", "jawForward", "jawLeft", "jawOpen", "jawRight",
    "mouthClose", "mouthDimpleLeft", "mouthDimpleRight", "mouthFrownLeft", "mouthFrownRight", "mouthFunnel",
    "mouthLeft", "mouthLowerDownLeft", "mouthLowerDownRight", "mouthPressLeft", "mouthPressRight", "mouthPucker",
    "mouthRight", "mouthRollLower", "mouthRollUpper", "mouthShrugLower", "mouthShrugUpper", "mouthSmileLeft",
    "mouthSmileRight", "mouthStretchLeft", "mouthStretchRight", "mouthUpperUpLeft", "mouthUpperUpRight",
    "noseSneerLeft", "noseSneerRight"]


def mp_to_ict_name(name: str, ict_names) -> list[str]:
    """ICT names fed by one MediaPipe blendshape ('browInnerUp' and 'cheekPuff' feed both sides;
    'eyeBlinkLeft' -> 'eyeBlink_L', but 'jawLeft' and 'mouthLeft' keep their names)."""
    if name in ("browInnerUp", "cheekPuff"):
        return [name + "_L", name + "_R"]
    for suffix, side in (("Left", "_L"), ("Right", "_R")):
        if name.endswith(suffix) and name[:-len(suffix)] + side in ict_names:
            return [name[:-len(suffix)] + side]
    return [name]


def blend_mp_to_ict(mp_scores: np.ndarray, ict_names) -> np.ndarray:
    """(..., 52) MediaPipe scores -> (..., 53) ICT expression weights in ICT order."""
    index = {n: i for i, n in enumerate(ict_names)}
    out = np.zeros(mp_scores.shape[:-1] + (len(ict_names),), np.float32)
    for j, name in enumerate(MP_BLENDSHAPES[1:], start=1):
        for target in mp_to_ict_name(name, index):
            out[..., index[target]] = mp_scores[..., j]
    return out


def flip_permutation(names) -> np.ndarray:
    """Index permutation that swaps _L/_R (and Left/Right) names: used for horizontal-flip augmentation."""
    names = list(names)
    perm = []
    for n in names:
        if n.endswith("_L"):
            m = n[:-2] + "_R"
        elif n.endswith("_R"):
            m = n[:-2] + "_L"
        elif n.endswith("Left"):
            m = n[:-4] + "Right"
        elif n.endswith("Right"):
            m = n[:-5] + "Left"
        else:
            m = n
        perm.append(names.index(m))
    return np.array(perm)


# Multi-PIE 68-point left/right mirror permutation (0-based).
FLIP68 = np.array(
    list(range(16, -1, -1)) + list(range(26, 16, -1)) + [27, 28, 29, 30] + [35, 34, 33, 32, 31] +
    [45, 44, 43, 42, 47, 46] + [39, 38, 37, 36, 41, 40] + [54, 53, 52, 51, 50, 49, 48] + [59, 58, 57, 56, 55] +
    [64, 63, 62, 61, 60] + [67, 66, 65])


@dataclass
class FaceModel:
    neutral: np.ndarray          # (V, 3)
    identity: np.ndarray         # (K, V, 3)
    expression: np.ndarray       # (53, V, 3)
    expression_names: list
    triangles: np.ndarray
    landmarks68: np.ndarray      # (68,) vertex indices
    face_vertices: int

    @property
    def K(self) -> int:
        return self.identity.shape[0]

    def vertices(self, alpha: np.ndarray, beta: np.ndarray) -> np.ndarray:
        """(..., V, 3) shape for (..., K) identity and (..., 53) expression coefficients."""
        return (self.neutral + np.einsum("...k,kvc->...vc", alpha, self.identity)
                + np.einsum("...e,evc->...vc", beta, self.expression))

    def subset(self, idx: np.ndarray) -> "FaceModel":
        """The same model restricted to the vertices idx (landmarks only, for fast fitting and losses)."""
        return FaceModel(self.neutral[idx], self.identity[:, idx], self.expression[:, idx], self.expression_names,
                         np.zeros((0, 3), np.int32), np.zeros(0, np.int64), len(idx))

    def points(self, vertices: np.ndarray, weights: np.ndarray) -> "FaceModel":
        """The model at barycentric points: point j = sum_i weights[j, i] * vertex vertices[j, i]. Shapes are linear
        in the coefficients, so a point on the mesh has bases like a vertex."""
        w = weights.astype(np.float32)
        return FaceModel(np.einsum("ji,jic->jc", w, self.neutral[vertices]),
                         np.einsum("ji,kjic->kjc", w, self.identity[:, vertices]),
                         np.einsum("ji,ejic->ejc", w, self.expression[:, vertices]), self.expression_names,
                         np.zeros((0, 3), np.int32), np.zeros(0, np.int64), len(vertices))

    def landmark_model(self, path=None) -> "FaceModel":
        """The model at the 68 landmarks of the calibrated definition (`assets/landmarks68_ict.npz`, written by
        `orn.landmark_calibration`): the one landmark definition of training, evaluation and the daemon. `path` names
        another definition file (a run trying a new readout before it ships)."""
        definition = landmark_definition(path)
        return self.points(definition["vertices"], definition["weights"])

    def mirror_vertices(self, vertices: np.ndarray) -> np.ndarray:
        """The mesh vertex nearest to each given vertex reflected through x = 0 (ICT is symmetric to a few 1e-3):
        the vertex a point of the left half becomes on the right, and back."""
        positions = self.neutral.reshape(-1, 3)
        unique, inverse = np.unique(np.asarray(vertices), return_inverse=True)
        reflected = positions[unique] * np.array([-1.0, 1.0, 1.0], np.float32)
        nearest = np.empty(len(unique), np.int64)
        for start in range(0, len(unique), 64):
            distance = ((reflected[start:start + 64, None] - positions[None]) ** 2).sum(-1)
            nearest[start:start + 64] = distance.argmin(1)
        return nearest[inverse].reshape(np.shape(vertices))

    def symmetric_landmark_model(self) -> "FaceModel":
        """`landmark_model` made mirror-symmetric: landmark k is the mean of its calibrated point and the mirror image
        of its partner's (`FLIP68`), the mirror image read at the mesh vertices nearest the reflected ones (ICT is
        symmetric about x = 0 to a few 1e-3). The calibrated definition is not symmetric, so the readout of a
        mirrored face is not the mirror of its readout; this one is, which test-time mirror averaging needs."""
        definition = landmark_definition()
        partner_vertices = self.mirror_vertices(definition["vertices"][FLIP68])
        own = self.points(definition["vertices"], definition["weights"])
        partner = self.points(partner_vertices, definition["weights"][FLIP68])
        return FaceModel((own.neutral + partner.neutral) / 2, (own.identity + partner.identity) / 2,
                         (own.expression + partner.expression) / 2, own.expression_names,
                         np.zeros((0, 3), np.int32), np.zeros(0, np.int64), own.face_vertices)

    @staticmethod
    def concatenate(a: "FaceModel", b: "FaceModel") -> "FaceModel":
        """Point sets of two models of the same face (e.g. teacher correspondences and landmarks), one after the other."""
        return FaceModel(np.concatenate([a.neutral, b.neutral]), np.concatenate([a.identity, b.identity], 1),
                         np.concatenate([a.expression, b.expression], 1), a.expression_names,
                         np.zeros((0, 3), np.int32), np.zeros(0, np.int64), a.face_vertices + b.face_vertices)


LANDMARK_DEFINITION = paths.ASSETS / "landmarks68_ict.npz"


def readout_definition(cfg: dict):
    """The 68-landmark definition file a run trains and reads out with: its config's `landmark_definition` when set
    (a candidate calibrated before it ships), else None for the committed asset. Training, prediction and export all
    take it from here, so an exported sidecar carries the definition its checkpoint was judged with (the daemon
    refuses a face-model file whose definition differs)."""
    if not cfg.get("landmark_definition"):
        return None
    path = paths.TRAINING / cfg["landmark_definition"]
    if not path.exists():
        raise FileNotFoundError(f"the checkpoint reads out with {path}, which is missing: restore it or clear the "
                                "config's landmark_definition to use the committed asset")
    return path


def landmark_definition(path=None) -> dict:
    """The calibrated 68 landmarks: `vertices` (68, 3) ICT vertex indices and `weights` (68, 3) barycentric weights."""
    d = np.load(path or LANDMARK_DEFINITION)
    return dict(vertices=d["vertices"].astype(np.int64), weights=d["weights"].astype(np.float32))


def save_landmark_definition(path, vertices, weights) -> None:
    """Writes a 68-landmark definition in the form `landmark_definition` reads and the committed asset has:
    `vertices` (68, 3) int32 ICT vertex indices, `weights` (68, 3) float32 barycentric weights."""
    np.savez(path, vertices=np.asarray(vertices, np.int32), weights=np.asarray(weights, np.float32))


def load(K: int = 40, path=None) -> FaceModel:
    d = np.load(path or paths.FACE_MODEL)
    return FaceModel(d["neutral"].astype(np.float32), d["identity_basis"][:K].astype(np.float32),
                     d["expression_basis"].astype(np.float32), [str(n) for n in d["expression_names"]],
                     d["triangles"], d["landmarks68"].astype(np.int64), int(d["face_area_vertex_count"]))
