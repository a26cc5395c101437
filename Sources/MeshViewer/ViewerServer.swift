import Foundation
import Hummingbird
import HummingbirdWebSocket
import Logging
import NIOCore
import Synchronization

/// Why the viewer cannot start: one line naming the cause.
public struct ViewerError: Error, Sendable, CustomStringConvertible {
    /// The line.
    public let description: String
}

/// `occlumesh view`'s web server: the page, three.js from Debian's `libjs-three` at its installed path, and a
/// WebSocket (`/live`) per tab carrying the daemon's topology once and then frames, each sent only after the tab has
/// drawn the previous one (it answers `next`), so every tab goes at its own pace off the one shared `ViewerFeed`.
public struct ViewerServer: Sendable {
    /// Where Debian's libjs-three installs three.js.
    public static let threeFolder = "/usr/share/javascript/three"
    /// The files of it the page loads: URL path under `/three/` → path under `threeFolder`.
    public static let threeFiles = [
        "three.min.js": "build/three.min.js",
        "OrbitControls.js": "examples/js/controls/OrbitControls.js",
    ]

    /// The address to listen on.
    public let host: String
    /// The port to listen on (0: any free port).
    public let port: Int
    /// The daemon subscription the tabs share.
    public let feed: ViewerFeed

    /// A server for `HOST:PORT` (`--listen`), checked: an IPv4 or IPv6 literal or `localhost`, port 0…65535.
    public init(listen: String, feed: ViewerFeed) throws(ViewerError) {
        guard let colon = listen.lastIndex(of: ":"), let port = Int(listen[listen.index(after: colon)...]), (0...65535).contains(port)
        else { throw ViewerError(description: "--listen \(listen): expected HOST:PORT with a port from 0 to 65535, e.g. 127.0.0.1:8037") }
        var host = String(listen[..<colon])
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        var ipv4 = in_addr(), ipv6 = in6_addr()
        guard host == "localhost" || inet_pton(AF_INET, host, &ipv4) == 1 || inet_pton(AF_INET6, host, &ipv6) == 1 else {
            throw ViewerError(description: "--listen \(listen): \(host) is not an IP address")
        }
        for (_, file) in Self.threeFiles where !FileManager.default.isReadableFile(atPath: Self.threeFolder + "/" + file) {
            throw ViewerError(description: "three.js is missing: \(Self.threeFolder)/\(file) (apt-get install libjs-three)")
        }
        self.host = host == "localhost" ? "127.0.0.1" : host
        self.port = port
        self.feed = feed
    }

    /// Serves until SIGINT or SIGTERM; `started` gets the URL once the socket listens.
    public func run(started: @escaping @Sendable (String) -> Void) async throws {
        let router = Router()
        router.get("/") { _, _ in
            Response(status: .ok, headers: [.contentType: "text/html; charset=utf-8", .cacheControl: "no-store"],
                     body: .init(byteBuffer: ByteBuffer(string: ViewerPage.html)))
        }
        router.get("/three/:file") { _, context in
            guard let name = context.parameters.get("file"), let file = Self.threeFiles[name],
                  let data = FileManager.default.contents(atPath: Self.threeFolder + "/" + file)
            else { return Response(status: .notFound) }
            return Response(status: .ok, headers: [.contentType: "application/javascript"],
                            body: .init(byteBuffer: ByteBuffer(bytes: data)))
        }
        let socketRouter = Router(context: BasicWebSocketRequestContext.self)
        let feed = self.feed
        socketRouter.ws("/live") { _, _ in .upgrade() } onUpgrade: { inbound, outbound, _ in
            let credits = Credits()
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask {
                    for try await message in inbound.messages(maxSize: 4096) {
                        if case .text("next") = message { credits.grant() }
                    }
                }
                group.addTask { try await Self.stream(feed, to: outbound, credits: credits) }
                try await group.next()
                group.cancelAll()
            }
        }
        var logger = Logger(label: "occlumesh-view")
        logger.logLevel = .warning
        let host = self.host
        let app = Application(
            router: router, server: .http1WebSocketUpgrade(webSocketRouter: socketRouter),
            configuration: .init(address: .hostname(host, port: port), serverName: "occlumesh view"),
            onServerRunning: { channel in
                let port = channel.localAddress?.port ?? 0
                started(host.contains(":") ? "http://[\(host)]:\(port)/" : "http://\(host):\(port)/")
            },
            logger: logger)
        try await app.runService()
    }

    /// Sends the daemon's state, topology and frames to one tab until it goes away.
    static func stream(_ feed: ViewerFeed, to outbound: WebSocketOutboundWriter, credits: Credits) async throws {
        var sentTopology = -1
        var sentFrame = -1
        var sentRunning: Bool?
        var sentMessage = ""
        while !Task.isCancelled {
            let snapshot = feed.snapshot()
            if snapshot.daemonRunning != sentRunning || (!snapshot.daemonRunning && snapshot.daemonMessage != sentMessage) {
                try await outbound.write(.text(ViewerMessages.daemonState(running: snapshot.daemonRunning, message: snapshot.daemonMessage)))
                sentRunning = snapshot.daemonRunning
                sentMessage = snapshot.daemonMessage
            }
            if snapshot.topologyGeneration != sentTopology, let topology = snapshot.topology {
                try await outbound.write(.text(ViewerMessages.topologyText(topology, generation: snapshot.topologyGeneration)))
                try await outbound.write(.binary(ByteBuffer(bytes: ViewerMessages.topologyBinary(topology, generation: snapshot.topologyGeneration))))
                sentTopology = snapshot.topologyGeneration
            }
            if snapshot.frameGeneration != sentFrame, sentTopology == snapshot.topologyGeneration, let frame = snapshot.frame,
               credits.take() {
                try await outbound.write(.text(ViewerMessages.frameText(frame, status: snapshot.status)))
                try await outbound.write(.binary(ByteBuffer(bytes: ViewerMessages.verticesBinary(frame))))
                sentFrame = snapshot.frameGeneration
            }
            try await Task.sleep(for: .milliseconds(5))
        }
    }
}

/// How many frames a tab is ready for: one at the start, one more per `next` it sends (at most 2 banked).
final class Credits: Sendable {
    private let count = Mutex(1)

    func grant() { count.withLock { $0 = min($0 + 1, 2) } }

    func take() -> Bool {
        count.withLock {
            guard $0 > 0 else { return false }
            $0 -= 1
            return true
        }
    }
}
