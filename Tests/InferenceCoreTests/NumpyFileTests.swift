import Foundation
import InferenceCore
import InferenceGraph
import Testing

/// The `.npy` reader/writer used by `occlumesh model run` and the golden fixtures.
@Suite struct NumpyFileTests {
    @Test func roundTrip() throws {
        let tensor = Tensor(shape: [2, 3, 1, 4], elements: (0..<24).map { Float($0) * 0.5 - 3 })
        let decoded = try NumpyFile.decode(NumpyFile.encode(tensor), path: "memory")
        #expect(decoded == tensor)
        let vector = Tensor(shape: [5], elements: [1, 2, 3, 4, 5])
        #expect(try NumpyFile.decode(NumpyFile.encode(vector), path: "memory") == vector)
    }

    @Test func nhwcTensorsAreWrittenInNCHWOrder() throws {
        // Logical [1, 2, 1, 2]: channel 0 = (1, 2), channel 1 = (10, 20); stored NHWC as 1, 10, 2, 20.
        let tensor = Tensor(shape: [1, 2, 1, 2], layout: .nhwc, elements: [1, 10, 2, 20])
        let decoded = try NumpyFile.decode(NumpyFile.encode(tensor), path: "memory")
        #expect(decoded.elements == [1, 2, 10, 20])
        #expect(decoded.layout == .nchw)
    }

    @Test func readsNumpyWrittenFiles() throws {
        let tensor = try NumpyFile.read(Fixtures.directory.appendingPathComponent("conv3x3_odd.in0.npy"))
        #expect(tensor.shape == [1, 3, 7, 9])
    }

    @Test func rejectsOtherFiles() throws {
        let onnx = try Data(contentsOf: Fixtures.model("relu"))
        #expect(throws: NumpyFileError.self) { try NumpyFile.decode(onnx, path: "relu.onnx") }
        var wrongType = NumpyFile.encode(Tensor(shape: [2], elements: [1, 2]))
        let header = String(decoding: wrongType, as: UTF8.self).replacingOccurrences(of: "<f4", with: "<f8")
        wrongType = Data(header.utf8)
        #expect(throws: NumpyFileError.self) { try NumpyFile.decode(wrongType, path: "f8.npy") }
        let truncated = NumpyFile.encode(Tensor(shape: [4], elements: [1, 2, 3, 4])).dropLast(3)
        #expect(throws: NumpyFileError.self) { try NumpyFile.decode(Data(truncated), path: "short.npy") }
    }
}
