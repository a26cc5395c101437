import Foundation

/// The regressor file checked against the SHA-256 its sidecar records (`onnx_sha256` in `orn.json`, written by the
/// exporter), so that damaged weights fail at load with one line instead of loading and regressing nonsense.
enum ModelChecksum {
    private struct Sidecar: Decodable {
        let onnx_sha256: String?
    }

    /// Throws `modelUnavailable` naming the model when `sidecarPath` records a digest that `modelPath`'s bytes do
    /// not have; does nothing when the sidecar records none.
    static func verify(model modelPath: String, sidecar sidecarPath: String) throws(PipelineError) {
        guard let sidecarData = FileManager.default.contents(atPath: sidecarPath),
              let expected = (try? JSONDecoder().decode(Sidecar.self, from: sidecarData))?.onnx_sha256?.lowercased()
        else { return }
        guard expected.count == 64, expected.allSatisfy(\.isHexDigit) else {
            throw .modelUnavailable(path: sidecarPath, reason: "onnx_sha256 is not 64 hexadecimal digits")
        }
        guard let model = FileManager.default.contents(atPath: modelPath) else {
            throw .modelUnavailable(path: modelPath, reason: "cannot read the file")
        }
        let actual = SHA256.hexDigest([UInt8](model))
        guard actual == expected else {
            throw .modelUnavailable(
                path: modelPath, reason: "SHA-256 \(actual.prefix(16))… differs from the onnx_sha256 \(expected.prefix(16))… "
                    + "that \(sidecarPath) records: the file is damaged or not the one exported with it")
        }
    }
}
