/// Splits a byte stream into messages: collects received bytes and hands out each complete message.
///
/// Each side gives its own length limit, so a peer announcing an oversized message is caught from the
/// header alone, before any of the body is buffered.
public struct MessageFramer: Sendable {
    private var buffer: [UInt8] = []
    private var readIndex = 0
    /// The largest length field accepted.
    public let maximumLength: UInt32

    /// Creates a framer that refuses messages longer than `maximumLength`.
    public init(maximumLength: UInt32) {
        self.maximumLength = maximumLength
    }

    /// Whether bytes of an incomplete message are buffered (a peer closing now closed mid-message).
    public var hasPartialMessage: Bool { readIndex < buffer.count }

    /// Bytes received and not yet handed out as messages.
    public var bufferedByteCount: Int { buffer.count - readIndex }

    /// Whether a complete message (or an invalid header, which `nextMessage` reports) is buffered, so that
    /// `nextMessage` would not return nil.
    public var hasCompleteMessage: Bool {
        let available = buffer.count - readIndex
        guard available >= 4 else { return false }
        var length: UInt32 = 0
        withUnsafeMutableBytes(of: &length) { $0.copyBytes(from: buffer[readIndex..<(readIndex + 4)]) }
        length = UInt32(littleEndian: length)
        guard length >= 1, length <= maximumLength else { return true }
        return available >= 4 + Int(length)
    }

    /// Adds received bytes.
    public mutating func append(_ bytes: UnsafeRawBufferPointer) {
        if readIndex > 0, readIndex == buffer.count {
            buffer.removeAll(keepingCapacity: true)
            readIndex = 0
        } else if readIndex > 65536, readIndex * 2 > buffer.count {
            buffer.removeSubrange(0..<readIndex)
            readIndex = 0
        }
        buffer.append(contentsOf: bytes)
    }

    /// The next complete message's type byte and body, or `nil` until more bytes arrive.
    ///
    /// The body is valid until the next call to `append`.
    public mutating func nextMessage() throws(ProtocolError) -> (type: UInt8, body: ArraySlice<UInt8>)? {
        let available = buffer.count - readIndex
        guard available >= 4 else { return nil }
        var length: UInt32 = 0
        withUnsafeMutableBytes(of: &length) { $0.copyBytes(from: buffer[readIndex..<(readIndex + 4)]) }
        length = UInt32(littleEndian: length)
        guard length >= 1, length <= maximumLength else { throw .invalidLength(length, limit: maximumLength) }
        guard available >= 4 + Int(length) else { return nil }
        let type = buffer[readIndex + 4]
        let body = buffer[(readIndex + 5)..<(readIndex + 4 + Int(length))]
        readIndex += 4 + Int(length)
        return (type, body)
    }
}
