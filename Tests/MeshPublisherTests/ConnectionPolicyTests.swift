import Foundation
import Glibc
import MeshProtocol
import MeshPublisher
import OcclumeshClient
import Testing
import UnixSocket

/// How the server treats individual misbehaving or surplus clients, over a real socket.
@Suite("connection policy")
struct ConnectionPolicyTests {
    private func startPublisher(
        _ recorder: EventRecorder, maximumClients: Int = 4, handshakeTimeout: Double = 5
    ) throws -> (MeshPublisher, String) {
        let path = Fixtures.socketPath()
        let configuration = PublisherConfiguration(
            socketPath: path, maximumClients: maximumClients, handshakeTimeout: handshakeTimeout)
        let publisher = try MeshPublisher(
            configuration: configuration, topology: Fixtures.topology(vertexCount: 500), eventHandler: recorder.handler)
        return (publisher, path)
    }

    @Test("an oversized length is refused from the header alone")
    func oversizedLengthIsRefusedFromTheHeaderAlone() throws {
        let recorder = EventRecorder()
        let (publisher, path) = try startPublisher(recorder)
        defer { publisher.stop() }
        let connection = try RawConnection(path: path)
        try connection.send([0xFF, 0xFF, 0xFF, 0x7F, 0x01])
        let goodbye = try connection.next()
        guard case .goodbye(let farewell) = goodbye else {
            Issue.record("expected goodbye, got \(String(describing: goodbye))")
            return
        }
        #expect(farewell.code == .protocolViolation)
        #expect(try connection.next() == nil, "connection closed after the goodbye")
        recorder.wait { $0 == .clientDisconnected(1, .protocolViolation(.invalidLength(0x7FFF_FFFF, limit: 256))) }
    }

    @Test("an unknown version is refused with a goodbye")
    func unknownVersionIsRefusedWithGoodbye() throws {
        let recorder = EventRecorder()
        let (publisher, path) = try startPublisher(recorder)
        defer { publisher.stop() }
        let connection = try RawConnection(path: path)
        try connection.send(MessageEncoder.hello(version: 99))
        #expect(try connection.next() == .goodbye(Goodbye(code: .unsupportedVersion, reason: DisconnectReason.unsupportedVersion(99).description)))
        #expect(try connection.next() == nil)
        recorder.wait { $0 == .clientDisconnected(1, .unsupportedVersion(99)) }
    }

    @Test("a bad magic is a protocol violation")
    func badMagicIsAProtocolViolation() throws {
        let recorder = EventRecorder()
        let (publisher, path) = try startPublisher(recorder)
        defer { publisher.stop() }
        let connection = try RawConnection(path: path)
        try connection.send([7, 0, 0, 0, 0x01, 0x41, 0x42, 0x43, 0x44, 1, 0])
        guard case .goodbye(let farewell) = try connection.next() else {
            Issue.record("expected goodbye")
            return
        }
        #expect(farewell.code == .protocolViolation)
        recorder.wait { $0 == .clientDisconnected(1, .protocolViolation(.badMagic(0x4443_4241))) }
    }

    @Test("a client that never speaks is dropped after handshake timeout")
    func clientThatNeverSpeaksIsDroppedAfterHandshakeTimeout() throws {
        let recorder = EventRecorder()
        let (publisher, path) = try startPublisher(recorder, handshakeTimeout: 0.2)
        defer { publisher.stop() }
        let connection = try RawConnection(path: path)
        guard case .goodbye(let farewell) = try connection.next() else {
            Issue.record("expected goodbye")
            return
        }
        #expect(farewell.code == .protocolViolation)
        recorder.wait { $0 == .clientDisconnected(1, .handshakeTimeout) }
    }

    @Test("the maximum of clients is enforced and freed slots are reused")
    func maximumClientsIsEnforcedAndFreedSlotsReused() throws {
        let recorder = EventRecorder()
        let (publisher, path) = try startPublisher(recorder, maximumClients: 2)
        defer { publisher.stop() }
        var first: OcclumeshClient? = try OcclumeshClient(socketPath: path)
        let second = try OcclumeshClient(socketPath: path)
        let error = #expect(throws: ClientError.self) { try OcclumeshClient(socketPath: path) }
        guard case .refused(let goodbye)? = error else {
            Issue.record("\(String(describing: error))")
            return
        }
        #expect(goodbye.code == .tooManyClients)
        #expect(publisher.statistics.connectionsRefused == 1)
        first?.close()
        first = nil
        recorder.wait { $0 == .clientDisconnected(1, .closedByClient) }
        let third = try OcclumeshClient(socketPath: path)
        #expect(third.welcome.version == ProtocolConstants.version)
        #expect(publisher.statistics.clients == 2)
        _ = second
    }

    @Test("stopping says goodbye and removes the socket file")
    func stopSaysGoodbyeAndRemovesTheSocketFile() throws {
        let recorder = EventRecorder()
        let (publisher, path) = try startPublisher(recorder)
        let client = try OcclumeshClient(socketPath: path)
        publisher.stop(reason: "maintenance")
        #expect(try client.nextFrame() == nil)
        #expect(client.goodbye == Goodbye(code: .serverStopping, reason: "maintenance"))
        #expect(!(FileManager.default.fileExists(atPath: path)))
        #expect(recorder.all.last == .stopped)
        publisher.publish(Fixtures.frame(sequence: 0, topology: Fixtures.topology(vertexCount: 500)))
        publisher.stop()
    }

    @Test("a region flood is cut off before topologies pile up")
    func regionFloodIsCutOffBeforeTopologiesPileUp() throws {
        let recorder = EventRecorder()
        let (publisher, path) = try startPublisher(recorder)
        defer { publisher.stop() }
        let connection = try RawConnection(path: path)
        var flood = MessageEncoder.hello() + MessageEncoder.subscribe(Subscription(region: .faceArea))
        for index in 0..<50 { flood += MessageEncoder.subscribe(Subscription(region: index % 2 == 0 ? .wholeHead : .faceArea)) }
        try connection.send(flood)
        recorder.wait { $0 == .clientDisconnected(1, .resubscribingTooFast) }
        #expect(throws: Never.self, "the server still serves others") { try OcclumeshClient(socketPath: path) }
    }
}
