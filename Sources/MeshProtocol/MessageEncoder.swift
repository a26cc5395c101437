/// Builds complete framed messages (header included) of the protocol.
public enum MessageEncoder {
    /// Byte offset, from the start of a framed frame message, of its `dropped_before` field, which the server
    /// fills in when the message leaves its queue (drops are only known then).
    public static let droppedBeforeOffset = ProtocolConstants.headerSize + 8 + 8 + 4

    /// A client's first message.
    public static func hello(version: UInt16 = ProtocolConstants.version) -> [UInt8] {
        var writer = ByteWriter(capacity: 16)
        writer.beginMessage(.hello)
        writer.append(ProtocolConstants.magic)
        writer.append(version)
        writer.endMessage()
        return writer.bytes
    }

    /// A client's subscription.
    public static func subscribe(_ subscription: Subscription) -> [UInt8] {
        var writer = ByteWriter(capacity: 16)
        writer.beginMessage(.subscribe)
        writer.append(subscription.vertexFormat.rawValue)
        writer.append(subscription.region.rawValue)
        writer.append(UInt8(subscription.landmarks ? 1 : 0))
        writer.append(UInt8(0))
        writer.append(subscription.maximumRate)
        writer.endMessage()
        return writer.bytes
    }

    /// The server's answer to an accepted hello.
    public static func welcome(_ welcome: Welcome) -> [UInt8] {
        var writer = ByteWriter(capacity: 32)
        writer.beginMessage(.welcome)
        writer.append(welcome.version)
        writer.append(welcome.queueCapacity)
        writer.append(welcome.serverName)
        writer.endMessage()
        return writer.bytes
    }

    /// The topology of the client's subscribed region.
    public static func topology(_ topology: RegionTopology) -> [UInt8] {
        var writer = ByteWriter(capacity: 64 + topology.vertexCount * 12 + topology.triangles.count * 12)
        writer.beginMessage(.topology)
        writer.append(topology.modelIdentifier)
        writer.append(topology.region.rawValue)
        writer.append(UInt32(topology.vertexCount))
        writer.append(UInt32(topology.headVertexIndices.count))
        writer.appendRaw(topology.headVertexIndices)
        writer.append(UInt32(topology.triangles.count))
        writer.appendPacked(topology.triangles)
        writer.append(UInt32(topology.textureCoordinates.count))
        writer.appendRaw(topology.textureCoordinates)
        writer.append(UInt16(topology.landmarkIndices.count))
        writer.appendRaw(topology.landmarkIndices)
        writer.append(UInt16(topology.expressionNames.count))
        for name in topology.expressionNames { writer.append(name) }
        writer.append(UInt16(topology.identityDimension))
        writer.endMessage()
        return writer.bytes
    }

    /// One frame as a client with `subscription` receives it.
    ///
    /// - Parameters:
    ///   - latency: capture → publish time in seconds.
    ///   - faceAreaVertices: head indices of the face area (`MeshTopology.faceAreaVertices`).
    ///   - includeIdentity: whether to send the identity of a track (it changed, or the client has not seen it).
    public static func frame(
        _ frame: PublishedFrame, latency: Double, subscription: Subscription, faceAreaVertices: [UInt32],
        includeIdentity: (UInt32) -> Bool
    ) -> [UInt8] {
        let vertexBytes = subscription.vertexFormat == .float16 ? 6 : 12
        let estimate = frame.faces.reduce(64) { $0 + 1024 + $1.vertices.count * vertexBytes }
        var writer = ByteWriter(capacity: estimate)
        writer.beginMessage(.frame)
        writer.append(frame.sequence)
        writer.append(frame.sourceTimestamp)
        writer.append(UInt32(clamping: Int64((max(latency, 0) * 1_000_000).rounded())))
        writer.append(UInt32(0))  // dropped_before, filled in by the server at send time
        writer.append(subscription.vertexFormat.rawValue)
        writer.append(subscription.region.rawValue)
        writer.append(UInt16(frame.faces.count))
        for face in frame.faces {
            writer.append(face.trackIdentifier)
            writer.append(face.confidence)
            writer.appendRaw([face.pose.rotation])
            writer.appendPacked(CollectionOfOne(face.pose.translation))
            writer.append(face.pose.scale)
            writer.append(UInt16(face.expressionWeights.count))
            writer.appendRaw(face.expressionWeights)
            let identity = includeIdentity(face.trackIdentifier) ? face.identity : []
            writer.append(UInt16(identity.count))
            writer.appendRaw(identity)
            let landmarkCount = subscription.landmarks ? face.landmarks.count : 0
            writer.append(UInt16(landmarkCount))
            if landmarkCount > 0 {
                precondition(face.landmarkVisibility.count == landmarkCount, "one visibility per landmark")
                writer.appendRaw(face.landmarks)
                writer.appendRaw(face.landmarkVisibility)
            }
            appendVertices(of: face, to: &writer, subscription: subscription, faceAreaVertices: faceAreaVertices)
        }
        writer.endMessage()
        return writer.bytes
    }

    private static func appendVertices(
        of face: PublishedFace, to writer: inout ByteWriter, subscription: Subscription, faceAreaVertices: [UInt32]
    ) {
        guard subscription.vertexFormat != .none, !face.vertices.isEmpty else {
            writer.append(UInt32(0))
            return
        }
        switch subscription.region {
        case .wholeHead:
            writer.append(UInt32(face.vertices.count))
            if subscription.vertexFormat == .float16 { writer.appendHalf(face.vertices) } else { writer.appendPacked(face.vertices) }
        case .faceArea:
            let selected = faceAreaVertices.lazy.map { face.vertices[Int($0)] }
            writer.append(UInt32(faceAreaVertices.count))
            if subscription.vertexFormat == .float16 { writer.appendHalf(selected) } else { writer.appendPacked(selected) }
        }
    }

    /// A status message.
    public static func status(_ report: StatusReport) -> [UInt8] {
        var writer = ByteWriter(capacity: 32 + report.counters.count * 32)
        writer.beginMessage(.status)
        writer.append(report.droppedForClient)
        writer.append(UInt16(report.counters.count))
        for counter in report.counters {
            writer.append(counter.name)
            writer.append(counter.value)
        }
        writer.endMessage()
        return writer.bytes
    }

    /// The last message of a connection.
    public static func goodbye(_ goodbye: Goodbye) -> [UInt8] {
        var writer = ByteWriter(capacity: 32 + goodbye.reason.utf8.count)
        writer.beginMessage(.goodbye)
        writer.append(goodbye.code.rawValue)
        writer.append(goodbye.reason)
        writer.endMessage()
        return writer.bytes
    }
}
