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
}
