#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// An `AF_UNIX` socket address: a file-system path, or a Linux abstract-namespace name.
///
/// Both the mesh socket and systemd's `NOTIFY_SOCKET` are `AF_UNIX` addresses; systemd writes
/// abstract names with a leading `@`, which stands for the leading NUL byte of the kernel's form.
public struct UnixSocketAddress: Sendable, Equatable, CustomStringConvertible {
    /// The address as written by users: a path, or `@name` for the abstract namespace.
    public let text: String

    /// Whether the address lives in the abstract namespace (no file on disk).
    public var isAbstract: Bool { text.hasPrefix("@") }

    /// The longest address `sockaddr_un.sun_path` holds, in bytes (107 plus the terminating NUL for paths).
    public static let maximumLength = 107

    /// Creates an address after checking that it fits `sockaddr_un`.
    public init(_ text: String) throws(SocketError) {
        guard !text.isEmpty else { throw SocketError.invalidAddress(text, "empty address") }
        guard text.utf8.count <= Self.maximumLength else {
            throw SocketError.invalidAddress(text, "longer than \(Self.maximumLength) bytes")
        }
        guard !text.utf8.contains(0) else { throw SocketError.invalidAddress(text, "contains a NUL byte") }
        self.text = text
    }

    /// The address as a user wrote it.
    public var description: String { text }

    /// Calls `body` with the kernel form of the address and its exact length.
    ///
    /// Abstract addresses are passed with the exact length, since every byte of `sun_path` counts in them.
    public func withSocketAddress<Result>(
        _ body: (UnsafePointer<sockaddr>, socklen_t) throws -> Result
    ) rethrows -> Result {
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        var bytes = Array(text.utf8)
        if isAbstract { bytes[0] = 0 }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            raw.copyBytes(from: bytes)
        }
        let pathOffset = MemoryLayout<sockaddr_un>.offset(of: \sockaddr_un.sun_path)!
        let length = socklen_t(pathOffset + bytes.count + (isAbstract ? 0 : 1))
        return try withUnsafePointer(to: &address) { pointer in
            try pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { try body($0, length) }
        }
    }
}
