import Foundation
import Glibc
import Synchronization
import TestSupport
import Testing
import UnixSocket

/// `Descriptor` on real `AF_UNIX` sockets: flags, accepting, and whole messages through short writes, signals and
/// peers that go away.
@Suite("descriptors")
struct DescriptorTests {
    /// A connected pair of blocking stream sockets, closed by the caller.
    static func pair() throws -> (Int32, Int32) {
        var descriptors: [Int32] = [0, 0]
        guard socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0, &descriptors) == 0 else {
            throw SocketError.systemCall("socketpair", errno, "test")
        }
        return (descriptors[0], descriptors[1])
    }

    static func isNonBlocking(_ descriptor: Int32) -> Bool { fcntl(descriptor, F_GETFL) & O_NONBLOCK != 0 }
    static func closesOnExec(_ descriptor: Int32) -> Bool { fcntl(descriptor, F_GETFD) & FD_CLOEXEC != 0 }

    /// A listening stream socket at a fresh path.
    static func listener(nonBlocking: Bool) throws -> (descriptor: Int32, address: UnixSocketAddress) {
        let address = try UnixSocketAddress(SocketPaths.fresh("listen.sock"))
        let descriptor = try Descriptor.unixSocket(type: Int32(SOCK_STREAM.rawValue), nonBlocking: nonBlocking)
        #expect(address.withSocketAddress { bind(descriptor, $0, $1) } == 0, "bind: \(errorText(errno))")
        #expect(listen(descriptor, 4) == 0)
        return (descriptor, address)
    }

    @Test("new sockets close on exec, and are non-blocking exactly when asked")
    func newSocketFlags() throws {
        let blocking = try Descriptor.unixSocket(type: Int32(SOCK_STREAM.rawValue), nonBlocking: false)
        defer { close(blocking) }
        let nonBlocking = try Descriptor.unixSocket(type: Int32(SOCK_DGRAM.rawValue), nonBlocking: true)
        defer { close(nonBlocking) }
        #expect(Self.closesOnExec(blocking) && Self.closesOnExec(nonBlocking))
        #expect(!Self.isNonBlocking(blocking))
        #expect(Self.isNonBlocking(nonBlocking))
    }

    @Test("accepting returns nil when nobody waits, and a non-blocking close-on-exec socket for a waiting client")
    func acceptNonBlocking() throws {
        let (listening, address) = try Self.listener(nonBlocking: true)
        defer { close(listening) }
        #expect(Descriptor.acceptNonBlocking(listening) == nil)
        let client = try Descriptor.connectedStream(to: address)
        defer { close(client) }
        let accepted = try #require(Descriptor.acceptNonBlocking(listening))
        defer { close(accepted) }
        #expect(Self.isNonBlocking(accepted))
        #expect(Self.closesOnExec(accepted))
        #expect(!Self.isNonBlocking(client), "connectedStream gives a blocking socket")
        // The accepted end is the client's peer.
        try Array("ping".utf8).withUnsafeBytes { try Descriptor.sendAll(client, $0) }
        var buffer = [UInt8](repeating: 0, count: 16)
        var pollDescriptor = pollfd(fd: accepted, events: Int16(POLLIN), revents: 0)
        #expect(poll(&pollDescriptor, 1, 10_000) == 1)
        let count = try buffer.withUnsafeMutableBytes { try Descriptor.receive(accepted, into: $0) }
        #expect(Array(buffer[..<count]) == Array("ping".utf8))
    }

    @Test("connecting where nothing listens names connect, errno and the address")
    func connectFailures() throws {
        let missing = SocketPaths.fresh("nobody.sock")
        #expect(throws: SocketError.systemCall("connect", ENOENT, missing)) {
            try Descriptor.connectedStream(to: UnixSocketAddress(missing))
        }
        // A socket file nobody listens on (bound, never listening): refused.
        let stale = SocketPaths.fresh("stale.sock")
        let bound = try Descriptor.unixSocket(type: Int32(SOCK_STREAM.rawValue), nonBlocking: false)
        defer { close(bound) }
        #expect(try UnixSocketAddress(stale).withSocketAddress { bind(bound, $0, $1) } == 0)
        let error = #expect(throws: SocketError.self) { try Descriptor.connectedStream(to: UnixSocketAddress(stale)) }
        #expect(error == .systemCall("connect", ECONNREFUSED, stale))
        #expect(error?.description == "connect(\(stale)) failed: Connection refused (errno \(ECONNREFUSED))")
    }

    @Test("sendAll delivers every byte, in order, while signals cut its writes short")
    func sendAllThroughShortWrites() throws {
        let (sender, receiver) = try Self.pair()
        defer { close(receiver) }
        // A small send buffer makes the sender block often, so the signals land mid-write.
        var size: Int32 = 4096
        setsockopt(sender, SOL_SOCKET, SO_SNDBUF, &size, socklen_t(MemoryLayout<Int32>.size))
        var generator = SeededGenerator(seed: 15)
        let payload = (0..<(2 << 20)).map { _ in UInt8.random(in: 0...255, using: &generator) }
        let failure = Mutex<SocketError?>(nil)
        let writer = SignalledThread {
            let result = payload.withUnsafeBytes { raw in Result { () throws(SocketError) in try Descriptor.sendAll(sender, raw) } }
            if case .failure(let error) = result { failure.withLock { $0 = error } }
            close(sender)
        }
        let received = Mutex<[UInt8]>([])
        let reader = Thread {
            var buffer = [UInt8](repeating: 0, count: 1500)
            while true {
                guard let count = try? buffer.withUnsafeMutableBytes({ try Descriptor.receive(receiver, into: $0) }), count > 0 else { break }
                received.withLock { $0 += buffer[..<count] }
                usleep(20)
            }
        }
        reader.start()
        let signals = writer.interruptUntilFinished(every: 300)
        #expect(writer.wait())
        let deadline = Date().addingTimeInterval(30)
        while received.withLock({ $0.count }) < payload.count, Date() < deadline { usleep(1000) }
        #expect(signals > 0, "no signal reached the writer")
        #expect(failure.withLock { $0 } == nil)
        let bytes = received.withLock { $0 }
        #expect(bytes.count == payload.count)
        // Compared outside #expect, which would otherwise diff two 2 MiB arrays to describe a failure.
        let identical = bytes == payload
        #expect(identical, "the bytes arrived changed or out of order")
    }

    @Test("receive waits through signals for the bytes, then reads 0 once the peer has closed")
    func receiveThroughSignals() throws {
        let (local, remote) = try Self.pair()
        defer { close(local) }
        let outcome = Mutex<[Result<[UInt8], SocketError>]>([])
        let reader = SignalledThread {
            var buffer = [UInt8](repeating: 0, count: 64)
            for _ in 0..<2 {
                let result = buffer.withUnsafeMutableBytes { raw in
                    Result { () throws(SocketError) in try Descriptor.receive(local, into: raw) }
                }
                outcome.withLock { $0.append(result.map { Array(buffer[..<$0]) }) }
            }
        }
        // The reader blocks in recv with nothing to read; each signal interrupts it.
        let signals = reader.interrupt(times: 20, every: 2000)
        #expect(signals == 20)
        try Array("hello".utf8).withUnsafeBytes { try Descriptor.sendAll(remote, $0) }
        usleep(50_000)
        close(remote)
        #expect(reader.wait())
        let results = outcome.withLock { $0 }
        #expect(results.count == 2)
        #expect(try results.first?.get() == Array("hello".utf8), "\(results)")
        #expect(try results.last?.get() == [], "a closed peer reads as 0 bytes")
    }

    @Test("sending to a peer that has gone fails with EPIPE and does not raise SIGPIPE")
    func sendToClosedPeer() throws {
        let (local, remote) = try Self.pair()
        defer { close(local) }
        close(remote)
        let bytes = [UInt8](repeating: 7, count: 1024)
        let error = #expect(throws: SocketError.self) { try bytes.withUnsafeBytes { try Descriptor.sendAll(local, $0) } }
        #expect(error?.errorNumber == EPIPE)
        #expect(error.map { "\($0)" }?.hasPrefix("send(fd \(local)) failed: Broken pipe") == true, "\(String(describing: error))")
    }

    @Test("setNonBlocking sets O_NONBLOCK and names fcntl when the descriptor is bad")
    func setNonBlocking() throws {
        let (first, second) = try Self.pair()
        defer { close(first); close(second) }
        #expect(!Self.isNonBlocking(first))
        try Descriptor.setNonBlocking(first)
        #expect(Self.isNonBlocking(first))
        #expect(!Self.isNonBlocking(second))
        #expect(throws: SocketError.systemCall("fcntl", EBADF, "O_NONBLOCK")) { try Descriptor.setNonBlocking(-1) }
    }
}
