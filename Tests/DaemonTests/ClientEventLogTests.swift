import DaemonConfiguration
import MeshProtocol
import MeshPublisher
import Synchronization
import Testing
@testable import Daemon

/// The daemon's log of per-client events stays bounded whatever the clients do.
@Suite("client event log")
struct ClientEventLogTests {
    final class Lines: Sendable {
        let lines = Mutex<[String]>([])
        let now = Mutex<Double>(0)
        var log: DaemonLog { DaemonLog(level: .info) { [self] line in lines.withLock { $0.append(line) } } }
        var clock: @Sendable () -> Double { { [self] in now.withLock { $0 } } }
    }

    @Test("10,000 subscribes from one client in a second write a handful of lines")
    func oneClientFlood() {
        let sink = Lines()
        let log = ClientEventLog(log: sink.log, clock: sink.clock)
        log.record(.clientConnected(1))
        for index in 0..<10_000 {
            sink.now.withLock { $0 = Double(index) / 10_000 }
            log.record(.clientSubscribed(1, .coefficientsOnly))
        }
        #expect(sink.lines.withLock { $0.count } <= Int(ClientEventLog.clientBurst) + 1)
        // Another client is not silenced by the first one's flood.
        log.record(.clientConnected(2))
        #expect(sink.lines.withLock { $0.last }?.contains("client 2 connected") == true)
    }

    @Test("2,000 connect/disconnect cycles in 10 s write at most the shared budget, and say how many were held back")
    func connectionChurn() {
        let sink = Lines()
        let log = ClientEventLog(log: sink.log, clock: sink.clock)
        for client in 1...2000 {
            sink.now.withLock { $0 = Double(client) / 200 }
            log.record(.clientConnected(client))
            log.record(.clientDisconnected(client, .protocolViolation(.badMagic(0))))
        }
        let lines = sink.lines.withLock { $0 }
        #expect(lines.count <= Int(ClientEventLog.totalBurst + 10 * ClientEventLog.totalPerSecond) + 1, "\(lines.count) lines")
        #expect(lines.contains { $0.contains("not logged before this") })
        // Events of the publisher itself are never held back.
        log.record(.stopped)
        #expect(sink.lines.withLock { $0.last }?.contains("mesh socket closed") == true)
    }
}
