import FaceModel
import FaceRegression
import FaceTracking
import MeshProtocol

/// The files every stage shares: the regressor's sidecar (with its crop convention) and the face model.
public struct PipelineModels: Sendable {
    /// What the regressor's sidecar says.
    public let specification: RegressorSpecification
    /// How crops are framed, sized and normalised.
    public var convention: CropConvention { specification.crop }
    /// The morphable face model (memory-mapped, shared read-only by the stages).
    public let model: MorphableModel

    /// Loads the crop convention and the face model named in `settings`.
    public init(settings: PipelineSettings) throws(PipelineError) {
        let specification = try Self.specification(sidecar: settings.regressorSidecarPath)
        self.specification = specification
        try ModelChecksum.verify(model: settings.regressorPath, sidecar: settings.regressorSidecarPath)
        do {
            model = try MorphableModel(path: settings.faceModelPath, identityCount: specification.identityModes)
        } catch {
            throw .modelUnavailable(path: settings.faceModelPath, reason: "\(error)")
        }
        // A network trained on the calibrated landmarks needs the same definition in the face model, or the
        // landmarks drawn from its mesh (and the crops framed on them) are not the points it learned. A sidecar
        // without one (a model trained on ICT's vertices) runs with either file.
        if let trained = specification.landmarkDefinition, trained != model.landmarkDefinition {
            throw .modelUnavailable(path: settings.faceModelPath, reason: model.landmarkDefinition == nil
                ? "it carries no calibrated landmark definition but \(settings.regressorSidecarPath) was trained with one: re-run tools/setup-face-model.sh"
                : "its landmark definition differs from the one \(settings.regressorSidecarPath) was trained with: re-run tools/setup-face-model.sh")
        }
    }

    private static func specification(sidecar: String) throws(PipelineError) -> RegressorSpecification {
        do {
            return try RegressorSpecification.load(path: sidecar)
        } catch {
            throw .modelUnavailable(path: sidecar, reason: "\(error)")
        }
    }

    /// The protocol's model id, by which clients cache the topology: the face model, its vertex and identity
    /// counts, and with a calibrated landmark definition its digest (the landmark vertices listed depend on it),
    /// e.g. `ict-face-light/11248v/40id/landmarks-1a2b3c4d`.
    static func modelIdentifier(_ model: MorphableModel) -> String {
        let base = "ict-face-light/\(model.vertexCount)v/\(model.identityCount)id"
        guard let definition = model.landmarkDefinition else { return base }
        let digits = String(definition.digest, radix: 16)
        return base + "/landmarks-" + String(repeating: "0", count: 8 - digits.count) + digits
    }

    /// The mesh's fixed data for the publisher: the whole head, its face area (the model's first vertices and
    /// triangles), UVs, landmark vertices and expression names.
    public var topology: MeshTopology {
        let indices = model.triangleIndices
        let triangles = (0..<model.triangleCount).map { SIMD3(indices[3 * $0], indices[3 * $0 + 1], indices[3 * $0 + 2]) }
        let uv = model.textureCoordinates
        return MeshTopology(
            modelIdentifier: Self.modelIdentifier(model),
            vertexCount: model.vertexCount, triangles: triangles,
            textureCoordinates: (0..<model.vertexCount).map { SIMD2(uv[2 * $0], uv[2 * $0 + 1]) },
            faceAreaVertices: (0..<UInt32(model.faceAreaVertexCount)).map { $0 },
            faceAreaTriangles: Array(triangles.prefix(model.faceAreaTriangleCount)),
            landmarkIndices: model.landmarkVertices.map { UInt32($0) }, expressionNames: model.expressionNames,
            identityDimension: model.identityCount)
    }
}
