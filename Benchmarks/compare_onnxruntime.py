#!/usr/bin/env python3
"""Times the same ONNX files in InferenceCore and in onnxruntime, batch 1, on 1 and 2 threads.

Usage:
  swift build -c release --product occlumesh
  Benchmarks/compare_onnxruntime.py [--ours ".build/release/occlumesh model bench"] [--runs 200] MODEL.onnx ...

With no models it uses the MobileNetV2-0.5 (128x128) and BlazeFace-shaped fixtures. Runs alternate between
the two runtimes in rounds (ours, then onnxruntime, then ours ...) so load changes hit both alike; each side
gets `--runs` timed runs in total after a warm-up. Prints one line per model and thread count:
  model=NAME threads=T ours_ms=X ort_ms=Y ratio=X/Y
followed by a comment line with the GFLOP/s each reaches (2 x multiply-accumulates of the model / median).
onnxruntime runs with its default graph optimisations (what a user would get), intra-op threads = T.
"""
import argparse
import json
import os
import shlex
import statistics
import subprocess
import time

import numpy as np
import onnxruntime as ort

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEFAULT_MODELS = [os.path.join(ROOT, "Tests/InferenceCoreTests/Fixtures", f"{name}.onnx")
                  for name in ("mobilenetv2_050_128", "blazeface_128")]


def ours(command, model, threads, runs):
    """Runs our bench command once; returns (per-run times in ms, multiply-accumulates)."""
    argv = shlex.split(command) + [model, "--threads", str(threads), "--runs", str(runs), "--warmup", "10",
                                   "--json", "--raw-times"]
    lines = subprocess.run(argv, check=True, capture_output=True, text=True).stdout.strip().splitlines()
    summary = json.loads(lines[-1])
    return [float(line) for line in lines[:-1]], summary["macs"]


def onnxruntime_times(session, feeds, runs):
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        session.run(None, feeds)
        times.append((time.perf_counter() - start) * 1e3)
    return times


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("models", nargs="*", default=DEFAULT_MODELS)
    parser.add_argument("--ours", default=os.path.join(ROOT, ".build/release/occlumesh") + " model bench")
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=4)
    args = parser.parse_args()
    per_round = max(1, args.runs // args.rounds)
    for model in args.models:
        name = os.path.splitext(os.path.basename(model))[0]
        for threads in (1, 2):
            options = ort.SessionOptions()
            options.intra_op_num_threads = threads
            options.inter_op_num_threads = 1
            session = ort.InferenceSession(model, options, providers=["CPUExecutionProvider"])
            rng = np.random.default_rng(42)
            feeds = {value.name: rng.uniform(-1, 1, [d if isinstance(d, int) else 1 for d in value.shape]).astype(np.float32)
                     for value in session.get_inputs()}
            onnxruntime_times(session, feeds, 20)   # warm-up
            our_times, their_times, macs = [], [], 0
            for _ in range(args.rounds):
                times, macs = ours(args.ours, model, threads, per_round)
                our_times += times
                their_times += onnxruntime_times(session, feeds, per_round)
            ours_ms, ort_ms = statistics.median(our_times), statistics.median(their_times)
            print(f"model={name} threads={threads} ours_ms={ours_ms:.3f} ort_ms={ort_ms:.3f} ratio={ours_ms / ort_ms:.2f}")
            print(f"# {name} threads={threads}: {2 * macs / 1e6:.1f} MFLOP per run, ours {2 * macs / ours_ms / 1e6:.1f} GFLOP/s,"
                  f" onnxruntime {2 * macs / ort_ms / 1e6:.1f} GFLOP/s, runs={len(our_times)} each", flush=True)


if __name__ == "__main__":
    main()
