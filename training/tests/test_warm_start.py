"""Starting from an exported model: the shipped ONNX loads into the PyTorch network with its function intact."""
import json

import numpy as np
import torch

from orn import paths, warm_start
from orn.model import ORN, ModelConfig

ONNX = paths.MODELS / "orn.onnx"


def shipped_model():
    config = json.load(open(ONNX.with_suffix(".json")))["training"]["config"]["model"]
    return ORN(ModelConfig(**config))


def test_shipped_onnx_loads_with_its_function():
    model = shipped_model()
    rng = np.random.default_rng(0)
    calibration = rng.uniform(-1, 1, (8, 3, 128, 128)).astype(np.float32)
    warm_start.load_onnx(model, ONNX, torch.from_numpy(calibration))
    assert warm_start.max_difference(model, ONNX, rng.uniform(-1, 1, (2, 3, 128, 128)).astype(np.float32)) < 1e-4
    # Training mode on the calibration batch: each BatchNorm sees the statistics it was calibrated with, so the
    # output barely moves.
    model.train()
    with torch.no_grad():
        trained = model(torch.from_numpy(calibration))[0].numpy()
    model.eval()
    with torch.no_grad():
        evaluated = model(torch.from_numpy(calibration))[0].numpy()
    assert np.abs(trained - evaluated).max() < 1e-2  # float32 rounding over 52 layers; uncalibrated: order 1


def test_a_network_of_another_width_is_refused():
    import pytest
    model = ORN(ModelConfig(width=0.5))
    with pytest.raises(ValueError):
        warm_start.load_onnx(model, ONNX, torch.zeros(2, 3, 128, 128))


def test_checkpoint_from_onnx_scores_like_the_file(tmp_path):
    from orn.export import load_model
    out = tmp_path / "ckpt.pt"
    warm_start.checkpoint_from_onnx(ONNX, ONNX.with_suffix(".json"), out)
    model, checkpoint = load_model(out)
    assert checkpoint["meta"]["landmarks"] in ("ict", "calibrated")
    x = np.random.default_rng(3).uniform(-1, 1, (2, 3, 128, 128)).astype(np.float32)
    assert warm_start.max_difference(model, ONNX, x) < 1e-4


def test_checkpoint_from_onnx_reads_out_with_the_sidecars_definition(tmp_path):
    """The run that trained a shipped model may be gone with its definition file; the checkpoint made from the
    export must still read its landmarks out as the sidecar says."""
    from orn import facemodel
    out = tmp_path / "ckpt.pt"
    warm_start.checkpoint_from_onnx(ONNX, ONNX.with_suffix(".json"), out)
    config = torch.load(out, map_location="cpu", weights_only=False)["meta"]["config"]
    definition = facemodel.landmark_definition(facemodel.readout_definition(config))
    shipped = json.loads(ONNX.with_suffix(".json").read_text())["landmark_definition"]
    assert np.array_equal(definition["vertices"], np.asarray(shipped["vertices"]))
    assert np.allclose(definition["weights"], np.asarray(shipped["weights"]))
