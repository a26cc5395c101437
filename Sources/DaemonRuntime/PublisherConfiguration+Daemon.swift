import DaemonConfiguration
import MeshProtocol
import MeshPublisher

extension PublisherConfiguration {
    /// The mesh socket server's settings from the daemon config's `[socket]` and `[clients]` tables.
    public init(_ configuration: DaemonConfiguration, serverName: String = "occlumeshd") {
        let socket = configuration.socket
        let clients = configuration.clients
        self.init(
            socketPath: socket.path, socketMode: socket.mode, socketGroup: socket.group.isEmpty ? nil : socket.group,
            maximumClients: clients.maximumClients, queueCapacity: clients.queueCapacity,
            stallTimeout: clients.stallTimeout, handshakeTimeout: clients.handshakeTimeout,
            sendBufferSize: clients.sendBufferBytes == 0 ? nil : clients.sendBufferBytes, serverName: serverName)
    }
}
