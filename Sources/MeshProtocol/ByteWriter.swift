/// Appends little-endian fields to a growing byte array, building one or more framed messages.
///
/// Arrays of `Float` are appended with one copy: every platform Swift runs occlumesh on is little-endian.
public struct ByteWriter: Sendable {
    /// The bytes written so far.
    public private(set) var bytes: [UInt8] = []
    private var messageStart: Int?

    /// Creates an empty writer with room for `capacity` bytes.
    public init(capacity: Int = 256) {
        bytes.reserveCapacity(capacity)
    }

    /// Starts a message of `type`: writes a placeholder length and the type byte.
    public mutating func beginMessage(_ type: MessageType) {
        precondition(messageStart == nil, "message already open")
        messageStart = bytes.count
        append(UInt32(0))
        append(type.rawValue)
    }

    /// Ends the open message, filling in its length field.
    public mutating func endMessage() {
        guard let start = messageStart else { preconditionFailure("no open message") }
        let length = UInt32(bytes.count - start - 4).littleEndian
        withUnsafeBytes(of: length) { raw in
            for index in 0..<4 { bytes[start + index] = raw[index] }
        }
        messageStart = nil
    }

    /// Appends an integer or float in little-endian order.
    public mutating func append<Value: FixedWidthInteger>(_ value: Value) {
        withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) }
    }

    /// Appends a binary32 float.
    public mutating func append(_ value: Float) { append(value.bitPattern) }

    /// Appends a binary64 float.
    public mutating func append(_ value: Double) { append(value.bitPattern) }

    /// Appends a string as a `UInt16` byte count and its UTF-8 bytes (truncated to 65535 bytes).
    public mutating func append(_ text: String) {
        let utf8 = Array(text.utf8.prefix(Int(UInt16.max)))
        append(UInt16(utf8.count))
        bytes.append(contentsOf: utf8)
    }

    /// Appends the raw little-endian bytes of an array of plain values (`Float`, `UInt32`, SIMD vectors of them).
    public mutating func appendRaw<Element: BitwiseCopyable>(_ values: [Element]) {
        values.withUnsafeBytes { bytes.append(contentsOf: $0) }
    }

    /// Appends triples (vertices, triangles) as three packed 4-byte lanes each, without SIMD3's padding lane.
    public mutating func appendPacked<Scalar: SIMDScalar & BitwiseCopyable>(_ triples: some Collection<SIMD3<Scalar>>) {
        precondition(MemoryLayout<Scalar>.size == 4, "4-byte lanes only")
        let start = bytes.count
        bytes.append(contentsOf: repeatElement(0, count: triples.count * 12))
        bytes.withUnsafeMutableBytes { raw in
            let target = UnsafeMutableRawBufferPointer(rebasing: raw[start...])
            var offset = 0
            for triple in triples {
                target.storeBytes(of: triple.x, toByteOffset: offset, as: Scalar.self)
                target.storeBytes(of: triple.y, toByteOffset: offset + 4, as: Scalar.self)
                target.storeBytes(of: triple.z, toByteOffset: offset + 8, as: Scalar.self)
                offset += 12
            }
        }
    }

    /// Appends vertices as binary16 triples.
    public mutating func appendHalf(_ vertices: some Collection<SIMD3<Float>>) {
        let start = bytes.count
        bytes.append(contentsOf: repeatElement(0, count: vertices.count * 6))
        bytes.withUnsafeMutableBytes { raw in
            let halves = UnsafeMutableRawBufferPointer(rebasing: raw[start...])
            var offset = 0
            for vertex in vertices {
                for lane in 0..<3 {
                    halves.storeBytes(of: Float16(vertex[lane]).bitPattern.littleEndian, toByteOffset: offset, as: UInt16.self)
                    offset += 2
                }
            }
        }
    }
}
