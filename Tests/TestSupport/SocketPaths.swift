import Foundation

/// Paths for the Unix sockets tests create.
public enum SocketPaths {
    /// `name` in a fresh folder of the process's temporary folder (removed when the tests end): short enough for
    /// `sockaddr_un.sun_path` (107 bytes) wherever `TMPDIR` points.
    public static func fresh(_ name: String = "mesh.sock") -> String {
        ProcessTemporaryFolder.freshFolder().path + "/" + name
    }
}
