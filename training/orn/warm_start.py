"""Start training from an exported model (`models/orn.onnx`) when its checkpoint is not at hand.

Export folds every BatchNorm into its convolution (weight and bias), so the ONNX file holds the network's function but
not the BatchNorm statistics training needs. We load the folded convolutions and the head, then give each BatchNorm
the statistics that make it pass its input through: with mu and sigma^2 the per-channel mean and variance of the
convolution's output on a calibration batch of real crops, running_mean = mu, running_var = sigma^2, weight =
sqrt(sigma^2 + eps) and bias = mu + the folded bias. In eval mode BN(x) = x + bias exactly (the exported function); in
training mode, on batches like the calibration batch, nearly so. Outputs the file lacks (a head row added since,
e.g. `face`) keep their fresh initialisation.
"""
import os

import numpy as np
import torch
from torch import nn

from . import facemodel, paths
from .model import ORN


def load_onnx(model: ORN, onnx_path, calibration: torch.Tensor) -> None:
    """Copy an exported ORN's weights into `model` (same width, input and K) and calibrate its BatchNorms on
    `calibration` (B, 3, S, S) network inputs."""
    import onnx
    from onnx import numpy_helper
    graph = onnx.load(str(onnx_path)).graph
    weights = {i.name: numpy_helper.to_array(i) for i in graph.initializer}
    convs = [node for node in graph.node if node.op_type == "Conv"]
    pairs = [(m[0], m[1]) for m in model.modules() if isinstance(m, nn.Sequential) and len(m) >= 2
             and isinstance(m[0], nn.Conv2d) and isinstance(m[1], nn.BatchNorm2d)]
    if len(pairs) != len(convs):
        raise ValueError(f"{onnx_path}: {len(convs)} convolutions, the network has {len(pairs)}")
    biases = []
    with torch.no_grad():
        for (conv, norm), node in zip(pairs, convs):
            w = weights[node.input[1]]
            if tuple(w.shape) != tuple(conv.weight.shape):
                raise ValueError(f"{onnx_path}: convolution {node.name} is {w.shape}, the network's {tuple(conv.weight.shape)}")
            conv.weight.copy_(torch.from_numpy(np.array(w)))
            biases.append(torch.from_numpy(np.array(weights[node.input[2]])) if len(node.input) > 2 else torch.zeros(w.shape[0]))
            norm.running_mean.zero_()
            norm.running_var.fill_(1.0 - norm.eps)
            norm.weight.fill_(1.0)
            norm.bias.copy_(biases[-1])
        gemm = next(node for node in graph.node if node.op_type == "Gemm")
        head_w, head_b = weights[gemm.input[1]], weights[gemm.input[2]]
        rows = head_w.shape[0]
        if head_w.shape[1] != model.head.in_features or rows > model.head.out_features:
            raise ValueError(f"{onnx_path}: head {head_w.shape} does not fit the network's {tuple(model.head.weight.shape)}")
        model.head.weight[:rows].copy_(torch.from_numpy(np.array(head_w)))
        model.head.bias[:rows].copy_(torch.from_numpy(np.array(head_b)))
    # Each BatchNorm is now the identity plus its bias; measure what each convolution outputs on real crops.
    stats = {}
    hooks = [norm.register_forward_hook(lambda m, inp, out, key=i: stats.__setitem__(key, inp[0].detach()))
             for i, (_, norm) in enumerate(pairs)]
    was = model.training
    model.eval()
    with torch.no_grad():
        model(calibration)
    for h in hooks:
        h.remove()
    with torch.no_grad():
        for i, (_, norm) in enumerate(pairs):
            x = stats[i]
            mean, var = x.mean((0, 2, 3)), x.var((0, 2, 3), unbiased=False)
            norm.running_mean.copy_(mean)
            norm.running_var.copy_(var)
            norm.weight.copy_(torch.sqrt(var + norm.eps))
            norm.bias.copy_(mean + biases[i])
    model.train(was)


def max_difference(model: ORN, onnx_path, inputs: np.ndarray) -> float:
    """Largest |onnxruntime - model (eval)| over the outputs the file has, on `inputs` (B, 3, S, S) float32."""
    import onnxruntime as ort
    session = ort.InferenceSession(str(onnx_path), providers=["CPUExecutionProvider"])
    names = [o.name for o in session.get_outputs()]
    model.eval()
    worst = 0.0
    with torch.no_grad():
        for x in inputs:
            ours = dict(zip(ORN.OUTPUTS, (o.numpy() for o in model(torch.from_numpy(x[None])))))
            theirs = session.run(names, {session.get_inputs()[0].name: x[None]})
            worst = max(worst, max(float(np.abs(ours[n] - t).max()) for n, t in zip(names, theirs)))
    return worst


def checkpoint_from_onnx(onnx_path, sidecar_path, out_path) -> None:
    """A training checkpoint (model weights and meta, no optimizer) holding an exported model, so that validation
    and evaluation score a shipped model whose checkpoint is gone through the same code as a new one. The meta says
    which landmark definition it was trained with (models before the calibration: ICT's own vertices). The landmark
    definition the sidecar carries is written beside the checkpoint (CKPT.landmarks68.npz, named after it so that it
    overwrites no run's calibrated `landmarks68.npz` nor another checkpoint's) and named in its config, so
    the checkpoint reads out as the shipped model does even where the run's own definition file is gone."""
    import copy
    import json
    from pathlib import Path
    from .model import ModelConfig
    sidecar = json.load(open(sidecar_path))
    training = copy.deepcopy(sidecar["training"])
    Path(out_path).parent.mkdir(parents=True, exist_ok=True)
    if "landmark_definition" in sidecar:
        definition = Path(out_path).resolve().with_suffix(".landmarks68.npz")
        facemodel.save_landmark_definition(definition, sidecar["landmark_definition"]["vertices"],
                                           sidecar["landmark_definition"]["weights"])
        training["config"]["landmark_definition"] = os.path.relpath(definition, paths.TRAINING)
    model = ORN(ModelConfig(**training["config"]["model"]))
    size = training["config"]["model"]["input"]
    load_onnx(model, onnx_path, torch.from_numpy(np.random.default_rng(0).uniform(-1, 1, (8, 3, size, size))
                                                 .astype(np.float32)))
    landmarks = "calibrated" if "calibrated" in sidecar.get("landmarks68", "") else "ict"
    meta = dict(config=training["config"], data_hash=sidecar.get("data_hash"), landmarks=landmarks,
                params=training.get("params"), macs=training.get("macs"), train_images=training.get("train_images"),
                source=str(onnx_path))
    torch.save(dict(model=model.state_dict(), state=dict(step=training.get("steps", 0), elapsed=0.0), meta=meta),
               out_path)


def main(argv=None) -> int:
    """python -m orn.warm_start ../models/orn.onnx runs/shipped/ckpt.pt: the exported model as a checkpoint."""
    import argparse
    from pathlib import Path
    ap = argparse.ArgumentParser(description=main.__doc__)
    ap.add_argument("onnx")
    ap.add_argument("out")
    args = ap.parse_args(argv)
    checkpoint_from_onnx(args.onnx, Path(args.onnx).with_suffix(".json"), args.out)
    model, _ = __import__("orn.export", fromlist=["load_model"]).load_model(args.out)
    x = np.random.default_rng(1).uniform(-1, 1, (3, 3, model.cfg.input, model.cfg.input)).astype(np.float32)
    print(f"{args.out}: max |onnxruntime - checkpoint| {max_difference(model, args.onnx, x):.2e}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
