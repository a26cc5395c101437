import MeshProtocol
import Testing

/// Client messages a hostile peer can send: every field value must end in a `ProtocolError`, never a trap.
@Suite("hostile client messages")
struct HostileMessageTests {
    /// A subscribe message with the given raw bytes after the header (format, region, flags, reserved, rate).
    static func subscribe(format: UInt8 = 1, region: UInt8 = 0, flags: UInt8 = 0, reserved: UInt8 = 0, rate: Float) -> [UInt8] {
        let rateBytes = withUnsafeBytes(of: rate.bitPattern.littleEndian) { Array($0) }
        return [9, 0, 0, 0, 0x02, format, region, flags, reserved] + rateBytes
    }

    static func decode(_ bytes: [UInt8]) throws(ProtocolError) -> ClientMessage {
        var framer = MessageFramer(maximumLength: ProtocolConstants.maximumClientMessageLength)
        bytes.withUnsafeBytes { framer.append($0) }
        guard let (type, body) = try framer.nextMessage() else { throw .truncated(.subscribe, needed: 1, available: 0) }
        return try MessageDecoder.clientMessage(type: type, body: body)
    }

    @Test("a maximum rate below Int's range, infinite or NaN is a protocol error, not a trap", arguments: [
        -1e30 as Float, -Float.greatestFiniteMagnitude, -9.3e18, -1, -Float.infinity, .infinity, .nan, -.nan,
    ])
    func hostileRate(rate: Float) {
        #expect(throws: ProtocolError.self) { try Self.decode(Self.subscribe(rate: rate)) }
    }

    @Test("a huge but finite maximum rate is accepted (it means every frame)")
    func hugeRate() throws {
        guard case .subscribe(let subscription) = try Self.decode(Self.subscribe(rate: 1e30)) else {
            Issue.record("not a subscription")
            return
        }
        #expect(subscription.maximumRate == 1e30)
    }

    @Test("the reserved byte of subscribe must be 0", arguments: [1 as UInt8, 0x80, 0xFF])
    func reservedByte(value: UInt8) {
        #expect(throws: ProtocolError.invalidField("reserved", Int(value))) {
            try Self.decode(Self.subscribe(reserved: value, rate: 0))
        }
    }
}
