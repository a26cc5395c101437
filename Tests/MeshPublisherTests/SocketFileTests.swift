import Foundation
import Glibc
import MeshProtocol
import MeshPublisher
import OcclumeshClient
import Testing
import UnixSocket

/// The socket file: permissions, group, and the rules for replacing what is already at the path.
@Suite("socket file")
struct SocketFileTests {
    private let topology = Fixtures.topology(vertexCount: 500)

    @Test("the socket gets the configured mode and group")
    func socketGetsConfiguredModeAndGroup() throws {
        let path = Fixtures.socketPath()
        let group = String(cString: getgrgid(getegid())!.pointee.gr_name)
        let publisher = try MeshPublisher(
            configuration: PublisherConfiguration(socketPath: path, socketMode: 0o660, socketGroup: group),
            topology: topology, eventHandler: { _ in })
        defer { publisher.stop() }
        var status = stat()
        #expect(lstat(path, &status) == 0)
        #expect(status.st_mode & S_IFMT == S_IFSOCK)
        #expect(status.st_mode & 0o777 == 0o660)
        #expect(status.st_gid == getegid())
    }

    @Test("an unknown group is an error")
    func unknownGroupIsAnError() {
        #expect(throws: PublisherError.unknownGroup("no-such-group-occlumesh")) {
            try MeshPublisher(
                configuration: PublisherConfiguration(socketPath: Fixtures.socketPath(), socketGroup: "no-such-group-occlumesh"),
                topology: topology, eventHandler: { _ in })
        }
    }

    @Test("a stale socket is replaced")
    func staleSocketIsReplaced() throws {
        let path = Fixtures.socketPath()
        // A socket file left behind by a process that died: bound, never listening, closed without unlink.
        let stale = try Descriptor.unixSocket(type: Int32(SOCK_STREAM.rawValue), nonBlocking: false)
        #expect(try UnixSocketAddress(path).withSocketAddress { bind(stale, $0, $1) } == 0)
        close(stale)
        let recorder = EventRecorder()
        let publisher = try MeshPublisher(
            configuration: PublisherConfiguration(socketPath: path), topology: topology, eventHandler: recorder.handler)
        defer { publisher.stop() }
        #expect(recorder.all.first == .staleSocketReplaced(path))
        let client = try OcclumeshClient(socketPath: path)
        #expect(client.topology.modelIdentifier == topology.modelIdentifier)
    }

    @Test("a live server is not replaced")
    func liveServerIsNotReplaced() throws {
        let path = Fixtures.socketPath()
        let first = try MeshPublisher(configuration: PublisherConfiguration(socketPath: path), topology: topology, eventHandler: { _ in })
        defer { first.stop() }
        #expect(throws: PublisherError.alreadyServed(path)) {
            try MeshPublisher(configuration: PublisherConfiguration(socketPath: path), topology: topology, eventHandler: { _ in })
        }
        #expect(throws: Never.self, "the first server still serves") { try OcclumeshClient(socketPath: path) }
    }

    @Test("a regular file at the path is left alone")
    func regularFileAtThePathIsLeftAlone() throws {
        let path = Fixtures.socketPath()
        #expect(FileManager.default.createFile(atPath: path, contents: Data("keep me".utf8)))
        #expect(throws: PublisherError.pathOccupied(path)) {
            try MeshPublisher(configuration: PublisherConfiguration(socketPath: path), topology: topology, eventHandler: { _ in })
        }
        #expect(FileManager.default.contents(atPath: path) == Data("keep me".utf8))
    }
}
