"""A trained checkpoint as a landmark predictor: 68 Multi-PIE points from face crops, for evaluation and selection."""
import numpy as np
import torch

from . import data, facemodel, losses
from .export import load_model
from .model import rotation_from_6d

MIRROR = torch.diag(torch.tensor([-1.0, 1.0, 1.0]))  # the model's x axis reversed: a rotation R mirrors to M R M


class LandmarkPredictor:
    """The network of a training checkpoint, reading out the 68 landmarks of its reconstructed, posed face."""

    def __init__(self, ckpt, symmetric_readout: bool = False, landmark_definition=None):
        """`landmark_definition`: the definition file to read out with; by default the one the checkpoint trained with
        (its config's `landmark_definition`, else the committed asset)."""
        self.model, checkpoint = load_model(ckpt)
        config = checkpoint["meta"]["config"]
        # checkpoints from before the calibrated landmarks say nothing: they were trained on ICT's own vertices
        face_model = facemodel.load(config["model"]["K"])
        landmarks = checkpoint["meta"].get("landmarks", "ict")
        if landmark_definition is None:
            landmark_definition = facemodel.readout_definition(config)
        self.geometry = losses.Geometry(face_model, landmarks="symmetric" if symmetric_readout and landmarks == "calibrated"
                                        else landmarks, definition=landmark_definition)
        # expression i of a mirrored face is expression flip_expression[i] of the original
        self.flip_expression = torch.from_numpy(np.asarray(facemodel.flip_permutation(face_model.expression_names)))

    def landmarks(self, crops: np.ndarray) -> np.ndarray:
        """(B, S, S, 3) uint8 crops -> (B, 68, 2) landmarks in crop fractions."""
        with torch.no_grad():
            alpha, beta, r6, ts = self.model(torch.from_numpy(data.normalise(crops)))[:4]
            posed = self.geometry.posed("lm", alpha, beta, rotation_from_6d(r6), ts[:, 2], ts[:, :2])
            return posed[..., :2].numpy()

    def mirrored_landmarks(self, crops: np.ndarray) -> np.ndarray:
        """(B, S, S, 3) uint8 crops -> (B, 68, 2): the landmarks predicted on each crop's mirror image, mirrored back
        (x -> 1 - x in crop fractions, exactly the pixel mirror `crop[:, ::-1]`; left and right points swapped).
        A second, flip-equivariant estimate of the same landmarks, for test-time mirror averaging."""
        mirrored = self.landmarks(np.ascontiguousarray(crops[:, :, ::-1]))[:, facemodel.FLIP68]
        mirrored[..., 0] = 1 - mirrored[..., 0]
        return mirrored

    def parameter_averaged_landmarks(self, crops: np.ndarray) -> np.ndarray:
        """(B, S, S, 3) uint8 crops -> (B, 68, 2): the landmarks of the mean of each crop's parameters and those
        predicted on its mirror image, mapped back — what a daemon averaging parameters rather than landmarks would
        report. Mapping back: identity kept, expressions' left and right swapped, rotation M R M, and the translation
        that makes the mapped-back face's landmarks best match the mirrored-back landmarks (the calibrated readout is
        not mirror-symmetric, so mirroring the translation alone would move them)."""
        with torch.no_grad():
            alpha, beta, r6, ts = self.model(torch.from_numpy(data.normalise(crops)))[:4]
            m_alpha, m_beta, m_r6, m_ts = self.model(torch.from_numpy(data.normalise(
                np.ascontiguousarray(crops[:, :, ::-1]))))[:4]
            target = self.geometry.posed("lm", m_alpha, m_beta, rotation_from_6d(m_r6), m_ts[:, 2], m_ts[:, :2])[..., :2]
            target = target[:, facemodel.FLIP68]
            target[..., 0] = 1 - target[..., 0]
            back_beta, back_rotation = m_beta[:, self.flip_expression], MIRROR @ rotation_from_6d(m_r6) @ MIRROR
            unplaced = self.geometry.posed("lm", m_alpha, back_beta, back_rotation, m_ts[:, 2], torch.zeros_like(m_ts[:, :2]))
            back_translation = (target - unplaced[..., :2]).mean(1)
            rotation = torch.linalg.svd(rotation_from_6d(r6) + back_rotation)
            rotation = rotation.U @ rotation.Vh
            posed = self.geometry.posed("lm", (alpha + m_alpha) / 2, (beta + back_beta) / 2, rotation,
                                        (ts[:, 2] + m_ts[:, 2]) / 2, (ts[:, :2] + back_translation) / 2)
            return posed[..., :2].numpy()
