import FaceModel
import Foundation
import TestSupport
import Testing

/// The calibrated 68-landmark definition in the face-model file (format version 2): written by the Python
/// converter and the Swift writer, read and checked by `MorphableModel`, used by `landmarks(…)` as barycentric
/// points with no jaw rule.
@Suite("calibrated landmark definition")
struct LandmarkDefinitionTests {
    static let definitionNPZ = Repository.root.appendingPathComponent("training/assets/landmarks68_ict.npz")
    static let haveICTModel = Repository.hasICTModel

    /// A definition on the synthetic 10×10 grid: landmark j uses face-area vertices j, j+1 and j+10 with
    /// uneven weights, so no landmark sits on a vertex and the jaw substitutes (80…95) are never named.
    static func syntheticDefinition() -> LandmarkDefinition {
        var vertices: [SIMD3<Int32>] = [], weights: [SIMD3<Float>] = []
        for j in 0..<68 {
            let first = Int32(j % 59)
            vertices.append(SIMD3<Int32>(first, first + 1, first + 10))
            let a = Float(j % 5 + 1) / 10, b = Float(j % 3 + 2) / 10
            weights.append(SIMD3<Float>(a, b, 1 - a - b))
        }
        return LandmarkDefinition(vertices: vertices, weights: weights)
    }

    /// A temporary file holding `bytes`, removed by the caller's `defer`.
    static func write(_ bytes: [UInt8]) throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("landmarks-\(UUID().uuidString).ocfm")
        try Data(bytes).write(to: url)
        return url
    }

    static func load(_ contents: ModelFileContents) throws -> MorphableModel {
        let url = try write(contents.encoded())
        defer { try? FileManager.default.removeItem(at: url) }
        return try MorphableModel(path: url.path)
    }

    /// Runs `python3 -c code arguments…` to its end.
    static func python(_ code: String, _ arguments: [String] = []) throws -> SubprocessResult {
        try Subprocess.run("python3", ["-c", code] + arguments)
    }

    /// The asset's definition as numpy reads it (float32 weights, as the file stores them).
    static func assetDefinition() throws -> LandmarkDefinition {
        let result = try python("""
            import json, sys, numpy as np
            d = np.load(sys.argv[1])
            print(json.dumps({"vertices": d["vertices"].tolist(), "weights": d["weights"].astype(np.float32).tolist()}))
            """, [definitionNPZ.path])
        try #require(result.status == 0, "\(result.errors)")
        struct Asset: Decodable { let vertices: [[Int32]]; let weights: [[Float]] }
        let asset = try JSONDecoder().decode(Asset.self, from: Data(result.output.utf8))
        return LandmarkDefinition(vertices: asset.vertices.map { SIMD3($0[0], $0[1], $0[2]) },
                                  weights: asset.weights.map { SIMD3($0[0], $0[1], $0[2]) })
    }

    @Test("the Swift writer's definition reads back, and files without one have none")
    func syntheticRoundTrip() throws {
        var contents = SyntheticModel.contents()
        #expect(try Self.load(contents).landmarkDefinition == nil)
        #expect(try Self.load(contents).landmarkVertices == contents.landmarkIndices.map { Int32($0) })
        contents.landmarkDefinition = Self.syntheticDefinition()
        let model = try Self.load(contents)
        #expect(model.landmarkDefinition == Self.syntheticDefinition())
        // The largest weight of landmark 0 (0.1, 0.2, 0.7) is its third corner, vertex 10.
        #expect(model.landmarkVertices[0] == 10)
        #expect(model.landmarkVertices == Self.syntheticDefinition().nearestVertices)
        #expect(model.landmarkIndices == contents.landmarkIndices.map { Int32($0) })
    }

    @Test("the converter writes the asset's definition and the reader returns it unchanged",
          .enabled(if: haveICTModel, "python3 with numpy or ../shared/data/face-model/ict-face-light.npz is missing"))
    func realAssetRoundTrip() throws {
        let output = FileManager.default.temporaryDirectory.appendingPathComponent("ict-\(UUID().uuidString).ocfm")
        defer { try? FileManager.default.removeItem(at: output) }
        let result = try Repository.runPython("convert-face-model.py", [Repository.faceModelNPZ.path, "--output", output.path])
        try #require(result.status == 0, "\(result.errors)")
        let model = try MorphableModel(path: output.path)
        let expected = try Self.assetDefinition()
        let definition = try #require(model.landmarkDefinition, "the converted file carries no landmark definition")
        #expect(definition == expected)
        #expect(model.landmarkVertices == expected.nearestVertices)
        // The file's header says version 2 with the definition flag.
        let header = try [UInt8](Data(contentsOf: output).prefix(64))
        #expect(header[8] == 2 && header[56] == 1)
        // And setup's freshness check agrees it is current, while a file without the definition is not.
        let current = try Repository.runPython("face_model_format.py", ["is-current", output.path, "--landmark-definition", Self.definitionNPZ.path])
        #expect(current.status == 0, "\(current.errors)")
        let bare = FileManager.default.temporaryDirectory.appendingPathComponent("ict-\(UUID().uuidString).ocfm")
        defer { try? FileManager.default.removeItem(at: bare) }
        let converted = try Repository.runPython("convert-face-model.py", [Repository.faceModelNPZ.path, "--output", bare.path,
                                                                           "--identity-count", "4", "--no-landmark-definition"])
        try #require(converted.status == 0, "\(converted.errors)")
        #expect(try MorphableModel(path: bare.path).landmarkDefinition == nil)
        let stale = try Repository.runPython("face_model_format.py", ["is-current", bare.path, "--landmark-definition", Self.definitionNPZ.path])
        #expect(stale.status == 1, "\(stale.errors)")
    }

    @Test("barycentric landmarks in 2-D and 3-D match the numpy reference on the ICT model",
          .enabled(if: haveICTModel, "python3 with numpy or ../shared/data/face-model/ict-face-light.npz is missing"))
    func matchesTheNumpyReference() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("landmarks-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let modelPath = directory.appendingPathComponent("ict.ocfm").path
        let converted = try Repository.runPython("convert-face-model.py", [Repository.faceModelNPZ.path, "--output", modelPath])
        try #require(converted.status == 0, "\(converted.errors)")
        let model = try MorphableModel(path: modelPath)
        var whole = model.makeMesh(.wholeHead), face = model.makeMesh(.faceArea)
        var indices = [Int32](repeating: 0, count: 68)
        var points = [SIMD2<Float>](repeating: .zero, count: 68), direct = points, fromFaceArea = points
        var points3D = [SIMD3<Float>](repeating: .zero, count: 68)
        // Beyond the jaw rule's 20° on both sides: the reference applies no rule to the calibrated points.
        for (seed, yaw) in [(4, 0.0), (5, 35.0), (6, -35.0), (7, 70.0)] {
            let referencePath = directory.appendingPathComponent("reference-\(seed).bin").path
            let result = try Repository.runPython("face-model-reference.py", [
                Repository.faceModelNPZ.path, "--identity-count", "40", "--seed", "\(seed)", "--yaw-degrees", "\(yaw)",
                "--landmark-definition", Self.definitionNPZ.path, "--output", referencePath,
            ])
            try #require(result.status == 0, "\(result.errors)")
            let reference = try NumpyReference(path: referencePath)
            let expected2D = try #require(reference.calibratedLandmarks), expected3D = try #require(reference.calibratedLandmarks3D)
            let identity = reference.identity.map(Float.init), expression = reference.expression.map(Float.init)
            try model.evaluate(identity: identity, expression: expression, into: &whole)
            try model.evaluate(identity: identity, expression: expression, into: &face)
            try model.landmarks(of: whole, pose: reference.pose, indices: &indices, into: &points)
            try model.landmarks(of: face, pose: reference.pose, indices: &indices, into: &fromFaceArea)
            try model.landmarks3D(of: whole, transform: reference.pose.modelAxesTransform, indices: &indices, into: &points3D)
            try model.landmarks(identity: identity, expression: expression, pose: reference.pose, indices: &indices, into: &direct)
            func worst(_ ours: [Float], _ theirs: [Double]) -> Double {
                zip(ours, theirs).map { abs(Double($0) - $1) }.max() ?? .infinity
            }
            let error2D = worst(points.flatMap { [$0.x, $0.y] }, expected2D)
            let errorDirect = worst(direct.flatMap { [$0.x, $0.y] }, expected2D)
            let error3D = worst(points3D.flatMap { [$0.x, $0.y, $0.z] }, expected3D)
            // Pixels at 9.5 px/cm around (220, 231): float32 rounding is a few 1e-5 px.
            #expect(error2D < 1e-3, "yaw \(yaw): max 2-D landmark error \(error2D) px")
            #expect(errorDirect < 1e-3, "yaw \(yaw): max 2-D landmark error from coefficients \(errorDirect) px")
            #expect(error3D < 1e-3, "yaw \(yaw): max 3-D landmark error \(error3D)")
            #expect(fromFaceArea == points, "yaw \(yaw): the face-area mesh gives other landmarks")
            #expect(indices == model.landmarkVertices, "yaw \(yaw): the jaw rule changed the landmark vertices")
            print("calibrated landmarks vs numpy, yaw \(yaw)°: 2-D \(error2D) px, from coefficients \(errorDirect) px, 3-D \(error3D)")
        }
    }

    @Test("with a calibrated definition the jaw contour rule is not applied at any yaw")
    func ruleNotApplied() throws {
        var contents = SyntheticModel.contents()
        contents.landmarkDefinition = Self.syntheticDefinition()
        let model = try Self.load(contents)
        let definition = Self.syntheticDefinition()
        var mesh = model.makeMesh(.wholeHead)
        try model.evaluate(identity: [1, 0, -1], expression: [0.5, 0.5], into: &mesh)
        var indices = [Int32](repeating: 0, count: 68)
        var points = [SIMD2<Float>](repeating: .zero, count: 68), direct = points
        var points3D = [SIMD3<Float>](repeating: .zero, count: 68)
        for yaw: Float in [0, 0.6, -0.6, 1.2, -1.2] {
            let pose = FacePose(rotation: Quaternion(angle: yaw, axis: SIMD3(0, 1, 0)), translation: SIMD3(10, 20, 0), scale: 3)
            try model.landmarkVertexIndices(for: pose.rotation, into: &indices)
            #expect(indices == definition.nearestVertices, "yaw \(yaw)")
            try model.landmarks(of: mesh, pose: pose, indices: &indices, into: &points)
            try model.landmarks3D(of: mesh, transform: pose.modelAxesTransform, indices: &indices, into: &points3D)
            try model.landmarks(identity: [1, 0, -1], expression: [0.5, 0.5], pose: pose, indices: &indices, into: &direct)
            for slot in 0..<68 {
                let corners = definition.vertices[slot], weights = definition.weights[slot]
                let point = weights.x * mesh.vertex(Int(corners.x)) + weights.y * mesh.vertex(Int(corners.y))
                    + weights.z * mesh.vertex(Int(corners.z))
                let expected = pose.project(point)
                #expect(((points[slot] - expected) * (points[slot] - expected)).sum() < 1e-8, "yaw \(yaw), landmark \(slot)")
                #expect(((direct[slot] - expected) * (direct[slot] - expected)).sum() < 1e-6, "yaw \(yaw), landmark \(slot)")
                let expected3D = pose.modelAxesTransform.apply(point)
                #expect(((points3D[slot] - expected3D) * (points3D[slot] - expected3D)).sum() < 1e-8, "yaw \(yaw), landmark \(slot)")
            }
        }
        // The same model without the definition still switches its jaw at 0.6 rad (the rule is kept for such files).
        contents.landmarkDefinition = nil
        try Self.load(contents).landmarkVertexIndices(for: Quaternion(angle: 0.6, axis: SIMD3(0, 1, 0)), into: &indices)
        #expect(Array(indices[0..<8]) == (80..<88).map { Int32($0) })
    }

    @Test("a definition with a bad number is refused before it indexes anything", arguments: [
        "vertex past the end", "negative vertex", "NaN weight", "infinite weight", "sum not 1", "negative weight",
    ])
    func hostileDefinition(kind: String) throws {
        var contents = SyntheticModel.contents()
        var definition = Self.syntheticDefinition()
        switch kind {
        case "vertex past the end": definition.vertices[30].y = 100
        case "negative vertex": definition.vertices[67].z = -5
        case "NaN weight": definition.weights[3].x = .nan
        case "infinite weight": definition.weights[3] = SIMD3(.infinity, -.infinity, 1)
        case "sum not 1": definition.weights[10] = SIMD3(0.5, 0.5, 0.5)
        default: definition.weights[10] = SIMD3(-0.5, 0.5, 1)
        }
        contents.landmarkDefinition = definition
        let url = try Self.write(contents.encoded())
        defer { try? FileManager.default.removeItem(at: url) }
        do {
            _ = try MorphableModel(path: url.path)
            Issue.record("a definition with a \(kind) was accepted")
        } catch {
            guard case .malformedHeader(_, let reason) = error else { Issue.record("\(error)"); return }
            #expect(reason.hasPrefix("landmark definition: landmark "), "\(reason)")
            #expect(!"\(error)".contains("\n"))
        }
    }

    @Test("header fields for the optional sections are checked", arguments: ["unknown flag", "flag without sections",
                                                                           "sections without flag", "offset past Int.max"])
    func hostileHeader(kind: String) throws {
        var contents = SyntheticModel.contents()
        contents.landmarkDefinition = kind == "sections without flag" ? nil : Self.syntheticDefinition()
        var bytes = contents.encoded()
        let table = ModelFileLayout.sectionTableOffset
        let vertices = table + 8 * ModelFileLayout.Section.landmarkDefinitionVertices.rawValue
        switch kind {
        case "unknown flag": bytes[56] = 3
        case "flag without sections": bytes.replaceSubrange(vertices..<(vertices + 16), with: [UInt8](repeating: 0, count: 16))
        case "sections without flag": bytes.replaceSubrange(vertices..<(vertices + 8), with: [0, 1, 0, 0, 0, 0, 0, 0])
        default: bytes.replaceSubrange(vertices..<(vertices + 8), with: [0, 0, 0, 0, 0, 0, 0, 0xF0])
        }
        let url = try Self.write(bytes)
        defer { try? FileManager.default.removeItem(at: url) }
        // No checksum check: the header is parsed before it (and a hostile file can carry a right checksum).
        #expect(throws: FaceModelError.self) { _ = try MorphableModel(path: url.path, verifyChecksum: false) }
        do {
            _ = try MorphableModel(path: url.path, verifyChecksum: false)
        } catch {
            guard case .malformedHeader = error else { Issue.record("\(kind): \(error)"); return }
        }
    }

    @Test("a version-1 file is refused with one line that says to run the setup again, and setup sees it is stale")
    func versionOneRefused() throws {
        var bytes = SyntheticModel.contents().encoded()
        bytes[8] = 1
        let url = try Self.write(bytes)
        defer { try? FileManager.default.removeItem(at: url) }
        #expect(throws: FaceModelError.unsupportedVersion(path: url.path, version: 1)) { _ = try MorphableModel(path: url.path) }
        let message = "\(FaceModelError.unsupportedVersion(path: url.path, version: 1))"
        #expect(message.contains("re-run tools/setup-face-model.sh") && !message.contains("\n"), "\(message)")
        if Subprocess.hasNumpy {
            let result = try Repository.runPython("face_model_format.py", ["is-current", url.path])
            #expect(result.status == 1, "setup would keep a version-1 file: \(result.errors)")
        }
    }

    @Test("the converter refuses a definition naming a vertex the model lacks, in one line",
          .enabled(if: haveICTModel, "python3 with numpy or ../shared/data/face-model/ict-face-light.npz is missing"))
    func converterRefusesABadDefinition() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("landmarks-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let bad = directory.appendingPathComponent("bad.npz").path
        let written = try Self.python("""
            import sys, numpy as np
            d = np.load(sys.argv[1])
            vertices = d["vertices"].copy(); vertices[5, 1] = 11248
            np.savez(sys.argv[2], vertices=vertices, weights=d["weights"])
            """, [Self.definitionNPZ.path, bad])
        try #require(written.status == 0, "\(written.errors)")
        let output = directory.appendingPathComponent("model.ocfm").path
        let result = try Repository.runPython("convert-face-model.py", [Repository.faceModelNPZ.path, "--output", output,
                                                                        "--identity-count", "2", "--landmark-definition", bad])
        #expect(result.status != 0)
        #expect(result.errors.contains("landmark definition holds a vertex index outside 0..<11248"), "\(result.errors)")
        #expect(!FileManager.default.fileExists(atPath: output))
    }
}
