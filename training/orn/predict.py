"""A trained checkpoint as a landmark predictor: 68 Multi-PIE points from face crops, for evaluation and selection."""
import numpy as np
import torch

from . import data, facemodel
from .export import load_model
from .model import rotation_from_6d


class LandmarkPredictor:
    """The network of a training checkpoint, reading out the 68 landmarks of its reconstructed, posed face."""

    def __init__(self, ckpt):
        self.model, checkpoint = load_model(ckpt)
        config = checkpoint["meta"]["config"]["model"]
        self.input = config["input"]
        face = facemodel.load(config["K"])
        lm = face.subset(face.landmarks68)
        self.mean = torch.from_numpy(lm.neutral)
        self.identity = torch.from_numpy(lm.identity.reshape(lm.identity.shape[0], -1))
        self.expression = torch.from_numpy(lm.expression.reshape(53, -1))

    def landmarks(self, crops: np.ndarray) -> np.ndarray:
        """(B, S, S, 3) uint8 crops -> (B, 68, 2) landmarks in crop fractions."""
        with torch.no_grad():
            alpha, beta, r6, ts, _ = self.model(torch.from_numpy(data.normalise(crops)))
            v = self.mean + (alpha @ self.identity + beta @ self.expression).view(-1, 68, 3)
            cam = ts[:, 2, None, None] * torch.einsum("bij,bnj->bni", rotation_from_6d(r6), v)
            return torch.stack([cam[..., 0] + ts[:, None, 0], -cam[..., 1] + ts[:, None, 1]], -1).numpy()
