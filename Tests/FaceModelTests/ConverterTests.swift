import FaceModel
import Foundation
import TestSupport
import Testing

/// The Python converter (tools/convert-face-model.py) against the Swift reader and writer, and the Swift
/// mesh against the numpy reference (tools/face-model-reference.py).
@Suite("face-model converter")
struct ConverterTests {
    let temporary = TemporaryDirectory("converter")

    private func convert(_ arguments: [String]) throws {
        let result = try Repository.runPython("convert-face-model.py", arguments)
        #expect(result.status == 0, "\(result.errors)")
    }

    /// Writes the synthetic model as an ICT-FaceKit style FaceXModel folder of OBJs.
    private func writeOBJFolder(_ contents: ModelFileContents, to folder: URL) throws {
        func obj(_ positions: [Float], topology: Bool) -> String {
            var text = ""
            for index in 0..<(positions.count / 3) {
                text += "v \(positions[3 * index]) \(positions[3 * index + 1]) \(positions[3 * index + 2])\n"
            }
            if topology {
                for index in 0..<(positions.count / 3) {
                    text += "vt \(contents.textureCoordinates[2 * index]) \(contents.textureCoordinates[2 * index + 1])\n"
                }
                // Consecutive triangles (a, b, c), (a, c, d) are written as the quad a b c d, as ICT's OBJs
                // hold quads; the converter must split them back the same way.
                let t = contents.triangles
                var start = 0
                while start < t.count {
                    var corners = Array(t[start..<(start + 3)])
                    if start + 6 <= t.count, t[start + 3] == t[start], t[start + 4] == t[start + 2] {
                        corners.append(t[start + 5])
                        start += 6
                    } else {
                        start += 3
                    }
                    text += "f " + corners.map { "\($0 + 1)/\($0 + 1)" }.joined(separator: " ") + "\n"
                }
            }
            return text
        }
        func shifted(_ mode: [Float]) -> [Float] { zip(contents.neutral, mode).map { $0 + $1 } }
        try obj(contents.neutral, topology: true).write(to: folder.appendingPathComponent("generic_neutral_mesh.obj"), atomically: true, encoding: .utf8)
        for (index, mode) in contents.identityModes.enumerated() {
            let name = "identity" + String(repeating: "0", count: 3 - String(index).count) + String(index)
            try obj(shifted(mode), topology: false).write(to: folder.appendingPathComponent("\(name).obj"), atomically: true, encoding: .utf8)
        }
        for (name, mode) in zip(contents.expressionNames, contents.expressionModes) {
            try obj(shifted(mode), topology: false).write(to: folder.appendingPathComponent("\(name).obj"), atomically: true, encoding: .utf8)
        }
        let config = try JSONSerialization.data(withJSONObject: ["expressions": contents.expressionNames])
        try config.write(to: folder.appendingPathComponent("vertex_indices.json"))
        let landmarks = try JSONSerialization.data(withJSONObject: [
            "landmarks68": contents.landmarkIndices, "jaw_right_substitutes": contents.jawRightSubstitutes,
            "jaw_left_substitutes": contents.jawLeftSubstitutes,
        ])
        try landmarks.write(to: folder.appendingPathComponent("landmarks.json"))
    }

    @Test("an OBJ folder converts to the same model the Swift writer writes",
          .enabled(if: Subprocess.hasNumpy, "python3 with numpy is not installed"))
    func objFolderConversionGivesTheSameModel() throws {
        let contents = SyntheticModel.contents()
        let directory = try temporary.folder()
        let folder = directory.appendingPathComponent("FaceXModel")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        try writeOBJFolder(contents, to: folder)
        let output = directory.appendingPathComponent("model.ocfm").path
        try convert([folder.path, "--output", output, "--identity-count", "2", "--face-area-vertex-count", "70",
                     "--landmarks", folder.appendingPathComponent("landmarks.json").path, "--no-landmark-definition"])
        let converted = try MorphableModel(path: output)
        let written = try temporary.model(contents.encoded(identityCount: 2))
        #expect(converted.identityCount == 2)
        #expect(converted.storedIdentityCount == 2)
        #expect(converted.expressionNames == written.expressionNames)
        #expect(Array(converted.neutral) == Array(written.neutral))
        #expect(Array(converted.triangleIndices) == Array(written.triangleIndices))
        #expect(converted.faceAreaTriangleCount == written.faceAreaTriangleCount)
        #expect(Array(converted.textureCoordinates) == Array(written.textureCoordinates))
        #expect(converted.landmarkIndices == written.landmarkIndices)
        #expect(converted.jawLeftSubstitutes == written.jawLeftSubstitutes)
        // Bases come from OBJ − neutral, so they agree to float rounding of the sums written in the OBJs.
        for index in 0..<2 {
            let difference = zip(converted.identityMode(index), written.identityMode(index)).map { abs($0 - $1) }.max()!
            #expect(difference < 1e-6)
        }
        for index in 0..<2 {
            let difference = zip(converted.expressionMode(index), written.expressionMode(index)).map { abs($0 - $1) }.max()!
            #expect(difference < 1e-6)
        }
    }

    @Test("the converter refuses more identity modes than the source has",
          .enabled(if: Repository.hasICTModel, "python3 with numpy or ../shared/data/face-model/ict-face-light.npz is missing"))
    func converterRefusesMoreModesThanTheSourceHas() throws {
        let output = try temporary.folder().appendingPathComponent("model.ocfm").path
        let result = try Repository.runPython("convert-face-model.py", [Repository.faceModelNPZ.path, "--output", output, "--identity-count", "101"])
        #expect(result.status != 0)
        #expect(result.errors.contains("identity count 101 outside 1...100"), "\(result.errors)")
        #expect(!FileManager.default.fileExists(atPath: output))
    }

    @Test("the ICT model's meshes, projections and landmark vertices match the numpy reference",
          .enabled(if: Repository.hasICTModel, "python3 with numpy or ../shared/data/face-model/ict-face-light.npz is missing"))
    func ictModelMatchesTheNumpyReference() throws {
        let directory = try temporary.folder()
        let modelPath = directory.appendingPathComponent("ict.ocfm").path
        // default K = 40; without the calibrated definition, so ICT's vertices and the jaw rule are what is compared
        // (LandmarkDefinitionTests compares the calibrated points).
        try convert([Repository.faceModelNPZ.path, "--output", modelPath, "--no-landmark-definition"])
        let model = try MorphableModel(path: modelPath)
        #expect(model.identityCount == 40)
        #expect(model.vertexCount == 11248)
        #expect(model.faceAreaVertexCount == 9409)
        #expect(model.expressionCount == 53)
        #expect(model.expressionIndex(named: "jawOpen") == 26)
        var whole = model.makeMesh(.wholeHead), face = model.makeMesh(.faceArea)
        var projected = [SIMD2<Float>](repeating: .zero, count: model.vertexCount)
        var indices = [Int32](repeating: 0, count: 68)
        for (seed, yaw) in [(1, 0.0), (2, 35.0), (3, -35.0)] {
            let referencePath = directory.appendingPathComponent("reference-\(seed).bin").path
            let result = try Repository.runPython("face-model-reference.py", [
                Repository.faceModelNPZ.path, "--identity-count", "40", "--seed", "\(seed)", "--yaw-degrees", "\(yaw)",
                "--output", referencePath,
            ])
            #expect(result.status == 0, "\(result.errors)")
            let reference = try NumpyReference(path: referencePath)
            #expect(reference.vertexCount == 11248)
            try model.evaluate(identity: reference.identity.map(Float.init), expression: reference.expression.map(Float.init), into: &whole)
            try model.evaluate(identity: reference.identity.map(Float.init), expression: reference.expression.map(Float.init), into: &face)
            let wholeError = zip(whole.positions, reference.vertices).map { abs(Double($0) - $1) }.max()!
            #expect(wholeError < 1e-4, "seed \(seed): max vertex error \(wholeError) cm")
            #expect(face.positions == Array(whole.positions.prefix(9409 * 3)))
            try whole.projected(by: reference.pose, into: &projected)
            let projectionError = zip(projected.flatMap { [$0.x, $0.y] }, reference.projected).map { abs(Double($0) - $1) }.max()!
            // Pixels at 9.5 px/cm around (220, 231): float32 rounding of the rotation is a few 1e-5 px.
            #expect(projectionError < 1e-3, "seed \(seed): max projection error \(projectionError) px")
            print("numpy reference, seed \(seed), yaw \(yaw)°: max vertex error \(wholeError) cm, max projection error \(projectionError) px")
            try model.landmarkVertexIndices(for: reference.pose.rotation, into: &indices)
            #expect(indices == reference.landmarkVertices, "seed \(seed), yaw \(yaw)")
            if yaw == 0 { #expect(indices == model.landmarkIndices) }
            if yaw > 0 { #expect(Array(indices[0..<8]) == model.jawRightSubstitutes) }
            if yaw < 0 { #expect(Array(indices[9..<17]) == model.jawLeftSubstitutes) }
        }
    }

    @Test("the Swift writer reproduces the converter's file byte for byte",
          .enabled(if: Repository.hasICTModel, "python3 with numpy or ../shared/data/face-model/ict-face-light.npz is missing"))
    func swiftWriterReproducesTheConverterByteForByte() throws {
        let modelPath = try temporary.folder().appendingPathComponent("ict.ocfm").path
        try convert([Repository.faceModelNPZ.path, "--output", modelPath, "--identity-count", "8"])
        let model = try MorphableModel(path: modelPath)
        let contents = ModelFileContents(
            neutral: Array(model.neutral),
            identityModes: (0..<model.identityCount).map { Array(model.identityMode($0)) },
            expressionModes: (0..<model.expressionCount).map { Array(model.expressionMode($0)) },
            expressionNames: model.expressionNames,
            triangles: Array(model.triangleIndices),
            textureCoordinates: Array(model.textureCoordinates),
            faceAreaVertexCount: model.faceAreaVertexCount,
            landmarkIndices: model.landmarkIndices.map { UInt32($0) },
            jawRightSubstitutes: model.jawRightSubstitutes.map { UInt32($0) },
            jawLeftSubstitutes: model.jawLeftSubstitutes.map { UInt32($0) },
            landmarkDefinition: model.landmarkDefinition)
        #expect(model.landmarkDefinition != nil, "the converter wrote no calibrated landmark definition")
        var rewritten = contents.encoded()
        let original = try [UInt8](Data(contentsOf: URL(fileURLWithPath: modelPath)))
        // The header's "identity modes in the source" field says 100 in the converter's file; the writer only saw 8.
        #expect(original[28] == 100)
        rewritten[28] = 100
        rewritten.replaceSubrange(60..<64, with: [0, 0, 0, 0])
        var expected = original
        expected.replaceSubrange(60..<64, with: [0, 0, 0, 0])
        #expect(rewritten.count == original.count)
        #expect(rewritten == expected, "the Swift writer and the Python converter disagree")
    }
}

/// The binary file written by tools/face-model-reference.py.
struct NumpyReference {
    var vertexCount: Int
    var pose: FacePose
    var identity: [Double]
    var expression: [Double]
    var vertices: [Double]
    var projected: [Double]
    var landmarkVertices: [Int32]
    /// With `--landmark-definition`: the calibrated landmarks projected (68 × x, y) and posed in 3D (68 × x, y, z).
    var calibratedLandmarks: [Double]?
    var calibratedLandmarks3D: [Double]?

    init(path: String) throws {
        let data = try [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))
        var offset = 0
        func int32s(_ count: Int) -> [Int32] {
            defer { offset += 4 * count }
            return (0..<count).map { index in
                data.withUnsafeBytes { Int32(littleEndian: $0.loadUnaligned(fromByteOffset: offset + 4 * index, as: Int32.self)) }
            }
        }
        func doubles(_ count: Int) -> [Double] {
            defer { offset += 8 * count }
            return (0..<count).map { index in
                data.withUnsafeBytes { Double(bitPattern: UInt64(littleEndian: $0.loadUnaligned(fromByteOffset: offset + 8 * index, as: UInt64.self))) }
            }
        }
        let counts = int32s(3).map(Int.init)
        vertexCount = counts[0]
        let pose = doubles(8).map(Float.init)
        self.pose = FacePose(rotation: Quaternion(x: pose[0], y: pose[1], z: pose[2], w: pose[3]),
                             translation: SIMD3(pose[4], pose[5], pose[6]), scale: pose[7])
        identity = doubles(counts[1])
        expression = doubles(counts[2])
        vertices = doubles(counts[0] * 3)
        projected = doubles(counts[0] * 2)
        landmarkVertices = int32s(68)
        if offset + 4 <= data.count, int32s(1) == [68] {
            calibratedLandmarks = doubles(68 * 2)
            calibratedLandmarks3D = doubles(68 * 3)
        }
    }
}
