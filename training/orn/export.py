"""Export a trained checkpoint to ONNX (opset 13) and write the sidecar the daemon reads.

    python -m orn.export runs/student/ckpt.pt [--onnx ../models/orn.onnx] [--json ../models/orn.json]

The graph is the eval-mode network (BatchNorm folded into the convolutions) with a static 1x3xSxS input; the sidecar
says how to build that input and read the outputs. `check()` compares onnxruntime with PyTorch and lists the ops,
which must all be in ALLOWED_OPS (what InferenceCore implements).
"""
import argparse
import hashlib
import json
from pathlib import Path

import numpy as np
import torch

from . import data, facemodel, occlusion, paths
from .model import ORN, ModelConfig

OPSET = 13
ALLOWED_OPS = {"Conv", "BatchNormalization", "Relu", "Clip", "PRelu", "LeakyRelu", "Sigmoid", "HardSigmoid",
               "HardSwish", "Add", "Mul", "Sub", "Div", "Concat", "MaxPool", "AveragePool", "GlobalAveragePool",
               "Gemm", "MatMul", "Flatten", "Reshape", "Transpose", "Pad", "Resize", "Slice", "Split", "Squeeze",
               "Unsqueeze", "Softmax"}


def load_model(ckpt_path):
    c = torch.load(ckpt_path, map_location="cpu")
    cfg = c["meta"]["config"]
    model = ORN(ModelConfig(**cfg["model"]))
    model.load_state_dict(c["model"])
    return model.eval(), c


def sidecar(c: dict, onnx_file: Path) -> dict:
    meta, cfg = c["meta"], c["meta"]["config"]
    S, K = cfg["model"]["input"], cfg["model"]["K"]
    names = facemodel.load(1).expression_names
    sizes = [("identity", K), ("expression", 53), ("rotation6d", 6), ("translation_scale", 3), ("visibility", 68), ("face", 1)]
    return {
        "format": "occlumesh-orn/1",
        "onnx": onnx_file.name,
        "onnx_sha256": hashlib.sha256(onnx_file.read_bytes()).hexdigest(),
        "opset": OPSET,
        "input": {"name": "image", "shape": [1, 3, S, S], "layout": "NCHW", "colour": "RGB", "dtype": "float32",
                  "normalisation": {"scale": 1 / 255, "mean": [data.MEAN] * 3, "std": [data.STD] * 3,
                                    "formula": "(pixel / 255 - mean) / std"}},
        "crop": {"convention": "square box around the face, framed like the AFLW training crops (3DDFA-style "
                               "roi box); the face's 68-landmark box spans about 60-70% of the side; resized to "
                               f"{S}x{S} with bilinear sampling at pixel centres", "size": S,
                 # Machine-readable framing for the daemon's cropper (FaceTracking.CropConvention): side =
                 # side_scale x the larger side of the reference box, centre = box centre + centre_shift x that
                 # side. Landmarks: AFLW/3DDFA roi boxes are sqrt(2) x the 68-landmark box, centred (median
                 # 1.4141 on AFLW2000-3D's crop_roi_box). Detection: the training crops' side and centre against the
                 # shipped detector's blended boxes on training faces (`python -m orn.detector framing`, medians).
                 "framing": {"landmarks": {"side_scale": 2 ** 0.5, "centre_shift": [0.0, 0.0]},
                             "detection": {"side_scale": 1.4155, "centre_shift": [0.0, 0.0355]}}},
        "outputs": [{"name": n, "shape": [1, m]} for n, m in sizes],
        "output_semantics": {
            "identity": "ICT-FaceKit identity coefficients alpha (modes scaled by their standard deviation)",
            "expression": "ICT/ARKit blendshape weights in [0,1], order = expression_names",
            "rotation6d": "first two columns (a, b) of R, unnormalised; R = [r1, r2, r1 x r2] with r1 = a/|a|, "
                          "r2 = normalised (b - (r1.b) r1)",
            "translation_scale": "tx, ty in crop fractions (x right, y down) and scale in crop fractions per cm",
            "projection": "pixel = S * (scale * (Rv)_x + tx, -scale * (Rv)_y + ty) for ICT vertex v in cm "
                          "(+y up, +z out of the face)",
            "visibility": "probability that each of the 68 landmarks is visible (not occluded, inside the crop)",
            "face": "probability that the crop holds a face (occluded or turned faces too) rather than background"},
        "identity_modes": K,
        "expression_names": names,
        "face_model": "ICT-FaceKit Light (face-model/ict-face-light.npz): neutral + identity_basis[:K] . alpha + "
                      "expression_basis . beta",
        "landmarks68": ("calibrated to the 3DDFA_V2 / AFLW2000-3D keypoints (training/assets/landmarks68_ict.npz): "
                        "landmark j = sum_i weights[j][i] * vertex vertices[j][i]"
                        if meta.get("landmarks") == "calibrated" else "ICT vertex indices landmarks68 of the face model"),
        **({"landmark_definition": {key: value.tolist() for key, value in facemodel.landmark_definition(
            facemodel.readout_definition(cfg)).items()}} if meta.get("landmarks") == "calibrated" else {}),
        "occlusion_families_trained": list(occlusion.TRAIN_FAMILIES) if cfg["mode"] == "student" else [],
        "occlusion_families_held_out": list(occlusion.HELD_OUT_FAMILIES),
        "training": {"config": cfg, "steps": c["state"]["step"], "minutes": round(c["state"]["elapsed"] / 60, 1),
                     "params": meta["params"], "macs": meta["macs"], "train_images": meta["train_images"]},
        "data_hash": meta["data_hash"],
    }


def export(ckpt_path, onnx_path=None, json_path=None):
    onnx_path = Path(onnx_path or paths.MODELS / "orn.onnx")
    json_path = Path(json_path or onnx_path.with_suffix(".json"))
    onnx_path.parent.mkdir(parents=True, exist_ok=True)
    model, c = load_model(ckpt_path)
    S = c["meta"]["config"]["model"]["input"]
    torch.onnx.export(model, torch.zeros(1, 3, S, S), str(onnx_path), opset_version=OPSET, input_names=["image"],
                      output_names=list(ORN.OUTPUTS), do_constant_folding=True)
    constants_to_initializers(onnx_path)
    json.dump(sidecar(c, onnx_path), open(json_path, "w"), indent=1)
    return onnx_path, json_path


def constants_to_initializers(onnx_path) -> None:
    """Turn Constant nodes (Clip bounds, Split sizes) into graph initializers and bypass Identity nodes:
    InferenceCore implements neither op."""
    import onnx
    from onnx import numpy_helper
    m = onnx.load(str(onnx_path))
    g = m.graph
    keep = []
    for node in g.node:
        if node.op_type == "Constant":
            value = next(a for a in node.attribute if a.name == "value")
            g.initializer.append(numpy_helper.from_array(numpy_helper.to_array(value.t), node.output[0]))
        else:
            keep.append(node)
    graph_outputs = {o.name for o in g.output}
    final = []
    for node in keep:
        if node.op_type != "Identity":
            final.append(node)
            continue
        src, dst = node.input[0], node.output[0]
        if dst in graph_outputs:  # the producer of src writes the graph output directly
            for other in keep:
                for i, name in enumerate(other.output):
                    if name == src:
                        other.output[i] = dst
            old, new = src, dst
        else:
            old, new = dst, src
        for other in keep:
            for i, name in enumerate(other.input):
                if name == old:
                    other.input[i] = new
    del g.node[:]
    g.node.extend(final)
    onnx.checker.check_model(m)
    onnx.save(m, str(onnx_path))


def check(onnx_path, ckpt_path, n: int = 4, seed: int = 0) -> dict:
    """Max |onnxruntime - PyTorch| over all outputs on n random inputs, and the set of ops in the graph."""
    import onnx
    import onnxruntime as ort
    model, c = load_model(ckpt_path)
    S = c["meta"]["config"]["model"]["input"]
    sess = ort.InferenceSession(str(onnx_path), providers=["CPUExecutionProvider"])
    rng = np.random.default_rng(seed)
    worst = 0.0
    for _ in range(n):
        x = rng.uniform(-1, 1, (1, 3, S, S)).astype(np.float32)
        with torch.no_grad():
            ref = [o.numpy() for o in model(torch.from_numpy(x))]
        got = sess.run(list(ORN.OUTPUTS), {"image": x})
        worst = max(worst, max(float(np.abs(a - b).max()) for a, b in zip(ref, got)))
    ops = sorted({node.op_type for node in onnx.load(str(onnx_path)).graph.node})
    return dict(max_abs_diff=worst, ops=ops)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("checkpoint")
    ap.add_argument("--onnx", default=None)
    ap.add_argument("--json", default=None)
    args = ap.parse_args(argv)
    onnx_path, json_path = export(args.checkpoint, args.onnx, args.json)
    report = check(onnx_path, args.checkpoint)
    print(json.dumps(dict(onnx=str(onnx_path), json=str(json_path), **report)))
    bad = set(report["ops"]) - ALLOWED_OPS
    if bad:
        raise SystemExit(f"ops outside InferenceCore's set: {sorted(bad)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
