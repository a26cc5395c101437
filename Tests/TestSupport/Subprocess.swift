import Foundation
import Synchronization

/// What a finished child process left: its exit status and everything it wrote.
public struct SubprocessResult: Sendable {
    /// The exit status (or the number of the signal that ended it).
    public let status: Int32
    /// Everything written to standard output.
    public let standardOutput: Data
    /// Everything written to standard error.
    public let standardError: Data

    /// Standard output as UTF-8 text.
    public var output: String { String(decoding: standardOutput, as: UTF8.self) }
    /// Standard error as UTF-8 text.
    public var errors: String { String(decoding: standardError, as: UTF8.self) }
}

/// A child process that exited with a non-zero status where the caller needed it to succeed.
public struct SubprocessFailure: Error, CustomStringConvertible {
    /// The command line, one line naming the cause, and what the child wrote to standard error.
    public let description: String
}

/// Runs command-line tools (ffmpeg, python3, the built executables) from tests, the one way every target does it.
///
/// Both output streams are read while the child runs, so a child that fills one pipe while the other is being
/// drained cannot deadlock the test; standard input, when given, is written from another thread for the same reason.
public enum Subprocess {
    /// Runs `command` with `arguments` to its end and returns its status and output.
    ///
    /// A `command` without a `/` is looked up on `PATH` (through `/usr/bin/env`); one with a `/` is run as given.
    /// - Parameters:
    ///   - directory: the child's working directory; the test process's when nil.
    ///   - environment: variables added to (or replacing those of) the test process's environment.
    ///   - input: bytes written to the child's standard input, which is then closed; `/dev/null` when nil.
    public static func run(
        _ command: String, _ arguments: [String], directory: URL? = nil, environment: [String: String] = [:],
        input: Data? = nil
    ) throws -> SubprocessResult {
        let process = Process()
        if command.contains("/") {
            process.executableURL = URL(fileURLWithPath: command)
            process.arguments = arguments
        } else {
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments = [command] + arguments
        }
        if let directory { process.currentDirectoryURL = directory }
        if !environment.isEmpty {
            process.environment = ProcessInfo.processInfo.environment.merging(environment) { _, added in added }
        }
        let output = Pipe(), errors = Pipe()
        process.standardOutput = output
        process.standardError = errors
        let inputPipe = input.map { _ in Pipe() }
        process.standardInput = inputPipe ?? FileHandle.nullDevice
        try process.run()

        let pending = DispatchGroup()
        let errorData = Mutex(Data())
        let errorReader = errors.fileHandleForReading
        DispatchQueue.global().async(group: pending) {
            let data = errorReader.readDataToEndOfFile()
            errorData.withLock { $0 = data }
        }
        if let input, let writer = inputPipe?.fileHandleForWriting {
            DispatchQueue.global().async(group: pending) {
                // A child that exits without reading everything closes the pipe: the write fails, which is its business.
                try? writer.write(contentsOf: input)
                try? writer.close()
            }
        }
        let outputData = output.fileHandleForReading.readDataToEndOfFile()
        pending.wait()
        process.waitUntilExit()
        return SubprocessResult(status: process.terminationStatus, standardOutput: outputData,
                                standardError: errorData.withLock { $0 })
    }

    /// Runs `command` like `run` and returns its standard output; throws `SubprocessFailure` naming the command,
    /// the status and the child's standard error when it exits non-zero.
    @discardableResult
    public static func check(
        _ command: String, _ arguments: [String], directory: URL? = nil, environment: [String: String] = [:],
        input: Data? = nil
    ) throws -> Data {
        let result = try run(command, arguments, directory: directory, environment: environment, input: input)
        guard result.status == 0 else {
            throw SubprocessFailure(description: "\(([command] + arguments).joined(separator: " ")) exited \(result.status): \(result.errors)")
        }
        return result.standardOutput
    }

    /// Whether `python3` with numpy can be run here (the converters and the numpy references need it).
    public static let hasNumpy: Bool = (try? run("python3", ["-c", "import numpy"]).status) == 0
}
