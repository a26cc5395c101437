import Foundation
import Glibc
import MeshProtocol
@testable import MeshPublisher
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

    /// `bind` creates a socket file and only `listen` makes it answer, so a client connecting the moment the file
    /// appears could be refused (the daemon's end-to-end test met that once on a loaded machine). The socket is
    /// bound under `path.<pid>` and linked to the path once it listens: the temporary name is that, a socket left
    /// there by a dead process is cleared, anything else there means binding at the path itself, and a name too
    /// long for `sockaddr_un` too.
    @Test("the socket is bound under a temporary name beside the path")
    func temporaryNameBesideThePath() throws {
        let path = Fixtures.socketPath()
        let temporary = "\(path).\(getpid())"
        #expect(ListeningSocket.temporaryAddress(beside: try UnixSocketAddress(path))?.text == temporary)
        let leftover = try Descriptor.unixSocket(type: Int32(SOCK_STREAM.rawValue), nonBlocking: false)
        #expect(try UnixSocketAddress(temporary).withSocketAddress { bind(leftover, $0, $1) } == 0)
        close(leftover)
        #expect(ListeningSocket.temporaryAddress(beside: try UnixSocketAddress(path))?.text == temporary)
        #expect(!FileManager.default.fileExists(atPath: temporary), "the dead process's socket file is cleared")
        #expect(FileManager.default.createFile(atPath: temporary, contents: Data("keep me".utf8)))
        defer { unlink(temporary) }
        #expect(ListeningSocket.temporaryAddress(beside: try UnixSocketAddress(path)) == nil)
        #expect(FileManager.default.contents(atPath: temporary) == Data("keep me".utf8))
        let longest = "/tmp/" + String(repeating: "x", count: UnixSocketAddress.maximumLength - 5)
        #expect(ListeningSocket.temporaryAddress(beside: try UnixSocketAddress(longest)) == nil)
        #expect(ListeningSocket.temporaryAddress(beside: try UnixSocketAddress("@occlumesh-abstract")) == nil)
    }

    /// Publishing links the listening socket to its path and removes the temporary name; a file another process
    /// made at the path in the meantime is never replaced.
    @Test("the listening socket is published at the path without replacing anything")
    func publishingLinksWithoutReplacing() throws {
        let path = Fixtures.socketPath()
        let publisher = try MeshPublisher(configuration: PublisherConfiguration(socketPath: path), topology: topology,
                                          eventHandler: { _ in })
        defer { publisher.stop() }
        #expect(!FileManager.default.fileExists(atPath: "\(path).\(getpid())"), "no temporary name is left")
        #expect(throws: Never.self, "the published socket answers") { try OcclumeshClient(socketPath: path) }

        let other = Fixtures.socketPath(), temporary = "\(other).\(getpid())"
        let socket = try Descriptor.unixSocket(type: Int32(SOCK_STREAM.rawValue), nonBlocking: false)
        defer { close(socket) }
        #expect(try UnixSocketAddress(temporary).withSocketAddress { bind(socket, $0, $1) } == 0)
        defer { unlink(temporary) }
        #expect(FileManager.default.createFile(atPath: other, contents: Data("made meanwhile".utf8)))
        defer { unlink(other) }
        #expect(throws: PublisherError.pathOccupied(other)) {
            try ListeningSocket.publish(try UnixSocketAddress(temporary), as: try UnixSocketAddress(other))
        }
        #expect(FileManager.default.contents(atPath: other) == Data("made meanwhile".utf8))
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
