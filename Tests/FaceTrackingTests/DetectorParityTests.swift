import FaceTracking
import Foundation
import InferenceCore
import Testing

/// The BlazeFace networks run on InferenceCore give onnxruntime's outputs (recorded by
/// tools/make-detector-goldens.py for inputs made by the same integer formulas as here).
@Suite("detector networks against onnxruntime")
struct DetectorParityTests {
    /// (3, size, size) pixels of a case, exactly as `pixels()` in tools/make-detector-goldens.py makes them.
    static func pixels(case name: String, size: Int) -> [UInt8] {
        var values = [UInt8](repeating: 0, count: 3 * size * size)
        for channel in 0..<3 {
            for y in 0..<size {
                for x in 0..<size {
                    let value: UInt8
                    if name == "rings" {
                        let dx = x - size / 2, dy = y - size / 3
                        value = UInt8((dx * dx + 2 * dy * dy + 40 * channel) / 16 % 256)
                    } else {
                        var hash = (UInt64(x) &* 73856093) ^ (UInt64(y) &* 19349663) ^ (UInt64(channel) &* 83492791)
                            ^ (1 &* 2654435761)
                        hash &= 0xFFFF_FFFF
                        hash = (hash &* 2246822519) & 0xFFFF_FFFF
                        value = UInt8(hash >> 24)
                    }
                    values[(channel * size + y) * size + x] = value
                }
            }
        }
        return values
    }

    private func check(range: String, cases: [String]) throws {
        let detector = try FaceDetector(sidecarPath: DetectorFixtures.detectorSidecar(range))
        let size = detector.specification.inputWidth
        let normalization = detector.specification.input.normalization
        for name in cases {
            let input = Self.pixels(case: name, size: size).map { Float($0) * normalization.scale + normalization.offset }
            let (regressors, classificators) = try detector.rawOutputs(input: input)
            let stem = "face_detection_\(range).\(name)"
            for (output, values) in [("regressors", regressors), ("classificators", classificators)] {
                let golden = try NumpyFile.read(DetectorFixtures.fixtures.appendingPathComponent("\(stem).\(output).npy"))
                #expect(golden.count == values.count, "\(stem) \(output)")
                let largest = golden.elements.map(abs).max() ?? 0
                let difference = zip(golden.elements, values).map { abs($0 - $1) }.max() ?? .infinity
                print("\(stem) \(output): largest |Δ| \(difference), largest value \(largest)")
                // float32 sums in a different order: differences of a few ulp of the largest value.
                #expect(difference <= 1e-5 * max(largest, 1), "\(stem) \(output): largest |Δ| \(difference) of \(largest)")
            }
        }
    }

    @Test("the short-range network gives onnxruntime's outputs")
    func shortRangeMatchesOnnxRuntime() throws {
        try check(range: "short_range", cases: ["noise", "rings"])
    }

    @Test("the MediaPipe original of the short-range network gives onnxruntime's outputs")
    func originalShortRangeMatchesOnnxRuntime() throws {
        try check(range: "short_range_mediapipe", cases: ["noise"])
    }

    @Test("the full-range network gives onnxruntime's outputs")
    func fullRangeMatchesOnnxRuntime() throws {
        try check(range: "full_range", cases: ["rings"])
    }
}
