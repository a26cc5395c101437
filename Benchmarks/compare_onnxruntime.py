#!/usr/bin/env python3
"""Times the same ONNX files in InferenceCore and in onnxruntime, batch 1, at each kernel level and on 1 and 2 threads.

Usage:
  swift build -c release --product occlumesh
  Benchmarks/compare_onnxruntime.py [--ours ".build/release/occlumesh model bench"] [--runs 200] [MODEL.onnx ...]

With no models it times networks InferenceCore was not tuned on, written now by Benchmarks/make_benchmark_networks.py
(random weights, fixed seeds, into a temporary folder: MobileNetV1 x0.5/x1.0 at 120/224, MobileNetV2 and
V3-small at 128/224, a ResNet-18-style net at 112, a BlazeFace-style detector), then the two shipped models
(models/face_detection_short_range.onnx, models/orn.onnx). Every kernel level this CPU runs is timed on the same
binary (OCCLUMESH_ISA=avx2, =avx512); a level it lacks gets a "skipped" line. Runs alternate between the two
runtimes in rounds (ours, then onnxruntime, then ours ...) so load changes hit both alike; each side gets `--runs`
timed runs in total after a warm-up. Prints one line per model, level and thread count:
  model=NAME level=L threads=T ours_ms=X ort_ms=Y ratio=X/Y mflop=F ours_gflops=G ort_gflops=H
(GFLOP/s = 2 x multiply-accumulates of the model, counted by InferenceCore's plan / median). onnxruntime runs with
its default graph optimisations (what a user would get), intra-op threads = T; its MLAS kernels pick their own
instruction set from the CPU (no switch in 1.20), so on a CPU without AVX-512 both sides run AVX2 code.
"""
import argparse
import json
import os
import shlex
import statistics
import subprocess
import sys
import tempfile
import time

import numpy as np
import onnxruntime as ort

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SHIPPED_MODELS = [os.path.join(ROOT, "models", name) for name in ("face_detection_short_range.onnx", "orn.onnx")]
# The Linux /proc/cpuinfo flags each kernel level needs (ProcessorSupport.KernelLevel.requiredFeatures).
LEVELS = {
    "avx2": ["avx", "avx2", "fma", "bmi1", "bmi2", "f16c", "movbe", "abm"],
    "avx512": ["avx", "avx2", "fma", "bmi1", "bmi2", "f16c", "movbe", "abm",
               "avx512f", "avx512dq", "avx512cd", "avx512bw", "avx512vl"],
}


def cpu_flags():
    with open("/proc/cpuinfo") as cpuinfo:
        for line in cpuinfo:
            if line.startswith("flags"):
                return set(line.split(":", 1)[1].split())
    return set()


def ours(command, model, level, threads, runs):
    """Runs our bench command once at `level`; returns (per-run times in ms, multiply-accumulates)."""
    argv = shlex.split(command) + [model, "--threads", str(threads), "--runs", str(runs), "--warmup", "10",
                                   "--json", "--raw-times"]
    environment = dict(os.environ, OCCLUMESH_ISA=level)
    lines = subprocess.run(argv, check=True, capture_output=True, text=True, env=environment).stdout.strip().splitlines()
    summary = json.loads(lines[-1])
    assert summary["kernels"] == level, summary
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
    parser.add_argument("models", nargs="*")
    parser.add_argument("--ours", default=os.path.join(ROOT, ".build/release/occlumesh") + " model bench")
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--threads", default="1,2", help="comma-separated thread counts")
    parser.add_argument("--levels", default="avx2,avx512", help="comma-separated kernel levels")
    args = parser.parse_args()
    per_round = max(1, args.runs // args.rounds)
    flags = cpu_flags()
    with tempfile.TemporaryDirectory() as scratch:
        models = args.models
        if not models:
            sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
            import make_benchmark_networks
            models = make_benchmark_networks.write_all(scratch) + SHIPPED_MODELS
        load = os.getloadavg()
        print(f"# {os.cpu_count()} CPUs, load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} at start; "
              f"onnxruntime {ort.__version__}; {args.runs} runs per side in {args.rounds} alternating rounds", flush=True)
        for model in models:
            name = os.path.splitext(os.path.basename(model))[0]
            for level in args.levels.split(","):
                missing = [flag for flag in LEVELS[level] if flag not in flags]
                if missing:
                    print(f"model={name} level={level} skipped: this CPU lacks {' '.join(missing)}", flush=True)
                    continue
                for threads in [int(count) for count in args.threads.split(",")]:
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
                        times, macs = ours(args.ours, model, level, threads, per_round)
                        our_times += times
                        their_times += onnxruntime_times(session, feeds, per_round)
                    ours_ms, ort_ms = statistics.median(our_times), statistics.median(their_times)
                    print(f"model={name} level={level} threads={threads} ours_ms={ours_ms:.3f} ort_ms={ort_ms:.3f} "
                          f"ratio={ours_ms / ort_ms:.2f} mflop={2 * macs / 1e6:.1f} ours_gflops={2 * macs / ours_ms / 1e6:.1f} "
                          f"ort_gflops={2 * macs / ort_ms / 1e6:.1f}", flush=True)
        load = os.getloadavg()
        print(f"# load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} at the end", flush=True)


if __name__ == "__main__":
    main()
