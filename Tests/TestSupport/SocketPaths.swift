import Foundation

/// Paths for the Unix sockets tests create.
public enum SocketPaths {
    /// `name` in a fresh folder directly under /tmp: short enough for `sockaddr_un.sun_path` (107 bytes) wherever
    /// `TMPDIR` points.
    public static func fresh(_ name: String = "mesh.sock") -> String {
        let folder = "/tmp/ocm-\(UUID().uuidString.prefix(8))"
        try? FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        return folder + "/" + name
    }
}
