import Glibc
import MeshProtocol
import MeshPublisher
import OcclumeshClient
import Testing
import UnixSocket

/// Several clients at once over a real socket: the well-behaved ones get every frame, in order and intact,
/// while a stalled one, junk senders and one that hangs up mid-message are dealt with alone.
@Suite("streaming to many clients")
struct StreamingTests {
    @Test("good clients receive every frame while bad clients are disconnected alone")
    func goodClientsReceiveEveryFrameWhileBadClientsAreDisconnectedAlone() throws {
        let path = Fixtures.socketPath()
        let topology = Fixtures.topology()
        let recorder = EventRecorder()
        // The stalled client's topology alone fills its socket, so its stall clock runs from its subscription on: 5 s
        // leave time, on a loaded machine, to publish the frames that overflow its queue before it is dropped.
        let configuration = PublisherConfiguration(
            socketPath: path, maximumClients: 16, queueCapacity: 4, stallTimeout: 5, handshakeTimeout: 5,
            sendBufferSize: 16384)
        let publisher = try MeshPublisher(configuration: configuration, topology: topology, eventHandler: recorder.handler)
        defer { publisher.stop() }

        let subscriptions = [
            Subscription(vertexFormat: .float32, region: .wholeHead, landmarks: true),
            Subscription(vertexFormat: .float16, region: .faceArea, landmarks: true),
            Subscription.coefficientsOnly,
        ]
        let readers = subscriptions.map { ReaderThread(path: path, subscription: $0) }

        // Stalled: subscribes to the largest frames and never reads.
        let stalled = try RawConnection(path: path)
        try stalled.send(MessageEncoder.hello() + MessageEncoder.subscribe(Subscription(vertexFormat: .float32, region: .wholeHead)))
        // Junk: an HTTP request, whose first four bytes read as a 540 MB length.
        let junk = try RawConnection(path: path)
        try junk.send(Array("GET / HTTP/1.1\r\nHost: x\r\n\r\n".utf8))
        // Junk within the length limit: a well-framed message of unknown type after a valid hello.
        let unknownType = try RawConnection(path: path)
        try unknownType.send(MessageEncoder.hello() + [3, 0, 0, 0, 0x7F, 1, 2])
        // Hangs up in the middle of its subscription.
        let halfSent = try RawConnection(path: path)
        try halfSent.send(MessageEncoder.hello() + Array(MessageEncoder.subscribe(Subscription()).prefix(6)))

        #expect(waitUntil(timeout: 10) { readers.allSatisfy { $0.snapshot.connected } }, "good clients did not connect")
        #expect(waitUntil(timeout: 10) { recorder.all.filter { if case .clientSubscribed = $0 { true } else { false } }.count == 4 })
        halfSent.closeNow()

        let frameCount: UInt64 = 60
        var published: [PublishedFrame] = []
        for sequence in 0..<frameCount {
            let frame = Fixtures.frame(sequence: sequence, topology: topology, identityEpoch: sequence < 30 ? 0 : 1)
            published.append(frame)
            publisher.publish(frame)
            let delivered = waitUntil(timeout: 10) { readers.allSatisfy { $0.snapshot.frames.count == Int(sequence) + 1 } }
            #expect(delivered, "frame \(sequence) did not reach every good client")
        }

        recorder.wait(timeout: 20) { if case .clientDisconnected(_, .stalled) = $0 { true } else { false } }
        let reasons = recorder.disconnectReasons
        #expect(reasons.contains(.protocolViolation(.invalidLength(0x2054_4547, limit: 256))), "\(reasons)")
        #expect(reasons.contains(.protocolViolation(.unknownMessageType(0x7F))), "\(reasons)")
        #expect(reasons.contains(.closedMidMessage), "\(reasons)")
        #expect(reasons.count == 4, "only the four bad clients are disconnected: \(reasons)")
        #expect(publisher.statistics.messagesDropped > 0, "the stalled client's queue overflowed")
        #expect(publisher.statistics.clients == 3)

        for (reader, subscription) in zip(readers, subscriptions) {
            let progress = reader.snapshot
            #expect(progress.error == nil)
            #expect(progress.frames.map(\.sequence) == Array(0..<frameCount), "\(subscription)")
            let topologyVertices = subscription.region == .wholeHead ? topology.vertexCount : topology.faceAreaVertices.count
            #expect(progress.topology?.vertexCount == topologyVertices)
            for (received, sent) in zip(progress.frames, published) {
                #expect(received.droppedBefore == 0)
                #expect(received.sourceTimestamp == sent.sourceTimestamp)
                #expect(received.faces.count == sent.faces.count)
                for (face, original) in zip(received.faces, sent.faces) {
                    #expect(face.trackIdentifier == original.trackIdentifier)
                    #expect(face.pose == original.pose)
                    #expect(face.expressionWeights == original.expressionWeights)
                    #expect(face.identity == original.identity, "identity filled from the client's cache")
                    #expect(face.landmarks == (subscription.landmarks ? original.landmarks : []))
                    #expect(face.landmarkVisibility == (subscription.landmarks ? original.landmarkVisibility : []))
                    let expected = subscription.region == .wholeHead
                        ? original.vertices : topology.faceAreaVertices.map { original.vertices[Int($0)] }
                    switch subscription.vertexFormat {
                    case .none: #expect(face.vertices.isEmpty)
                    case .float32: #expect(face.vertices == expected)
                    case .float16:
                        #expect(face.vertices.count == expected.count)
                        let worst = zip(face.vertices, expected).map { pair -> Float in
                            let error = pair.0 - pair.1
                            return max(error.max(), -error.min()) / max(1, max(pair.1.max(), -pair.1.min()))
                        }.max() ?? 0
                        #expect(worst < 1e-3)
                    }
                }
            }
        }
    }
}

extension RawConnection {
    /// Closes the socket now (the descriptor is otherwise closed on deinit).
    func closeNow() { shutdown(descriptor, Int32(SHUT_RDWR)) }
}
