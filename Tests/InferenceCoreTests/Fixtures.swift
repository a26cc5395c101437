import Foundation
import InferenceCore
import InferenceGraph

/// The committed golden fixtures made by tools/make_inference_fixtures.py.
enum Fixtures {
    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures")

    /// Names of all fixture models (NAME.onnx).
    static var names: [String] {
        let files = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
        return files.filter { $0.hasSuffix(".onnx") }.map { String($0.dropLast(5)) }.sorted()
    }

    static func model(_ name: String) -> URL { directory.appendingPathComponent("\(name).onnx") }

    /// NAME.in0.npy, NAME.in1.npy ... or NAME.out0.npy ...
    static func tensors(_ name: String, kind: String) throws -> [Tensor] {
        var result: [Tensor] = []
        var index = 0
        while true {
            let url = directory.appendingPathComponent("\(name).\(kind)\(index).npy")
            guard FileManager.default.fileExists(atPath: url.path) else { return result }
            result.append(try NumpyFile.read(url))
            index += 1
        }
    }

    /// Largest |a - b| divided by the reference's largest magnitude (floored at 1e-3).
    static func relativeError(_ actual: Tensor, _ expected: Tensor) -> Float {
        var difference: Float = 0, scale: Float = 1e-3
        for index in 0..<expected.count {
            difference = max(difference, abs(actual.elements[index] - expected.elements[index]))
            scale = max(scale, abs(expected.elements[index]))
        }
        return difference / scale
    }
}
