import Foundation

/// One folder directly under /tmp for the whole test process, removed when the process exits: for files that many
/// tests share (clips made once) or whose paths are handed out without an owner to remove them (socket paths).
/// Without it every `swift test` run left such folders behind.
public enum ProcessTemporaryFolder {
    /// The folder, `/tmp/ocm-<pid>`: short, so socket paths inside it fit `sockaddr_un.sun_path` (107 bytes)
    /// wherever `TMPDIR` points.
    public static let url: URL = {
        let url = URL(fileURLWithPath: "/tmp/ocm-\(getpid())")
        // A folder of the same name can only be left by an earlier process that died with this process ID.
        try? FileManager.default.removeItem(at: url)
        try? FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        atexit { try? FileManager.default.removeItem(at: ProcessTemporaryFolder.url) }
        return url
    }()

    /// A fresh, empty subfolder with a unique name.
    public static func freshFolder() -> URL {
        let folder = url.appendingPathComponent(String(UUID().uuidString.prefix(8)))
        try? FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        return folder
    }
}
