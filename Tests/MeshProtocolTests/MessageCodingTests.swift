import MeshProtocol
import Testing

/// Encoding and decoding of every message, and the framer's handling of split, oversized and malformed input.
@Suite("message coding")
struct MessageCodingTests {
    private func decodeServer(_ bytes: [UInt8]) throws -> ServerMessage {
        var framer = MessageFramer(maximumLength: ProtocolConstants.maximumServerMessageLength)
        bytes.withUnsafeBytes { framer.append($0) }
        let message = try framer.nextMessage()
        let (type, body) = try #require(message)
        #expect(!framer.hasPartialMessage)
        return try MessageDecoder.serverMessage(type: type, body: body)
    }

    private func decodeClient(_ bytes: [UInt8]) throws -> ClientMessage {
        var framer = MessageFramer(maximumLength: ProtocolConstants.maximumClientMessageLength)
        bytes.withUnsafeBytes { framer.append($0) }
        let message = try framer.nextMessage()
        let (type, body) = try #require(message)
        return try MessageDecoder.clientMessage(type: type, body: body)
    }

    @Test("hello is the documented eleven bytes")
    func helloIsTheDocumentedElevenBytes() throws {
        #expect(MessageEncoder.hello() == [7, 0, 0, 0, 0x01, 0x4F, 0x43, 0x4D, 0x48, 1, 0])
        #expect(try decodeClient(MessageEncoder.hello(version: 3)) == .hello(version: 3))
    }

    @Test("subscriptions round-trip")
    func subscriptionRoundTrips() throws {
        for format in VertexFormat.allCases {
            for region in MeshRegion.allCases {
                let subscription = Subscription(vertexFormat: format, region: region, landmarks: format != .float16, maximumRate: 12.5)
                #expect(try decodeClient(MessageEncoder.subscribe(subscription)) == .subscribe(subscription))
            }
        }
    }

    @Test("server messages round-trip")
    func serverMessagesRoundTrip() throws {
        let welcome = Welcome(version: 1, queueCapacity: 4, serverName: "occlumeshd test")
        #expect(try decodeServer(MessageEncoder.welcome(welcome)) == .welcome(welcome))
        let status = StatusReport(droppedForClient: 9, counters: [StatusCounter("frames_in", 1e9), StatusCounter("fps", 29.97)])
        #expect(try decodeServer(MessageEncoder.status(status)) == .status(status))
        let goodbye = Goodbye(code: .stalled, reason: "read nothing for 5 s")
        #expect(try decodeServer(MessageEncoder.goodbye(goodbye)) == .goodbye(goodbye))
        let topology = RegionTopology(
            modelIdentifier: "model", region: .faceArea, vertexCount: 3, headVertexIndices: [4, 9, 2],
            triangles: [SIMD3(0, 1, 2)], textureCoordinates: [SIMD2(0, 0), SIMD2(1, 0), SIMD2(0, 1)],
            landmarkIndices: [9], expressionNames: ["jawOpen", "eyeBlinkLeft"], identityDimension: 80)
        #expect(try decodeServer(MessageEncoder.topology(topology)) == .topology(topology))
    }

    @Test("frames round-trip in float32 and float16")
    func frameRoundTripsInFloat32AndFloat16() throws {
        let vertices = (0..<100).map { SIMD3(Float($0) * 0.37, -Float($0), 0.001 * Float($0)) }
        let face = PublishedFace(
            trackIdentifier: 3, confidence: 0.75, pose: PublishedPose(rotation: SIMD4(0.1, 0.2, 0.3, 0.927), translation: SIMD3(1, 2, 3), scale: 0.5),
            expressionWeights: (0..<53).map { Float($0) / 53 }, identity: [1, 2, 3],
            landmarks: (0..<68).map { SIMD2(Float($0), 2 * Float($0)) }, landmarkVisibility: (0..<68).map { Float($0 % 2) },
            vertices: vertices)
        let frame = PublishedFrame(sequence: 1 << 40, sourceTimestamp: 12.345, captureTime: 0, faces: [face])
        let faceArea: [UInt32] = [5, 6, 99]
        let bytes = MessageEncoder.frame(
            frame, latency: 0.0042, subscription: Subscription(vertexFormat: .float32, region: .faceArea), faceAreaVertices: faceArea
        ) { _ in true }
        guard case .frame(let decoded) = try decodeServer(bytes) else {
            Issue.record("not a frame")
            return
        }
        #expect(decoded.sequence == 1 << 40)
        #expect(decoded.sourceTimestamp == 12.345)
        #expect(abs(decoded.latency - 0.0042) <= 1e-6)
        var expected = face
        expected.vertices = faceArea.map { vertices[Int($0)] }
        #expect(decoded.faces == [expected])

        let half = MessageEncoder.frame(
            frame, latency: 0, subscription: Subscription(vertexFormat: .float16, region: .wholeHead, landmarks: false), faceAreaVertices: faceArea
        ) { _ in false }
        #expect(half.count == bytes.count - 3 * 12 + 100 * 6 - 68 * 12 - 3 * 4, "float16 halves vertex bytes; landmarks and identity omitted")
        guard case .frame(let decodedHalf) = try decodeServer(half) else {
            Issue.record("not a frame")
            return
        }
        #expect(decodedHalf.faces[0].identity == [])
        #expect(decodedHalf.faces[0].landmarks == [])
        for (got, want) in zip(decodedHalf.faces[0].vertices, vertices) {
            for lane in 0..<3 { #expect(abs(got[lane] - want[lane]) <= max(abs(want[lane]), 1) / 1024) }
        }
    }

    @Test("the framer reassembles messages split at every byte")
    func framerReassemblesMessagesSplitAtEveryByte() throws {
        let stream = MessageEncoder.welcome(Welcome(version: 1, queueCapacity: 2, serverName: "x"))
            + MessageEncoder.goodbye(Goodbye(code: .serverStopping, reason: "bye"))
        var framer = MessageFramer(maximumLength: 1024)
        var decoded: [ServerMessage] = []
        for byte in stream {
            [byte].withUnsafeBytes { framer.append($0) }
            while let (type, body) = try framer.nextMessage() { decoded.append(try MessageDecoder.serverMessage(type: type, body: body)) }
        }
        #expect(decoded.count == 2)
        #expect(!framer.hasPartialMessage)
    }

    @Test("malformed input is rejected with the cause")
    func malformedInputIsRejectedWithTheCause() throws {
        var framer = MessageFramer(maximumLength: 256)
        ([0x00, 0x10, 0x00, 0x00] as [UInt8]).withUnsafeBytes { framer.append($0) }
        #expect(throws: ProtocolError.invalidLength(4096, limit: 256)) { try framer.nextMessage() }

        var empty = MessageFramer(maximumLength: 256)
        ([0, 0, 0, 0] as [UInt8]).withUnsafeBytes { empty.append($0) }
        #expect(throws: ProtocolError.invalidLength(0, limit: 256)) { try empty.nextMessage() }

        #expect(throws: ProtocolError.truncated(.hello, needed: 2, available: 1)) {
            try MessageDecoder.clientMessage(type: 0x01, body: [0x4F, 0x43, 0x4D, 0x48, 1])
        }
        #expect(throws: ProtocolError.trailingBytes(.hello, 1)) {
            try MessageDecoder.clientMessage(type: 0x01, body: [0x4F, 0x43, 0x4D, 0x48, 1, 0, 9])
        }
        #expect(throws: ProtocolError.invalidField("vertex_format", 3)) {
            try MessageDecoder.clientMessage(type: 0x02, body: [3, 0, 0, 0, 0, 0, 0, 0])
        }
        #expect(throws: ProtocolError.unknownMessageType(0x83)) {
            try MessageDecoder.clientMessage(type: 0x83, body: [])
        }
        #expect(throws: ProtocolError.invalidText("reason")) {
            try MessageDecoder.serverMessage(type: 0x85, body: [1, 2, 0, 0xFF, 0xFE])
        }
    }
}
