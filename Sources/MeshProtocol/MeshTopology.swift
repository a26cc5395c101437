/// The fixed data of the face model's mesh, which the daemon hands the publisher once.
///
/// Vertices in frames are in head order; the face area is a subset of head vertices with triangles of its own.
public struct MeshTopology: Sendable, Equatable {
    /// Names the model and its version, so clients can cache topology per model.
    public var modelIdentifier: String
    /// Number of vertices of the whole head.
    public var vertexCount: Int
    /// Triangles of the whole head, as indices of head vertices, counter-clockwise seen from outside.
    public var triangles: [SIMD3<UInt32>]
    /// Texture coordinates, one per head vertex.
    public var textureCoordinates: [SIMD2<Float>]
    /// Head vertex indices making up the face area, in the order face-area vertices are sent.
    public var faceAreaVertices: [UInt32]
    /// Triangles of the face area, as indices into `faceAreaVertices`.
    public var faceAreaTriangles: [SIMD3<UInt32>]
    /// Head vertex index of each of the 68 landmarks (iBUG 68-point order).
    public var landmarkIndices: [UInt32]
    /// Names of the expression weights, in order (the 53 ARKit-style blend shape names).
    public var expressionNames: [String]
    /// Number of identity coefficients per face.
    public var identityDimension: Int

    /// Creates a topology; `precondition`s check the indices are in range, as a bad model is a programming error.
    public init(
        modelIdentifier: String, vertexCount: Int, triangles: [SIMD3<UInt32>], textureCoordinates: [SIMD2<Float>],
        faceAreaVertices: [UInt32], faceAreaTriangles: [SIMD3<UInt32>], landmarkIndices: [UInt32],
        expressionNames: [String], identityDimension: Int
    ) {
        precondition(textureCoordinates.count == vertexCount, "one texture coordinate per vertex")
        precondition(faceAreaVertices.allSatisfy { Int($0) < vertexCount }, "face-area vertex out of range")
        precondition(landmarkIndices.allSatisfy { Int($0) < vertexCount }, "landmark vertex out of range")
        self.modelIdentifier = modelIdentifier
        self.vertexCount = vertexCount
        self.triangles = triangles
        self.textureCoordinates = textureCoordinates
        self.faceAreaVertices = faceAreaVertices
        self.faceAreaTriangles = faceAreaTriangles
        self.landmarkIndices = landmarkIndices
        self.expressionNames = expressionNames
        self.identityDimension = identityDimension
    }
}

/// The topology as one client receives it: for its subscribed region only.
public struct RegionTopology: Sendable, Equatable {
    /// Names the model and its version.
    public var modelIdentifier: String
    /// The region these vertices and triangles describe.
    public var region: MeshRegion
    /// Number of vertices in every frame's vertex array for this region.
    public var vertexCount: Int
    /// For the face area, the head vertex index of each sent vertex; empty for the whole head.
    public var headVertexIndices: [UInt32]
    /// Triangles as indices into the region's vertex array.
    public var triangles: [SIMD3<UInt32>]
    /// Texture coordinates, one per region vertex.
    public var textureCoordinates: [SIMD2<Float>]
    /// Head vertex index of each landmark.
    public var landmarkIndices: [UInt32]
    /// Names of the expression weights, in order.
    public var expressionNames: [String]
    /// Number of identity coefficients per face.
    public var identityDimension: Int

    /// Creates a region topology (what a client decodes).
    public init(
        modelIdentifier: String, region: MeshRegion, vertexCount: Int, headVertexIndices: [UInt32],
        triangles: [SIMD3<UInt32>], textureCoordinates: [SIMD2<Float>], landmarkIndices: [UInt32],
        expressionNames: [String], identityDimension: Int
    ) {
        self.modelIdentifier = modelIdentifier
        self.region = region
        self.vertexCount = vertexCount
        self.headVertexIndices = headVertexIndices
        self.triangles = triangles
        self.textureCoordinates = textureCoordinates
        self.landmarkIndices = landmarkIndices
        self.expressionNames = expressionNames
        self.identityDimension = identityDimension
    }

    /// The part of `topology` a client subscribed to `region` receives.
    public init(_ topology: MeshTopology, region: MeshRegion) {
        switch region {
        case .wholeHead:
            self.init(
                modelIdentifier: topology.modelIdentifier, region: region, vertexCount: topology.vertexCount,
                headVertexIndices: [], triangles: topology.triangles, textureCoordinates: topology.textureCoordinates,
                landmarkIndices: topology.landmarkIndices, expressionNames: topology.expressionNames,
                identityDimension: topology.identityDimension)
        case .faceArea:
            self.init(
                modelIdentifier: topology.modelIdentifier, region: region, vertexCount: topology.faceAreaVertices.count,
                headVertexIndices: topology.faceAreaVertices, triangles: topology.faceAreaTriangles,
                textureCoordinates: topology.faceAreaVertices.map { topology.textureCoordinates[Int($0)] },
                landmarkIndices: topology.landmarkIndices, expressionNames: topology.expressionNames,
                identityDimension: topology.identityDimension)
        }
    }
}
