#!/usr/bin/env python3
"""Writes a models folder whose regressor has diverged: the shipped orn.onnx with one output multiplied by a value
(nan, inf, 1e30 ...), its sidecar's onnx_sha256 updated, every other model file linked from the real folder.

    python diverged_regressor.py MODELS_DIR OUT_DIR OUTPUT_NAME VALUE
"""
import hashlib
import json
import sys
from pathlib import Path

import numpy as np
import onnx
from onnx import helper, numpy_helper


def main():
    models, out, name, value = Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3], float(sys.argv[4])
    out.mkdir(parents=True, exist_ok=True)
    for path in models.iterdir():
        if path.name not in ("orn.onnx", "orn.json") and not (out / path.name).exists():
            (out / path.name).symlink_to(path.resolve())
    model = onnx.load(str(models / "orn.onnx"))
    graph = model.graph
    assert name in [output.name for output in graph.output], name
    for node in graph.node:
        node.output[:] = [f"{name}_raw" if output == name else output for output in node.output]
    graph.initializer.append(numpy_helper.from_array(np.array([value], np.float32), f"{name}_factor"))
    graph.node.append(helper.make_node("Mul", [f"{name}_raw", f"{name}_factor"], [name]))
    onnx.save(model, str(out / "orn.onnx"))
    sidecar = json.loads((models / "orn.json").read_text())
    sidecar["onnx_sha256"] = hashlib.sha256((out / "orn.onnx").read_bytes()).hexdigest()
    (out / "orn.json").write_text(json.dumps(sidecar))


if __name__ == "__main__":
    main()
