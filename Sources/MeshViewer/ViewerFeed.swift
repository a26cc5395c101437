import Foundation
import MeshProtocol
import OcclumeshClient
import Synchronization

/// What the viewer last heard from the daemon, shared by every browser connection.
public struct ViewerSnapshot: Sendable {
    /// Increases each time a topology arrives (every (re)connection to the daemon).
    public var topologyGeneration = 0
    /// The daemon's topology, once connected.
    public var topology: RegionTopology?
    /// Increases with every frame received.
    public var frameGeneration = 0
    /// The newest frame.
    public var frame: ReceivedFrame?
    /// The newest status message.
    public var status: StatusReport?
    /// Whether the viewer is connected to the daemon now.
    public var daemonRunning = false
    /// Why not, when it is not (one line).
    public var daemonMessage = "connecting to the daemon"

    /// An empty snapshot: nothing heard yet.
    public init() {}
}

/// The viewer's one subscription to the daemon: a thread that keeps the newest topology, frame and status, and
/// reconnects when the daemon stops or restarts. Browsers read snapshots at their own pace, so however slow a tab
/// is, the daemon sees one client reading at `maximumRate`.
public final class ViewerFeed: Sendable {
    /// The daemon's socket.
    public let socketPath: String
    /// The subscription asked for: f16 vertices of the face area, landmarks, at most `maximumRate` frames per second.
    public let subscription: Subscription
    private let state = Mutex(ViewerSnapshot())

    /// A feed from the daemon at `socketPath`, at most `maximumRate` frames per second (0: all).
    public init(socketPath: String, maximumRate: Float) {
        self.socketPath = socketPath
        subscription = Subscription(vertexFormat: .float16, region: .faceArea, landmarks: true, maximumRate: maximumRate)
    }

    /// What the daemon last sent.
    public func snapshot() -> ViewerSnapshot { state.withLock { $0 } }

    /// Starts the subscribing thread (it runs until the process ends).
    public func start() {
        let thread = Thread { [self] in run() }
        thread.name = "occlumesh-view-feed"
        thread.start()
    }

    private func run() {
        while true {
            let client: OcclumeshClient
            do {
                client = try OcclumeshClient(socketPath: socketPath, subscription: subscription)
            } catch {
                state.withLock {
                    $0.daemonRunning = false
                    $0.daemonMessage = "daemon stopped (\(socketPath): \(error))"
                }
                usleep(500_000)
                continue
            }
            state.withLock {
                $0.topologyGeneration += 1
                $0.topology = client.topology
                $0.frame = nil  // the last daemon's newest frame belongs to the old topology and sequence
                $0.daemonRunning = true
                $0.daemonMessage = "connected to \(client.welcome.serverName)"
            }
            var reason = "daemon stopped"
            do {
                while let message = try client.nextMessage() {
                    switch message {
                    case .frame(let frame): state.withLock { $0.frameGeneration += 1; $0.frame = frame }
                    case .status(let status): state.withLock { $0.status = status }
                    case .topology(let topology):
                        state.withLock { $0.topologyGeneration += 1; $0.topology = topology; $0.frame = nil }
                    case .goodbye(let goodbye): reason = "daemon stopped: \(goodbye.reason)"
                    case .welcome: break
                    }
                }
            } catch {
                reason = "daemon connection lost: \(error)"
            }
            client.close()
            state.withLock {
                $0.daemonRunning = false
                $0.daemonMessage = reason
            }
            usleep(200_000)
        }
    }
}
