"""A trained checkpoint as a landmark predictor: 68 Multi-PIE points from face crops, for evaluation and selection."""
import numpy as np
import torch

from . import data, facemodel, losses
from .export import load_model
from .model import rotation_from_6d


class LandmarkPredictor:
    """The network of a training checkpoint, reading out the 68 landmarks of its reconstructed, posed face."""

    def __init__(self, ckpt):
        self.model, checkpoint = load_model(ckpt)
        config = checkpoint["meta"]["config"]["model"]
        # checkpoints from before the calibrated landmarks say nothing: they were trained on ICT's own vertices
        self.geometry = losses.Geometry(facemodel.load(config["K"]),
                                        landmarks=checkpoint["meta"].get("landmarks", "ict"))

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
