/// Fixed numbers of the occlumesh mesh protocol, shared by the server and every client.
///
/// See `docs/protocol.md` for the byte layout these constants describe.
public enum ProtocolConstants {
    /// The four bytes `OCMH` read as a little-endian `UInt32`; the first field of a client's hello.
    public static let magic: UInt32 = 0x484D_434F
    /// The protocol version this build speaks; a hello with any other version is refused.
    public static let version: UInt16 = 1
    /// Bytes in a message header: a `UInt32` length and a `UInt8` type.
    public static let headerSize = 5
    /// The largest message a client may send (its length field), in bytes; larger ones get it disconnected.
    public static let maximumClientMessageLength: UInt32 = 256
    /// The largest message a server may send, in bytes; a client refuses larger ones as corrupt.
    public static let maximumServerMessageLength: UInt32 = 256 << 20
}

/// The kind of a message, its header's type byte. Client messages are below 0x80, server messages above.
public enum MessageType: UInt8, Sendable, CaseIterable {
    /// Client → server: magic and protocol version, first message on a connection.
    case hello = 0x01
    /// Client → server: what the client wants to receive.
    case subscribe = 0x02
    /// Server → client: answer to a hello carrying an accepted version.
    case welcome = 0x81
    /// Server → client: the mesh's fixed data, once per connection after the subscription.
    case topology = 0x82
    /// Server → client: one video frame's faces.
    case frame = 0x83
    /// Server → client: pipeline and connection counters.
    case status = 0x84
    /// Server → client: the server is closing this connection, and why.
    case goodbye = 0x85
}

/// How vertices are sent in frame messages.
public enum VertexFormat: UInt8, Sendable, CaseIterable {
    /// No vertices: coefficients (pose, expression, identity) only, plus landmarks if asked.
    case none = 0
    /// Three little-endian IEEE 754 binary32 values per vertex.
    case float32 = 1
    /// Three little-endian IEEE 754 binary16 values per vertex: half the bytes, about 1/2000 relative precision.
    case float16 = 2
}

/// Which part of the head mesh a client receives.
public enum MeshRegion: UInt8, Sendable, CaseIterable {
    /// The front of the face only (a fixed subset of the head's vertices, see `MeshTopology.faceAreaVertices`).
    case faceArea = 0
    /// Every vertex of the head model.
    case wholeHead = 1
}

/// Why a server closes a connection; sent in a goodbye message.
public enum GoodbyeCode: UInt8, Sendable, CaseIterable {
    /// The daemon is stopping.
    case serverStopping = 1
    /// The hello named a protocol version the server does not speak.
    case unsupportedVersion = 2
    /// The client sent bytes that are not a valid message at that point.
    case protocolViolation = 3
    /// The server already serves its maximum number of clients.
    case tooManyClients = 4
    /// The client read nothing for longer than the server's stall timeout.
    case stalled = 5
}
