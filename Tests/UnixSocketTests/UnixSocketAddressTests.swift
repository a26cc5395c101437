import Foundation
import Glibc
import TestSupport
import Testing
import UnixSocket

/// `UnixSocketAddress`: what fits `sockaddr_un`, and the kernel form of paths and abstract names.
@Suite("socket addresses")
struct UnixSocketAddressTests {
    @Test("an empty address, one over 107 bytes and one holding NUL are refused, naming why")
    func refusedAddresses() throws {
        #expect(throws: SocketError.invalidAddress("", "empty address")) { try UnixSocketAddress("") }
        let long = "/tmp/" + String(repeating: "x", count: 103)
        #expect(long.utf8.count == 108)
        #expect(throws: SocketError.invalidAddress(long, "longer than 107 bytes")) { try UnixSocketAddress(long) }
        #expect(throws: SocketError.invalidAddress("/tmp/a\0b", "contains a NUL byte")) { try UnixSocketAddress("/tmp/a\0b") }
        #expect(SocketError.invalidAddress("", "empty address").description == "invalid socket address '': empty address")
    }

    @Test("a path of exactly 107 bytes is accepted and a server bound there can be reached")
    func longestPath() throws {
        let folder = SocketPaths.fresh("")
        let path = folder + String(repeating: "s", count: 107 - folder.utf8.count)
        #expect(path.utf8.count == 107)
        let address = try UnixSocketAddress(path)
        #expect(!address.isAbstract)
        let server = try Descriptor.unixSocket(type: Int32(SOCK_STREAM.rawValue), nonBlocking: false)
        defer { close(server) }
        #expect(address.withSocketAddress { bind(server, $0, $1) } == 0, "bind: \(errorText(errno))")
        #expect(listen(server, 1) == 0)
        #expect(FileManager.default.fileExists(atPath: path))
        let client = try Descriptor.connectedStream(to: address)
        close(client)
    }

    @Test("an abstract name is the exact bytes after the NUL: no file, and a longer name is another address")
    func abstractNames() throws {
        let name = "@occlumesh-test-\(UUID().uuidString.prefix(8))"
        let address = try UnixSocketAddress(name)
        #expect(address.isAbstract)
        #expect(address.description == name)
        // Bind with a hand-made kernel address of the exact length, as systemd and other programs do.
        let server = try Descriptor.unixSocket(type: Int32(SOCK_STREAM.rawValue), nonBlocking: false)
        defer { close(server) }
        var raw = sockaddr_un()
        raw.sun_family = sa_family_t(AF_UNIX)
        let bytes = [0] + Array(name.utf8.dropFirst())
        withUnsafeMutableBytes(of: &raw.sun_path) { $0.copyBytes(from: bytes) }
        let length = socklen_t(MemoryLayout<sockaddr_un>.offset(of: \sockaddr_un.sun_path)! + bytes.count)
        let bound = withUnsafePointer(to: &raw) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(server, $0, length) } }
        #expect(bound == 0, "bind: \(errorText(errno))")
        #expect(listen(server, 1) == 0)
        #expect(!FileManager.default.fileExists(atPath: String(name.dropFirst())))
        let client = try Descriptor.connectedStream(to: address)
        close(client)
        #expect(throws: SocketError.systemCall("connect", ECONNREFUSED, name + "x")) {
            try Descriptor.connectedStream(to: UnixSocketAddress(name + "x"))
        }
    }
}
