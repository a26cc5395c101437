import Foundation
import Testing

/// occlumeshd's command line: help is an answer, not an error; bad usage exits 64 (EX_USAGE) with one message.
@Suite("occlumeshd arguments")
struct DaemonArgumentsTests {
    static func run(_ arguments: [String]) throws -> (status: Int32, log: String) {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("occlumeshd-arguments-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        return try DaemonProcess.run(arguments, in: folder)
    }

    @Test("--help exits 0")
    func help() throws {
        let (status, _) = try Self.run(["--help"])
        #expect(status == 0)
    }

    @Test("an unknown flag, a missing value or a negative count is bad usage: exit 64", arguments: [
        ["--bogus"], ["--config"], ["--wait-for-clients=-3"], ["--wait-for-clients", "many"],
    ])
    func badUsage(arguments: [String]) throws {
        let (status, log) = try Self.run(arguments)
        #expect(status == 64, "\(log)")
        #expect(log.contains("Error:"), "\(log)")
    }

    @Test("a config file that cannot be read is exit 78 with one line naming it")
    func unreadableConfig() throws {
        let (status, log) = try Self.run(["--config", "/nonexistent/occlumesh.toml"])
        #expect(status == 78)
        #expect(log == "occlumeshd: cannot read config file /nonexistent/occlumesh.toml: No such file or directory\n")
    }
}
