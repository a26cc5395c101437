#!/usr/bin/env python3
"""Builds the ONNX models and onnxruntime golden outputs that InferenceCore's tests compare against.

Usage: tools/make_inference_fixtures.py [OUTPUT_DIR]   (default Tests/InferenceCoreTests/Fixtures)
Needs: pip install onnx onnxruntime numpy  (see tools/requirements-inference.txt)

For every case NAME it writes NAME.onnx, NAME.in0.npy ... (fixed seeded inputs) and NAME.out0.npy ...
(onnxruntime's outputs, single-threaded, all graph optimisations off so the reference is the plain
operator semantics). Weights are random but seeded, so re-running reproduces the same files.
"""
import os
import sys

import numpy as np
import onnx
import onnxruntime as ort
from onnx import TensorProto, helper, numpy_helper

rng = np.random.default_rng(20221)


class Builder:
    """Accumulates nodes and initializers for one graph."""

    def __init__(self, opset=13):
        self.nodes, self.inits, self.counter, self.opset = [], [], 0, opset

    def name(self, prefix):
        self.counter += 1
        return f"{prefix}{self.counter}"

    def const(self, array, prefix="c"):
        name = self.name(prefix)
        self.inits.append(numpy_helper.from_array(np.asarray(array), name))
        return name

    def op(self, op_type, inputs, outputs=1, **attrs):
        outs = [self.name(op_type.lower()) for _ in range(outputs)]
        self.nodes.append(helper.make_node(op_type, inputs, outs, name=self.name(op_type + "_node"), **attrs))
        return outs[0] if outputs == 1 else outs

    def conv(self, x, cin, cout, k, stride=1, pads=None, group=1, bias=True, dilation=1):
        kh, kw = (k, k) if isinstance(k, int) else k
        fan = cin // group * kh * kw
        w = self.const((rng.standard_normal((cout, cin // group, kh, kw)) * np.sqrt(2.0 / fan)).astype(np.float32), "w")
        inputs = [x, w]
        if bias:
            inputs.append(self.const((rng.standard_normal(cout) * 0.1).astype(np.float32), "b"))
        if pads is None:
            pads = [(kh - 1) // 2 * dilation, (kw - 1) // 2 * dilation] * 2
        return self.op("Conv", inputs, kernel_shape=[kh, kw], strides=[stride, stride], pads=pads, group=group,
                       dilations=[dilation, dilation])

    def bn(self, x, c):
        scale = self.const((1 + 0.2 * rng.standard_normal(c)).astype(np.float32), "bn_scale")
        shift = self.const((0.1 * rng.standard_normal(c)).astype(np.float32), "bn_shift")
        mean = self.const((0.1 * rng.standard_normal(c)).astype(np.float32), "bn_mean")
        var = self.const((0.5 + rng.random(c)).astype(np.float32), "bn_var")
        return self.op("BatchNormalization", [x, scale, shift, mean, var], epsilon=1e-5)

    def relu6(self, x):
        return self.op("Clip", [x, self.const(np.array(0, np.float32)), self.const(np.array(6, np.float32))])

    def model(self, inputs, outputs):
        graph = helper.make_graph(
            self.nodes, "g",
            [helper.make_tensor_value_info(n, TensorProto.FLOAT, s) for n, s in inputs],
            [helper.make_tensor_value_info(n, TensorProto.FLOAT, None) for n in outputs],
            initializer=self.inits)
        model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", self.opset)])
        model.ir_version = 8
        model = onnx.shape_inference.infer_shapes(model)
        return model


def single(op_type, shapes, attrs=None, consts=(), opset=13, outputs=1):
    """One node over run-time inputs of `shapes` followed by constant operands `consts`."""
    b = Builder(opset)
    names = [f"x{i}" for i in range(len(shapes))]
    inputs = names + [b.const(np.asarray(c)) if c is not None else "" for c in consts]
    out = b.op(op_type, inputs, outputs=outputs, **(attrs or {}))
    outs = out if isinstance(out, list) else [out]
    return b.model(list(zip(names, shapes)), outs)


def f32(*shape, scale=1.0):
    return (rng.standard_normal(shape) * scale).astype(np.float32)


def operator_cases():
    cases = {}
    # Convolutions: odd sizes, asymmetric padding, stride 2, groups, depthwise, dilation, 1x1, auto_pad.
    b = Builder(); cases["conv3x3_odd"] = b.model([("x", [1, 3, 7, 9])], [b.conv("x", 3, 5, 3)])
    b = Builder(); cases["conv3x3_stride2_asym"] = b.model([("x", [1, 4, 11, 10])], [b.conv("x", 4, 6, 3, stride=2, pads=[0, 1, 1, 0])])
    b = Builder(); cases["conv5x5_dilated"] = b.model([("x", [2, 3, 12, 12])], [b.conv("x", 3, 8, 5, dilation=2)])
    b = Builder(); cases["conv_groups2"] = b.model([("x", [1, 6, 8, 8])], [b.conv("x", 6, 4, 3, group=2)])
    b = Builder(); cases["conv_depthwise_s2"] = b.model([("x", [1, 24, 9, 9])], [b.conv("x", 24, 24, 3, stride=2, group=24)])
    b = Builder(); cases["conv_depthwise5_odd"] = b.model([("x", [1, 10, 7, 6])], [b.conv("x", 10, 10, 5, group=10, bias=False)])
    b = Builder(); cases["conv_depthwise_multiplier"] = b.model([("x", [1, 4, 6, 6])], [b.conv("x", 4, 8, 3, group=4)])
    b = Builder(); cases["conv1x1"] = b.model([("x", [1, 20, 5, 7])], [b.conv("x", 20, 37, 1)])
    b = Builder(); cases["conv1x1_stride2"] = b.model([("x", [1, 8, 6, 6])], [b.conv("x", 8, 16, 1, stride=2, pads=[0, 0, 0, 0])])
    b = Builder()
    y = b.op("Conv", ["x", b.const(f32(6, 3, 3, 3))], kernel_shape=[3, 3], strides=[2, 2], auto_pad="SAME_UPPER")
    cases["conv_same_upper"] = b.model([("x", [1, 3, 9, 8])], [y])
    b = Builder(); y = b.relu6(b.bn(b.conv("x", 3, 16, 3, stride=2, bias=False), 16))
    cases["conv_bn_relu6"] = b.model([("x", [1, 3, 16, 16])], [y])
    b = Builder(); y = b.op("Relu", [b.op("Add", [b.conv("x", 8, 8, 3), "x"])])
    cases["conv_residual_relu"] = b.model([("x", [1, 8, 6, 6])], [y])
    b = Builder(14); y = b.op("HardSwish", [b.conv("x", 8, 12, 1)])
    cases["conv_hardswish"] = b.model([("x", [1, 8, 5, 5])], [y])
    b = Builder(); y = b.bn("x", 5)
    cases["batchnorm"] = b.model([("x", [2, 5, 4, 3])], [y])
    # Activations.
    cases["relu"] = single("Relu", [[2, 3, 4, 5]])
    cases["clip"] = single("Clip", [[1, 7, 3, 3]], consts=[np.array(-0.5, np.float32), np.array(0.7, np.float32)])
    cases["leakyrelu"] = single("LeakyRelu", [[3, 10]], {"alpha": 0.2})
    cases["prelu"] = single("PRelu", [[1, 4, 3, 3]], consts=[f32(4, 1, 1)])
    cases["sigmoid"] = single("Sigmoid", [[1, 3, 5, 7]])
    cases["hardsigmoid"] = single("HardSigmoid", [[1, 3, 5, 7]], {"alpha": 0.25, "beta": 0.4})
    cases["hardswish"] = single("HardSwish", [[1, 3, 5, 7]], opset=14)
    cases["tanh"] = single("Tanh", [[4, 9]])
    # Elementwise with broadcasting.
    cases["add_channel_constant"] = single("Add", [[1, 6, 4, 5]], consts=[f32(6, 1, 1)])
    cases["mul_scalar"] = single("Mul", [[1, 3, 4, 4]], consts=[np.array(1.7, np.float32)])
    cases["sub_row"] = single("Sub", [[2, 3, 5]], consts=[f32(5)])
    cases["div_constant"] = single("Div", [[1, 3, 4, 4]], consts=[np.abs(f32(1, 3, 1, 4)) + 0.5])
    cases["add_two_inputs"] = single("Add", [[1, 4, 6, 6], [1, 4, 1, 6]])
    b = Builder(); y = b.op("Mul", [b.conv("x", 3, 4, 3), b.const(f32(1, 4, 1, 1))])
    cases["conv_then_mul_channels"] = b.model([("x", [1, 3, 6, 6])], [y])
    # Pooling.
    cases["maxpool_ceil"] = single("MaxPool", [[1, 5, 9, 9]], {"kernel_shape": [3, 3], "strides": [2, 2], "pads": [1, 1, 1, 1], "ceil_mode": 1})
    cases["maxpool2x2"] = single("MaxPool", [[1, 3, 8, 6]], {"kernel_shape": [2, 2], "strides": [2, 2]})
    cases["avgpool_exclude_pad"] = single("AveragePool", [[1, 9, 7, 7]], {"kernel_shape": [3, 3], "strides": [2, 2], "pads": [1, 1, 1, 1]})
    cases["avgpool_include_pad"] = single("AveragePool", [[1, 4, 6, 5]], {"kernel_shape": [3, 2], "pads": [1, 0, 1, 1], "count_include_pad": 1})
    cases["globalaveragepool"] = single("GlobalAveragePool", [[2, 11, 5, 4]])
    # Matrix products.
    cases["gemm_transb"] = single("Gemm", [[3, 20]], {"transB": 1, "alpha": 0.5, "beta": 2.0}, consts=[f32(17, 20), f32(17)])
    cases["matmul_constant"] = single("MatMul", [[2, 3, 8]], consts=[f32(8, 21)])
    cases["matmul_runtime"] = single("MatMul", [[2, 4, 5], [2, 5, 3]])
    # Shapes and data movement.
    cases["flatten"] = single("Flatten", [[2, 3, 4, 5]], {"axis": 2})
    cases["reshape"] = single("Reshape", [[2, 3, 4, 5]], consts=[np.array([0, -1, 5], np.int64)])
    cases["transpose_nhwc"] = single("Transpose", [[1, 3, 4, 5]], {"perm": [0, 2, 3, 1]})
    cases["transpose_3d"] = single("Transpose", [[2, 3, 4]], {"perm": [2, 0, 1]})
    b = Builder(); y = b.op("Concat", [b.conv("x", 3, 5, 3), b.conv("x", 3, 3, 1), "x"], axis=1)
    cases["concat_channels"] = b.model([("x", [1, 3, 5, 6])], [y])
    cases["concat_axis2"] = single("Concat", [[1, 2, 3, 4], [1, 2, 5, 4]], {"axis": 2})
    cases["split"] = single("Split", [[1, 6, 4, 4]], {"axis": 1}, consts=[np.array([1, 2, 3], np.int64)], outputs=3)
    cases["slice_steps"] = single("Slice", [[3, 10, 6]], consts=[np.array([1, -1], np.int64), np.array([9, -7], np.int64),
                                                                np.array([1, 2], np.int64), np.array([2, -2], np.int64)])
    b = Builder(); y = b.op("Unsqueeze", [b.op("Squeeze", ["x", b.const(np.array([2], np.int64))]), b.const(np.array([0], np.int64))])
    cases["squeeze_unsqueeze"] = b.model([("x", [2, 3, 1, 4])], [y])
    cases["pad_constant_asym"] = single("Pad", [[1, 3, 4, 5]], {"mode": "constant"}, consts=[np.array([0, 0, 1, 2, 0, 0, 2, 0], np.int64), np.array(0.5, np.float32)])
    cases["pad_reflect"] = single("Pad", [[1, 2, 5, 5]], {"mode": "reflect"}, consts=[np.array([0, 0, 2, 1, 0, 0, 1, 2], np.int64)])
    cases["pad_edge"] = single("Pad", [[1, 2, 4, 3]], {"mode": "edge"}, consts=[np.array([0, 0, 1, 1, 0, 0, 2, 2], np.int64)])
    b = Builder(); y = b.op("Pad", [b.conv("x", 3, 6, 3), b.const(np.array([0, 0, 0, 0, 0, 4, 0, 0], np.int64))], mode="constant")
    cases["pad_channels_nhwc"] = b.model([("x", [1, 3, 5, 5])], [y])
    cases["resize_nearest"] = single("Resize", [[1, 3, 4, 5]], {"mode": "nearest", "coordinate_transformation_mode": "asymmetric", "nearest_mode": "floor"},
                                     consts=[None, np.array([1, 1, 2, 2], np.float32)])
    cases["resize_bilinear"] = single("Resize", [[1, 3, 5, 4]], {"mode": "linear"}, consts=[None, np.array([1, 1, 2, 1.5], np.float32)])
    cases["resize_align_corners"] = single("Resize", [[1, 2, 4, 4]], {"mode": "linear", "coordinate_transformation_mode": "align_corners"},
                                           consts=[None, None, np.array([1, 2, 7, 9], np.int64)])
    cases["resize_nearest_sizes"] = single("Resize", [[1, 2, 6, 6]], {"mode": "nearest"}, consts=[None, None, np.array([1, 2, 4, 9], np.int64)])
    cases["softmax_last"] = single("Softmax", [[2, 3, 7]], {"axis": -1})
    cases["softmax_channels"] = single("Softmax", [[1, 5, 3, 3]], {"axis": 1})
    # Exporter-style shape arithmetic: Shape -> Gather -> Unsqueeze -> Concat -> Reshape.
    b = Builder()
    y = b.conv("x", 3, 4, 3)
    batch = b.op("Unsqueeze", [b.op("Gather", [b.op("Shape", [y]), b.const(np.array(0, np.int64))], axis=0), b.const(np.array([0], np.int64))])
    shape = b.op("Concat", [batch, b.const(np.array([-1], np.int64))], axis=0)
    cases["shape_arithmetic_flatten"] = b.model([("x", [1, 3, 5, 5])], [b.op("Reshape", [y, shape])])
    return cases


def later_cases():
    """Cases added after the first fixtures; built last so the seeded generator leaves earlier files unchanged."""
    cases = {}
    # The same operators under the newest opset we claim (17).
    b = Builder(17); y = b.op("Relu", [b.bn(b.conv("x", 4, 8, 3, stride=2, bias=False), 8)])
    cases["opset17_conv_bn_relu"] = b.model([("x", [1, 4, 9, 9])], [y])
    cases["opset17_resize_linear"] = single("Resize", [[1, 3, 4, 4]], {"mode": "linear"}, consts=[None, np.array([1, 1, 1.5, 2], np.float32)], opset=17)
    cases["opset17_split"] = single("Split", [[2, 6, 3]], {"axis": 1}, consts=[np.array([2, 4], np.int64)], opset=17, outputs=2)
    return cases


def wide_depthwise_cases():
    """Depthwise layers whose three input rows overflow L1 (the channels-inner 3×3 kernel), stride 1 and 2, with an
    odd number of interior columns, a channel count that is not a whole number of vectors, a residual and Relu6.
    Built after every other case has been saved, so the files above stay byte-identical."""
    cases = {}
    b = Builder(); y = b.relu6(b.op("Add", [b.conv("x", 200, 200, 3, group=200), "x"]))
    cases["conv_depthwise_wide_residual_relu6"] = b.model([("x", [1, 200, 11, 11])], [y])
    b = Builder(); y = b.op("Relu", [b.conv("x", 164, 164, 3, stride=2, group=164)])
    cases["conv_depthwise_wide_s2_relu"] = b.model([("x", [1, 164, 17, 17])], [y])
    return cases


def threaded_im2col_cases():
    """A 3×3 convolution whose im2col bands hold enough pixels for every thread to copy and multiply its own rows
    (96 pixels per band), with a residual and Relu; its last band is too small and splits the GEMM instead. Built
    last, so every file above stays byte-identical."""
    b = Builder(); y = b.op("Relu", [b.op("Add", [b.conv("x", 16, 16, 3), "x"])])
    return {"conv3x3_banded_residual_relu": b.model([("x", [1, 16, 32, 32])], [y])}


def winograd_cases():
    """Stride-1 3×3 convolutions the planner runs as Winograd F(2×2, 3×3): odd output sizes (partial 2×2 tiles), channel
    counts that are not whole vectors, no padding, BatchNorm, residuals and activations, and one layer big enough for
    several bands of tile rows (the last one short). Also a strided 3×3 whose im2col bands hold enough pixels for every
    thread (the im2col path of `conv3x3_banded_residual_relu`, which is now a Winograd layer). Built last, so every
    file above stays byte-identical."""
    cases = {}
    b = Builder(); y = b.op("Relu", [b.op("Add", [b.conv("x", 20, 20, 3), "x"])])
    cases["conv3x3_winograd_odd_residual_relu"] = b.model([("x", [1, 20, 9, 11])], [y])
    b = Builder(); y = b.relu6(b.bn(b.conv("x", 32, 40, 3, pads=[0, 0, 0, 0], bias=False), 40))
    cases["conv3x3_winograd_valid_bn_relu6"] = b.model([("x", [1, 32, 10, 12])], [y])
    b = Builder(); y = b.op("Relu", [b.op("Add", [b.conv("x", 64, 64, 3), "x"])])
    cases["conv3x3_winograd_bands_residual_relu"] = b.model([("x", [1, 64, 30, 30])], [y])
    b = Builder(); y = b.op("Relu", [b.conv("x", 16, 24, 3, stride=2)])
    cases["conv3x3_stride2_banded_relu"] = b.model([("x", [1, 16, 64, 64])], [y])
    return cases


def paired_depthwise_cases():
    """Stride-1 depthwise layers whose three input rows fit in L1 (the weights-in-registers 3×3 kernel, which takes two
    output columns at a time): an odd number of interior columns with 16- and 8-channel blocks, a residual and Relu6;
    and a channel count that is not a whole number of vectors, whose last lanes every column computes apart. Built last,
    so every file above stays byte-identical."""
    cases = {}
    b = Builder(); y = b.relu6(b.op("Add", [b.conv("x", 24, 24, 3, group=24), "x"]))
    cases["conv_depthwise_pairs_odd_residual_relu6"] = b.model([("x", [1, 24, 9, 9])], [y])
    b = Builder(); y = b.op("Relu", [b.conv("x", 20, 20, 3, group=20)])
    cases["conv_depthwise_pairs_remainder_relu"] = b.model([("x", [1, 20, 7, 10])], [y])
    return cases


def four_column_depthwise_cases():
    """Depthwise windows other than a full-height 3×3 that the four-column kernel takes: a 5×5 (MobileNetV3's) with
    seven interior columns, so its two groups overlap, over 16- and 8-channel blocks; and a 3×3 dilated by 2. Built
    last, so every file above stays byte-identical."""
    cases = {}
    b = Builder(); y = b.relu6(b.conv("x", 24, 24, 5, group=24))
    cases["conv_depthwise5_four_columns_relu6"] = b.model([("x", [1, 24, 12, 11])], [y])
    b = Builder(); y = b.op("Relu", [b.conv("x", 16, 16, 3, group=16, dilation=2, pads=[2, 2, 2, 2])])
    cases["conv_depthwise_dilated_four_columns_relu"] = b.model([("x", [1, 16, 10, 10])], [y])
    return cases


def register_hard_swish_cases():
    """1×1 convolutions and a fully connected layer followed by HardSwish, which the GEMM kernels apply in registers
    before their store: 56 output channels (a wide block whose second vector has 8 live lanes) over 63 pixels (six-row
    blocks and a three-row remainder), 40 (a wide panel and an 8-column tail) over 25 pixels, 64 whole columns, and a
    one-row Gemm with 128 outputs (the four-panel row kernel). Built last, so every file above stays byte-identical."""
    cases = {}
    b = Builder(14); y = b.op("HardSwish", [b.conv("x", 16, 56, 1)])
    cases["conv1x1_hardswish_24_live"] = b.model([("x", [1, 16, 7, 9])], [y])
    b = Builder(14); y = b.op("HardSwish", [b.conv("x", 16, 40, 1)])
    cases["conv1x1_hardswish_8_tail"] = b.model([("x", [1, 16, 5, 5])], [y])
    b = Builder(14); y = b.op("HardSwish", [b.conv("x", 24, 64, 1)])
    cases["conv1x1_hardswish_whole"] = b.model([("x", [1, 24, 6, 6])], [y])
    b = Builder(14)
    y = b.op("HardSwish", [b.op("Gemm", ["x", b.const(f32(40, 128, scale=0.3)), b.const(f32(128, scale=0.1))])])
    cases["gemm_row_hardswish"] = b.model([("x", [1, 40])], [y])
    return cases


def small_map_depthwise5_cases():
    """5×5 depthwise layers on maps so small that fewer than half the outputs have their window inside the input,
    where every four-column group reads pixels beyond the input's edges as zeros: 7×7 with 40 channels (16-lane blocks
    and an 8-lane one) and Relu6, and 6×5 with 20 channels (a remainder past the last whole block) and a residual.
    Built last, so every file above stays byte-identical."""
    cases = {}
    b = Builder(); y = b.relu6(b.conv("x", 40, 40, 5, group=40))
    cases["conv_depthwise5_edges_relu6"] = b.model([("x", [1, 40, 7, 7])], [y])
    b = Builder(); y = b.op("Add", [b.conv("x", 20, 20, 5, group=20), "x"])
    cases["conv_depthwise5_edges_residual"] = b.model([("x", [1, 20, 6, 5])], [y])
    return cases


def stride_two_depthwise5_cases():
    """A 5×5 depthwise layer at stride 2 with seven interior output columns (two overlapping groups of four for the
    kernel that loads each of a group's eleven pixels once), over 16- and 8-channel blocks, and Relu6. Built last, so
    every file above stays byte-identical."""
    b = Builder(); y = b.relu6(b.conv("x", 24, 24, 5, stride=2, group=24))
    return {"conv_depthwise5_s2_four_columns_relu6": b.model([("x", [1, 24, 15, 17])], [y])}


def seven_wide_depthwise_cases():
    """A 7×7 depthwise layer at stride 1 on a map narrower than two windows, whose four-column groups read pixels
    past both edges as zeros, over 16- and 8-channel blocks and a remainder, and Relu. Built last, so every file above
    stays byte-identical."""
    b = Builder(); y = b.op("Relu", [b.conv("x", 28, 28, 7, group=28)])
    return {"conv_depthwise7_every_column_relu": b.model([("x", [1, 28, 9, 11])], [y])}


def overlapping_stem_cases():
    """Stems whose interior columns end with a six-pixel group overlapping the one before it: 3×3 stride 2 into 32
    channels with Relu6 (15 output columns, groups from columns 1, 7 and 9) and 5×5 stride 2 into 48 channels with
    Relu (16 columns, groups from 1, 7 and 10). Built last, so every file above stays byte-identical."""
    cases = {}
    b = Builder(); y = b.relu6(b.conv("x", 3, 32, 3, stride=2))
    cases["conv_stem32_s2_relu6"] = b.model([("x", [1, 3, 11, 30])], [y])
    b = Builder(); y = b.op("Relu", [b.conv("x", 3, 48, 5, stride=2)])
    cases["conv_stem48_5x5_s2_relu"] = b.model([("x", [1, 3, 13, 34])], [y])
    return cases


def fused_expansion_cases():
    """1×1 convolutions writing maps over 1 MB that only a stride-2 depthwise convolution reads, which the planner
    fuses: an inverted residual block on an odd 59×47 map with a 3×3 window (the expansion's input is dead after the
    fused step, so only the fused step's own lifetime keeps the depthwise output out of its memory), and a 5×5 window
    with hard-swish on 44×50. Built last, so every file above stays byte-identical."""
    cases = {}
    b = Builder()
    y = b.relu6(b.conv(b.relu6(b.conv("x", 16, 96, 1)), 96, 96, 3, stride=2, group=96))
    cases["inverted_residual_fused_s2_odd"] = b.model([("x", [1, 16, 59, 47])], [b.conv(y, 96, 24, 1)])
    b = Builder(14)
    y = b.op("HardSwish", [b.conv(b.conv("x", 24, 120, 1), 120, 120, 5, stride=2, group=120)])
    cases["pointwise_fused_5x5_s2_hardswish"] = b.model([("x", [1, 24, 44, 50])], [b.conv(y, 120, 16, 1)])
    return cases


def wide_stem_cases():
    """A ResNet-style 7×7 stride-2 stem into 64 channels with Relu: two 32-channel groups of the AVX-512 level's
    16-lane six-pixel kernel. Built last, so every file above stays byte-identical."""
    b = Builder(); y = b.op("Relu", [b.conv("x", 3, 64, 7, stride=2)])
    return {"conv_stem64_7x7_s2_relu": b.model([("x", [1, 3, 21, 30])], [y])}


def mobilenet_v2(width=0.5, resolution=128, classes=128):
    def divisible(v, d=8):
        new = max(d, int(v + d / 2) // d * d)
        return new + d if new < 0.9 * v else new

    b = Builder()
    c = divisible(32 * width)
    x = b.relu6(b.bn(b.conv("input", 3, c, 3, stride=2, bias=False), c))
    settings = [(1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 4, 2), (6, 96, 3, 1), (6, 160, 3, 2), (6, 320, 1, 1)]
    for t, channels, n, s in settings:
        out = divisible(channels * width)
        for i in range(n):
            stride = s if i == 0 else 1
            hidden = c * t
            y = x
            if t != 1:
                y = b.relu6(b.bn(b.conv(y, c, hidden, 1, bias=False), hidden))
            y = b.relu6(b.bn(b.conv(y, hidden, hidden, 3, stride=stride, group=hidden, bias=False), hidden))
            y = b.bn(b.conv(y, hidden, out, 1, bias=False), out)
            x = b.op("Add", [x, y]) if stride == 1 and c == out else y
            c = out
    last = 1280
    x = b.relu6(b.bn(b.conv(x, c, last, 1, bias=False), last))
    x = b.op("Flatten", [b.op("GlobalAveragePool", [x])])
    x = b.op("Gemm", [x, b.const(f32(classes, last, scale=0.03)), b.const(f32(classes, scale=0.1))], transB=1)
    return b.model([("input", [1, 3, resolution, resolution])], [x])


def blazeface(resolution=128):
    """The BlazeFace front model's structure (MediaPipe, as ported to PyTorch) with random weights."""
    b = Builder()

    def block(x, cin, cout, stride):
        y = x
        if stride == 2:
            y = b.op("Pad", [y, b.const(np.array([0, 0, 0, 0, 0, 0, 2, 2], np.int64))], mode="constant")
            y = b.conv(y, cin, cin, 3, stride=2, pads=[0, 0, 0, 0], group=cin)
            x = b.op("MaxPool", [x], kernel_shape=[2, 2], strides=[2, 2])
        else:
            y = b.conv(y, cin, cin, 3, group=cin)
        y = b.conv(y, cin, cout, 1)
        if cout > cin:
            x = b.op("Pad", [x, b.const(np.array([0, 0, 0, 0, 0, cout - cin, 0, 0], np.int64))], mode="constant")
        return b.op("Relu", [b.op("Add", [y, x])])

    x = b.op("Pad", ["input", b.const(np.array([0, 0, 1, 1, 0, 0, 2, 2], np.int64))], mode="constant")
    x = b.op("Relu", [b.conv(x, 3, 24, 5, stride=2, pads=[0, 0, 0, 0])])
    channels = [(24, 24, 1), (24, 28, 1), (28, 32, 2), (32, 36, 1), (36, 42, 1), (42, 48, 2), (48, 56, 1), (56, 64, 1),
                (64, 72, 1), (72, 80, 1), (80, 88, 1)]
    for cin, cout, s in channels:
        x = block(x, cin, cout, s)
    x16 = x
    channels2 = [(88, 96, 2), (96, 96, 1), (96, 96, 1), (96, 96, 1), (96, 96, 1)]
    for cin, cout, s in channels2:
        x = block(x, cin, cout, s)
    x8 = x

    def head(feature, cin, anchors, values):
        y = b.conv(feature, cin, anchors * values, 1)
        y = b.op("Transpose", [y], perm=[0, 2, 3, 1])
        return b.op("Reshape", [y, b.const(np.array([1, -1, values], np.int64))])

    scores = b.op("Concat", [head(x16, 88, 2, 1), head(x8, 96, 6, 1)], axis=1)
    boxes = b.op("Concat", [head(x16, 88, 2, 16), head(x8, 96, 6, 16)], axis=1)
    return b.model([("input", [1, 3, resolution, resolution])], [b.op("Sigmoid", [scores]), boxes])


def bad_models(directory):
    """Models that must be rejected with a typed error (written to DIRECTORY/bad, no golden outputs)."""
    bad = os.path.join(directory, "bad")
    os.makedirs(bad, exist_ok=True)

    def write(name, model):
        with open(os.path.join(bad, name), "wb") as handle:
            handle.write(model.SerializeToString())

    def graph(nodes, inputs, outputs, inits=()):
        g = helper.make_graph(nodes, "bad", [helper.make_tensor_value_info(n, TensorProto.FLOAT, s) for n, s in inputs],
                              [helper.make_tensor_value_info(n, TensorProto.FLOAT, None) for n in outputs], initializer=list(inits))
        return helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)])

    # A valid protobuf that is not a model: a serialized TensorProto.
    with open(os.path.join(bad, "not_a_model.onnx"), "wb") as handle:
        handle.write(numpy_helper.from_array(f32(4, 4), "t").SerializeToString())
    # A well-formed ModelProto (producer, opset) that carries no graph.
    write("model_without_graph.onnx", helper.make_model(helper.make_graph([], "empty", [], []), producer_name="nobody").__class__(
        ir_version=8, producer_name="nobody", opset_import=[helper.make_opsetid("", 13)]))
    write("cycle.onnx", graph([helper.make_node("Relu", ["b"], ["a"], name="first"),
                               helper.make_node("Relu", ["a"], ["b"], name="second")], [("x", [1, 3])], ["b"]))
    write("missing_initializer.onnx", graph([helper.make_node("Conv", ["x", "weights_gone"], ["y"], name="conv_without_weights",
                                                              kernel_shape=[3, 3])], [("x", [1, 3, 8, 8])], ["y"]))
    write("shape_mismatch.onnx", graph([helper.make_node("Add", ["x", "y"], ["z"], name="mismatched_add")],
                                       [("x", [1, 3, 4, 4]), ("y", [1, 5, 4, 4])], ["z"]))
    huge = TensorProto(name="huge_weights", data_type=TensorProto.FLOAT, dims=[1 << 20, 1 << 20, 1 << 20], raw_data=b"\0" * 16)
    write("absurd_initializer.onnx", graph([helper.make_node("Mul", ["x", "huge_weights"], ["y"], name="huge_mul")],
                                           [("x", [1, 3])], ["y"], [huge]))
    write("absurd_input.onnx", graph([helper.make_node("Relu", ["x"], ["y"], name="relu")], [("x", [1 << 30, 1 << 30, 3])], ["y"]))
    write("absurd_resize.onnx", graph([helper.make_node("Resize", ["x", "", "scales"], ["y"], name="giant_resize", mode="nearest")],
                                      [("x", [1, 3, 64, 64])], ["y"],
                                      [numpy_helper.from_array(np.array([1, 1, 60000, 60000], np.float32), "scales")]))
    write("unsupported_operator.onnx", graph([helper.make_node("Einsum", ["x", "x"], ["y"], name="the_einsum", equation="ij,jk->ik")],
                                             [("x", [3, 3])], ["y"]))


def save(directory, name, model):
    path = os.path.join(directory, f"{name}.onnx")
    onnx.save(model, path)
    options = ort.SessionOptions()
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    options.intra_op_num_threads = 1
    session = ort.InferenceSession(path, options, providers=["CPUExecutionProvider"])
    feeds = {}
    for index, value in enumerate(session.get_inputs()):
        feeds[value.name] = f32(*value.shape)
        np.save(os.path.join(directory, f"{name}.in{index}.npy"), feeds[value.name])
    for index, output in enumerate(session.run(None, feeds)):
        np.save(os.path.join(directory, f"{name}.out{index}.npy"), output.astype(np.float32))


def main():
    directory = sys.argv[1] if len(sys.argv) > 1 else "Tests/InferenceCoreTests/Fixtures"
    os.makedirs(directory, exist_ok=True)
    for name, model in operator_cases().items():
        save(directory, name, model)
    save(directory, "mobilenetv2_050_128", mobilenet_v2())
    save(directory, "blazeface_128", blazeface())
    bad_models(directory)
    for name, model in later_cases().items():
        save(directory, name, model)
    for name, model in wide_depthwise_cases().items():
        save(directory, name, model)
    for name, model in threaded_im2col_cases().items():
        save(directory, name, model)
    for name, model in winograd_cases().items():
        save(directory, name, model)
    for name, model in paired_depthwise_cases().items():
        save(directory, name, model)
    for name, model in four_column_depthwise_cases().items():
        save(directory, name, model)
    for name, model in register_hard_swish_cases().items():
        save(directory, name, model)
    for name, model in small_map_depthwise5_cases().items():
        save(directory, name, model)
    for name, model in stride_two_depthwise5_cases().items():
        save(directory, name, model)
    for name, model in seven_wide_depthwise_cases().items():
        save(directory, name, model)
    for name, model in overlapping_stem_cases().items():
        save(directory, name, model)
    for name, model in fused_expansion_cases().items():
        save(directory, name, model)
    for name, model in wide_stem_cases().items():
        save(directory, name, model)
    print(f"wrote fixtures to {directory}")


if __name__ == "__main__":
    main()
