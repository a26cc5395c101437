#!/usr/bin/env python3
"""onnxruntime's time per node of one ONNX model, to set beside `occlumesh model bench MODEL --profile`.

Usage:
  Benchmarks/profile_onnxruntime.py MODEL.onnx [--threads 1] [--runs 100]

Runs the model `--runs` times with onnxruntime's profiler on (after a warm-up that is not profiled), then prints
one line per node, slowest first: median kernel time in ms, share of the sum, operator, node name and output shape.
onnxruntime fuses nodes (Conv + Relu, Conv + Add) before it runs them, so its node list is shorter than the
model's; the node names say which original nodes a fused one holds.
"""
import argparse
import collections
import json
import os
import statistics
import tempfile

import numpy as np
import onnxruntime as ort


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("model")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--runs", type=int, default=100)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        options = ort.SessionOptions()
        options.intra_op_num_threads = args.threads
        options.inter_op_num_threads = 1
        warm = ort.InferenceSession(args.model, options, providers=["CPUExecutionProvider"])
        rng = np.random.default_rng(42)
        feeds = {value.name: rng.uniform(-1, 1, [d if isinstance(d, int) else 1 for d in value.shape]).astype(np.float32)
                 for value in warm.get_inputs()}
        for _ in range(20):
            warm.run(None, feeds)
        options.enable_profiling = True
        options.profile_file_prefix = os.path.join(scratch, "profile")
        session = ort.InferenceSession(args.model, options, providers=["CPUExecutionProvider"])
        for _ in range(20):
            session.run(None, feeds)
        session.run(None, feeds)
        for _ in range(args.runs):
            session.run(None, feeds)
        with open(session.end_profiling()) as handle:
            events = json.load(handle)
    durations = collections.defaultdict(list)
    details = {}
    for event in events:
        if event.get("cat") != "Node" or not event["name"].endswith("_kernel_time"):
            continue
        node = event["name"][: -len("_kernel_time")]
        durations[node].append(event["dur"] / 1e3)
        arguments = event.get("args", {})
        shapes = [list(shape.values())[0] for shape in arguments.get("output_type_shape", []) if shape]
        details[node] = (arguments.get("op_name", "?"), shapes[0] if shapes else [])
    # Keep the last `runs` runs of each node: the first ones are the profiled warm-up.
    medians = {node: statistics.median(times[-args.runs:]) for node, times in durations.items()}
    total = sum(medians.values())
    print(f"{len(medians)} nodes, sum of medians {total:.3f} ms (onnxruntime {ort.__version__}, {args.threads} thread(s))")
    for node, median in sorted(medians.items(), key=lambda item: -item[1]):
        operator, shape = details[node]
        print(f"{median:9.4f} ms {100 * median / total:5.1f}%  {operator:<24} {node}  {shape}")


if __name__ == "__main__":
    main()
