import MeshProtocol

/// The topology message of each region, encoded once when the server starts: every client of a region is queued the
/// same bytes (arrays are copy-on-write, and the queue writes only into frames), so a subscribe or a region change
/// costs the server neither an encoding nor a copy of the mesh's fixed data.
struct EncodedTopologies: Sendable {
    private let faceArea: [UInt8]
    private let wholeHead: [UInt8]

    init(_ topology: MeshTopology) {
        faceArea = MessageEncoder.topology(RegionTopology(topology, region: .faceArea))
        wholeHead = MessageEncoder.topology(RegionTopology(topology, region: .wholeHead))
    }

    /// The topology message for clients subscribed to `region`.
    subscript(region: MeshRegion) -> [UInt8] {
        switch region {
        case .faceArea: faceArea
        case .wholeHead: wholeHead
        }
    }
}

/// Everything the server keeps about one connected client.
struct ClientConnection {
    /// Where the client is in the conversation.
    enum Phase: Equatable {
        case awaitingHello
        case awaitingSubscription
        case streaming(Subscription)
    }

    let identifier: Int
    let descriptor: Int32
    var phase: Phase = .awaitingHello
    var framer = MessageFramer(maximumLength: ProtocolConstants.maximumClientMessageLength)
    var queue: OutboundQueue
    let connectedAt: Double
    /// Last time bytes went out to the client, or its queue was empty.
    var lastProgress: Double
    /// Identity last queued per track; cleared whenever a message is dropped, so identities are re-sent.
    var identitiesSent: [UInt32: [Float]] = [:]
    /// Messages dropped from this client's queue since it connected.
    var messagesDropped: UInt64 = 0
    /// Source timestamp of the last frame queued, for the subscription's maximum rate.
    var lastFrameTimestamp: Double?
    /// Set when a goodbye is queued: the connection closes once it is written.
    var closeWhenFlushed = false
    /// The client shut down its sending side (or closed) after subscribing: it is still served, but not read.
    var readClosed = false
    /// Complete messages are buffered beyond what one turn of the loop handles; the next turn reads them first.
    var pendingInput = false
    /// Start of the current one-second window of subscribe messages, and how many arrived in it.
    var subscribeWindow: (start: Double, count: Int) = (-Double.infinity, 0)

    init(identifier: Int, descriptor: Int32, queueCapacity: Int, now: Double) {
        self.identifier = identifier
        self.descriptor = descriptor
        self.queue = OutboundQueue(capacity: queueCapacity)
        self.connectedAt = now
        self.lastProgress = now
    }

    /// The subscription, once the handshake is complete.
    var subscription: Subscription? {
        if case .streaming(let subscription) = phase { return subscription }
        return nil
    }

    /// Queues a droppable message, counting and accounting for what it pushes out.
    mutating func enqueueDroppable(_ bytes: [UInt8]) -> Int {
        let dropped = queue.push(bytes, droppable: true)
        if dropped > 0 {
            messagesDropped += UInt64(dropped)
            identitiesSent.removeAll()
        }
        return dropped
    }

    /// Whether a frame with `timestamp` is due under the subscription's maximum rate.
    mutating func admitsFrame(at timestamp: Double, subscription: Subscription) -> Bool {
        if subscription.maximumRate > 0, let last = lastFrameTimestamp,
            timestamp >= last, timestamp - last < 0.999 / Double(subscription.maximumRate)
        {
            return false
        }
        lastFrameTimestamp = timestamp
        return true
    }

    /// Handles the complete messages buffered in the framer, one at a time, while `handled` is below `limit` (the
    /// caller's budget for this turn, counted up here); returns why the client must go, or nil. No socket is touched:
    /// the server loop reads and writes, and this is the whole per-client state machine between (the
    /// client-state-machine fuzz target drives it directly).
    mutating func handleBuffered(
        handled: inout Int, limit: Int, configuration: PublisherConfiguration, topologies: EncodedTopologies, now: Double,
        events: inout [PublisherEvent]
    ) -> DisconnectReason? {
        do {
            while handled < limit, let (type, body) = try framer.nextMessage() {
                handled += 1
                let message = try MessageDecoder.clientMessage(type: type, body: body)
                if let reason = handle(message, configuration: configuration, topologies: topologies, now: now, events: &events) {
                    return reason
                }
            }
        } catch {
            return .protocolViolation(error)
        }
        return nil
    }

    /// Advances the handshake by one message; returns a reason to disconnect, or nil.
    mutating func handle(
        _ message: ClientMessage, configuration: PublisherConfiguration, topologies: EncodedTopologies, now: Double,
        events: inout [PublisherEvent]
    ) -> DisconnectReason? {
        if case .subscribe = message {
            var window = subscribeWindow
            if now - window.start >= 1 { window = (now, 0) }
            window.count += 1
            subscribeWindow = window
            guard window.count <= configuration.maximumSubscribesPerSecond else {
                return .subscribingTooOften(limit: configuration.maximumSubscribesPerSecond)
            }
        }
        switch (phase, message) {
        case (.awaitingHello, .hello(let version)):
            guard version == ProtocolConstants.version else { return .unsupportedVersion(version) }
            let welcome = Welcome(
                version: ProtocolConstants.version, queueCapacity: UInt16(configuration.queueCapacity),
                serverName: configuration.serverName)
            _ = queue.push(MessageEncoder.welcome(welcome), droppable: false)
            phase = .awaitingSubscription
        case (.awaitingSubscription, .subscribe(let subscription)):
            _ = queue.push(topologies[subscription.region], droppable: false)
            phase = .streaming(subscription)
            events.append(.clientSubscribed(identifier, subscription))
        case (.streaming(let previous), .subscribe(let subscription)):
            if subscription.region != previous.region {
                // Welcome and first topology may still be queued; one more topology is allowed, not a pile of them.
                guard queue.undroppableCount < 3 else { return .resubscribingTooFast }
                _ = queue.push(topologies[subscription.region], droppable: false)
            }
            phase = .streaming(subscription)
            events.append(.clientSubscribed(identifier, subscription))
        case (_, .hello):
            return .protocolViolation(.unexpectedMessage(.hello))
        case (_, .subscribe):
            return .protocolViolation(.unexpectedMessage(.subscribe))
        }
        return nil
    }
}
