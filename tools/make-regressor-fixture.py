#!/usr/bin/env python3
"""Records onnxruntime's outputs of the shipped ORN regressor on a crop made by code, for the Swift
FaceRegression tests to compare against.

    training/.venv/bin/python tools/make-regressor-fixture.py [models/orn.onnx] [Tests/FaceRegressionTests/Fixtures/orn-reference.json]

The crop is the pattern `crop_pattern()` below (the Swift test makes the same one). The fixture keeps the model's
sha256: when the model is re-exported the test says so and this script must be run again.
"""
import hashlib
import json
import sys
from pathlib import Path

import numpy as np
import onnxruntime


def crop_pattern(side: int) -> np.ndarray:
    """side x side x 3 uint8: a deterministic, structured picture (not a face)."""
    rows, columns = np.mgrid[0:side, 0:side]
    return np.stack([(rows * 7 + columns * 3) % 256, (rows * 5 + columns * 11) % 256, (rows * 13 + columns) % 256],
                    axis=-1).astype(np.uint8)


def main() -> None:
    model = Path(sys.argv[1] if len(sys.argv) > 1 else "models/orn.onnx")
    output = Path(sys.argv[2] if len(sys.argv) > 2 else "Tests/FaceRegressionTests/Fixtures/orn-reference.json")
    sidecar = json.loads(model.with_suffix(".json").read_text())
    side = sidecar["crop"]["size"]
    norm = sidecar["input"]["normalisation"]
    pixels = crop_pattern(side).astype(np.float32)
    planar = ((pixels * np.float32(norm["scale"]) - np.array(norm["mean"], np.float32))
              / np.array(norm["std"], np.float32)).transpose(2, 0, 1)[None]
    session = onnxruntime.InferenceSession(str(model), providers=["CPUExecutionProvider"])
    names = [o.name for o in session.get_outputs()]
    values = session.run(names, {sidecar["input"]["name"]: np.ascontiguousarray(planar, np.float32)})
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(json.dumps({
        "model_sha256": hashlib.sha256(model.read_bytes()).hexdigest(),
        "crop": "crop_pattern(side) in tools/make-regressor-fixture.py",
        "outputs": {name: [float(v) for v in value.reshape(-1)] for name, value in zip(names, values)},
    }, indent=0))
    print(f"wrote {output}")


if __name__ == "__main__":
    main()
