/// Reads little-endian fields from one message body, throwing `ProtocolError.truncated` past its end.
public struct ByteReader {
    private let bytes: ArraySlice<UInt8>
    private var offset: Int
    /// The message being read, for error messages.
    public let messageType: MessageType

    /// Creates a reader over the body of a message of `type`.
    public init(_ body: ArraySlice<UInt8>, type: MessageType) {
        self.bytes = body
        self.offset = body.startIndex
        self.messageType = type
    }

    /// Bytes not read yet.
    public var remaining: Int { bytes.endIndex - offset }

    private mutating func take(_ count: Int) throws(ProtocolError) -> ArraySlice<UInt8> {
        guard count >= 0, count <= remaining else { throw .truncated(messageType, needed: count, available: remaining) }
        defer { offset += count }
        return bytes[offset..<(offset + count)]
    }

    /// Reads a little-endian integer.
    public mutating func read<Value: FixedWidthInteger>(_: Value.Type = Value.self) throws(ProtocolError) -> Value {
        let slice = try take(MemoryLayout<Value>.size)
        var value = Value.zero
        withUnsafeMutableBytes(of: &value) { $0.copyBytes(from: slice) }
        return Value(littleEndian: value)
    }

    /// Reads a binary32 float.
    public mutating func readFloat() throws(ProtocolError) -> Float { Float(bitPattern: try read(UInt32.self)) }

    /// Reads a binary64 float.
    public mutating func readDouble() throws(ProtocolError) -> Double { Double(bitPattern: try read(UInt64.self)) }

    /// Reads a `UInt16`-length-prefixed UTF-8 string; `field` names it in errors.
    public mutating func readString(field: String) throws(ProtocolError) -> String {
        let count = Int(try read(UInt16.self))
        let slice = try take(count)
        guard let text = String(validating: slice, as: UTF8.self) else { throw .invalidText(field) }
        return text
    }

    /// Reads `count` plain values (`Float`, `UInt32`, SIMD vectors of them) stored back to back.
    ///
    /// Only for types whose stride equals their packed size (not `SIMD3`, see `readPacked`).
    public mutating func readRaw<Element: BitwiseCopyable>(_: Element.Type, count: Int) throws(ProtocolError) -> [Element] {
        let stride = MemoryLayout<Element>.stride
        let (byteCount, overflow) = count.multipliedReportingOverflow(by: stride)
        guard !overflow else { throw .truncated(messageType, needed: Int.max, available: remaining) }
        let slice = try take(byteCount)
        return [Element](unsafeUninitializedCapacity: count) { buffer, initialized in
            slice.withUnsafeBytes { source in
                UnsafeMutableRawBufferPointer(buffer).copyMemory(from: source)
            }
            initialized = count
        }
    }

    /// Reads `count` packed triples of 4-byte lanes (vertices, triangles).
    public mutating func readPacked<Scalar: SIMDScalar & BitwiseCopyable>(_: Scalar.Type, count: Int) throws(ProtocolError) -> [SIMD3<Scalar>] {
        let (laneCount, overflow) = count.multipliedReportingOverflow(by: 3)
        guard !overflow else { throw .truncated(messageType, needed: Int.max, available: remaining) }
        let lanes = try readRaw(Scalar.self, count: laneCount)
        return (0..<count).map { SIMD3(lanes[$0 * 3], lanes[$0 * 3 + 1], lanes[$0 * 3 + 2]) }
    }

    /// Reads `count` binary16 vertex triples, converting them to `Float`.
    public mutating func readHalfVertices(count: Int) throws(ProtocolError) -> [SIMD3<Float>] {
        let (laneCount, overflow) = count.multipliedReportingOverflow(by: 3)
        guard !overflow else { throw .truncated(messageType, needed: Int.max, available: remaining) }
        let halves = try readRaw(UInt16.self, count: laneCount)
        return (0..<count).map { index in
            SIMD3(
                Float(Float16(bitPattern: UInt16(littleEndian: halves[index * 3]))),
                Float(Float16(bitPattern: UInt16(littleEndian: halves[index * 3 + 1]))),
                Float(Float16(bitPattern: UInt16(littleEndian: halves[index * 3 + 2]))))
        }
    }

    /// Throws unless every byte was read.
    public func finish() throws(ProtocolError) {
        guard remaining == 0 else { throw .trailingBytes(messageType, remaining) }
    }
}
