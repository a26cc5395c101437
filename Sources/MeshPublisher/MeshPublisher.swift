#if canImport(Glibc)
import Glibc
#endif
import Foundation
import MeshProtocol
import MonotonicTime
import Synchronization
import UnixSocket

/// Serves meshes to local clients over a Unix stream socket (see `docs/protocol.md`).
///
/// A thread of its own runs a `poll(2)` loop that accepts, reads and writes every client socket, all
/// non-blocking. `publish` encodes a frame for each client on the caller's thread, appends it to the client's
/// bounded queue (dropping that client's oldest frame when full) and wakes the loop: it never waits for a client.
/// Call `publish` from one queue at a time (concurrent calls are serialised). The loop thread keeps the
/// publisher alive until `stop()`, which is also what removes the socket file.
public final class MeshPublisher: Sendable {
    struct State {
        var clients: [Int: ClientConnection] = [:]
        var nextIdentifier = 1
        var statistics = PublisherStatistics()
        var stopping = false
        var stopDeadline = Double.infinity
    }

    let configuration: PublisherConfiguration
    let topology: MeshTopology
    /// Each region's topology message, encoded once and shared by every client queue.
    let topologies: EncodedTopologies
    let listener: ListeningSocket
    let eventHandler: @Sendable (PublisherEvent) -> Void
    let state = Mutex(State())
    /// Serialises `publish` calls, so encoding can run outside `state`'s lock.
    private let publishing = Mutex(())
    /// Read and write ends of the pipe that wakes the loop.
    let wakeDescriptors: (read: Int32, write: Int32)
    private let finished = DispatchSemaphore(value: 0)

    /// Opens the socket and starts serving.
    ///
    /// - Parameters:
    ///   - topology: the mesh's fixed data, sent to each client after it subscribes.
    ///   - eventHandler: receives connection events; the default writes them to standard error.
    public init(
        configuration: PublisherConfiguration, topology: MeshTopology,
        eventHandler: @escaping @Sendable (PublisherEvent) -> Void = MeshPublisher.logToStandardError
    ) throws(PublisherError) {
        guard configuration.maximumClients >= 1 else { throw .invalidConfiguration("maximumClients must be at least 1") }
        guard configuration.queueCapacity >= 1, configuration.queueCapacity <= Int(UInt16.max) else {
            throw .invalidConfiguration("queueCapacity must be in 1…65535")
        }
        guard configuration.stallTimeout > 0, configuration.handshakeTimeout > 0 else {
            throw .invalidConfiguration("timeouts must be positive")
        }
        self.configuration = configuration
        self.topology = topology
        topologies = EncodedTopologies(topology)
        self.eventHandler = eventHandler
        var pipeEnds: [Int32] = [0, 0]
        guard pipe(&pipeEnds) == 0 else { throw .socket(.systemCall("pipe", errno, "wake pipe")) }
        for end in pipeEnds {
            _ = fcntl(end, F_SETFD, FD_CLOEXEC)
            _ = fcntl(end, F_SETFL, fcntl(end, F_GETFL) | O_NONBLOCK)
        }
        wakeDescriptors = (pipeEnds[0], pipeEnds[1])
        do {
            listener = try ListeningSocket(configuration: configuration, report: eventHandler)
        } catch {
            close(pipeEnds[0])
            close(pipeEnds[1])
            throw error
        }
        eventHandler(.listening(configuration.socketPath))
        let thread = Thread { [self] in
            runLoop()
            finished.signal()
        }
        thread.name = "mesh-publisher"
        thread.start()
    }

    deinit {
        close(wakeDescriptors.read)
        close(wakeDescriptors.write)
    }

    /// Writes an event to standard error, one line each.
    public static let logToStandardError: @Sendable (PublisherEvent) -> Void = { event in
        FileHandle.standardError.write(Data("occlumesh publisher: \(event)\n".utf8))
    }

    /// The publisher's counters now.
    public var statistics: PublisherStatistics { state.withLock { $0.statistics } }

    /// Queues `frame` for every subscribed client and returns without waiting for any of them.
    public func publish(_ frame: PublishedFrame) {
        publishing.withLock { _ in
            let latency = MonotonicClock.now() - frame.captureTime
            let targets = state.withLock { state -> [(Int, Subscription, [UInt32: [Float]])] in
                guard !state.stopping else { return [] }
                state.statistics.framesPublished += 1
                var targets: [(Int, Subscription, [UInt32: [Float]])] = []
                for identifier in state.clients.keys {
                    guard let subscription = state.clients[identifier]!.subscription,
                        state.clients[identifier]!.admitsFrame(at: frame.sourceTimestamp, subscription: subscription)
                    else { continue }
                    targets.append((identifier, subscription, state.clients[identifier]!.identitiesSent))
                }
                return targets
            }
            guard !targets.isEmpty else { return }
            // Clients that want the same bytes share one encoding (arrays are copy-on-write, and the queue
            // writes into a frame only when it has drops to report).
            var encodings: [FrameEncodingKey: [UInt8]] = [:]
            let encoded = targets.map { identifier, subscription, identitiesSent in
                let included = frame.faces.filter { identitiesSent[$0.trackIdentifier] != $0.identity }
                let includedTracks = Set(included.map(\.trackIdentifier))
                let key = FrameEncodingKey(
                    vertexFormat: subscription.vertexFormat, region: subscription.region,
                    landmarks: subscription.landmarks, identityTracks: includedTracks)
                let bytes = encodings[key] ?? MessageEncoder.frame(
                    frame, latency: latency, subscription: subscription, faceAreaVertices: topology.faceAreaVertices
                ) { includedTracks.contains($0) }
                encodings[key] = bytes
                let identities = Dictionary(included.map { ($0.trackIdentifier, $0.identity) }) { _, last in last }
                return (identifier, bytes, identities)
            }
            state.withLock { state in
                for (identifier, bytes, included) in encoded {
                    guard state.clients[identifier] != nil else { continue }
                    let dropped = state.clients[identifier]!.enqueueDroppable(bytes)
                    state.statistics.messagesDropped += UInt64(dropped)
                    state.clients[identifier]!.identitiesSent.merge(included) { $1 }
                }
            }
            wake()
        }
    }

    /// Sends a status message to every subscribed client: `counters` from the pipeline followed by the
    /// publisher's own counters.
    public func publishStatus(_ counters: [StatusCounter]) {
        state.withLock { state in
            guard !state.stopping else { return }
            let all = counters + state.statistics.counters
            for identifier in state.clients.keys where state.clients[identifier]!.subscription != nil {
                let report = StatusReport(droppedForClient: state.clients[identifier]!.messagesDropped, counters: all)
                let dropped = state.clients[identifier]!.enqueueDroppable(MessageEncoder.status(report))
                state.statistics.messagesDropped += UInt64(dropped)
            }
        }
        wake()
    }

    /// Says goodbye to every client, gives them up to `flushTimeout` seconds to take what is queued, closes
    /// all connections and removes the socket file. Returns when the loop has ended; later calls return at once.
    public func stop(reason: String = "server stopping", flushTimeout: Double = 1) {
        let alreadyStopping = state.withLock { state -> Bool in
            if state.stopping { return true }
            state.stopping = true
            state.stopDeadline = MonotonicClock.now() + flushTimeout
            let goodbye = MessageEncoder.goodbye(Goodbye(code: .serverStopping, reason: reason))
            for identifier in state.clients.keys {
                _ = state.clients[identifier]!.queue.push(goodbye, droppable: false)
                state.clients[identifier]!.closeWhenFlushed = true
            }
            return false
        }
        guard !alreadyStopping else { return }
        wake()
        finished.wait()
    }

    /// Makes the loop's `poll` return.
    func wake() {
        var byte: UInt8 = 1
        _ = write(wakeDescriptors.write, &byte, 1)
    }
}

/// What makes two clients' copies of a frame differ: the fields of their subscriptions that shape the bytes,
/// and the tracks whose identity each still needs.
struct FrameEncodingKey: Hashable {
    let vertexFormat: VertexFormat
    let region: MeshRegion
    let landmarks: Bool
    let identityTracks: Set<UInt32>
}
