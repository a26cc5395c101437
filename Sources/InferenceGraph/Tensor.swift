/// How a tensor's elements are ordered in memory.
///
/// Callers always see `.nchw` (plain row-major in ONNX's logical order); the planner keeps
/// four-dimensional activations in `.nhwc` internally because every convolution kernel wants
/// channels innermost.
public enum TensorLayout: String, Sendable, Equatable {
    /// Row-major in the logical (ONNX) dimension order; for rank 4 that is batch, channel, height, width.
    case nchw
    /// Rank 4 only: batch, height, width, channel in memory, with the logical shape still NCHW.
    case nhwc
}

/// A dense float32 tensor: a value type holding its logical shape, layout and elements.
///
/// `Tensor` is what callers hand to `Session.run` and get back; it is a plain value so it can be
/// sent between pipeline stages and reused as a caller-owned output buffer across runs.
public struct Tensor: Sendable, Equatable {
    /// Logical dimensions in ONNX order (for images: N, C, H, W).
    public var shape: [Int]
    /// Memory order of `elements`.
    public var layout: TensorLayout
    /// The elements, `shape.reduce(1, *)` of them, in `layout` order.
    public var elements: [Float]

    /// Makes a tensor from existing elements; the count must match the shape.
    public init(shape: [Int], layout: TensorLayout = .nchw, elements: [Float]) {
        precondition(elements.count == shape.reduce(1, *), "Tensor: \(elements.count) elements for shape \(shape)")
        self.shape = shape
        self.layout = layout
        self.elements = elements
    }

    /// Makes a zero-filled tensor of the given shape, e.g. an output buffer to pass to `Session.run`.
    public init(zeros shape: [Int], layout: TensorLayout = .nchw) {
        self.shape = shape
        self.layout = layout
        self.elements = [Float](repeating: 0, count: shape.reduce(1, *))
    }

    /// Number of elements.
    public var count: Int { elements.count }
}
