import FaceModel
import FaceRegression
import FaceTracking
import MeshProtocol

/// The files every stage shares: the crop convention (from the regressor's sidecar) and the face model.
public struct PipelineModels: Sendable {
    /// How crops are framed, sized and normalised.
    public let convention: CropConvention
    /// The morphable face model (memory-mapped, shared read-only by the stages).
    public let model: MorphableModel

    /// Loads the crop convention and the face model named in `settings`.
    public init(settings: PipelineSettings) throws(PipelineError) {
        do {
            convention = try CropConvention.load(path: settings.regressorSidecarPath)
        } catch {
            throw .modelUnavailable(path: settings.regressorSidecarPath, reason: "\(error)")
        }
        let specification = try Self.specification(sidecar: settings.regressorSidecarPath)
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

    /// The mesh's fixed data for the publisher: the whole head, its face area (the model's first vertices and
    /// triangles), UVs, landmark vertices and expression names.
    public var topology: MeshTopology {
        let indices = model.triangleIndices
        let triangles = (0..<model.triangleCount).map { SIMD3(indices[3 * $0], indices[3 * $0 + 1], indices[3 * $0 + 2]) }
        let uv = model.textureCoordinates
        return MeshTopology(
            modelIdentifier: "ict-face-light/\(model.vertexCount)v/\(model.identityCount)id",
            vertexCount: model.vertexCount, triangles: triangles,
            textureCoordinates: (0..<model.vertexCount).map { SIMD2(uv[2 * $0], uv[2 * $0 + 1]) },
            faceAreaVertices: (0..<UInt32(model.faceAreaVertexCount)).map { $0 },
            faceAreaTriangles: Array(triangles.prefix(model.faceAreaTriangleCount)),
            landmarkIndices: model.landmarkVertices.map { UInt32($0) }, expressionNames: model.expressionNames,
            identityDimension: model.identityCount)
    }
}
