import MeshProtocol

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
}
