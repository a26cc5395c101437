import MeshProtocol
import UnixSocket

/// Why the server closed a client connection.
public enum DisconnectReason: Sendable, Equatable, CustomStringConvertible {
    /// The client closed the connection between messages.
    case closedByClient
    /// The client closed the connection with a message half sent.
    case closedMidMessage
    /// The client sent bytes that are not a valid message (garbage, oversized length, bad field).
    case protocolViolation(ProtocolError)
    /// The client's hello asked for a protocol version the server does not speak.
    case unsupportedVersion(UInt16)
    /// The client left queued messages unread for longer than the stall timeout.
    case stalled
    /// The client keeps changing region while earlier topologies are still unread, which would grow its
    /// queue without bound (topologies are never dropped).
    case resubscribingTooFast
    /// The client sent more subscribe messages in one second than the server allows (a flood).
    case subscribingTooOften(limit: Int)
    /// The client did not finish its handshake in time.
    case handshakeTimeout
    /// Reading or writing the socket failed.
    case socketFailure(SocketError)
    /// The server is stopping.
    case serverStopping

    /// One line naming the cause.
    public var description: String {
        switch self {
        case .closedByClient: return "client closed the connection"
        case .closedMidMessage: return "client closed the connection in the middle of a message"
        case .protocolViolation(let error): return "protocol violation: \(error)"
        case .unsupportedVersion(let version):
            return "unsupported protocol version \(version) (server speaks \(ProtocolConstants.version))"
        case .stalled: return "client read nothing for longer than the stall timeout"
        case .resubscribingTooFast: return "client changed region again before reading the previous topology"
        case .subscribingTooOften(let limit): return "client sent more than \(limit) subscribe messages in one second"
        case .handshakeTimeout: return "client did not complete the handshake in time"
        case .socketFailure(let error): return error.description
        case .serverStopping: return "server stopping"
        }
    }
}

/// Something that happened on the mesh socket, reported to the publisher's event handler (the daemon logs them).
public enum PublisherEvent: Sendable, Equatable, CustomStringConvertible {
    /// The socket is open at this path.
    case listening(String)
    /// A stale socket file (nobody answering) was removed before binding.
    case staleSocketReplaced(String)
    /// A client connected and was given this connection number.
    case clientConnected(Int)
    /// A client finished its handshake with this subscription.
    case clientSubscribed(Int, Subscription)
    /// A client was disconnected.
    case clientDisconnected(Int, DisconnectReason)
    /// A connection was refused because the server is full.
    case clientRefused(maximumClients: Int)
    /// The server stopped and removed its socket.
    case stopped

    /// One log line.
    public var description: String {
        switch self {
        case .listening(let path): return "mesh socket listening on \(path)"
        case .staleSocketReplaced(let path): return "replaced stale socket \(path)"
        case .clientConnected(let id): return "client \(id) connected"
        case .clientSubscribed(let id, let subscription):
            return "client \(id) subscribed: vertices \(subscription.vertexFormat), region \(subscription.region), "
                + "landmarks \(subscription.landmarks), max rate \(subscription.maximumRate)"
        case .clientDisconnected(let id, let reason): return "client \(id) disconnected: \(reason)"
        case .clientRefused(let maximum): return "connection refused: already serving \(maximum) clients"
        case .stopped: return "mesh socket closed"
        }
    }
}

/// Counters of the publisher, for the status message and the daemon's periodic log.
public struct PublisherStatistics: Sendable, Equatable {
    /// Clients connected now.
    public var clients = 0
    /// Frames handed to `publish`.
    public var framesPublished: UInt64 = 0
    /// Frame and status messages dropped from client queues, over all clients.
    public var messagesDropped: UInt64 = 0
    /// Connections accepted since start.
    public var connectionsAccepted: UInt64 = 0
    /// Connections refused because the server was full.
    public var connectionsRefused: UInt64 = 0
    /// Clients disconnected for protocol violations, stalls or timeouts.
    public var clientsEvicted: UInt64 = 0

    /// The counters as named status counters.
    public var counters: [StatusCounter] {
        [
            StatusCounter("clients", Double(clients)),
            StatusCounter("frames_published", Double(framesPublished)),
            StatusCounter("messages_dropped", Double(messagesDropped)),
            StatusCounter("connections_accepted", Double(connectionsAccepted)),
            StatusCounter("connections_refused", Double(connectionsRefused)),
            StatusCounter("clients_evicted", Double(clientsEvicted)),
        ]
    }
}
