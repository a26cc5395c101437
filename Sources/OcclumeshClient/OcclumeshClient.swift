#if canImport(Glibc)
import Glibc
#endif
import MeshProtocol
import UnixSocket

/// A blocking client of the occlumesh mesh socket: connects, performs the handshake, and decodes what arrives.
///
/// Use one instance from one thread. Identities, which the server sends only when they change, are filled
/// into every decoded face from a per-track cache, so `PublishedFace.identity` is always complete here.
public final class OcclumeshClient {
    /// The server's answer to the hello.
    public private(set) var welcome: Welcome
    /// The mesh topology of the subscribed region.
    public private(set) var topology: RegionTopology
    /// What this client asked for.
    public private(set) var subscription: Subscription
    /// The most recent status message, if any arrived.
    public private(set) var lastStatus: StatusReport?
    /// The server's goodbye, once it arrived.
    public private(set) var goodbye: Goodbye?

    private let descriptor: Int32
    private var framer = MessageFramer(maximumLength: ProtocolConstants.maximumServerMessageLength)
    private var identities: [UInt32: [Float]] = [:]
    private var receiveBuffer = [UInt8](repeating: 0, count: 1 << 16)
    private var closed = false

    /// Connects to `socketPath`, says hello, subscribes, and waits for the welcome and the topology.
    public init(socketPath: String, subscription: Subscription = Subscription()) throws(ClientError) {
        do {
            descriptor = try Descriptor.connectedStream(to: try UnixSocketAddress(socketPath))
        } catch {
            throw .socket(error)
        }
        self.subscription = subscription
        // Placeholders until the handshake fills them; every stored property must be set before `self` is used.
        welcome = Welcome(version: 0, queueCapacity: 0, serverName: "")
        topology = RegionTopology(
            modelIdentifier: "", region: subscription.region, vertexCount: 0, headVertexIndices: [], triangles: [],
            textureCoordinates: [], landmarkIndices: [], expressionNames: [], identityDimension: 0)
        do throws(ClientError) {
            do throws(ClientError) {
                try send(MessageEncoder.hello() + MessageEncoder.subscribe(subscription))
            } catch {
                // A server that refuses a connection says goodbye and closes at once, so the hello can meet a closed
                // socket while the goodbye still waits to be read: the goodbye is the answer.
                if case .goodbye(let goodbye)? = try? nextMessage() { throw ClientError.refused(goodbye) }
                throw error
            }
            let first = try handshakeMessage()
            guard case .welcome(let welcome) = first else { throw ClientError.unexpectedMessage(Self.type(of: first)) }
            let second = try handshakeMessage()
            guard case .topology(let topology) = second else { throw ClientError.unexpectedMessage(Self.type(of: second)) }
            self.welcome = welcome
            self.topology = topology
        } catch {
            Glibc.close(descriptor)
            closed = true
            throw error
        }
    }

    deinit {
        if !closed { Glibc.close(descriptor) }
    }

    /// The header type of `message`, for the error naming a message that came out of turn.
    private static func type(of message: ServerMessage) -> MessageType {
        switch message {
        case .welcome: .welcome
        case .topology: .topology
        case .frame: .frame
        case .status: .status
        case .goodbye: .goodbye
        }
    }

    private func handshakeMessage() throws(ClientError) -> ServerMessage {
        guard let message = try nextMessage() else { throw .connectionClosed(midMessage: false) }
        if case .goodbye(let goodbye) = message { throw .refused(goodbye) }
        return message
    }

    /// Sends raw bytes; for changing the subscription or for tests that misbehave on purpose.
    public func send(_ bytes: [UInt8]) throws(ClientError) {
        let result = bytes.withUnsafeBytes { raw in Result { () throws(SocketError) in try Descriptor.sendAll(descriptor, raw) } }
        if case .failure(let error) = result { throw .socket(error) }
    }

    /// Asks the server for a different subscription; a new topology follows if the region changed.
    public func resubscribe(_ subscription: Subscription) throws(ClientError) {
        try send(MessageEncoder.subscribe(subscription))
        self.subscription = subscription
    }

    /// The next message, or nil once the server said goodbye or closed the connection between messages.
    public func nextMessage() throws(ClientError) -> ServerMessage? {
        while true {
            do {
                if let (type, body) = try framer.nextMessage() {
                    let message = try MessageDecoder.serverMessage(type: type, body: body)
                    switch message {
                    case .frame(var frame):
                        for index in frame.faces.indices {
                            let track = frame.faces[index].trackIdentifier
                            if frame.faces[index].identity.isEmpty {
                                frame.faces[index].identity = identities[track] ?? []
                            } else {
                                identities[track] = frame.faces[index].identity
                            }
                        }
                        return .frame(frame)
                    case .status(let status): lastStatus = status
                    case .goodbye(let goodbye): self.goodbye = goodbye
                    case .topology(let topology): self.topology = topology
                    case .welcome: break
                    }
                    return message
                }
            } catch {
                throw .protocolViolation(error)
            }
            if goodbye != nil { return nil }
            let descriptor = self.descriptor
            let result = receiveBuffer.withUnsafeMutableBytes { raw in
                Result { () throws(SocketError) in try Descriptor.receive(descriptor, into: raw) }
            }
            let received: Int
            switch result {
            case .success(let count): received = count
            case .failure(let error): throw .socket(error)
            }
            if received == 0 {
                if framer.hasPartialMessage { throw .connectionClosed(midMessage: true) }
                return nil
            }
            receiveBuffer.withUnsafeBytes { framer.append(UnsafeRawBufferPointer(rebasing: $0[..<received])) }
        }
    }

    /// The next frame, skipping status messages; nil once the server said goodbye or closed the connection.
    public func nextFrame() throws(ClientError) -> ReceivedFrame? {
        while let message = try nextMessage() {
            if case .frame(let frame) = message { return frame }
            if case .goodbye = message { return nil }
        }
        return nil
    }

    /// Closes the connection.
    public func close() {
        guard !closed else { return }
        closed = true
        Glibc.close(descriptor)
    }
}
