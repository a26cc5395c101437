import FaceModel
import FaceTracking
import Foundation

/// What `models/orn.json` says about the ORN regressor: how to cut and normalise its input (`CropConvention`) and
/// how to read its outputs. This is the one reader of the sidecar: the daemon reads it beside `orn.onnx`, so
/// nothing about the network is hard-coded twice.
public struct RegressorSpecification: Sendable, Equatable {
    /// How the input crop is sized, normalised and framed.
    public let crop: CropConvention
    /// Name of the network's input tensor.
    public let inputName: String
    /// Number of identity coefficients the network regresses.
    public let identityModes: Int
    /// ARKit-style names of the expression weights, in output order.
    public let expressionNames: [String]
    /// Landmarks the visibility output covers: the size of the sidecar's `visibility` output, which must be the
    /// face model's 68 (Multi-PIE order), since the landmarks drawn from the mesh are those.
    public let landmarkCount: Int
    /// Human-readable description of how the face is framed in the crop, from the sidecar.
    public let cropDescription: String
    /// Whether the network has the sixth output `face` (size 1): the probability that the crop holds a face.
    /// Sidecars list either the five outputs `identity` … `visibility` or those five followed by `face`.
    public let hasFaceScore: Bool

    /// The calibrated 68-landmark definition the network was trained with (the sidecar's optional
    /// `landmark_definition`), or nil for models trained on ICT-FaceKit's own landmark vertices. The face-model
    /// file must carry the same definition, or the landmarks drawn from the mesh are not those the network knows.
    public let landmarkDefinition: LandmarkDefinition?

    /// Name of the optional sixth output, the face score.
    public static let faceScoreOutput = "face"

    /// Largest output dimension (and identity mode count) accepted.
    public static let maximumOutputSize = 1 << 16

    /// The sidecar format this code reads.
    public static let format = "occlumesh-orn/1"

    /// Reads and checks the sidecar at `path`.
    public static func load(path: String) throws(FaceRegressionError) -> RegressorSpecification {
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw .unreadableFile(path: path, reason: (error as NSError).localizedDescription)
        }
        return try parse(data, path: path)
    }

    /// Parses sidecar JSON; `path` is used in error messages.
    public static func parse(_ data: Data, path: String) throws(FaceRegressionError) -> RegressorSpecification {
        let sidecar: Sidecar
        do {
            sidecar = try JSONDecoder().decode(Sidecar.self, from: data)
        } catch {
            throw .invalidSpecification(path: path, reason: Self.describe(error))
        }
        guard sidecar.format == format else {
            throw .invalidSpecification(path: path, reason: "format '\(sidecar.format)' is not '\(format)'")
        }
        let shape = sidecar.input.shape, side = sidecar.crop.size
        guard sidecar.input.layout == "NCHW", shape.count == 4, shape[0] == 1, shape[1] == 3, shape[2] == side, shape[3] == side else {
            throw .invalidSpecification(path: path, reason: "input shape \(shape) is not 1×3×S×S with S = crop.size (layout NCHW)")
        }
        guard (1...CropConvention.maximumSize).contains(side) else {
            throw .invalidSpecification(path: path, reason: "crop.size \(side) is outside 1…\(CropConvention.maximumSize)")
        }
        guard (0...maximumOutputSize).contains(sidecar.identity_modes) else {
            throw .invalidSpecification(path: path, reason: "identity_modes \(sidecar.identity_modes) is outside 0…\(maximumOutputSize)")
        }
        let normalisation = sidecar.input.normalisation
        guard normalisation.mean.count == 3, normalisation.std.count == 3, normalisation.std.allSatisfy({ $0 > 0 }),
              normalisation.scale.isFinite, (normalisation.mean + normalisation.std).allSatisfy(\.isFinite) else {
            throw .invalidSpecification(path: path, reason: "normalisation needs three means and three positive deviations, all finite")
        }
        guard let framing = sidecar.crop.framing else {
            throw .invalidSpecification(path: path, reason: "crop.framing (landmarks and detection side_scale, centre_shift) is missing")
        }
        for (name, entry) in [("landmarks", framing.landmarks), ("detection", framing.detection)]
        where !(entry.side_scale > 0 && entry.side_scale <= CropConvention.maximumSideScale) || entry.centre_shift.count != 2
            || !entry.centre_shift.allSatisfy({ abs($0) <= CropConvention.maximumCentreShift }) {
            throw .invalidSpecification(
                path: path, reason: "crop.framing.\(name) needs side_scale in (0, \(CropConvention.maximumSideScale)] and a 2-value "
                    + "centre_shift within ±\(CropConvention.maximumCentreShift)")
        }
        // Each dimension is checked before it is multiplied: a shape of [2^32, 2^32] must be an error, not a trap.
        for output in sidecar.outputs where output.shape.isEmpty || !output.shape.allSatisfy({ (1...maximumOutputSize).contains($0) }) {
            throw .invalidSpecification(
                path: path, reason: "output \(output.name) has shape \(output.shape); each dimension must lie in 1…\(maximumOutputSize)")
        }
        let declared = sidecar.outputs.map { output in
            (output.name, output.shape.reduce(1) { product, dimension in
                let (next, overflow) = product.multipliedReportingOverflow(by: dimension)
                return overflow ? -1 : next
            })
        }
        // The landmark count is the visibility output's size, and must be the face model's.
        let landmarkCount = MorphableModel.landmarkCount
        if let visibility = declared.first(where: { $0.0 == "visibility" }), visibility.1 != landmarkCount {
            throw .invalidSpecification(
                path: path, reason: "visibility output covers \(visibility.1) landmarks, not the face model's \(landmarkCount)")
        }
        let expected: [(String, Int)] = [
            ("identity", sidecar.identity_modes), ("expression", sidecar.expression_names.count),
            ("rotation6d", 6), ("translation_scale", 3), ("visibility", landmarkCount),
        ]
        // The five outputs of every model, then optionally the face score. A sixth output of another name or size,
        // or a seventh, is refused: nothing would read it.
        let faceScore = (faceScoreOutput, 1)
        let hasFaceScore = declared.count == expected.count + 1
        let accepted = hasFaceScore ? expected + [faceScore] : expected
        guard declared.map(\.0) == accepted.map(\.0), declared.map(\.1) == accepted.map(\.1) else {
            throw .invalidSpecification(path: path, reason: "outputs \(declared) are not \(expected), optionally followed by \(faceScore)")
        }
        let landmarkDefinition = try sidecar.landmark_definition.map { definition throws(FaceRegressionError) in
            try Self.landmarkDefinition(definition.vertices, definition.weights, path: path)
        }
        func cropFraming(_ entry: Sidecar.Crop.Framing) -> CropFraming {
            CropFraming(sideScale: entry.side_scale, centreShift: SIMD2(entry.centre_shift[0], entry.centre_shift[1]))
        }
        let crop = CropConvention(
            size: side,
            normalisation: PixelNormalisation(
                scale: normalisation.scale, mean: SIMD3(normalisation.mean[0], normalisation.mean[1], normalisation.mean[2]),
                standardDeviation: SIMD3(normalisation.std[0], normalisation.std[1], normalisation.std[2])),
            framing: CropFramings(landmarks: cropFraming(framing.landmarks), detection: cropFraming(framing.detection)))
        return RegressorSpecification(
            crop: crop, inputName: sidecar.input.name, identityModes: sidecar.identity_modes,
            expressionNames: sidecar.expression_names, landmarkCount: landmarkCount, cropDescription: sidecar.crop.convention,
            hasFaceScore: hasFaceScore, landmarkDefinition: landmarkDefinition)
    }

    /// The sidecar's `landmark_definition`, checked before any number is converted or used: 68 rows of three
    /// vertex indices in 0…Int32.max and three finite weights in [0, 1] summing to 1. Whether the vertices exist
    /// is for the face model to say (the daemon compares the two definitions).
    private static func landmarkDefinition(_ vertices: [[Int]], _ weights: [[Float]], path: String) throws(FaceRegressionError) -> LandmarkDefinition {
        let count = MorphableModel.landmarkCount
        guard vertices.count == count, weights.count == count, vertices.allSatisfy({ $0.count == 3 }), weights.allSatisfy({ $0.count == 3 }) else {
            throw .invalidSpecification(path: path, reason: "landmark_definition needs \(count) rows of 3 vertices and 3 weights")
        }
        guard vertices.allSatisfy({ $0.allSatisfy { (0...Int(Int32.max)).contains($0) } }) else {
            throw .invalidSpecification(path: path, reason: "landmark_definition holds a vertex index outside 0…\(Int32.max)")
        }
        let definition = LandmarkDefinition(vertices: vertices.map { SIMD3(Int32($0[0]), Int32($0[1]), Int32($0[2])) },
                                            weights: weights.map { SIMD3($0[0], $0[1], $0[2]) })
        if let problem = definition.problem(vertexCount: Int(Int32.max), landmarkCount: count) {
            throw .invalidSpecification(path: path, reason: "landmark_definition: \(problem)")
        }
        return definition
    }

    private static func describe(_ error: any Error) -> String {
        switch error as? DecodingError {
        case .keyNotFound(let key, let context)?:
            return "missing key '\((context.codingPath + [key]).map(\.stringValue).joined(separator: "."))'"
        case .typeMismatch(_, let context)?, .valueNotFound(_, let context)?:
            return "wrong type at '\(context.codingPath.map(\.stringValue).joined(separator: "."))'"
        case .dataCorrupted(let context)?:
            return context.codingPath.isEmpty ? "not JSON" : "bad value at '\(context.codingPath.map(\.stringValue).joined(separator: "."))'"
        default:
            return "\(error)"
        }
    }

    /// The part of the JSON this code relies on, spelled as the training exporter writes it.
    private struct Sidecar: Decodable {
        struct Input: Decodable {
            struct Normalisation: Decodable {
                let scale: Float
                let mean: [Float]
                let std: [Float]
            }
            let name: String
            let shape: [Int]
            let layout: String
            let normalisation: Normalisation
        }
        struct Crop: Decodable {
            struct Framing: Decodable {
                let side_scale: Float
                let centre_shift: [Float]
            }
            struct Framings: Decodable {
                let landmarks: Framing
                let detection: Framing
            }
            let convention: String
            let size: Int
            let framing: Framings?
        }
        struct Output: Decodable {
            let name: String
            let shape: [Int]
        }
        let format: String
        let input: Input
        let crop: Crop
        let outputs: [Output]
        struct LandmarkDefinitionJSON: Decodable {
            let vertices: [[Int]]
            let weights: [[Float]]
        }
        let identity_modes: Int
        let expression_names: [String]
        let landmark_definition: LandmarkDefinitionJSON?
    }
}
