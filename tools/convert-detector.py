#!/usr/bin/env python3
"""Convert MediaPipe's BlazeFace face detectors (TFLite, Apache-2.0) to ONNX for occlumesh's own runtime.

Reads the TFLite flatbuffer with the `tflite` package and writes ONNX with `onnx.helper`, using only
Conv, BatchNormalization, Relu, Clip, PRelu, Sigmoid, Add, Mul, Concat, MaxPool, Pad, Reshape, Transpose,
Resize, Slice and Softmax, so that InferenceCore can run it. Activations are NCHW; the input is
[1, 3, H, W] RGB scaled to [-1, 1]. Then checks the ONNX model against the TFLite interpreter on random and
real inputs, and writes a JSON sidecar (input size, normalisation, anchors, decoding, NMS) beside it.

Sources: PyPI mediapipe==0.10.21, mediapipe/modules/face_detection/
  face_detection_short_range.tflite       -> models/face_detection_short_range.onnx (128×128, 896 anchors)
  face_detection_full_range_sparse.tflite -> models/face_detection_full_range.onnx  (192×192, 2304 anchors)

Usage (in a venv with tools/requirements-detector.txt): convert-detector.py [--output-dir models] [--images DIR]
"""
import argparse
import glob
import hashlib
import json
import os
import sys

import numpy as np
import onnx
import tflite
from onnx import TensorProto, helper, numpy_helper
from tflite.ActivationFunctionType import ActivationFunctionType
from tflite.BuiltinOperator import BuiltinOperator
from tflite.Padding import Padding
from tflite.TensorType import TensorType

ALLOWED_OPS = {"Conv", "BatchNormalization", "Relu", "Clip", "PRelu", "Sigmoid", "Add", "Mul", "Concat", "MaxPool",
               "Pad", "Reshape", "Transpose", "Resize", "Slice", "Softmax"}
OPSET = 13
OPERATOR_NAMES = {value: name for name, value in vars(BuiltinOperator).items() if not name.startswith("_")}
NUMPY_TYPES = {TensorType.FLOAT32: np.float32, TensorType.FLOAT16: np.float16, TensorType.INT32: np.int32,
               TensorType.INT8: np.int8, TensorType.UINT8: np.uint8, TensorType.INT64: np.int64}

# MediaPipe's graph settings for each model (face_detection_short_range_common / full_range_common).
MODELS = {
    "face_detection_short_range": {
        "tflite": "face_detection_short_range.tflite",
        # the shipped short-range sidecar (face_detection_short_range.json) names the network fine-tuned for
        # occluded faces (training/orn/detector.py); the converted original is its teacher and keeps this one
        "sidecar": "face_detection_short_range_mediapipe",
        "anchors": {"num_layers": 4, "min_scale": 0.1484375, "max_scale": 0.75, "input_size_height": 128,
                    "input_size_width": 128, "anchor_offset_x": 0.5, "anchor_offset_y": 0.5,
                    "strides": [8, 16, 16, 16], "aspect_ratios": [1.0], "fixed_anchor_size": True,
                    "interpolated_scale_aspect_ratio": 1.0, "reduce_boxes_in_lowest_layer": False},
        "min_score_thresh": 0.5,
    },
    "face_detection_full_range": {
        "tflite": "face_detection_full_range_sparse.tflite",
        "anchors": {"num_layers": 1, "min_scale": 0.1484375, "max_scale": 0.75, "input_size_height": 192,
                    "input_size_width": 192, "anchor_offset_x": 0.5, "anchor_offset_y": 0.5,
                    "strides": [4], "aspect_ratios": [1.0], "fixed_anchor_size": True,
                    "interpolated_scale_aspect_ratio": 0.0, "reduce_boxes_in_lowest_layer": False},
        "min_score_thresh": 0.6,
    },
}


def ssd_anchors(options):
    """Anchor centres (x, y) in [0, 1], as MediaPipe's SsdAnchorsCalculator makes them (fixed anchor size 1)."""
    def scale(index, count):
        if count == 1:
            return (options["min_scale"] + options["max_scale"]) * 0.5
        return options["min_scale"] + (options["max_scale"] - options["min_scale"]) * index / (count - 1)
    anchors, layer, strides = [], 0, options["strides"]
    while layer < len(strides):
        repeats = 0
        last = layer
        while last < len(strides) and strides[last] == strides[layer]:
            repeats += len(options["aspect_ratios"])
            if options["interpolated_scale_aspect_ratio"] > 0:
                repeats += 1
            last += 1
        stride = strides[layer]
        rows = int(np.ceil(options["input_size_height"] / stride))
        columns = int(np.ceil(options["input_size_width"] / stride))
        for y in range(rows):
            for x in range(columns):
                for _ in range(repeats):
                    anchors.append([(x + options["anchor_offset_x"]) / columns, (y + options["anchor_offset_y"]) / rows])
        layer = last
    _ = scale  # anchor sizes are fixed at 1 (fixed_anchor_size), so scales do not enter the centres
    return anchors


class Converter:
    """Walks the TFLite subgraph in order and emits equivalent ONNX nodes (NHWC → NCHW)."""

    def __init__(self, path, constant_values):
        self.buffer = open(path, "rb").read()
        self.model = tflite.Model.GetRootAsModel(self.buffer, 0)
        self.graph = self.model.Subgraphs(0)
        self.constants = {}       # tensor index -> numpy array (TFLite layout)
        self.constant_values = constant_values  # values the interpreter computed (DENSIFY outputs)
        self.nodes, self.initializers = [], []
        self.names = {}           # tensor index -> ONNX value name
        self.rank4 = set()        # tensor indices held as NCHW in ONNX
        self.counter = 0
        self.final_names = {}     # graph output tensor index -> ONNX output name

    # -- helpers --------------------------------------------------------------------------------------
    def tensor(self, index):
        return self.graph.Tensors(index)

    def shape(self, index):
        return [int(d) for d in self.tensor(index).ShapeAsNumpy()] if self.tensor(index).ShapeLength() else []

    def buffer_data(self, index):
        tensor = self.tensor(index)
        if tensor.Sparsity() is not None:  # compressed: only DENSIFY reads it, and its output comes from the interpreter
            return None
        data = self.model.Buffers(tensor.Buffer()).DataAsNumpy()
        if isinstance(data, int) or data.size == 0:
            return None
        return np.frombuffer(data.tobytes(), dtype=NUMPY_TYPES[tensor.Type()]).reshape(self.shape(index))

    def fresh(self, stem):
        self.counter += 1
        return f"{stem}_{self.counter}"

    def constant(self, array, stem):
        name = self.fresh(stem)
        self.initializers.append(numpy_helper.from_array(np.asarray(array), name))
        return name

    def value(self, index):
        if index in self.names:
            return self.names[index]
        raise KeyError(f"tensor {self.tensor(index).Name()} used before it was produced")

    def emit(self, op_type, inputs, output_index=None, output=None, **attributes):
        if output is None:
            output = self.output_name(output_index)
            self.names[output_index] = output
        name = output
        self.nodes.append(helper.make_node(op_type, inputs, [name], name=self.fresh(op_type), **attributes))
        return name

    def output_name(self, index):
        """ONNX name of a TFLite tensor: the graph outputs take their final names, the rest keep TFLite's."""
        return self.final_names.get(index) or self.tensor(index).Name().decode()

    def activation(self, name, function, output_index):
        """Appends the fused activation of a TFLite op; the final value takes the TFLite tensor's name."""
        final = self.output_name(output_index)
        if function == ActivationFunctionType.NONE:
            return
        self.nodes[-1].output[0] = name + "_preactivation"
        source = name + "_preactivation"
        if function == ActivationFunctionType.RELU:
            self.nodes.append(helper.make_node("Relu", [source], [final], name=self.fresh("Relu")))
        elif function == ActivationFunctionType.RELU6:
            low, high = self.constant(np.float32(0), "zero"), self.constant(np.float32(6), "six")
            self.nodes.append(helper.make_node("Clip", [source, low, high], [final], name=self.fresh("Clip")))
        else:
            raise NotImplementedError(f"fused activation {function}")

    @staticmethod
    def same_padding(size, kernel, stride, dilation=1):
        effective = (kernel - 1) * dilation + 1
        out = (size + stride - 1) // stride
        total = max((out - 1) * stride + effective - size, 0)
        return total // 2, total - total // 2

    def spatial_pads(self, padding, input_index, kernel, strides, dilations=(1, 1)):
        if padding == Padding.VALID:
            return [0, 0, 0, 0]
        _, height, width, _ = self.shape(input_index)
        top, bottom = self.same_padding(height, kernel[0], strides[0], dilations[0])
        left, right = self.same_padding(width, kernel[1], strides[1], dilations[1])
        return [top, left, bottom, right]

    def options(self, op, options_class):
        table = op.BuiltinOptions()
        options = options_class()
        options.Init(table.Bytes, table.Pos)
        return options

    # -- conversion -----------------------------------------------------------------------------------
    def convert(self, output_names):
        graph = self.graph
        for index in range(graph.TensorsLength()):
            data = self.buffer_data(index)
            if data is not None:
                self.constants[index] = data
        (input_index,) = [graph.Inputs(i) for i in range(graph.InputsLength())]
        batch, height, width, channels = self.shape(input_index)
        self.names[input_index] = "input"
        self.rank4.add(input_index)
        graph_input = helper.make_tensor_value_info("input", TensorProto.FLOAT, [batch, channels, height, width])
        for position in range(graph.OutputsLength()):
            if len(self.shape(graph.Outputs(position))) == 4:
                raise NotImplementedError("4D graph outputs would need a transpose back to NHWC")
            self.final_names[graph.Outputs(position)] = output_names[position]
        for position in range(graph.OperatorsLength()):
            op = graph.Operators(position)
            code = self.model.OperatorCodes(op.OpcodeIndex())
            name = OPERATOR_NAMES[max(code.BuiltinCode(), code.DeprecatedBuiltinCode())]
            inputs = [int(i) for i in op.InputsAsNumpy()]
            outputs = [int(i) for i in op.OutputsAsNumpy()]
            getattr(self, "op_" + name.lower())(op, inputs, outputs)
        graph_outputs = []
        for position in range(graph.OutputsLength()):
            index = graph.Outputs(position)
            final = output_names[position]
            assert self.value(index) == final
            graph_outputs.append(helper.make_tensor_value_info(final, TensorProto.FLOAT, self.shape(index)))
        onnx_graph = helper.make_graph(self.nodes, "blazeface", [graph_input], graph_outputs, self.initializers)
        model = helper.make_model(onnx_graph, opset_imports=[helper.make_opsetid("", OPSET)],
                                  producer_name="occlumesh tools/convert-detector.py")
        model.ir_version = 8
        onnx.checker.check_model(model)
        used = {node.op_type for node in model.graph.node}
        if not used <= ALLOWED_OPS:
            raise SystemExit(f"ONNX model uses ops outside the allowed set: {sorted(used - ALLOWED_OPS)}")
        return model

    def constant_of(self, index):
        if index in self.constants:
            return self.constants[index]
        raise KeyError(f"tensor {self.tensor(index).Name()} is not constant")

    def op_dequantize(self, op, inputs, outputs):
        self.constants[outputs[0]] = self.constant_of(inputs[0]).astype(np.float32)

    def op_densify(self, op, inputs, outputs):
        # The sparse weights are expanded by the TFLite interpreter; take its dense result.
        self.constants[outputs[0]] = self.constant_values[outputs[0]]

    def conv(self, op, inputs, outputs, depthwise):
        from tflite.Conv2DOptions import Conv2DOptions
        from tflite.DepthwiseConv2DOptions import DepthwiseConv2DOptions
        options = self.options(op, DepthwiseConv2DOptions if depthwise else Conv2DOptions)
        weights = self.constant_of(inputs[1])  # conv: [O, kh, kw, I]; depthwise: [1, kh, kw, C·m]
        kernel = weights.shape[1:3]
        strides = (options.StrideH(), options.StrideW())
        dilations = (options.DilationHFactor(), options.DilationWFactor())
        if depthwise:
            onnx_weights = weights.transpose(3, 0, 1, 2)  # [C·m, 1, kh, kw]
            group = self.shape(inputs[0])[3]
        else:
            onnx_weights = weights.transpose(0, 3, 1, 2)
            group = 1
        node_inputs = [self.value(inputs[0]), self.constant(onnx_weights.astype(np.float32), "weight")]
        if len(inputs) > 2 and inputs[2] >= 0:
            node_inputs.append(self.constant(self.constant_of(inputs[2]).astype(np.float32), "bias"))
        pads = self.spatial_pads(options.Padding(), inputs[0], kernel, strides, dilations)
        output = self.emit("Conv", node_inputs, outputs[0], kernel_shape=list(kernel), strides=list(strides),
                           dilations=list(dilations), pads=pads, group=group)
        self.rank4.add(outputs[0])
        self.activation(output, options.FusedActivationFunction(), outputs[0])

    def op_conv_2d(self, op, inputs, outputs):
        self.conv(op, inputs, outputs, depthwise=False)

    def op_depthwise_conv_2d(self, op, inputs, outputs):
        self.conv(op, inputs, outputs, depthwise=True)

    def op_relu(self, op, inputs, outputs):
        self.emit("Relu", [self.value(inputs[0])], outputs[0])
        self.carry_layout(inputs[0], outputs[0])

    def op_relu6(self, op, inputs, outputs):
        low, high = self.constant(np.float32(0), "zero"), self.constant(np.float32(6), "six")
        self.emit("Clip", [self.value(inputs[0]), low, high], outputs[0])
        self.carry_layout(inputs[0], outputs[0])

    def carry_layout(self, source, destination):
        if source in self.rank4:
            self.rank4.add(destination)

    def operand(self, index, layout_from):
        """A value for an elementwise operand: constants are moved to NCHW when the other side is NCHW."""
        if index in self.names:
            return self.value(index)
        data = self.constant_of(index).astype(np.float32)
        if layout_from in self.rank4 and data.ndim == 4:
            data = data.transpose(0, 3, 1, 2)
        elif layout_from in self.rank4 and data.ndim == 1:
            data = data.reshape(-1, 1, 1)
        return self.constant(data, "operand")

    def op_add(self, op, inputs, outputs):
        from tflite.AddOptions import AddOptions
        options = self.options(op, AddOptions)
        reference = inputs[0] if inputs[0] in self.names else inputs[1]
        output = self.emit("Add", [self.operand(inputs[0], reference), self.operand(inputs[1], reference)], outputs[0])
        self.carry_layout(reference, outputs[0])
        self.activation(output, options.FusedActivationFunction(), outputs[0])

    def op_mul(self, op, inputs, outputs):
        from tflite.MulOptions import MulOptions
        options = self.options(op, MulOptions)
        reference = inputs[0] if inputs[0] in self.names else inputs[1]
        output = self.emit("Mul", [self.operand(inputs[0], reference), self.operand(inputs[1], reference)], outputs[0])
        self.carry_layout(reference, outputs[0])
        self.activation(output, options.FusedActivationFunction(), outputs[0])

    def op_pad(self, op, inputs, outputs):
        paddings = self.constant_of(inputs[1]).astype(np.int64)  # [rank, 2] in TFLite axis order
        if inputs[0] in self.rank4:
            paddings = paddings[[0, 3, 1, 2]]
        pads = np.concatenate([paddings[:, 0], paddings[:, 1]])
        self.emit("Pad", [self.value(inputs[0]), self.constant(pads, "pads")], outputs[0], mode="constant")
        self.carry_layout(inputs[0], outputs[0])

    def op_max_pool_2d(self, op, inputs, outputs):
        from tflite.Pool2DOptions import Pool2DOptions
        options = self.options(op, Pool2DOptions)
        kernel = (options.FilterHeight(), options.FilterWidth())
        strides = (options.StrideH(), options.StrideW())
        pads = self.spatial_pads(options.Padding(), inputs[0], kernel, strides)
        output = self.emit("MaxPool", [self.value(inputs[0])], outputs[0], kernel_shape=list(kernel),
                           strides=list(strides), pads=pads)
        self.rank4.add(outputs[0])
        self.activation(output, options.FusedActivationFunction(), outputs[0])

    def op_reshape(self, op, inputs, outputs):
        source = self.value(inputs[0])
        if inputs[0] in self.rank4:  # back to NHWC so the element order matches TFLite's
            source = self.emit("Transpose", [source], output=self.fresh("nhwc"), perm=[0, 2, 3, 1])
        target = self.shape(outputs[0])
        self.emit("Reshape", [source, self.constant(np.array(target, np.int64), "shape")], outputs[0])
        if len(target) == 4:  # a 4D result is an activation again: hold it as NCHW
            nhwc = self.names.pop(outputs[0])
            self.nodes[-1].output[0] = nhwc + "_nhwc"
            self.emit("Transpose", [nhwc + "_nhwc"], outputs[0], perm=[0, 3, 1, 2])
            self.rank4.add(outputs[0])

    def op_concatenation(self, op, inputs, outputs):
        from tflite.ConcatenationOptions import ConcatenationOptions
        options = self.options(op, ConcatenationOptions)
        axis = options.Axis()
        rank = len(self.shape(outputs[0]))
        axis = axis % rank
        if inputs[0] in self.rank4:
            axis = [0, 2, 3, 1][axis]
        output = self.emit("Concat", [self.value(i) for i in inputs], outputs[0], axis=axis)
        self.carry_layout(inputs[0], outputs[0])
        self.activation(output, options.FusedActivationFunction(), outputs[0])

    def op_resize_bilinear(self, op, inputs, outputs):
        from tflite.ResizeBilinearOptions import ResizeBilinearOptions
        options = self.options(op, ResizeBilinearOptions)
        if options.AlignCorners():
            mode = "align_corners"
        elif options.HalfPixelCenters():
            mode = "half_pixel"
        else:
            mode = "asymmetric"
        _, height, width, channels = self.shape(outputs[0])
        batch = self.shape(inputs[0])[0]
        sizes = self.constant(np.array([batch, channels, height, width], np.int64), "sizes")
        self.emit("Resize", [self.value(inputs[0]), "", "", sizes], outputs[0], mode="linear",
                  coordinate_transformation_mode=mode)
        self.rank4.add(outputs[0])

    def op_depth_to_space(self, op, inputs, outputs):
        """TFLite DepthToSpace (NHWC, depth-column-row order) as Reshape → Transpose → Reshape on NCHW."""
        from tflite.DepthToSpaceOptions import DepthToSpaceOptions
        block = self.options(op, DepthToSpaceOptions).BlockSize()
        batch, height, width, depth = self.shape(inputs[0])
        channels = depth // (block * block)
        split = self.emit("Reshape", [self.value(inputs[0]), self.constant(np.array([batch, block, block, channels, height, width], np.int64), "shape")],
                          output=self.fresh("d2s_split"))
        moved = self.emit("Transpose", [split], output=self.fresh("d2s_moved"), perm=[0, 3, 4, 1, 5, 2])
        self.emit("Reshape", [moved, self.constant(np.array([batch, channels, height * block, width * block], np.int64), "shape")], outputs[0])
        self.rank4.add(outputs[0])


def interpreter_values(path, wanted):
    """Runs the TFLite interpreter once and returns the values of `wanted` tensor indices (DENSIFY outputs)."""
    if not wanted:
        return {}
    from ai_edge_litert.interpreter import Interpreter, OpResolverType
    # Reference kernels: a delegate (XNNPACK) would take the weights over and leave these tensors unfilled.
    interpreter = Interpreter(model_path=path, experimental_preserve_all_tensors=True,
                              experimental_op_resolver_type=OpResolverType.BUILTIN_REF)
    interpreter.allocate_tensors()
    detail = interpreter.get_input_details()[0]
    interpreter.set_tensor(detail["index"], np.zeros(detail["shape"], np.float32))
    interpreter.invoke()
    return {index: interpreter.get_tensor(index).copy() for index in wanted}


def densify_outputs(path):
    model = tflite.Model.GetRootAsModel(open(path, "rb").read(), 0)
    graph = model.Subgraphs(0)
    wanted = []
    for position in range(graph.OperatorsLength()):
        op = graph.Operators(position)
        code = model.OperatorCodes(op.OpcodeIndex())
        if max(code.BuiltinCode(), code.DeprecatedBuiltinCode()) == BuiltinOperator.DENSIFY:
            wanted.append(int(op.Outputs(0)))
    return wanted


def parity(tflite_path, onnx_path, inputs, photographs_from=4, threshold=0.5):
    """Largest absolute difference of each output between the TFLite interpreter and onnxruntime."""
    import onnxruntime
    from ai_edge_litert.interpreter import Interpreter, OpResolverType
    # The reference kernels, not XNNPACK: XNNPACK may compute in reduced precision and is not the definition.
    interpreter = Interpreter(model_path=tflite_path, experimental_op_resolver_type=OpResolverType.BUILTIN_REF)
    interpreter.allocate_tensors()
    input_index = interpreter.get_input_details()[0]["index"]
    output_details = interpreter.get_output_details()
    session = onnxruntime.InferenceSession(onnx_path, providers=["CPUExecutionProvider"])
    worst = {"regressors": 0.0, "classificators": 0.0, "scores": 0.0, "largest_regressor": 0.0, "largest_logit": 0.0}
    worst["photographs_with_a_face"] = 0
    for position, sample in enumerate(inputs):  # NHWC in [-1, 1]
        interpreter.set_tensor(input_index, sample[None].astype(np.float32))
        interpreter.invoke()
        expected = sorted((interpreter.get_tensor(d["index"]) for d in output_details), key=lambda a: -a.shape[-1])
        regressors, classificators = session.run(["regressors", "classificators"],
                                                 {"input": sample.transpose(2, 0, 1)[None].astype(np.float32)})
        worst["regressors"] = max(worst["regressors"], float(np.abs(regressors - expected[0]).max()))
        worst["classificators"] = max(worst["classificators"], float(np.abs(classificators - expected[1]).max()))
        if position >= photographs_from and (1 / (1 + np.exp(-np.clip(classificators, -80, 80)))).max() >= threshold:
            worst["photographs_with_a_face"] += 1
        worst["largest_regressor"] = max(worst["largest_regressor"], float(np.abs(expected[0]).max()))
        worst["largest_logit"] = max(worst["largest_logit"], float(np.abs(expected[1]).max()))
        sigmoid = lambda x: 1 / (1 + np.exp(-np.clip(x, -80, 80)))
        worst["scores"] = max(worst["scores"], float(np.abs(sigmoid(classificators) - sigmoid(expected[1])).max()))
    return worst


def test_inputs(size, image_paths, seed=0):
    """Random inputs in [-1, 1], plus real photographs letterboxed to size×size and scaled to [-1, 1]."""
    rng = np.random.default_rng(seed)
    inputs = [rng.uniform(-1, 1, (size, size, 3)).astype(np.float32) for _ in range(4)]
    if image_paths:
        import cv2
        for path in image_paths:
            image = cv2.cvtColor(cv2.imread(path), cv2.COLOR_BGR2RGB)
            scale = size / max(image.shape[:2])
            resized = cv2.resize(image, (round(image.shape[1] * scale), round(image.shape[0] * scale)), interpolation=cv2.INTER_AREA)
            canvas = np.zeros((size, size, 3), np.uint8)
            top, left = (size - resized.shape[0]) // 2, (size - resized.shape[1]) // 2
            canvas[top:top + resized.shape[0], left:left + resized.shape[1]] = resized
            inputs.append(canvas.astype(np.float32) / 127.5 - 1)
    return inputs


def sidecar(name, settings, tflite_path, onnx_path, report):
    anchors = ssd_anchors(settings["anchors"])
    size = settings["anchors"]["input_size_height"]
    return {
        "model": os.path.basename(onnx_path),
        "source": f"PyPI mediapipe==0.10.21, mediapipe/modules/face_detection/{settings['tflite']}",
        "source_sha256": hashlib.sha256(open(tflite_path, "rb").read()).hexdigest(),
        "onnx_sha256": hashlib.sha256(open(onnx_path, "rb").read()).hexdigest(),
        "license": "Apache-2.0 (see models/LICENSE-mediapipe.txt)",
        "converter": "tools/convert-detector.py",
        "input": {
            "name": "input", "layout": "NCHW", "shape": [1, 3, size, size], "color": "RGB",
            "normalization": {"scale": 1 / 127.5, "offset": -1.0, "formula": "value = pixel / 127.5 - 1", "range": [-1.0, 1.0]},
            "resize": "keep aspect ratio; centre in a square; pad with black (value -1)",
        },
        "outputs": {
            "regressors": {"shape": [1, len(anchors), 16],
                           "layout": "per anchor: box x-centre, y-centre, width, height, then 6 keypoints (x, y), in input pixels relative to the anchor centre"},
            "classificators": {"shape": [1, len(anchors), 1], "layout": "per anchor: face logit (apply sigmoid)"},
        },
        "anchors": dict(settings["anchors"], count=len(anchors), centers=[[round(x, 7), round(y, 7)] for x, y in anchors]),
        "decoding": {
            "num_coords": 16, "box_coord_offset": 0, "keypoint_coord_offset": 4, "num_keypoints": 6,
            "num_values_per_keypoint": 2, "reverse_output_order": True, "x_scale": float(size), "y_scale": float(size),
            "w_scale": float(size), "h_scale": float(size), "sigmoid_score": True, "score_clipping_thresh": 100.0,
            "min_score_thresh": settings["min_score_thresh"],
            "formula": "x = raw[0] / x_scale + anchor.x; y = raw[1] / y_scale + anchor.y; w = raw[2] / w_scale; h = raw[3] / h_scale (anchor size 1); keypoint k = raw[4+2k..] / scale + anchor",
        },
        "keypoints": ["right_eye", "left_eye", "nose_tip", "mouth_center", "right_ear_tragion", "left_ear_tragion"],
        "non_maximum_suppression": {"algorithm": "weighted", "overlap_type": "intersection_over_union",
                                    "min_suppression_threshold": 0.3},
        "parity_with_tflite": report,
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--output-dir", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "models"))
    parser.add_argument("--images", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "shared", "data", "aflw2000-3d", "images"),
                        help="folder of photographs for the parity check (skipped when absent)")
    parser.add_argument("--image-count", type=int, default=16)
    parser.add_argument("--tolerance", type=float, default=1e-5,
                        help="largest raw-output difference accepted, relative to the largest output magnitude")
    parser.add_argument("--only", choices=sorted(MODELS), action="append", help="convert only these models")
    arguments = parser.parse_args()
    import mediapipe
    source_dir = os.path.join(os.path.dirname(mediapipe.__file__), "modules", "face_detection")
    if mediapipe.__version__ != "0.10.21":
        print(f"warning: mediapipe {mediapipe.__version__}, not 0.10.21: the models may differ", file=sys.stderr)
    images = sorted(glob.glob(os.path.join(arguments.images, "*.jpg")))[:arguments.image_count]
    if not images:
        print(f"no photographs in {arguments.images}: parity checked on random inputs only", file=sys.stderr)
    os.makedirs(arguments.output_dir, exist_ok=True)
    failed = False
    for name in arguments.only or sorted(MODELS):
        settings = MODELS[name]
        tflite_path = os.path.join(source_dir, settings["tflite"])
        converter = Converter(tflite_path, interpreter_values(tflite_path, densify_outputs(tflite_path)))
        model = converter.convert(["regressors", "classificators"])
        onnx_path = os.path.join(arguments.output_dir, name + ".onnx")
        onnx.save(model, onnx_path)
        size = settings["anchors"]["input_size_height"]
        worst = parity(tflite_path, onnx_path, test_inputs(size, images), threshold=settings["min_score_thresh"])
        report = {"inputs": f"4 random + {len(images)} photographs", "reference": "TFLite reference kernels",
                  "max_abs_difference": worst}
        ops = sorted({node.op_type for node in model.graph.node})
        print(f"{name}: {len(model.graph.node)} nodes, ops {ops}; max |ONNX − TFLite|: {worst}")
        relative = max(worst["regressors"] / max(1.0, worst["largest_regressor"]),
                       worst["classificators"] / max(1.0, worst["largest_logit"]))
        report["max_relative_difference"] = relative
        if relative > arguments.tolerance or worst["scores"] > 1e-4:
            print(f"{name}: parity check FAILED (tolerance {arguments.tolerance})", file=sys.stderr)
            failed = True
        with open(os.path.join(arguments.output_dir, settings.get("sidecar", name) + ".json"), "w") as file:
            json.dump(sidecar(name, settings, tflite_path, onnx_path, report), file, indent=1)
            file.write("\n")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
