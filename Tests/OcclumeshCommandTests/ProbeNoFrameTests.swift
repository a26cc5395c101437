import Foundation
import Testing

/// `occlumesh probe` on a file whose video stream decodes to nothing.
@Suite("occlumesh probe on a file without frames")
struct ProbeNoFrameTests {
    @Test("a clip with an empty stts box is an error naming the cause, exit 1, not \"frames\": 0")
    func emptySampleTable() throws {
        var bytes = [UInt8](try Data(contentsOf: ProbeCommandTests.repositoryRoot.appendingPathComponent("samples/sample.mp4")))
        let tag = Array("stts".utf8)
        let start = try #require((0..<(bytes.count - 16)).first { Array(bytes[$0..<($0 + 4)]) == tag })
        for offset in 8..<12 { bytes[start + offset] = 0 }
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("occlumesh-\(getpid())-no-frames.mp4").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        let result = try ProbeCommandTests.run(["probe", path, "--json"])
        #expect(result.status == 1, "\(result.output) \(result.errors)")
        #expect(result.errors.contains("no frame") && result.errors.split(separator: "\n").count == 1, "\(result.errors)")
        #expect(result.output.isEmpty)
    }
}
