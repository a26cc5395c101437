import Foundation
import MeshProtocol
import OcclumeshClient
import Synchronization

/// Runs an `OcclumeshClient` on a thread of its own, collecting every frame until the server says goodbye.
final class ReaderThread: Sendable {
    struct Progress: Sendable {
        var connected = false
        var topology: RegionTopology?
        var frames: [ReceivedFrame] = []
        var statuses: [StatusReport] = []
        var goodbye: Goodbye?
        var error: ClientError?
        var finished = false
    }

    let progress = Mutex(Progress())

    init(path: String, subscription: Subscription) {
        let thread = Thread { [self] in
            do throws(ClientError) {
                let client = try OcclumeshClient(socketPath: path, subscription: subscription)
                progress.withLock {
                    $0.connected = true
                    $0.topology = client.topology
                }
                while let message = try client.nextMessage() {
                    switch message {
                    case .frame(let frame): progress.withLock { $0.frames.append(frame) }
                    case .status(let status): progress.withLock { $0.statuses.append(status) }
                    case .goodbye(let goodbye): progress.withLock { $0.goodbye = goodbye }
                    default: break
                    }
                }
            } catch {
                progress.withLock { $0.error = error }
            }
            progress.withLock { $0.finished = true }
        }
        thread.start()
    }

    var snapshot: Progress { progress.withLock { $0 } }
}
