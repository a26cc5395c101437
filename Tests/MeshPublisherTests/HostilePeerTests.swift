import Foundation
import Glibc
import MeshProtocol
import MeshPublisher
import OcclumeshClient
import Synchronization
import Testing
import UnixSocket

/// What one hostile peer can do to the server and to the other clients, over a real socket.
@Suite("hostile peers")
struct HostilePeerTests {
    let topology = Fixtures.topology(vertexCount: 500)

    func start(_ recorder: EventRecorder, queueCapacity: Int = 64) throws -> (MeshPublisher, String) {
        let path = Fixtures.socketPath()
        let configuration = PublisherConfiguration(socketPath: path, queueCapacity: queueCapacity)
        return (try MeshPublisher(configuration: configuration, topology: topology, eventHandler: recorder.handler), path)
    }

    static func subscribedCount(_ recorder: EventRecorder, client: Int? = nil) -> Int {
        recorder.all.filter {
            if case .clientSubscribed(let id, _) = $0 { return client == nil || id == client }
            return false
        }.count
    }

    @Test("a bad message after hello in the same write still gets its goodbye after the welcome")
    func goodbyeAfterWelcome() throws {
        let recorder = EventRecorder()
        let (server, path) = try start(recorder)
        defer { server.stop() }
        let connection = try RawConnection(path: path)
        try connection.send(MessageEncoder.hello() + [1, 0, 0, 0, 0x7E])
        guard case .welcome = try connection.next() else {
            Issue.record("expected the welcome first")
            return
        }
        let farewell = try connection.next()
        guard case .goodbye(let goodbye) = farewell else {
            Issue.record("expected a goodbye after the welcome, got \(String(describing: farewell))")
            return
        }
        #expect(goodbye.code == .protocolViolation)
        #expect(try connection.next() == nil)
    }

    @Test("a client that half-closes after subscribing keeps receiving frames")
    func halfClose() throws {
        let recorder = EventRecorder()
        let (server, path) = try start(recorder)
        defer { server.stop() }
        let connection = try RawConnection(path: path)
        try connection.send(MessageEncoder.hello() + MessageEncoder.subscribe(.coefficientsOnly))
        #expect(shutdown(connection.descriptor, Int32(SHUT_WR)) == 0)
        guard case .welcome = try connection.next(), case .topology = try connection.next() else {
            Issue.record("handshake")
            return
        }
        #expect(waitUntil(timeout: 10) { Self.subscribedCount(recorder) == 1 })
        // Give the server's loop a few turns to see the end of the client's stream before frames go out.
        usleep(200_000)
        for sequence in 0..<5 { server.publish(Fixtures.frame(sequence: UInt64(sequence), topology: topology, faceCount: 1)) }
        var sequences: [UInt64] = []
        for _ in 0..<5 {
            guard case .frame(let frame) = try connection.next() else { break }
            sequences.append(frame.sequence)
        }
        #expect(sequences == [0, 1, 2, 3, 4], "half-closed client still served; events: \(recorder.all)")
    }

    @Test("a subscribe flood gets its sender a goodbye while a good client keeps receiving every frame")
    func subscribeFlood() throws {
        let recorder = EventRecorder()
        let (server, path) = try start(recorder)
        defer { server.stop() }
        let good = ReaderThread(path: path, subscription: .coefficientsOnly)
        #expect(waitUntil(timeout: 10) { Self.subscribedCount(recorder) == 1 })
        let flooder = try RawConnection(path: path)
        let flooderDone = DispatchSemaphore(value: 0)
        let sent = Atomic<Int>(0)
        let flooderDescriptor = flooder.descriptor
        Thread {
            defer { flooderDone.signal() }
            let subscribe = MessageEncoder.subscribe(.coefficientsOnly)
            var batch = MessageEncoder.hello()
            for _ in 0..<300 { batch += subscribe }
            var timeout = timeval(tv_sec: 5, tv_usec: 0)
            setsockopt(flooderDescriptor, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
            // Up to 300,000 subscribes, back to back, until the server hangs up.
            for round in 0..<1000 {
                let bytes = round == 0 ? batch : Array(batch.dropFirst(11))
                let written = bytes.withUnsafeBytes { send(flooderDescriptor, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
                if written <= 0 { return }
                sent.add(300, ordering: .relaxed)
            }
        }.start()
        for sequence in 0..<40 {
            server.publish(Fixtures.frame(sequence: UInt64(sequence), topology: topology, faceCount: 1))
            usleep(5_000)
        }
        #expect(waitUntil(timeout: 15) { good.snapshot.frames.count == 40 }, "the good client got \(good.snapshot.frames.count) of 40 frames")
        #expect(good.snapshot.frames.map(\.sequence) == (0..<40).map { UInt64($0) })
        #expect(flooderDone.wait(timeout: .now() + 20) == .success, "the flooder is cut off")
        #expect(recorder.disconnectReasons.contains { "\($0)".contains("subscribe") }, "\(recorder.disconnectReasons)")
        // The default limit is 10 subscribes a second; the flood lasts well under the test's 20 s.
        let flooderSubscribes = Self.subscribedCount(recorder, client: 2)
        #expect(flooderSubscribes <= 200,
                "flood accepted \(flooderSubscribes) of \(sent.load(ordering: .relaxed)) subscribes")
        // The flooder's goodbye is on its socket, after whatever the server wrote it before.
        var farewell: Goodbye?
        while let message = try? flooder.next() {
            if case .goodbye(let goodbye) = message { farewell = goodbye }
        }
        #expect(farewell?.code == .protocolViolation)
    }
}
