import Foundation
import TestSupport
import Testing

/// `scripts/install.sh --destdir`: what a package or a user gets — the daemon, the occlumesh command and both systemd
/// units, the config (kept when present) and the model files.
@Suite("scripts/install.sh")
struct InstallScriptTests {
    static let root = ProbeCommandTests.repositoryRoot
    static var daemon: String { URL(fileURLWithPath: ProbeCommandTests.executable).deletingLastPathComponent().appendingPathComponent("occlumeshd").path }

    @Test("stages the daemon, the command beside it, both units, the config and the models; keeps an edited config")
    func stagesEverything() throws {
        let stage = try Repository.temporaryFolder("install-stage")
        defer { try? FileManager.default.removeItem(at: stage) }
        let models = try Repository.temporaryFolder("install-models")
        defer { try? FileManager.default.removeItem(at: models) }
        try "{}".write(to: models.appendingPathComponent("orn.json"), atomically: true, encoding: .utf8)
        let script = Self.root.appendingPathComponent("scripts/install.sh").path
        let arguments = [script, "--binary", Self.daemon, "--model-dir", models.path, "--destdir", stage.path]
        let first = try Subprocess.run("bash", arguments)
        #expect(first.status == 0, "\(first.errors)")
        for (path, mode) in [("usr/local/bin/occlumeshd", 0o755), ("usr/local/bin/occlumesh", 0o755),
                             ("etc/systemd/system/occlumesh.service", 0o644),
                             ("etc/systemd/system/occlumesh-bridge@.service", 0o644),
                             ("etc/occlumesh/occlumesh.toml", 0o644), ("usr/share/occlumesh/orn.json", 0o644)] {
            let attributes = try? FileManager.default.attributesOfItem(atPath: stage.appendingPathComponent(path).path)
            #expect((attributes?[.posixPermissions] as? Int) == mode, "\(path): \(String(describing: attributes?[.posixPermissions]))")
        }
        let config = stage.appendingPathComponent("etc/occlumesh/occlumesh.toml")
        try "# edited\n".write(to: config, atomically: true, encoding: .utf8)
        let second = try Subprocess.run("bash", arguments)
        #expect(second.status == 0 && second.output.contains("keeping existing"), "\(second.output)")
        #expect(try String(contentsOf: config, encoding: .utf8) == "# edited\n")
    }
}
