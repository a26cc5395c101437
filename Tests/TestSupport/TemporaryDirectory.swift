import Foundation
import Synchronization

/// A folder under the system's temporary directory that lives as long as this object: a test suite holds one as a
/// stored property, so each test (which gets its own suite instance) has its own folder, removed when it ends.
public final class TemporaryDirectory: Sendable {
    /// The folder itself.
    public let url: URL
    private let made = Mutex(0)

    /// Creates the folder, named after `label`.
    public init(_ label: String = "test") {
        url = FileManager.default.temporaryDirectory
            .appendingPathComponent("occlumesh-\(label)-\(getpid())-\(UUID().uuidString.prefix(8))")
        try? FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    deinit {
        try? FileManager.default.removeItem(at: url)
    }

    /// A fresh, empty subfolder, so files of the same name from one test do not meet.
    public func folder() throws -> URL {
        let index = made.withLock { count in
            count += 1
            return count
        }
        let folder = url.appendingPathComponent("\(index)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        return folder
    }

    /// Writes `bytes` to a file called `name` in a fresh subfolder and returns its path.
    public func write(_ bytes: [UInt8], name: String) throws -> String {
        let file = try folder().appendingPathComponent(name)
        try Data(bytes).write(to: file)
        return file.path
    }
}
