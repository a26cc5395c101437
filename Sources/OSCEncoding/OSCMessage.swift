/// One argument of an OSC 1.0 message, with the type tag it is sent under.
public enum OSCArgument: Sendable, Equatable {
    /// `i`: 32-bit big-endian two's complement integer.
    case int32(Int32)
    /// `f`: 32-bit big-endian IEEE 754 float.
    case float32(Float)
    /// `s`: UTF-8 string, NUL-terminated and padded to a multiple of four bytes.
    case string(String)
    /// `b`: 32-bit size, then the bytes, padded to a multiple of four.
    case blob([UInt8])
    /// `T` or `F`: a boolean carried by the type tag alone (OSC 1.0's common extension).
    case boolean(Bool)

    /// The type tag character.
    public var typeTag: Character {
        switch self {
        case .int32: return "i"
        case .float32: return "f"
        case .string: return "s"
        case .blob: return "b"
        case .boolean(let value): return value ? "T" : "F"
        }
    }
}

/// An OSC 1.0 message: an address pattern and its arguments.
public struct OSCMessage: Sendable, Equatable {
    /// The address, starting with `/`.
    public var address: String
    /// The arguments, in order.
    public var arguments: [OSCArgument]

    /// Creates a message.
    public init(_ address: String, _ arguments: [OSCArgument] = []) {
        self.address = address
        self.arguments = arguments
    }

    /// The message's bytes: padded address, padded type tag string (`,` then one tag per argument), arguments.
    public var encoded: [UInt8] {
        var bytes: [UInt8] = []
        encode(into: &bytes)
        return bytes
    }

    /// Appends the message's bytes to `bytes`.
    public func encode(into bytes: inout [UInt8]) {
        OSCMessage.appendString(address, to: &bytes)
        OSCMessage.appendString("," + String(arguments.map(\.typeTag)), to: &bytes)
        for argument in arguments {
            switch argument {
            case .int32(let value): OSCMessage.appendBigEndian(UInt32(bitPattern: value), to: &bytes)
            case .float32(let value): OSCMessage.appendBigEndian(value.bitPattern, to: &bytes)
            case .string(let value): OSCMessage.appendString(value, to: &bytes)
            case .blob(let value):
                OSCMessage.appendBigEndian(UInt32(value.count), to: &bytes)
                bytes += value
                bytes += repeatElement(0, count: (4 - value.count % 4) % 4)
            case .boolean: break
            }
        }
    }

    /// An OSC string: UTF-8 bytes, then one to four NUL bytes so the total is a multiple of four.
    static func appendString(_ string: String, to bytes: inout [UInt8]) {
        let utf8 = Array(string.utf8)
        bytes += utf8
        bytes += repeatElement(0, count: 4 - utf8.count % 4)
    }

    static func appendBigEndian(_ value: UInt32, to bytes: inout [UInt8]) {
        bytes += [UInt8(value >> 24), UInt8((value >> 16) & 0xFF), UInt8((value >> 8) & 0xFF), UInt8(value & 0xFF)]
    }
}

/// An OSC 1.0 bundle of messages delivered together, so a receiver applies one frame's values at once.
public struct OSCBundle: Sendable, Equatable {
    /// The messages, in order.
    public var messages: [OSCMessage]
    /// The NTP time tag; 1 means "immediately", the only one a live stream needs.
    public var timeTag: UInt64

    /// Creates a bundle to be applied immediately.
    public init(_ messages: [OSCMessage], timeTag: UInt64 = 1) {
        self.messages = messages
        self.timeTag = timeTag
    }

    /// `#bundle`, the 64-bit big-endian time tag, then each message as a 32-bit size and its bytes.
    public var encoded: [UInt8] {
        var bytes: [UInt8] = []
        OSCMessage.appendString("#bundle", to: &bytes)
        OSCMessage.appendBigEndian(UInt32(timeTag >> 32), to: &bytes)
        OSCMessage.appendBigEndian(UInt32(timeTag & 0xFFFF_FFFF), to: &bytes)
        var element: [UInt8] = []
        for message in messages {
            element.removeAll(keepingCapacity: true)
            message.encode(into: &element)
            OSCMessage.appendBigEndian(UInt32(element.count), to: &bytes)
            bytes += element
        }
        return bytes
    }
}
