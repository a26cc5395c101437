import Foundation
import Glibc
import MeshProtocol
import MeshPublisher
import OcclumeshClient
import UnixSocket
import XCTest

/// How the server treats individual misbehaving or surplus clients, over a real socket.
final class ConnectionPolicyTests: XCTestCase {
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

    func testOversizedLengthIsRefusedFromTheHeaderAlone() throws {
        let recorder = EventRecorder()
        let (publisher, path) = try startPublisher(recorder)
        defer { publisher.stop() }
        let connection = try RawConnection(path: path)
        try connection.send([0xFF, 0xFF, 0xFF, 0x7F, 0x01])
        let goodbye = try connection.next()
        guard case .goodbye(let farewell) = goodbye else { return XCTFail("expected goodbye, got \(String(describing: goodbye))") }
        XCTAssertEqual(farewell.code, .protocolViolation)
        XCTAssertNil(try connection.next(), "connection closed after the goodbye")
        recorder.wait { $0 == .clientDisconnected(1, .protocolViolation(.invalidLength(0x7FFF_FFFF, limit: 256))) }
    }

    func testUnknownVersionIsRefusedWithGoodbye() throws {
        let recorder = EventRecorder()
        let (publisher, path) = try startPublisher(recorder)
        defer { publisher.stop() }
        let connection = try RawConnection(path: path)
        try connection.send(MessageEncoder.hello(version: 99))
        XCTAssertEqual(try connection.next(), .goodbye(Goodbye(code: .unsupportedVersion, reason: DisconnectReason.unsupportedVersion(99).description)))
        XCTAssertNil(try connection.next())
        recorder.wait { $0 == .clientDisconnected(1, .unsupportedVersion(99)) }
    }

    func testBadMagicIsAProtocolViolation() throws {
        let recorder = EventRecorder()
        let (publisher, path) = try startPublisher(recorder)
        defer { publisher.stop() }
        let connection = try RawConnection(path: path)
        try connection.send([7, 0, 0, 0, 0x01, 0x41, 0x42, 0x43, 0x44, 1, 0])
        guard case .goodbye(let farewell) = try connection.next() else { return XCTFail("expected goodbye") }
        XCTAssertEqual(farewell.code, .protocolViolation)
        recorder.wait { $0 == .clientDisconnected(1, .protocolViolation(.badMagic(0x4443_4241))) }
    }

    func testClientThatNeverSpeaksIsDroppedAfterHandshakeTimeout() throws {
        let recorder = EventRecorder()
        let (publisher, path) = try startPublisher(recorder, handshakeTimeout: 0.2)
        defer { publisher.stop() }
        let connection = try RawConnection(path: path)
        guard case .goodbye(let farewell) = try connection.next() else { return XCTFail("expected goodbye") }
        XCTAssertEqual(farewell.code, .protocolViolation)
        recorder.wait { $0 == .clientDisconnected(1, .handshakeTimeout) }
    }

    func testMaximumClientsIsEnforcedAndFreedSlotsReused() throws {
        let recorder = EventRecorder()
        let (publisher, path) = try startPublisher(recorder, maximumClients: 2)
        defer { publisher.stop() }
        var first: OcclumeshClient? = try OcclumeshClient(socketPath: path)
        let second = try OcclumeshClient(socketPath: path)
        XCTAssertThrowsError(try OcclumeshClient(socketPath: path)) { error in
            guard case ClientError.refused(let goodbye) = error else { return XCTFail("\(error)") }
            XCTAssertEqual(goodbye.code, .tooManyClients)
        }
        XCTAssertEqual(publisher.statistics.connectionsRefused, 1)
        first?.close()
        first = nil
        recorder.wait { $0 == .clientDisconnected(1, .closedByClient) }
        let third = try OcclumeshClient(socketPath: path)
        XCTAssertEqual(third.welcome.version, ProtocolConstants.version)
        XCTAssertEqual(publisher.statistics.clients, 2)
        _ = second
    }

    func testStopSaysGoodbyeAndRemovesTheSocketFile() throws {
        let recorder = EventRecorder()
        let (publisher, path) = try startPublisher(recorder)
        let client = try OcclumeshClient(socketPath: path)
        publisher.stop(reason: "maintenance")
        XCTAssertNil(try client.nextFrame())
        XCTAssertEqual(client.goodbye, Goodbye(code: .serverStopping, reason: "maintenance"))
        XCTAssertFalse(FileManager.default.fileExists(atPath: path))
        XCTAssertEqual(recorder.all.last, .stopped)
        publisher.publish(Fixtures.frame(sequence: 0, topology: Fixtures.topology(vertexCount: 500)))
        publisher.stop()
    }

    func testRegionFloodIsCutOffBeforeTopologiesPileUp() throws {
        let recorder = EventRecorder()
        let (publisher, path) = try startPublisher(recorder)
        defer { publisher.stop() }
        let connection = try RawConnection(path: path)
        var flood = MessageEncoder.hello() + MessageEncoder.subscribe(Subscription(region: .faceArea))
        for index in 0..<50 { flood += MessageEncoder.subscribe(Subscription(region: index % 2 == 0 ? .wholeHead : .faceArea)) }
        try connection.send(flood)
        recorder.wait { $0 == .clientDisconnected(1, .resubscribingTooFast) }
        XCTAssertNoThrow(try OcclumeshClient(socketPath: path), "the server still serves others")
    }
}
