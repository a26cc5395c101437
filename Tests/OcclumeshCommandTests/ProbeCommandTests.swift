import Foundation
import Testing
import TestSupport

/// Runs the built `occlumesh` executable as a user would and checks its output and exit status.
@Suite("occlumesh probe")
struct ProbeCommandTests {
    static let repositoryRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// The executable, built beside this test bundle.
    static var executable: String {
        URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
            .deletingLastPathComponent().appendingPathComponent("occlumesh").path
    }

    struct Result {
        let status: Int32
        let output: String
        let errors: String
    }

    static func run(_ arguments: [String], as user: String? = nil) throws -> Result {
        let process = Process()
        if let user {
            // The build folder may sit where the other user cannot reach: run a copy from /tmp.
            let copy = ProcessTemporaryFolder.url.appendingPathComponent("occlumesh-\(user)").path
            if !FileManager.default.fileExists(atPath: copy) { try FileManager.default.copyItem(atPath: executable, toPath: copy) }
            chmod(copy, 0o755)
            process.executableURL = URL(fileURLWithPath: "/usr/sbin/runuser")
            process.arguments = ["-u", user, "--", copy] + arguments
        } else {
            process.executableURL = URL(fileURLWithPath: executable)
            process.arguments = arguments
        }
        let output = Pipe()
        let errors = Pipe()
        process.standardOutput = output
        process.standardError = errors
        try process.run()
        let outputData = output.fileHandleForReading.readDataToEndOfFile()
        let errorData = errors.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Result(status: process.terminationStatus, output: String(decoding: outputData, as: UTF8.self),
                      errors: String(decoding: errorData, as: UTF8.self))
    }

    @Test("the bundled sample probes as 50 frames of 320x240 H.264 at 25 fps")
    func bundledSample() throws {
        let result = try Self.run(["probe", Self.repositoryRoot.appendingPathComponent("samples/sample.mp4").path, "--json"])
        #expect(result.status == 0, "\(result.errors)")
        #expect(result.output == #"{"codec":"h264","fps":25,"frames":50,"height":240,"width":320}"# + "\n")
    }

    @Test("bad input prints one line naming the cause and exits 1", arguments: [
        ("/nonexistent.mp4", "no such file"),
        ("/tmp", "is a directory"),
        ("/dev/null", "not a V4L2 video capture device"),
    ])
    func badInput(path: String, cause: String) throws {
        let result = try Self.run(["probe", path])
        #expect(result.status == 1)
        #expect(result.output.isEmpty)
        #expect(result.errors.hasPrefix("occlumesh: \(path): \(cause)"), "\(result.errors)")
        #expect(result.errors.split(separator: "\n").count == 1)
    }

    @Test("a file the user may not read gives 'permission denied'",
          .enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/sbin/runuser") && getuid() == 0,
                   "needs root to run the probe as another user (root itself may read everything)"))
    func permissionDenied() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("unreadable-\(getpid()).mp4").path
        try FileManager.default.copyItem(atPath: Self.repositoryRoot.appendingPathComponent("samples/sample.mp4").path, toPath: path)
        defer { try? FileManager.default.removeItem(atPath: path) }
        #expect(chmod(path, 0o000) == 0)
        let result = try Self.run(["probe", path], as: "nobody")
        #expect(result.status == 1)
        #expect(result.errors == "occlumesh: \(path): permission denied\n")
    }
}
