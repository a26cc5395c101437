import InferenceGraph
/// An immutable, 64-byte-aligned float buffer owned by a model (packed weights, biases, tables).
/// Kernels read it through `pointer` so the hot path touches no array machinery.
final class WeightBuffer: @unchecked Sendable {
    let pointer: UnsafeMutablePointer<Float>
    let count: Int

    /// Copies `values`, padding with `padding` zeros at the end (so vector loads may overrun).
    init(_ values: [Float], padding: Int = 16) {
        count = values.count
        let raw = UnsafeMutableRawPointer.allocate(byteCount: max(1, values.count + padding) * 4, alignment: 64)
        pointer = raw.bindMemory(to: Float.self, capacity: values.count + padding)
        pointer.initialize(repeating: 0, count: values.count + padding)
        values.withUnsafeBufferPointer { source in
            if let base = source.baseAddress { pointer.update(from: base, count: values.count) }
        }
    }

    deinit { pointer.deallocate() }
}
