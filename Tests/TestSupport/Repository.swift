import Foundation

/// Where the checkout, its build products and its neighbour `../shared/data` are, for every test target.
///
/// The root is found from this file's own path, so it is right wherever the repository is cloned and whatever
/// the working directory of the test process is.
public enum Repository {
    /// The repository root: the folder holding `Package.swift` (two levels above `Tests/TestSupport`).
    public static let root: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// Third-party data beside the clone (`../shared/data`); tests that need it skip when it is absent.
    public static let sharedData: URL = root.deletingLastPathComponent().appendingPathComponent("shared/data")

    /// The absolute path of `relativePath` below the repository root.
    public static func path(_ relativePath: String) -> String {
        root.appendingPathComponent(relativePath).path
    }

    /// The absolute path of `relativePath` below `../shared/data`.
    public static func sharedDataPath(_ relativePath: String) -> String {
        sharedData.appendingPathComponent(relativePath).path
    }

    /// Whether `relativePath` exists below `../shared/data`.
    public static func hasSharedData(_ relativePath: String) -> Bool {
        FileManager.default.fileExists(atPath: sharedDataPath(relativePath))
    }

    /// The path of an executable product (`occlumesh`, `occlumeshd`, …) built beside the running test bundle, so
    /// tests run the binary of the same build configuration as themselves.
    public static func builtExecutable(_ name: String) -> String {
        URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
            .deletingLastPathComponent().appendingPathComponent(name).path
    }

    /// A fresh, empty folder under the system's temporary directory, named after `label` and unique per call;
    /// the caller removes it.
    public static func temporaryFolder(_ label: String) throws -> URL {
        let url = FileManager.default.temporaryDirectory
            .appendingPathComponent("occlumesh-\(label)-\(getpid())-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }
}
