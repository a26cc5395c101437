import Foundation
import Glibc
import MeshProtocol
import MeshPublisher
import Synchronization
import UnixSocket
import TestSupport
import Testing

/// Synthetic mesh data made by code: a grid "head" whose face area is its first half.
enum Fixtures {
    static func topology(vertexCount: Int = 3000) -> MeshTopology {
        let columns = 50
        let rows = vertexCount / columns
        var triangles: [SIMD3<UInt32>] = []
        for row in 0..<(rows - 1) {
            for column in 0..<(columns - 1) {
                let corner = UInt32(row * columns + column)
                triangles.append(SIMD3(corner, corner + 1, corner + UInt32(columns)))
                triangles.append(SIMD3(corner + 1, corner + UInt32(columns) + 1, corner + UInt32(columns)))
            }
        }
        let faceArea = (0..<UInt32(vertexCount / 2)).map { $0 }
        let faceTriangles = triangles.filter { $0.max() < UInt32(vertexCount / 2) }
        return MeshTopology(
            modelIdentifier: "grid-test-\(vertexCount)", vertexCount: rows * columns, triangles: triangles,
            textureCoordinates: (0..<(rows * columns)).map { SIMD2(Float($0 % columns) / Float(columns), Float($0 / columns) / Float(rows)) },
            faceAreaVertices: faceArea, faceAreaTriangles: faceTriangles,
            landmarkIndices: (0..<68).map { UInt32($0 * (vertexCount / 68)) },
            expressionNames: (0..<53).map { "expression\($0)" }, identityDimension: 80)
    }

    /// Frame `sequence` with `faceCount` faces whose every number depends on the sequence, so a client can check it.
    static func frame(sequence: UInt64, topology: MeshTopology, faceCount: Int = 2, identityEpoch: Int = 0) -> PublishedFrame {
        let base = Float(sequence)
        let faces = (0..<faceCount).map { faceIndex in
            let offset = base + Float(faceIndex) * 0.5
            return PublishedFace(
                trackIdentifier: UInt32(faceIndex + 7), confidence: 0.9,
                pose: PublishedPose(rotation: SIMD4(0, 0, sin(offset / 100), cos(offset / 100)), translation: SIMD3(offset, 1, -2), scale: 1.5),
                expressionWeights: (0..<53).map { Float($0) / 53 + offset / 1000 },
                identity: (0..<80).map { Float($0 + identityEpoch + faceIndex) / 80 },
                landmarks: (0..<68).map { SIMD2(Float($0) * 3 + offset, Float($0) * 2) },
                landmarkVisibility: (0..<68).map { $0 % 3 == 0 ? 0 : 1 },
                vertices: (0..<topology.vertexCount).map { SIMD3(Float($0) * 0.01, offset * 0.01, Float($0 % 7)) })
        }
        return PublishedFrame(sequence: sequence, sourceTimestamp: Double(sequence) / 30, captureTime: 0, faces: faces)
    }

    /// A short socket path in a fresh directory under /tmp (sun_path holds 107 bytes).
    static func socketPath() -> String {
        SocketPaths.fresh()
    }
}

/// Collects publisher events and waits for them.
final class EventRecorder: Sendable {
    private let events = Mutex<[PublisherEvent]>([])

    var handler: @Sendable (PublisherEvent) -> Void { { [self] event in events.withLock { $0.append(event) } } }

    var all: [PublisherEvent] { events.withLock { $0 } }

    /// Waits up to `timeout` seconds for an event matching `predicate`.
    func wait(timeout: Double = 10, sourceLocation: SourceLocation = #_sourceLocation, _ predicate: (PublisherEvent) -> Bool) {
        let found = waitUntil(timeout: timeout) { all.contains(where: predicate) }
        #expect(found, "no matching event; saw \(all)", sourceLocation: sourceLocation)
    }

    /// The disconnect reasons recorded so far.
    var disconnectReasons: [DisconnectReason] {
        all.compactMap { if case .clientDisconnected(_, let reason) = $0 { return reason } else { return nil } }
    }
}

/// Polls `condition` every 2 ms until it holds or `timeout` seconds pass.
func waitUntil(timeout: Double, _ condition: () -> Bool) -> Bool {
    let deadline = Date().addingTimeInterval(timeout)
    while Date() < deadline {
        if condition() { return true }
        usleep(2000)
    }
    return condition()
}

/// A hand-driven client socket: sends arbitrary bytes and decodes server messages without any client-side
/// caching, to check exactly what is on the wire.
final class RawConnection {
    let descriptor: Int32
    private var framer = MessageFramer(maximumLength: ProtocolConstants.maximumServerMessageLength)

    init(path: String) throws {
        descriptor = try Descriptor.connectedStream(to: try UnixSocketAddress(path))
        var timeout = timeval(tv_sec: 10, tv_usec: 0)
        setsockopt(descriptor, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    }

    deinit { close(descriptor) }

    func send(_ bytes: [UInt8]) throws {
        try bytes.withUnsafeBytes { try Descriptor.sendAll(descriptor, $0) }
    }

    /// The next message, or nil when the server closed the connection.
    func next() throws -> ServerMessage? {
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            if let (type, body) = try framer.nextMessage() { return try MessageDecoder.serverMessage(type: type, body: body) }
            let count = try buffer.withUnsafeMutableBytes { try Descriptor.receive(descriptor, into: $0) }
            if count == 0 { return nil }
            buffer.withUnsafeBytes { framer.append(UnsafeRawBufferPointer(rebasing: $0[..<count])) }
        }
    }
}
