import MeshProtocol
import UnixSocket

/// Why a client connection failed.
public enum ClientError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Connecting, reading or writing the socket failed.
    case socket(SocketError)
    /// The server sent bytes that are not a valid message.
    case protocolViolation(ProtocolError)
    /// The server closed the connection during the handshake, saying why.
    case refused(Goodbye)
    /// The server closed the connection without a goodbye; true if it did so in the middle of a message.
    case connectionClosed(midMessage: Bool)
    /// The server sent a message that does not belong at this point.
    case unexpectedMessage(MessageType)

    /// One line naming the cause.
    public var description: String {
        switch self {
        case .socket(let error): return error.description
        case .protocolViolation(let error): return "server protocol violation: \(error)"
        case .refused(let goodbye): return "server refused the connection (\(goodbye.code)): \(goodbye.reason)"
        case .connectionClosed(let midMessage):
            return midMessage ? "server closed the connection in the middle of a message" : "server closed the connection"
        case .unexpectedMessage(let type): return "unexpected \(type) message from the server"
        }
    }
}
