#if canImport(Glibc)
import Glibc
#endif
import MeshProtocol
import MonotonicTime
import UnixSocket

/// The `poll(2)` loop: the only code that accepts, reads, writes and closes client sockets.
extension MeshPublisher {
    /// How often, at most, timeouts are checked when nothing else happens, in milliseconds.
    private static let tickMilliseconds: Int32 = 50
    /// Most messages handled per client per turn of the loop: a client that floods the socket waits for its next
    /// turn while every other client, and `publish`, get theirs (the loop holds the lock while it reads).
    static let messagesPerTurn = 32
    /// Bytes received per client per turn, and most bytes buffered per client before it is read again.
    static let readChunk = 4096

    func runLoop() {
        var pollDescriptors: [pollfd] = []
        var order: [Int] = []
        while true {
            pollDescriptors.removeAll(keepingCapacity: true)
            order.removeAll(keepingCapacity: true)
            var inputWaiting = false
            let stopping = state.withLock { state -> Bool in
                pollDescriptors.append(pollfd(fd: wakeDescriptors.read, events: Int16(POLLIN), revents: 0))
                pollDescriptors.append(
                    pollfd(fd: state.stopping ? -1 : listener.descriptor, events: Int16(POLLIN), revents: 0))
                for (identifier, client) in state.clients {
                    // A half-closed client is not read (its end of stream would wake poll on every turn); POLLHUP
                    // still tells when it closes completely.
                    let events = (client.readClosed ? 0 : Int16(POLLIN)) | (client.queue.isEmpty ? 0 : Int16(POLLOUT))
                    pollDescriptors.append(pollfd(fd: client.descriptor, events: events, revents: 0))
                    order.append(identifier)
                    inputWaiting = inputWaiting || client.pendingInput
                }
                return state.stopping
            }
            if stopping, finishStopping() { return }
            _ = poll(&pollDescriptors, nfds_t(pollDescriptors.count), inputWaiting ? 0 : Self.tickMilliseconds)
            drainWakePipe()
            var events: [PublisherEvent] = []
            state.withLock { state in
                let now = MonotonicClock.now()
                if pollDescriptors[1].revents & Int16(POLLIN) != 0 { acceptClients(&state, now: now, events: &events) }
                for (position, identifier) in order.enumerated() {
                    let revents = pollDescriptors[position + 2].revents
                    guard let client = state.clients[identifier] else { continue }
                    if client.readClosed {
                        if revents & Int16(POLLHUP | POLLERR) != 0 {
                            disconnect(identifier, .closedByClient, &state, events: &events)
                        }
                        continue
                    }
                    let readable = revents & Int16(POLLIN | POLLHUP | POLLERR) != 0
                    guard readable || client.pendingInput else { continue }
                    readClient(identifier, &state, now: now, readable: readable, events: &events)
                }
                for identifier in Array(state.clients.keys) { flushClient(identifier, &state, now: now, events: &events) }
                enforceTimeouts(&state, now: now, events: &events)
            }
            for event in events { eventHandler(event) }
        }
    }

    private func drainWakePipe() {
        var buffer = [UInt8](repeating: 0, count: 256)
        while read(wakeDescriptors.read, &buffer, buffer.count) > 0 {}
    }

    /// While stopping: true once every goodbye is out or the deadline passed, after closing everything.
    private func finishStopping() -> Bool {
        var events: [PublisherEvent] = []
        let done = state.withLock { state -> Bool in
            let now = MonotonicClock.now()
            for identifier in Array(state.clients.keys) { flushClient(identifier, &state, now: now, events: &events) }
            guard state.clients.isEmpty || now >= state.stopDeadline else { return false }
            for identifier in Array(state.clients.keys) {
                disconnect(identifier, .serverStopping, &state, events: &events)
            }
            listener.closeAndRemove()
            events.append(.stopped)
            return true
        }
        for event in events { eventHandler(event) }
        return done
    }

    private func acceptClients(_ state: inout State, now: Double, events: inout [PublisherEvent]) {
        while true {
            guard let descriptor = Descriptor.acceptNonBlocking(listener.descriptor) else { return }
            guard state.clients.count < configuration.maximumClients else {
                let goodbye = MessageEncoder.goodbye(Goodbye(
                    code: .tooManyClients, reason: "server already serves \(configuration.maximumClients) clients"))
                _ = goodbye.withUnsafeBytes { send(descriptor, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
                close(descriptor)
                state.statistics.connectionsRefused += 1
                events.append(.clientRefused(maximumClients: configuration.maximumClients))
                continue
            }
            if var size = configuration.sendBufferSize.map(Int32.init) {
                setsockopt(descriptor, SOL_SOCKET, SO_SNDBUF, &size, socklen_t(MemoryLayout<Int32>.size))
            }
            let identifier = state.nextIdentifier
            state.nextIdentifier += 1
            state.clients[identifier] = ClientConnection(
                identifier: identifier, descriptor: descriptor, queueCapacity: configuration.queueCapacity, now: now)
            state.statistics.connectionsAccepted += 1
            state.statistics.clients = state.clients.count
            events.append(.clientConnected(identifier))
        }
    }

    /// Handles up to `messagesPerTurn` of the client's messages: those already buffered first, then what one
    /// `recv` of at most `readChunk` bytes brings (if the socket is `readable`). What is left waits for the next
    /// turn (`pendingInput`), so one client's flood costs the others at most one turn's share of the lock.
    private func readClient(
        _ identifier: Int, _ state: inout State, now: Double, readable: Bool, events: inout [PublisherEvent]
    ) {
        guard let descriptor = state.clients[identifier]?.descriptor else { return }
        var handled = 0
        /// Handles buffered messages up to the turn's budget; false once the client was disconnected.
        func handleBuffered() -> Bool {
            if let reason = state.clients[identifier]!.handleBuffered(
                handled: &handled, limit: Self.messagesPerTurn, configuration: configuration, topologies: topologies, now: now,
                events: &events)
            {
                disconnect(identifier, reason, &state, events: &events, farewell: true)
                return false
            }
            return true
        }
        guard handleBuffered() else { return }
        if readable, handled < Self.messagesPerTurn, state.clients[identifier]!.framer.bufferedByteCount < Self.readChunk {
            var buffer = [UInt8](repeating: 0, count: Self.readChunk)
            var received: Int
            repeat {
                received = buffer.withUnsafeMutableBytes { recv(descriptor, $0.baseAddress, $0.count, 0) }
            } while received < 0 && errno == EINTR
            if received < 0, errno != EAGAIN, errno != EWOULDBLOCK {
                disconnect(identifier, .socketFailure(.systemCall("recv", errno, "client \(identifier)")), &state, events: &events)
                return
            }
            if received == 0 {
                state.clients[identifier]!.readClosed = true
            } else if received > 0 {
                buffer.withUnsafeBytes { state.clients[identifier]!.framer.append(UnsafeRawBufferPointer(rebasing: $0[..<received])) }
                guard handleBuffered() else { return }
            }
        }
        let client = state.clients[identifier]!
        state.clients[identifier]!.pendingInput = client.framer.hasCompleteMessage
        // End of stream with nothing left to handle: a subscribed client that only shut down its sending side is
        // still served; one that had not finished its handshake, or stopped inside a message, is closed.
        if client.readClosed, !client.framer.hasCompleteMessage {
            if client.framer.hasPartialMessage {
                disconnect(identifier, .closedMidMessage, &state, events: &events)
            } else if client.subscription == nil {
                disconnect(identifier, .closedByClient, &state, events: &events)
            }
        }
    }

    /// Writes what the client's socket takes now; closes it after a queued goodbye went out.
    private func flushClient(_ identifier: Int, _ state: inout State, now: Double, events: inout [PublisherEvent]) {
        guard var client = state.clients[identifier] else { return }
        var failure: Int32?
        let written = client.queue.drain { bytes in
            while true {
                let sent = send(client.descriptor, bytes.baseAddress, bytes.count, Int32(MSG_NOSIGNAL | MSG_DONTWAIT))
                if sent >= 0 { return sent }
                if errno == EINTR { continue }
                if errno != EAGAIN && errno != EWOULDBLOCK { failure = errno }
                return nil
            }
        }
        if written > 0 || client.queue.isEmpty { client.lastProgress = now }
        state.clients[identifier] = client
        if let failure {
            // A peer gone with half a message buffered closed mid-message, whichever side noticed first (the loop
            // reads a client once per turn, so a send may fail before its end of stream is read).
            let gone: DisconnectReason = client.framer.hasPartialMessage && !client.framer.hasCompleteMessage
                ? .closedMidMessage : .closedByClient
            let reason: DisconnectReason = failure == EPIPE || failure == ECONNRESET
                ? gone : .socketFailure(.systemCall("send", failure, "client \(identifier)"))
            disconnect(identifier, reason, &state, events: &events)
        } else if client.closeWhenFlushed, client.queue.isEmpty {
            disconnect(identifier, .serverStopping, &state, events: &events)
        }
    }

    private func enforceTimeouts(_ state: inout State, now: Double, events: inout [PublisherEvent]) {
        for (identifier, client) in state.clients {
            if client.subscription == nil, now - client.connectedAt > configuration.handshakeTimeout {
                disconnect(identifier, .handshakeTimeout, &state, events: &events, farewell: true)
            } else if !client.queue.isEmpty, now - client.lastProgress > configuration.stallTimeout {
                disconnect(identifier, .stalled, &state, events: &events)
            }
        }
    }

    /// Closes a client's connection; with `farewell`, first writes, without blocking, what the socket takes of
    /// the messages that must not be lost (a welcome still queued, a half-written message) and then a goodbye, so
    /// that a bad message right after the hello still gets its goodbye after the welcome.
    func disconnect(
        _ identifier: Int, _ reason: DisconnectReason, _ state: inout State, events: inout [PublisherEvent],
        farewell: Bool = false
    ) {
        guard var client = state.clients.removeValue(forKey: identifier) else { return }
        if farewell, let code = Self.goodbyeCode(for: reason) {
            client.queue.discardDroppable()
            _ = client.queue.push(MessageEncoder.goodbye(Goodbye(code: code, reason: reason.description)), droppable: false)
            let descriptor = client.descriptor
            _ = client.queue.drain { bytes in
                while true {
                    let sent = send(descriptor, bytes.baseAddress, bytes.count, Int32(MSG_NOSIGNAL | MSG_DONTWAIT))
                    if sent >= 0 { return sent }
                    if errno != EINTR { return nil }
                }
            }
        }
        close(client.descriptor)
        state.statistics.clients = state.clients.count
        switch reason {
        case .closedByClient, .serverStopping: break
        default: state.statistics.clientsEvicted += 1
        }
        events.append(.clientDisconnected(identifier, reason))
    }

    private static func goodbyeCode(for reason: DisconnectReason) -> GoodbyeCode? {
        switch reason {
        case .unsupportedVersion: return .unsupportedVersion
        case .protocolViolation, .handshakeTimeout, .resubscribingTooFast, .subscribingTooOften: return .protocolViolation
        case .stalled: return .stalled
        case .serverStopping: return .serverStopping
        case .closedByClient, .closedMidMessage, .socketFailure: return nil
        }
    }
}
