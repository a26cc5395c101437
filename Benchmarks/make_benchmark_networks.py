#!/usr/bin/env python3
"""Writes the networks Benchmarks/compare_onnxruntime.py times but InferenceCore was never tuned on.

Usage: Benchmarks/make_benchmark_networks.py OUTPUT_DIR   (prints the paths it wrote, one a line)

Random weights from a fixed seed per network (so every run times the same files), batch 1, written at benchmark
time and never committed: MobileNetV1 x0.5 and x1.0 at 120 and 224, MobileNetV2 x1.0 and MobileNetV3-small at 128
and 224, a ResNet-18-style net at 112 and a BlazeFace-style detector at 128. The layers follow the published
architectures (channel counts, strides, squeeze-excitation, hard-swish); BatchNorm is left out because exporters
fold it into the convolutions before a runtime sees it.
"""
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper


sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), os.pardir, "tools"))
from make_inference_fixtures import Builder as GraphBuilder  # noqa: E402  (the graph builder of the golden fixtures)


class Builder(GraphBuilder):
    """The fixtures' graph builder with a seeded generator for random weights, and the layers of these networks."""

    def __init__(self, seed, opset=14):
        super().__init__(opset)
        self.rng = np.random.default_rng(seed)

    def conv(self, x, cin, cout, k, stride=1, group=1, pads=None):
        fan = cin // group * k * k
        w = (self.rng.standard_normal((cout, cin // group, k, k)) * np.sqrt(2.0 / fan)).astype(np.float32)
        b = (self.rng.standard_normal(cout) * 0.1).astype(np.float32)
        pads = [(k - 1) // 2] * 4 if pads is None else pads
        return self.op("Conv", [x, self.const(w, "w"), self.const(b, "b")], kernel_shape=[k, k], strides=[stride, stride],
                       pads=pads, group=group)

    def act(self, x, kind):
        if kind == "relu":
            return self.op("Relu", [x])
        if kind == "relu6":
            return self.op("Clip", [x, self.const(np.array(0, np.float32)), self.const(np.array(6, np.float32))])
        if kind == "hswish":
            return self.op("HardSwish", [x])
        return x

    def classifier(self, x, channels, classes):
        x = self.op("Flatten", [self.op("GlobalAveragePool", [x])])
        w = (self.rng.standard_normal((classes, channels)) * np.sqrt(1.0 / channels)).astype(np.float32)
        return self.op("Gemm", [x, self.const(w, "fc"), self.const(np.zeros(classes, np.float32), "fcb")], transB=1)

    def model(self, resolution, outputs):
        graph = helper.make_graph(
            self.nodes, "g", [helper.make_tensor_value_info("input", TensorProto.FLOAT, [1, 3, resolution, resolution])],
            [helper.make_tensor_value_info(name, TensorProto.FLOAT, None) for name in outputs], initializer=self.inits)
        model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", self.opset)])
        model.ir_version = 8
        return onnx.shape_inference.infer_shapes(model)


def divisible(value, divisor=8):
    new = max(divisor, int(value + divisor / 2) // divisor * divisor)
    return new + divisor if new < 0.9 * value else new


def mobilenet_v1(width, resolution, classes=1000):
    b = Builder(seed=101)
    c = int(32 * width)
    x = b.act(b.conv("input", 3, c, 3, stride=2), "relu")
    for channels, stride in [(64, 1), (128, 2), (128, 1), (256, 2), (256, 1), (512, 2)] + [(512, 1)] * 5 + [(1024, 2), (1024, 1)]:
        out = int(channels * width)
        x = b.act(b.conv(x, c, c, 3, stride=stride, group=c), "relu")
        x = b.act(b.conv(x, c, out, 1), "relu")
        c = out
    return b.model(resolution, [b.classifier(x, c, classes)])


def mobilenet_v2(resolution, width=1.0, classes=1000):
    b = Builder(seed=102)
    c = divisible(32 * width)
    x = b.act(b.conv("input", 3, c, 3, stride=2), "relu6")
    for t, channels, n, s in [(1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 4, 2), (6, 96, 3, 1), (6, 160, 3, 2),
                              (6, 320, 1, 1)]:
        out = divisible(channels * width)
        for i in range(n):
            stride = s if i == 0 else 1
            hidden = c * t
            y = x if t == 1 else b.act(b.conv(x, c, hidden, 1), "relu6")
            y = b.act(b.conv(y, hidden, hidden, 3, stride=stride, group=hidden), "relu6")
            y = b.conv(y, hidden, out, 1)
            x = b.op("Add", [x, y]) if stride == 1 and c == out else y
            c = out
    x = b.act(b.conv(x, c, 1280, 1), "relu6")
    return b.model(resolution, [b.classifier(x, 1280, classes)])


def mobilenet_v3_small(resolution, classes=1000):
    b = Builder(seed=103)

    def squeeze_excite(x, channels):
        squeezed = divisible(channels / 4)
        y = b.op("GlobalAveragePool", [x])
        y = b.act(b.conv(y, channels, squeezed, 1), "relu")
        y = b.op("HardSigmoid", [b.conv(y, squeezed, channels, 1)], alpha=1 / 6, beta=0.5)
        return b.op("Mul", [x, y])

    x = b.act(b.conv("input", 3, 16, 3, stride=2), "hswish")
    c = 16
    # kernel, expanded, out, squeeze-excite, activation, stride (Howard et al. 2019, table 2)
    for k, expanded, out, se, activation, stride in [
            (3, 16, 16, True, "relu", 2), (3, 72, 24, False, "relu", 2), (3, 88, 24, False, "relu", 1),
            (5, 96, 40, True, "hswish", 2), (5, 240, 40, True, "hswish", 1), (5, 240, 40, True, "hswish", 1),
            (5, 120, 48, True, "hswish", 1), (5, 144, 48, True, "hswish", 1), (5, 288, 96, True, "hswish", 2),
            (5, 576, 96, True, "hswish", 1), (5, 576, 96, True, "hswish", 1)]:
        y = x if expanded == c else b.act(b.conv(x, c, expanded, 1), activation)
        y = b.act(b.conv(y, expanded, expanded, k, stride=stride, group=expanded), activation)
        if se:
            y = squeeze_excite(y, expanded)
        y = b.conv(y, expanded, out, 1)
        x = b.op("Add", [x, y]) if stride == 1 and c == out else y
        c = out
    x = b.act(b.conv(x, c, 576, 1), "hswish")
    x = b.op("GlobalAveragePool", [x])
    x = b.act(b.conv(x, 576, 1024, 1), "hswish")
    x = b.conv(x, 1024, classes, 1)
    return b.model(resolution, [b.op("Flatten", [x])])


def resnet18(resolution=112, classes=1000):
    b = Builder(seed=104)
    x = b.act(b.conv("input", 3, 64, 7, stride=2), "relu")
    x = b.op("MaxPool", [x], kernel_shape=[3, 3], strides=[2, 2], pads=[1, 1, 1, 1])
    c = 64
    for channels, stride in [(64, 1), (128, 2), (256, 2), (512, 2)]:
        for block in range(2):
            s = stride if block == 0 else 1
            y = b.act(b.conv(x, c, channels, 3, stride=s), "relu")
            y = b.conv(y, channels, channels, 3)
            shortcut = x if s == 1 and c == channels else b.conv(x, c, channels, 1, stride=s, pads=[0, 0, 0, 0])
            x = b.act(b.op("Add", [y, shortcut]), "relu")
            c = channels
    return b.model(resolution, [b.classifier(x, c, classes)])


def blazeface(resolution=128):
    """The BlazeFace front model's structure (MediaPipe's short-range detector) with random weights."""
    b = Builder(seed=105, opset=13)

    def block(x, cin, cout, stride):
        y = x
        if stride == 2:
            y = b.op("Pad", [y, b.const(np.array([0, 0, 0, 0, 0, 0, 2, 2], np.int64))], mode="constant")
            y = b.conv(y, cin, cin, 3, stride=2, group=cin, pads=[0, 0, 0, 0])
            x = b.op("MaxPool", [x], kernel_shape=[2, 2], strides=[2, 2])
        else:
            y = b.conv(y, cin, cin, 3, group=cin)
        y = b.conv(y, cin, cout, 1)
        if cout > cin:
            x = b.op("Pad", [x, b.const(np.array([0, 0, 0, 0, 0, cout - cin, 0, 0], np.int64))], mode="constant")
        return b.op("Relu", [b.op("Add", [y, x])])

    x = b.op("Pad", ["input", b.const(np.array([0, 0, 1, 1, 0, 0, 2, 2], np.int64))], mode="constant")
    x = b.act(b.conv(x, 3, 24, 5, stride=2, pads=[0, 0, 0, 0]), "relu")
    for cin, cout, s in [(24, 24, 1), (24, 28, 1), (28, 32, 2), (32, 36, 1), (36, 42, 1), (42, 48, 2), (48, 56, 1),
                         (56, 64, 1), (64, 72, 1), (72, 80, 1), (80, 88, 1)]:
        x = block(x, cin, cout, s)
    x16 = x
    for cin, cout, s in [(88, 96, 2), (96, 96, 1), (96, 96, 1), (96, 96, 1), (96, 96, 1)]:
        x = block(x, cin, cout, s)

    def head(feature, cin, anchors, values):
        y = b.op("Transpose", [b.conv(feature, cin, anchors * values, 1)], perm=[0, 2, 3, 1])
        return b.op("Reshape", [y, b.const(np.array([1, -1, values], np.int64))])

    scores = b.op("Concat", [head(x16, 88, 2, 1), head(x, 96, 6, 1)], axis=1)
    boxes = b.op("Concat", [head(x16, 88, 2, 16), head(x, 96, 6, 16)], axis=1)
    return b.model(resolution, [b.op("Sigmoid", [scores]), boxes])


NETWORKS = {
    "mobilenetv1_050_120": lambda: mobilenet_v1(0.5, 120),
    "mobilenetv1_050_224": lambda: mobilenet_v1(0.5, 224),
    "mobilenetv1_100_120": lambda: mobilenet_v1(1.0, 120),
    "mobilenetv1_100_224": lambda: mobilenet_v1(1.0, 224),
    "mobilenetv2_100_128": lambda: mobilenet_v2(128),
    "mobilenetv2_100_224": lambda: mobilenet_v2(224),
    "mobilenetv3_small_128": lambda: mobilenet_v3_small(128),
    "mobilenetv3_small_224": lambda: mobilenet_v3_small(224),
    "resnet18_112": lambda: resnet18(112),
    "blazeface_style_128": lambda: blazeface(128),
}


def write_all(directory):
    """Writes every network into `directory`; returns the paths in NETWORKS order."""
    os.makedirs(directory, exist_ok=True)
    paths = []
    for name, make in NETWORKS.items():
        path = os.path.join(directory, f"{name}.onnx")
        model = make()
        onnx.checker.check_model(model)
        onnx.save(model, path)
        paths.append(path)
    return paths


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    for written in write_all(sys.argv[1]):
        print(written)
