/// How the mesh socket server is set up; the daemon fills it from the `[socket]` and `[clients]` config tables.
public struct PublisherConfiguration: Sendable, Equatable {
    /// Path of the Unix socket (`@name` for the abstract namespace, used by tests only).
    public var socketPath: String
    /// Permission bits of the socket file; 0o660 lets the owner and the group connect.
    public var socketMode: UInt32
    /// Group to give the socket file, or `nil` to keep the process's group.
    public var socketGroup: String?
    /// Most clients served at once; further connections get a goodbye and are closed.
    public var maximumClients: Int
    /// Frame and status messages queued per client before the oldest is dropped.
    public var queueCapacity: Int
    /// Seconds a client may leave queued messages unread before it is disconnected.
    public var stallTimeout: Double
    /// Seconds a new client has to send its hello and subscription.
    public var handshakeTimeout: Double
    /// `SO_SNDBUF` for client sockets in bytes, or `nil` for the kernel default; a small buffer keeps a slow
    /// client's backlog in our bounded queue, where it is dropped oldest-first, instead of in the kernel.
    public var sendBufferSize: Int?
    /// Name sent in the welcome message.
    public var serverName: String
    /// Most subscribe messages one client may send in a second (the first included); one more gets it a goodbye
    /// (`protocol_violation`) and disconnected, so that no client can turn the server into a subscribe processor.
    public var maximumSubscribesPerSecond: Int

    /// Creates a configuration with the documented defaults.
    public init(
        socketPath: String, socketMode: UInt32 = 0o660, socketGroup: String? = nil, maximumClients: Int = 16,
        queueCapacity: Int = 4, stallTimeout: Double = 5, handshakeTimeout: Double = 5, sendBufferSize: Int? = nil,
        serverName: String = "occlumeshd", maximumSubscribesPerSecond: Int = 10
    ) {
        self.socketPath = socketPath
        self.socketMode = socketMode
        self.socketGroup = socketGroup
        self.maximumClients = maximumClients
        self.queueCapacity = queueCapacity
        self.stallTimeout = stallTimeout
        self.handshakeTimeout = handshakeTimeout
        self.sendBufferSize = sendBufferSize
        self.serverName = serverName
        self.maximumSubscribesPerSecond = maximumSubscribesPerSecond
    }
}
