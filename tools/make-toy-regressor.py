#!/usr/bin/env python3
"""Writes two tiny ORN-shaped ONNX models with their orn.json sidecars, and onnxruntime's outputs on a crop made by
code, for the Swift FaceRegression tests of the output layout (five outputs, and five followed by `face`).

    training/.venv/bin/python tools/make-toy-regressor.py [Tests/FaceRegressionTests/Fixtures]

Each model: 8x8 RGB input -> GlobalAveragePool -> Flatten -> one Gemm per output (fixed pseudo-random weights);
visibility and face end in a Sigmoid, as the exported student's do. Identity has 4 modes and there are 2
expressions, so the files stay a few kilobytes. Writes toy-orn5.{onnx,json}, toy-orn6.{onnx,json} and
toy-orn-reference.json ({"toy-orn5": {output: values}, "toy-orn6": {...}}); the crop is
tools/make-regressor-fixture.py's crop_pattern(8). Also toy-orn-face.{onnx,json}: toy-orn6 whose face output is
controlled by the crop's colour, sigmoid(3 (mean red - mean blue)) on the normalised crop, so a red crop is a face
(score ~1) and a blue one background (~0), for the tracker's face-confirmation tests; toy-orn-face-left.{onnx,json}
the same with the face output reading the crop's left half only, so a crop and its mirror image score apart. And
toy-orn-diverged-KIND: toy-orn6 with one output replaced by values no face gives (NaN, infinity, absurd identity,
translation or scale), for the tests that such outputs are refused. translation_scale ends in a Sigmoid, so the toy's scale is positive as
a face's is. Rerunning gives the same bytes.
"""
import json
import sys
from pathlib import Path

import numpy as np
import onnx
import onnxruntime
from onnx import TensorProto, helper, numpy_helper

SIDE = 8
IDENTITY, EXPRESSIONS = 4, ["jawOpen", "eyeBlink_L"]
OUTPUTS = [("identity", IDENTITY, False), ("expression", len(EXPRESSIONS), True), ("rotation6d", 6, False),
           ("translation_scale", 3, True), ("visibility", 68, True)]
FACE = ("face", 1, True)
# toy-orn6 with one output diverged: outputs no face gives, which the regressor must refuse (not publish).
DIVERGED = {
    "nan-identity": ("identity", [np.nan]),
    "inf-rotation": ("rotation6d", [np.inf]),
    "huge-identity": ("identity", [1e3]),
    "far-translation": ("translation_scale", [50.0, 0.5, 0.05]),
    "negative-scale": ("translation_scale", [0.5, 0.5, -0.05]),
    "nan-face": ("face", [np.nan]),
}


def crop_pattern(side):
    """The same picture as tools/make-regressor-fixture.py's crop_pattern (and the Swift test's)."""
    rows, columns = np.mgrid[0:side, 0:side]
    return np.stack([(rows * 7 + columns * 3) % 256, (rows * 5 + columns * 11) % 256, (rows * 13 + columns) % 256],
                    axis=-1).astype(np.uint8)


def model(outputs, face_weights=None, constant=None, face_from_left_half=False):
    """`constant` = (output name, values): that output ignores the crop and holds the values (no sigmoid).
    `face_from_left_half`: the face output reads the crop's left half only, so a crop and its mirror image score
    apart (for the tracker's mirrored face score)."""
    rng = np.random.default_rng(12)
    nodes = [helper.make_node("GlobalAveragePool", ["image"], ["pooled"], name="pool"),
             helper.make_node("Flatten", ["pooled"], ["features"], name="flatten", axis=1)]
    initializers, graph_outputs = [], []
    if face_from_left_half:
        initializers += [numpy_helper.from_array(np.array([value], np.int64), name)
                         for name, value in (("left_start", 0), ("left_end", SIDE // 2), ("left_axis", 3))]
        nodes += [helper.make_node("Slice", ["image", "left_start", "left_end", "left_axis"], ["left"], name="left_half"),
                  helper.make_node("GlobalAveragePool", ["left"], ["left_pooled"], name="left_pool"),
                  helper.make_node("Flatten", ["left_pooled"], ["left_features"], name="left_flatten", axis=1)]
    for name, size, sigmoid in outputs:
        weight = rng.uniform(-1, 1, (3, size)).astype(np.float32)
        bias = rng.uniform(-0.5, 0.5, size).astype(np.float32)
        if name == "face" and face_weights is not None:
            weight, bias = np.array(face_weights, np.float32).reshape(3, 1), np.zeros(1, np.float32)
        if constant is not None and name == constant[0]:
            weight, bias, sigmoid = np.zeros((3, size), np.float32), np.resize(np.float32(constant[1]), size), False
        initializers += [numpy_helper.from_array(weight, f"{name}_w"), numpy_helper.from_array(bias, f"{name}_b")]
        linear = f"{name}_linear" if sigmoid else name
        features = "left_features" if face_from_left_half and name == "face" else "features"
        nodes.append(helper.make_node("Gemm", [features, f"{name}_w", f"{name}_b"], [linear], name=f"{name}_gemm"))
        if sigmoid:
            nodes.append(helper.make_node("Sigmoid", [linear], [name], name=f"{name}_sigmoid"))
        graph_outputs.append(helper.make_tensor_value_info(name, TensorProto.FLOAT, [1, size]))
    graph = helper.make_graph(nodes, "toy_orn", [helper.make_tensor_value_info("image", TensorProto.FLOAT, [1, 3, SIDE, SIDE])],
                              graph_outputs, initializers)
    proto = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)], producer_name="make-toy-regressor")
    proto.ir_version = 8
    if constant is None:
        onnx.checker.check_model(proto)
    return proto


def sidecar(onnx_name, outputs):
    return {
        "format": "occlumesh-orn/1",
        "onnx": onnx_name,
        "input": {"name": "image", "shape": [1, 3, SIDE, SIDE], "layout": "NCHW",
                  "normalisation": {"scale": 1 / 255, "mean": [0.5, 0.5, 0.5], "std": [0.25, 0.25, 0.25]}},
        "crop": {"convention": "toy model for the output-layout tests", "size": SIDE,
                 "framing": {"landmarks": {"side_scale": 1.4142, "centre_shift": [0.0, 0.0]},
                             "detection": {"side_scale": 1.0, "centre_shift": [0.0, 0.0]}}},
        "outputs": [{"name": name, "shape": [1, size]} for name, size, _ in outputs],
        "identity_modes": IDENTITY,
        "expression_names": EXPRESSIONS,
    }


def main():
    folder = Path(sys.argv[1] if len(sys.argv) > 1 else "Tests/FaceRegressionTests/Fixtures")
    folder.mkdir(parents=True, exist_ok=True)
    pixels = crop_pattern(SIDE).astype(np.float32)
    planar = ((pixels / np.float32(255) - np.float32(0.5)) / np.float32(0.25)).transpose(2, 0, 1)[None]
    reference = {}
    for stem, outputs in (("toy-orn5", OUTPUTS), ("toy-orn6", OUTPUTS + [FACE])):
        proto = model(outputs)
        (folder / f"{stem}.onnx").write_bytes(proto.SerializeToString())
        (folder / f"{stem}.json").write_text(json.dumps(sidecar(f"{stem}.onnx", outputs), indent=1) + "\n")
        session = onnxruntime.InferenceSession(proto.SerializeToString(), providers=["CPUExecutionProvider"])
        names = [name for name, _, _ in outputs]
        values = session.run(names, {"image": np.ascontiguousarray(planar, np.float32)})
        reference[stem] = {name: [float(v) for v in value.reshape(-1)] for name, value in zip(names, values)}
    (folder / "toy-orn-reference.json").write_text(json.dumps(reference, indent=0) + "\n")
    (folder / "toy-orn-face.onnx").write_bytes(model(OUTPUTS + [FACE], face_weights=[3, 0, -3]).SerializeToString())
    (folder / "toy-orn-face.json").write_text(json.dumps(sidecar("toy-orn-face.onnx", OUTPUTS + [FACE]), indent=1) + "\n")
    (folder / "toy-orn-face-left.onnx").write_bytes(
        model(OUTPUTS + [FACE], face_weights=[3, 0, -3], face_from_left_half=True).SerializeToString())
    (folder / "toy-orn-face-left.json").write_text(
        json.dumps(sidecar("toy-orn-face-left.onnx", OUTPUTS + [FACE]), indent=1) + "\n")
    for kind, constant in DIVERGED.items():
        stem = f"toy-orn-diverged-{kind}"
        (folder / f"{stem}.onnx").write_bytes(model(OUTPUTS + [FACE], constant=constant).SerializeToString())
        (folder / f"{stem}.json").write_text(json.dumps(sidecar(f"{stem}.onnx", OUTPUTS + [FACE]), indent=1) + "\n")
    print(f"wrote {folder}/toy-orn5.*, toy-orn6.*, toy-orn-face.*, toy-orn-face-left.*, toy-orn-diverged-*, "
          "toy-orn-reference.json")


if __name__ == "__main__":
    main()
