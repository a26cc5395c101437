import Foundation
import MeshProtocol
import MeshPublisher
import OcclumeshClient
import Testing

/// What a subscription changes in the stream: rate, identity, status, resubscription.
@Suite("subscriptions")
struct SubscriptionTests {
    private let topology = Fixtures.topology(vertexCount: 500)

    /// A server whose client queues hold every frame these tests publish back to back, so that no frame is
    /// dropped however the threads are scheduled.
    private func publisher(_ recorder: EventRecorder = EventRecorder()) throws -> (MeshPublisher, String) {
        let path = Fixtures.socketPath()
        let configuration = PublisherConfiguration(socketPath: path, queueCapacity: 64)
        return (try MeshPublisher(configuration: configuration, topology: topology, eventHandler: recorder.handler), path)
    }

    private func waitForSubscribers(_ recorder: EventRecorder, _ count: Int) {
        #expect(waitUntil(timeout: 10) {
            recorder.all.filter { if case .clientSubscribed = $0 { true } else { false } }.count >= count
        })
    }

    @Test("a maximum rate skips frames by source time")
    func maximumRateSkipsFramesBySourceTime() throws {
        let recorder = EventRecorder()
        let (server, path) = try publisher(recorder)
        defer { server.stop() }
        let reader = ReaderThread(path: path, subscription: Subscription(vertexFormat: .none, landmarks: false, maximumRate: 10))
        waitForSubscribers(recorder, 1)
        // Paced so the small per-client queue never overflows on a loaded machine: what is tested is the
        // rate limit, not drop-oldest (which has its own test).
        for sequence in 0..<30 {
            server.publish(Fixtures.frame(sequence: UInt64(sequence), topology: topology))
            let kept = sequence / 3 + 1
            #expect(waitUntil(timeout: 10) { reader.snapshot.frames.count >= kept || sequence % 3 != 0 })
        }
        #expect(waitUntil(timeout: 10) { reader.snapshot.frames.count == 10 })
        #expect(reader.snapshot.frames.map(\.sequence) == stride(from: 0, to: 30, by: 3).map { UInt64($0) })
    }

    @Test("identity is sent only when it changes")
    func identityIsSentOnlyWhenItChanges() throws {
        let recorder = EventRecorder()
        let (server, path) = try publisher(recorder)
        defer { server.stop() }
        let connection = try RawConnection(path: path)
        try connection.send(MessageEncoder.hello() + MessageEncoder.subscribe(.coefficientsOnly))
        guard case .welcome = try connection.next(), case .topology = try connection.next() else {
            Issue.record("handshake")
            return
        }
        waitForSubscribers(recorder, 1)
        let epochs = [0, 0, 1, 1]
        for (sequence, epoch) in epochs.enumerated() {
            server.publish(Fixtures.frame(sequence: UInt64(sequence), topology: topology, faceCount: 1, identityEpoch: epoch))
        }
        var identityCounts: [Int] = []
        for _ in epochs {
            guard case .frame(let frame) = try connection.next() else {
            Issue.record("expected a frame")
            return
        }
            identityCounts.append(frame.faces[0].identity.count)
            #expect(frame.faces[0].vertices.isEmpty && frame.faces[0].landmarks.isEmpty, "coefficients only")
        }
        #expect(identityCounts == [80, 0, 80, 0])
    }

    @Test("status carries pipeline and publisher counters")
    func statusCarriesPipelineAndPublisherCounters() throws {
        let recorder = EventRecorder()
        let (server, path) = try publisher(recorder)
        defer { server.stop() }
        let reader = ReaderThread(path: path, subscription: Subscription())
        waitForSubscribers(recorder, 1)
        server.publish(Fixtures.frame(sequence: 0, topology: topology))
        server.publishStatus([StatusCounter("frames_in", 42), StatusCounter("stage_regress_ms", 3.5)])
        #expect(waitUntil(timeout: 10) { !reader.snapshot.statuses.isEmpty })
        let status = reader.snapshot.statuses[0]
        #expect(status["frames_in"] == 42)
        #expect(status["stage_regress_ms"] == 3.5)
        #expect(status["clients"] == 1)
        #expect(status["frames_published"] == 1)
        #expect(status.droppedForClient == 0)
    }

    @Test("resubscribing to another region sends its topology")
    func resubscribingToAnotherRegionSendsItsTopology() throws {
        let recorder = EventRecorder()
        let (server, path) = try publisher(recorder)
        defer { server.stop() }
        let client = try OcclumeshClient(socketPath: path, subscription: Subscription(region: .faceArea))
        #expect(client.topology.vertexCount == topology.faceAreaVertices.count)
        #expect(client.topology.headVertexIndices == topology.faceAreaVertices)
        try client.resubscribe(Subscription(region: .wholeHead))
        guard case .topology(let whole) = try client.nextMessage() else {
            Issue.record("expected topology")
            return
        }
        #expect(whole == RegionTopology(topology, region: .wholeHead))
        waitForSubscribers(recorder, 2)
        server.publish(Fixtures.frame(sequence: 5, topology: topology))
        #expect(try client.nextFrame()?.faces.first?.vertices.count == topology.vertexCount)
    }

    @Test("a slow reader sees how many frames were dropped before each frame")
    func slowReaderSeesHowManyFramesWereDroppedBeforeEachFrame() throws {
        let recorder = EventRecorder()
        let path = Fixtures.socketPath()
        let server = try MeshPublisher(
            configuration: PublisherConfiguration(socketPath: path, queueCapacity: 2, stallTimeout: 30, sendBufferSize: 4096),
            topology: topology, eventHandler: recorder.handler)
        defer { server.stop() }
        let subscription = Subscription(vertexFormat: .float32, region: .wholeHead)
        let connection = try RawConnection(path: path)
        try connection.send(MessageEncoder.hello() + MessageEncoder.subscribe(subscription))
        // A reader with the same subscription shares each frame's encoding with the slow one.
        let reader = ReaderThread(path: path, subscription: subscription)
        waitForSubscribers(recorder, 2)
        let frameCount = 40
        for sequence in 0..<frameCount {
            server.publish(Fixtures.frame(sequence: UInt64(sequence), topology: topology))
            #expect(waitUntil(timeout: 10) { reader.snapshot.frames.count == sequence + 1 })
        }
        #expect(reader.snapshot.frames.map(\.sequence) == (0..<UInt64(frameCount)).map { $0 })
        #expect(reader.snapshot.frames.map(\.droppedBefore) == Array(repeating: 0, count: frameCount), "the slow client's drop counts are written into its own copy only")
        var sequences: [UInt64] = []
        var dropped: [UInt32] = []
        while sequences.last != UInt64(frameCount - 1) {
            guard let message = try connection.next() else {
            Issue.record("connection closed")
            return
        }
            if case .frame(let frame) = message {
                sequences.append(frame.sequence)
                dropped.append(frame.droppedBefore)
            }
        }
        #expect(sequences.count < frameCount, "some frames were dropped")
        var previous: Int64 = -1
        for (sequence, droppedBefore) in zip(sequences, dropped) {
            #expect(Int64(sequence) - previous - 1 == Int64(droppedBefore), "gap before frame \(sequence)")
            previous = Int64(sequence)
        }
        #expect(server.statistics.messagesDropped == UInt64(frameCount - sequences.count))
    }
}
