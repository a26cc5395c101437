#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Small helpers over raw file descriptors shared by the server, the client and the systemd notifier.
public enum Descriptor {
    /// Opens an `AF_UNIX` socket of `type` (`SOCK_STREAM`, `SOCK_DGRAM`) that closes on `exec`.
    public static func unixSocket(type: Int32, nonBlocking: Bool) throws(SocketError) -> Int32 {
        #if os(Linux)
        var flags = Int32(SOCK_CLOEXEC.rawValue)
        if nonBlocking { flags |= Int32(SOCK_NONBLOCK.rawValue) }
        let descriptor = socket(AF_UNIX, type | flags, 0)
        #else
        let descriptor = socket(AF_UNIX, type, 0)
        #endif
        guard descriptor >= 0 else { throw SocketError.systemCall("socket", errno, "AF_UNIX") }
        #if !os(Linux)
        if nonBlocking { try setNonBlocking(descriptor) }
        #endif
        return descriptor
    }

    /// Connects `descriptor` to `address`.
    public static func connect(_ descriptor: Int32, to address: UnixSocketAddress) throws(SocketError) {
        let result = address.withSocketAddress { pointer, length in
        #if canImport(Glibc)
            Glibc.connect(descriptor, pointer, length)
        #else
            Darwin.connect(descriptor, pointer, length)
        #endif
        }
        guard result == 0 else { throw SocketError.systemCall("connect", errno, address.text) }
    }

    /// Opens a blocking stream socket connected to `address`.
    public static func connectedStream(to address: UnixSocketAddress) throws(SocketError) -> Int32 {
        let descriptor = try unixSocket(type: Int32(SOCK_STREAM.rawValue), nonBlocking: false)
        do {
            try connect(descriptor, to: address)
        } catch {
            close(descriptor)
            throw error
        }
        return descriptor
    }

    /// Accepts one pending connection as a non-blocking, close-on-exec socket; nil when none is pending.
    public static func acceptNonBlocking(_ listening: Int32) -> Int32? {
        while true {
            let descriptor = accept(listening, nil, nil)
            if descriptor < 0 {
                if errno == EINTR { continue }
                return nil
            }
            _ = fcntl(descriptor, F_SETFD, FD_CLOEXEC)
            if (try? setNonBlocking(descriptor)) == nil {
                close(descriptor)
                continue
            }
            return descriptor
        }
    }

    /// Puts `descriptor` in non-blocking mode.
    public static func setNonBlocking(_ descriptor: Int32) throws(SocketError) {
        let flags = fcntl(descriptor, F_GETFL)
        guard flags >= 0, fcntl(descriptor, F_SETFL, flags | O_NONBLOCK) == 0 else {
            throw SocketError.systemCall("fcntl", errno, "O_NONBLOCK")
        }
    }

    /// Sends all of `bytes` on a blocking socket, retrying after signals and short writes.
    public static func sendAll(_ descriptor: Int32, _ bytes: UnsafeRawBufferPointer) throws(SocketError) {
        var offset = 0
        while offset < bytes.count {
            let sent = send(descriptor, bytes.baseAddress! + offset, bytes.count - offset, Int32(MSG_NOSIGNAL))
            if sent < 0 {
                if errno == EINTR { continue }
                throw SocketError.systemCall("send", errno, "fd \(descriptor)")
            }
            offset += sent
        }
    }

    /// Receives up to `buffer.count` bytes on a blocking socket; 0 means the peer closed.
    public static func receive(_ descriptor: Int32, into buffer: UnsafeMutableRawBufferPointer) throws(SocketError) -> Int {
        while true {
            let received = recv(descriptor, buffer.baseAddress, buffer.count, 0)
            if received >= 0 { return received }
            if errno == EINTR { continue }
            throw SocketError.systemCall("recv", errno, "fd \(descriptor)")
        }
    }
}
