import ArgumentParser
import Foundation
import MeshViewer

/// `occlumesh view`: serves a page that draws the daemon's live meshes in the browser.
struct ViewCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "view",
        abstract: "Serve a page that draws the daemon's live meshes in a browser.",
        discussion: """
            Open the printed address: the shaded mesh of every face (drag to orbit), the 68 landmarks coloured by \
            visibility, the 53 expression weights, head pose, track ids, fps, latency and dropped frames, and the \
            2-D landmarks in image pixels. The page says when the daemon stops and reconnects by itself. Listens on \
            loopback only unless --listen names another address. Needs three.js from Debian's libjs-three. Exit \
            status 1 on a bad --listen, a port in use or missing three.js.
            """)

    @Option(help: "Path of the daemon's mesh socket.")
    var socket = "/run/occlumesh/mesh.sock"

    @Option(help: "HOST:PORT to serve the page on (port 0: any free port).")
    var listen = "127.0.0.1:8037"

    @Option(help: "Most frames per second the viewer takes from the daemon (0: every frame).")
    var maxRate: Float = 30

    func validate() throws {
        guard maxRate >= 0, maxRate.isFinite, maxRate <= 1000 else { throw ValidationError("--max-rate must be from 0 to 1000") }
    }

    func run() async throws {
        let feed = ViewerFeed(socketPath: socket, maximumRate: maxRate)
        let server: ViewerServer
        do { server = try ViewerServer(listen: listen, feed: feed) } catch { Self.fail("\(error)") }
        feed.start()
        let socket = self.socket
        do {
            try await server.run { url in
                FileHandle.standardError.write(Data("occlumesh view: open \(url) (daemon socket \(socket))\n".utf8))
            }
        } catch {
            Self.fail("cannot serve on \(listen): \(error)")
        }
    }

    private static func fail(_ line: String) -> Never {
        FileHandle.standardError.write(Data("occlumesh view: \(line)\n".utf8))
        Foundation.exit(1)
    }
}
