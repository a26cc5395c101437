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
        let identityModes = try Self.identityModes(sidecar: settings.regressorSidecarPath)
        try ModelChecksum.verify(model: settings.regressorPath, sidecar: settings.regressorSidecarPath)
        do {
            model = try MorphableModel(path: settings.faceModelPath, identityCount: identityModes)
        } catch {
            throw .modelUnavailable(path: settings.faceModelPath, reason: "\(error)")
        }
    }

    private static func identityModes(sidecar: String) throws(PipelineError) -> Int {
        do {
            return try RegressorSpecification.load(path: sidecar).identityModes
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
            landmarkIndices: model.landmarkIndices.map { UInt32($0) }, expressionNames: model.expressionNames,
            identityDimension: model.identityCount)
    }
}
