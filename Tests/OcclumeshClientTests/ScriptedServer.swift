import Foundation
import Glibc
import MeshProtocol
import Synchronization
import TestSupport
import UnixSocket

/// A hand-driven server on a real Unix socket: it accepts one client, reads what the client sends first, then plays
/// a script of bytes (whole, split, truncated, oversized or malformed messages) to check how the client takes them.
final class ScriptedServer: Sendable {
    /// One step of a script.
    enum Step: Sendable {
        /// Sends these bytes in one write.
        case send([UInt8])
        /// Sends these bytes one at a time, pausing between them, so the client receives them in many reads.
        case trickle([UInt8])
        /// Reads this many more bytes from the client (kept with what it sent first).
        case read(Int)
        /// Waits for the client to close its end (reads until end of file), up to 10 s.
        case waitForClientToClose
    }

    /// The socket path clients connect to.
    let path: String
    private let listening: Int32
    private let received = Mutex<[UInt8]>([])
    private let finished = DispatchSemaphore(value: 0)

    /// The bytes a client sends first: hello and subscribe.
    static let handshakeLength = MessageEncoder.hello().count + MessageEncoder.subscribe(Subscription()).count

    /// Listens at a fresh path and, on a thread of its own, serves one client: reads its hello and subscribe, plays
    /// `script`, then closes the connection.
    init(_ script: [Step]) throws {
        path = SocketPaths.fresh()
        let address = try UnixSocketAddress(path)
        listening = try Descriptor.unixSocket(type: Int32(SOCK_STREAM.rawValue), nonBlocking: false)
        guard address.withSocketAddress({ bind(listening, $0, $1) }) == 0, listen(listening, 4) == 0 else {
            throw SocketError.systemCall("bind", errno, path)
        }
        Thread { [self] in
            defer { finished.signal() }
            let connection = accept(listening, nil, nil)
            guard connection >= 0 else { return }
            defer { close(connection) }
            var timeout = timeval(tv_sec: 10, tv_usec: 0)
            setsockopt(connection, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
            var buffer = [UInt8](repeating: 0, count: 4096)
            func read(_ total: Int) -> Bool {
                var remaining = total
                while remaining > 0 {
                    let count = recv(connection, &buffer, min(remaining, buffer.count), 0)
                    guard count > 0 else { return false }
                    received.withLock { $0 += buffer[..<count] }
                    remaining -= count
                }
                return true
            }
            guard read(Self.handshakeLength) else { return }
            for step in script {
                switch step {
                case .read(let count):
                    guard read(count) else { return }
                case .send(let bytes):
                    guard send(connection, bytes, bytes.count, Int32(MSG_NOSIGNAL)) == bytes.count else { return }
                case .trickle(let bytes):
                    for byte in bytes {
                        guard send(connection, [byte], 1, Int32(MSG_NOSIGNAL)) == 1 else { return }
                        usleep(300)
                    }
                case .waitForClientToClose:
                    while recv(connection, &buffer, buffer.count, 0) > 0 {}
                }
            }
        }.start()
    }

    deinit {
        close(listening)
        unlink(path)
    }

    /// Waits (up to 20 s) for the script to end; what the client sent before it, or nil if the script did not end.
    func clientBytes() -> [UInt8]? {
        finished.wait(timeout: .now() + 20) == .success ? received.withLock { $0 } : nil
    }

    // MARK: Messages a server sends

    static let welcome = Welcome(version: ProtocolConstants.version, queueCapacity: 8, serverName: "scripted")
    static let topology = RegionTopology(
        modelIdentifier: "scripted-model", region: .faceArea, vertexCount: 3, headVertexIndices: [0, 4, 9],
        triangles: [SIMD3(0, 1, 2)], textureCoordinates: [SIMD2(0, 0), SIMD2(1, 0), SIMD2(0, 1)], landmarkIndices: [1],
        expressionNames: ["jawOpen", "eyeBlink_L"], identityDimension: 2)
    /// Welcome then topology: the server's half of a handshake.
    static let handshake = MessageEncoder.welcome(welcome) + MessageEncoder.topology(topology)

    /// A face of track `track` on the 3-vertex topology above.
    static func face(track: UInt32, identity: [Float]) -> PublishedFace {
        PublishedFace(
            trackIdentifier: track, confidence: 0.5, pose: PublishedPose(rotation: SIMD4(0, 0, 0, 1), translation: SIMD3(1, 2, 3), scale: 1),
            expressionWeights: [0.25, 0.75], identity: identity, landmarks: [SIMD2(4, 5)], landmarkVisibility: [1],
            vertices: (0..<10).map { SIMD3(Float($0), 0, 0) })
    }

    /// Frame `sequence` as the server encodes it for the default subscription; identities are sent for the tracks in
    /// `identityFor` only, as the server does once a client has them.
    static func frame(_ sequence: UInt64, faces: [PublishedFace], identityFor tracks: Set<UInt32>) -> [UInt8] {
        MessageEncoder.frame(
            PublishedFrame(sequence: sequence, sourceTimestamp: Double(sequence) / 30, captureTime: 0, faces: faces),
            latency: 0.001, subscription: Subscription(), faceAreaVertices: [0, 4, 9]) { tracks.contains($0) }
    }
}
