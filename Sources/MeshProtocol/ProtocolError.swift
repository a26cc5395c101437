/// Bytes that are not a valid protocol message.
public enum ProtocolError: Error, Sendable, Equatable, CustomStringConvertible {
    /// A message's length field is above the receiver's limit (or below the header's type byte).
    case invalidLength(UInt32, limit: UInt32)
    /// The type byte names no message, or a message the receiver does not expect from that side.
    case unknownMessageType(UInt8)
    /// The message body ended before a field was complete.
    case truncated(MessageType, needed: Int, available: Int)
    /// The message body holds bytes after its last field.
    case trailingBytes(MessageType, Int)
    /// The hello does not start with the protocol's magic.
    case badMagic(UInt32)
    /// A field holds a value outside its range; carries the field name and value.
    case invalidField(String, Int)
    /// A floating-point field holds a value outside its range (negative, infinite or NaN); carries the field
    /// name and value.
    case invalidNumber(String, Double)
    /// A string field is not UTF-8.
    case invalidText(String)
    /// A message arrived that is not allowed at this point of the conversation.
    case unexpectedMessage(MessageType)

    /// One line naming the cause.
    public var description: String {
        switch self {
        case .invalidLength(let length, let limit): return "message length \(length) outside 1…\(limit)"
        case .unknownMessageType(let type): return "unknown message type 0x\(String(type, radix: 16))"
        case .truncated(let type, let needed, let available):
            return "\(type) message truncated: field needs \(needed) bytes, \(available) left"
        case .trailingBytes(let type, let count): return "\(type) message has \(count) bytes after its last field"
        case .badMagic(let magic): return "hello magic 0x\(String(magic, radix: 16)) is not OCMH"
        case .invalidField(let field, let value): return "field \(field) has invalid value \(value)"
        case .invalidNumber(let field, let value): return "field \(field) has invalid value \(value)"
        case .invalidText(let field): return "field \(field) is not UTF-8"
        case .unexpectedMessage(let type): return "unexpected \(type) message at this point"
        }
    }
}
