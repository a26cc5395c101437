/// A decoded message from a client.
public enum ClientMessage: Sendable, Equatable {
    /// A hello with a correct magic, carrying the client's protocol version (not yet checked).
    case hello(version: UInt16)
    /// A subscription.
    case subscribe(Subscription)
}

/// A decoded message from the server.
public enum ServerMessage: Sendable, Equatable {
    /// The handshake's answer.
    case welcome(Welcome)
    /// The subscribed region's topology.
    case topology(RegionTopology)
    /// One frame.
    case frame(ReceivedFrame)
    /// Counters.
    case status(StatusReport)
    /// The server closes the connection.
    case goodbye(Goodbye)
}

/// Parses message bodies (after the framer split them off) into typed messages.
public enum MessageDecoder {
    /// Decodes a message a client sent.
    public static func clientMessage(type rawType: UInt8, body: ArraySlice<UInt8>) throws(ProtocolError) -> ClientMessage {
        guard let type = MessageType(rawValue: rawType) else { throw .unknownMessageType(rawType) }
        var reader = ByteReader(body, type: type)
        let message: ClientMessage
        switch type {
        case .hello:
            let magic = try reader.read(UInt32.self)
            guard magic == ProtocolConstants.magic else { throw .badMagic(magic) }
            message = .hello(version: try reader.read(UInt16.self))
        case .subscribe:
            let formatValue = try reader.read(UInt8.self)
            guard let format = VertexFormat(rawValue: formatValue) else { throw .invalidField("vertex_format", Int(formatValue)) }
            let regionValue = try reader.read(UInt8.self)
            guard let region = MeshRegion(rawValue: regionValue) else { throw .invalidField("region", Int(regionValue)) }
            let flags = try reader.read(UInt8.self)
            guard flags <= 1 else { throw .invalidField("flags", Int(flags)) }
            let reserved = try reader.read(UInt8.self)
            guard reserved == 0 else { throw .invalidField("reserved", Int(reserved)) }
            let rate = try reader.readFloat()
            // The error carries the rate as a number, never converted to an integer: any Float can arrive here.
            guard rate.isFinite, rate >= 0 else { throw .invalidNumber("maximum_rate", Double(rate)) }
            message = .subscribe(Subscription(vertexFormat: format, region: region, landmarks: flags == 1, maximumRate: rate))
        default:
            throw .unknownMessageType(rawType)
        }
        try reader.finish()
        return message
    }

    /// Decodes a message the server sent.
    public static func serverMessage(type rawType: UInt8, body: ArraySlice<UInt8>) throws(ProtocolError) -> ServerMessage {
        guard let type = MessageType(rawValue: rawType), rawType >= 0x80 else { throw .unknownMessageType(rawType) }
        var reader = ByteReader(body, type: type)
        let message: ServerMessage
        switch type {
        case .welcome:
            message = .welcome(Welcome(
                version: try reader.read(), queueCapacity: try reader.read(), serverName: try reader.readString(field: "server_name")))
        case .topology:
            message = .topology(try decodeTopology(&reader))
        case .frame:
            message = .frame(try decodeFrame(&reader))
        case .status:
            let dropped = try reader.read(UInt64.self)
            let count = Int(try reader.read(UInt16.self))
            var counters: [StatusCounter] = []
            for _ in 0..<count {
                counters.append(StatusCounter(try reader.readString(field: "counter_name"), try reader.readDouble()))
            }
            message = .status(StatusReport(droppedForClient: dropped, counters: counters))
        case .goodbye:
            let codeValue = try reader.read(UInt8.self)
            guard let code = GoodbyeCode(rawValue: codeValue) else { throw .invalidField("goodbye_code", Int(codeValue)) }
            message = .goodbye(Goodbye(code: code, reason: try reader.readString(field: "reason")))
        case .hello, .subscribe:
            throw .unknownMessageType(rawType)
        }
        try reader.finish()
        return message
    }

    private static func decodeTopology(_ reader: inout ByteReader) throws(ProtocolError) -> RegionTopology {
        let model = try reader.readString(field: "model_id")
        let regionValue = try reader.read(UInt8.self)
        guard let region = MeshRegion(rawValue: regionValue) else { throw .invalidField("region", Int(regionValue)) }
        let vertexCount = Int(try reader.read(UInt32.self))
        let headIndices = try reader.readRaw(UInt32.self, count: Int(try reader.read(UInt32.self)))
        let triangles = try reader.readPacked(UInt32.self, count: Int(try reader.read(UInt32.self)))
        let uvs = try reader.readRaw(SIMD2<Float>.self, count: Int(try reader.read(UInt32.self)))
        let landmarks = try reader.readRaw(UInt32.self, count: Int(try reader.read(UInt16.self)))
        var names: [String] = []
        for _ in 0..<Int(try reader.read(UInt16.self)) { names.append(try reader.readString(field: "expression_name")) }
        let identityDimension = Int(try reader.read(UInt16.self))
        return RegionTopology(
            modelIdentifier: model, region: region, vertexCount: vertexCount, headVertexIndices: headIndices,
            triangles: triangles, textureCoordinates: uvs, landmarkIndices: landmarks, expressionNames: names,
            identityDimension: identityDimension)
    }

    private static func decodeFrame(_ reader: inout ByteReader) throws(ProtocolError) -> ReceivedFrame {
        let sequence = try reader.read(UInt64.self)
        let timestamp = try reader.readDouble()
        let latency = Double(try reader.read(UInt32.self)) / 1_000_000
        let dropped = try reader.read(UInt32.self)
        let formatValue = try reader.read(UInt8.self)
        guard let format = VertexFormat(rawValue: formatValue) else { throw .invalidField("vertex_format", Int(formatValue)) }
        _ = try reader.read(UInt8.self)  // region, described by the topology
        let faceCount = Int(try reader.read(UInt16.self))
        var faces: [PublishedFace] = []
        faces.reserveCapacity(faceCount)
        for _ in 0..<faceCount {
            let track = try reader.read(UInt32.self)
            let confidence = try reader.readFloat()
            let rotation = try reader.readRaw(SIMD4<Float>.self, count: 1)[0]
            let translation = try reader.readPacked(Float.self, count: 1)[0]
            let scale = try reader.readFloat()
            let expression = try reader.readRaw(Float.self, count: Int(try reader.read(UInt16.self)))
            let identity = try reader.readRaw(Float.self, count: Int(try reader.read(UInt16.self)))
            let landmarkCount = Int(try reader.read(UInt16.self))
            let landmarks = try reader.readRaw(SIMD2<Float>.self, count: landmarkCount)
            let visibility = try reader.readRaw(Float.self, count: landmarkCount)
            let vertexCount = Int(try reader.read(UInt32.self))
            let vertices: [SIMD3<Float>]
            switch format {
            case .none:
                guard vertexCount == 0 else { throw .invalidField("vertex_count", vertexCount) }
                vertices = []
            case .float32: vertices = try reader.readPacked(Float.self, count: vertexCount)
            case .float16: vertices = try reader.readHalfVertices(count: vertexCount)
            }
            faces.append(PublishedFace(
                trackIdentifier: track, confidence: confidence,
                pose: PublishedPose(rotation: rotation, translation: translation, scale: scale),
                expressionWeights: expression, identity: identity, landmarks: landmarks,
                landmarkVisibility: visibility, vertices: vertices))
        }
        return ReceivedFrame(sequence: sequence, sourceTimestamp: timestamp, latency: latency, droppedBefore: dropped, faces: faces)
    }
}
