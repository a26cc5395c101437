#if canImport(Glibc)
import Glibc
#endif

/// Why an OSC destination could not be used.
public struct UDPSenderError: Error, Sendable, Equatable, CustomStringConvertible {
    /// One line naming the destination and the cause.
    public let description: String

    /// An error with this one-line description.
    public init(_ description: String) { self.description = description }
}

/// A connected IPv4 UDP socket sending datagrams to one `HOST:PORT`, as OSC is carried to VMC and OSC receivers.
///
/// Sends never block: a datagram the kernel cannot take at once is dropped (the next frame replaces it), and
/// "connection refused" from a receiver that is not running yet is ignored, so the bridge keeps going until it is.
public final class UDPSender {
    /// The destination as given, `HOST:PORT`.
    public let destination: String
    private let descriptor: Int32

    /// Parses `HOST:PORT` (an IPv4 address or `localhost`; port 1…65535) and connects a UDP socket to it.
    public init(destination: String) throws(UDPSenderError) {
        self.destination = destination
        guard let colon = destination.lastIndex(of: ":") else {
            throw UDPSenderError("\(destination): expected HOST:PORT, e.g. 127.0.0.1:39539")
        }
        var host = String(destination[..<colon])
        let portText = destination[destination.index(after: colon)...]
        guard let port = UInt16(portText), port > 0 else {
            throw UDPSenderError("\(destination): the port must be a number from 1 to 65535")
        }
        if host == "localhost" { host = "127.0.0.1" }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        guard inet_pton(AF_INET, host, &address.sin_addr) == 1 else {
            throw UDPSenderError("\(destination): \(host) is not an IPv4 address")
        }
        let socketDescriptor = socket(AF_INET, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue) | Int32(SOCK_NONBLOCK.rawValue), 0)
        guard socketDescriptor >= 0 else { throw UDPSenderError("\(destination): socket: \(String(cString: strerror(errno)))") }
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(socketDescriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else {
            let reason = String(cString: strerror(errno))
            close(socketDescriptor)
            throw UDPSenderError("\(destination): \(reason)")
        }
        descriptor = socketDescriptor
    }

    deinit { close(descriptor) }

    /// Sends one datagram; returns false if it was not sent (buffer full, receiver not listening yet).
    @discardableResult
    public func send(_ datagram: [UInt8]) -> Bool {
        let sent = datagram.withUnsafeBytes { Glibc.send(descriptor, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
        return sent == datagram.count
    }
}
