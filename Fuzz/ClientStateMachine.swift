// libFuzzer target: the server's per-client state machine (Sources/MeshPublisher: ClientConnection's handshake,
// subscribe limits and bounded queue), compiled into one module with MeshPublisher's sources by tools/fuzz.sh, which
// links MeshProtocol and UnixSocket as modules. No socket is opened: the input is a client's byte stream cut into the
// reads the server loop would make, each turn handled as the loop handles it (buffered messages first, at most
// `messagesPerTurn`, one read of at most `readChunk` bytes), with frames published and part of the queue written
// between turns. Any trap, a hang, a queue that outgrows its bound, or a client kept after a disconnect reason is a
// finding.

import MeshProtocol

private let configuration = PublisherConfiguration(socketPath: "@fuzz", queueCapacity: 4, maximumSubscribesPerSecond: 10)

private let topologies = EncodedTopologies(topology)

private let topology: MeshTopology = {
    let vertexCount = 100
    let triangles = (0..<UInt32(vertexCount - 2)).map { SIMD3($0, $0 + 1, $0 + 2) }
    return MeshTopology(
        modelIdentifier: "fuzz", vertexCount: vertexCount, triangles: triangles,
        textureCoordinates: (0..<vertexCount).map { SIMD2(Float($0) / 100, 0) },
        faceAreaVertices: (0..<50).map { UInt32($0) }, faceAreaTriangles: Array(triangles.prefix(40)),
        landmarkIndices: (0..<68).map { UInt32($0) }, expressionNames: ["jawOpen"], identityDimension: 4)
}()

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzClientStateMachine(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let input = UnsafeBufferPointer(start: data, count: size)
    var client = ClientConnection(identifier: 1, descriptor: -1, queueCapacity: configuration.queueCapacity, now: 0)
    var now = 0.0, position = 0, sequence: UInt64 = 0
    var events: [PublisherEvent] = []
    while position < size || client.framer.hasCompleteMessage {
        // A control byte per turn: how much the client's read brings (1…128 bytes), whether time jumps (0.6 s,
        // crossing the subscribe window) or creeps (1 ms), and how much of the queue the client reads.
        let control = position < size ? input[position] : 0
        position += 1
        now += control & 0x80 != 0 ? 0.6 : 0.001
        var handled = 0
        if let reason = turn(&client, &handled, now: now, events: &events) { return goodbye(&client, reason) }
        if handled < MeshPublisher.messagesPerTurn, client.framer.bufferedByteCount < MeshPublisher.readChunk, position < size {
            let count = min(1 + Int(control & 0x7F), size - position)
            client.framer.append(UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(input)[position..<(position + count)]))
            position += count
            if let reason = turn(&client, &handled, now: now, events: &events) { return goodbye(&client, reason) }
        }
        if handled > MeshPublisher.messagesPerTurn { fatalError("\(handled) messages handled in one turn") }
        if let subscription = client.subscription, client.admitsFrame(at: Double(sequence) / 30, subscription: subscription) {
            let frame = PublishedFrame(sequence: sequence, sourceTimestamp: Double(sequence) / 30, captureTime: 0, faces: [])
            _ = client.enqueueDroppable(MessageEncoder.frame(
                frame, latency: 0, subscription: subscription, faceAreaVertices: topology.faceAreaVertices,
                includeIdentity: { _ in true }))
        }
        sequence += 1
        // Welcome, first topology, one more topology: nothing else may stay queued beyond the droppable bound.
        if client.queue.undroppableCount > 3 { fatalError("\(client.queue.undroppableCount) undroppable messages queued") }
        var budget = Int(control & 0x3F) * 97
        _ = client.queue.drain { bytes in
            let written = min(bytes.count, budget)
            budget -= written
            return written
        }
        // Bounded time: the longest input is 4 KiB, so no client needs more turns than this.
        if sequence > 100_000 { fatalError("client not finished after \(sequence) turns") }
    }
    return 0
}

private func turn(_ client: inout ClientConnection, _ handled: inout Int, now: Double, events: inout [PublisherEvent]) -> DisconnectReason? {
    client.handleBuffered(handled: &handled, limit: MeshPublisher.messagesPerTurn, configuration: configuration,
                          topologies: topologies, now: now, events: &events)
}

/// What `disconnect(…, farewell: true)` does to the queue before closing: droppable messages go, a goodbye is queued.
private func goodbye(_ client: inout ClientConnection, _ reason: DisconnectReason) -> CInt {
    let line = reason.description
    if line.contains(where: \.isNewline) || line.utf8.count > 1024 { fatalError("disconnect reason is not one bounded line") }
    client.queue.discardDroppable()
    _ = client.queue.push(MessageEncoder.goodbye(Goodbye(code: .protocolViolation, reason: line)), droppable: false)
    _ = client.queue.drain { $0.count }
    if !client.queue.isEmpty { fatalError("goodbye not written") }
    return 0
}
