import Foundation
import Glibc
import MeshProtocol
import MeshPublisher
import OcclumeshClient
import UnixSocket
import XCTest

/// The socket file: permissions, group, and the rules for replacing what is already at the path.
final class SocketFileTests: XCTestCase {
    private let topology = Fixtures.topology(vertexCount: 500)

    func testSocketGetsConfiguredModeAndGroup() throws {
        let path = Fixtures.socketPath()
        let group = String(cString: getgrgid(getegid())!.pointee.gr_name)
        let publisher = try MeshPublisher(
            configuration: PublisherConfiguration(socketPath: path, socketMode: 0o660, socketGroup: group),
            topology: topology, eventHandler: { _ in })
        defer { publisher.stop() }
        var status = stat()
        XCTAssertEqual(lstat(path, &status), 0)
        XCTAssertEqual(status.st_mode & S_IFMT, S_IFSOCK)
        XCTAssertEqual(status.st_mode & 0o777, 0o660)
        XCTAssertEqual(status.st_gid, getegid())
    }

    func testUnknownGroupIsAnError() {
        XCTAssertThrowsError(try MeshPublisher(
            configuration: PublisherConfiguration(socketPath: Fixtures.socketPath(), socketGroup: "no-such-group-occlumesh"),
            topology: topology, eventHandler: { _ in })
        ) { XCTAssertEqual($0 as? PublisherError, .unknownGroup("no-such-group-occlumesh")) }
    }

    func testStaleSocketIsReplaced() throws {
        let path = Fixtures.socketPath()
        // A socket file left behind by a process that died: bound, never listening, closed without unlink.
        let stale = try Descriptor.unixSocket(type: Int32(SOCK_STREAM.rawValue), nonBlocking: false)
        XCTAssertEqual(try UnixSocketAddress(path).withSocketAddress { bind(stale, $0, $1) }, 0)
        close(stale)
        let recorder = EventRecorder()
        let publisher = try MeshPublisher(
            configuration: PublisherConfiguration(socketPath: path), topology: topology, eventHandler: recorder.handler)
        defer { publisher.stop() }
        XCTAssertEqual(recorder.all.first, .staleSocketReplaced(path))
        let client = try OcclumeshClient(socketPath: path)
        XCTAssertEqual(client.topology.modelIdentifier, topology.modelIdentifier)
    }

    func testLiveServerIsNotReplaced() throws {
        let path = Fixtures.socketPath()
        let first = try MeshPublisher(configuration: PublisherConfiguration(socketPath: path), topology: topology, eventHandler: { _ in })
        defer { first.stop() }
        XCTAssertThrowsError(try MeshPublisher(
            configuration: PublisherConfiguration(socketPath: path), topology: topology, eventHandler: { _ in })
        ) { XCTAssertEqual($0 as? PublisherError, .alreadyServed(path)) }
        XCTAssertNoThrow(try OcclumeshClient(socketPath: path), "the first server still serves")
    }

    func testRegularFileAtThePathIsLeftAlone() throws {
        let path = Fixtures.socketPath()
        XCTAssertTrue(FileManager.default.createFile(atPath: path, contents: Data("keep me".utf8)))
        XCTAssertThrowsError(try MeshPublisher(
            configuration: PublisherConfiguration(socketPath: path), topology: topology, eventHandler: { _ in })
        ) { XCTAssertEqual($0 as? PublisherError, .pathOccupied(path)) }
        XCTAssertEqual(FileManager.default.contents(atPath: path), Data("keep me".utf8))
    }
}
