#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The calibrated 68-landmark definition a face-model file may carry: landmark `j` is the barycentric point
/// `Σᵢ weights[j][i] · vertex(vertices[j][i])` on the mesh, chosen (training/orn/landmark_calibration.py) to reproduce
/// the 3DDFA_V2 / AFLW2000-3D keypoints. They are fixed points of the face, like the benchmark's, so the
/// pose-dependent `JawContourRule` does not apply to them.
public struct LandmarkDefinition: Sendable, Equatable {
    /// The three mesh vertices of each landmark's point, in landmark order.
    public var vertices: [SIMD3<Int32>]
    /// The barycentric weights of those vertices (each in [0, 1], each landmark's summing to 1).
    public var weights: [SIMD3<Float>]

    /// How far a weight may lie outside [0, 1], and a landmark's weights from summing to 1.
    public static let weightTolerance: Float = 1e-3

    /// A definition from its parts (checked when a model file carrying it is loaded, not here).
    public init(vertices: [SIMD3<Int32>], weights: [SIMD3<Float>]) {
        self.vertices = vertices
        self.weights = weights
    }

    /// What is wrong with this definition for a mesh of `vertexCount` vertices and `landmarkCount` landmarks, or
    /// nil: every vertex index must lie in `0..<vertexCount` and every weight be finite, in [0, 1], and sum to 1.
    public func problem(vertexCount: Int, landmarkCount: Int) -> String? {
        guard vertices.count == landmarkCount, weights.count == landmarkCount else {
            return "\(vertices.count) vertex and \(weights.count) weight rows, not \(landmarkCount)"
        }
        for (landmark, corners) in vertices.enumerated() {
            for lane in 0..<3 where corners[lane] < 0 || Int(corners[lane]) >= vertexCount {
                return "landmark \(landmark) names vertex \(corners[lane]), outside the \(vertexCount) vertices"
            }
        }
        let tolerance = Self.weightTolerance
        for (landmark, row) in weights.enumerated() {
            for lane in 0..<3 {
                let weight = row[lane]
                guard weight.isFinite else { return "landmark \(landmark) has a weight that is not finite" }
                guard weight >= -tolerance, weight <= 1 + tolerance else {
                    return "landmark \(landmark) has weight \(weight), outside [0, 1]"
                }
            }
            let sum = row.sum()
            guard abs(sum - 1) <= tolerance else { return "landmark \(landmark)'s weights sum to \(sum), not 1" }
        }
        return nil
    }

    /// CRC-32 of the definition as the file stores it (the little-endian u32 vertices, then the f32 weights): a
    /// short name that changes whenever the calibration does (the protocol's model id carries it).
    public var digest: UInt32 {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(vertices.count * 24)
        for corners in vertices {
            for lane in 0..<3 { withUnsafeBytes(of: UInt32(bitPattern: corners[lane]).littleEndian) { bytes += $0 } }
        }
        for row in weights {
            for lane in 0..<3 { withUnsafeBytes(of: row[lane].bitPattern.littleEndian) { bytes += $0 } }
        }
        return bytes.withUnsafeBytes { CRC32.checksum($0) }
    }

    /// The corner of largest weight of each landmark: the one vertex that best stands for it.
    public var nearestVertices: [Int32] {
        zip(vertices, weights).map { corners, weight in
            weight.x >= weight.y && weight.x >= weight.z ? corners.x : (weight.y >= weight.z ? corners.y : corners.z)
        }
    }
}

/// When the jaw landmarks switch to the contour substitutes (for model files without a calibrated
/// `LandmarkDefinition`; with one, the landmarks are fixed points and this rule is not applied).
///
/// The fixed Multi-PIE jaw vertices suit a frontal face. As the head turns, the jaw line seen on the side
/// facing the camera runs further back along the mandible toward the ear; ICT-FaceKit provides substitute
/// contour vertices for it (landmarks 0–7 on the subject's right, 9–16 on the left; the chin, 8, stays).
/// A side switches once its outward lateral axis has turned toward the camera by more than `switchAngle`.
public struct JawContourRule: Sendable, Equatable {
    /// Yaw (radians) beyond which the side facing the camera uses its substitutes; default 20°.
    public var switchAngle: Float

    /// A rule switching at `switchAngle` radians.
    public init(switchAngle: Float = 20 * .pi / 180) { self.switchAngle = switchAngle }

    /// Which sides use substitutes for a head rotated by `rotation`: (subject's right, subject's left).
    public func substitutedSides(for rotation: Quaternion) -> (right: Bool, left: Bool) {
        let lateralZ = rotation.rotate(SIMD3(1, 0, 0)).z  // z of the subject's left-pointing axis
        let limit = sinf(switchAngle)
        return (right: -lateralZ > limit, left: lateralZ > limit)
    }
}

extension MorphableModel {
    /// Number of landmarks (68).
    public static let landmarkCount = 68

    /// The 68 landmark vertex indices for a head rotated by `rotation`, written into `indices` (68 elements).
    /// With a calibrated definition these are `landmarkVertices` whatever the pose (the rule does not apply);
    /// otherwise ICT's vertices with the jaw contour of `rule`.
    public func landmarkVertexIndices(for rotation: Quaternion, rule: JawContourRule = JawContourRule(), into indices: inout [Int32]) throws(FaceModelError) {
        guard indices.count == landmarkIndices.count else {
            throw .bufferSizeMismatch(kind: "landmark index", expected: landmarkIndices.count, actual: indices.count)
        }
        if landmarkDefinition != nil {
            for (slot, vertex) in landmarkVertices.enumerated() { indices[slot] = vertex }
            return
        }
        let sides = rule.substitutedSides(for: rotation)
        let count = jawRightSubstitutes.count
        for index in 0..<landmarkIndices.count {
            if sides.right, index < count {
                indices[index] = jawRightSubstitutes[index]
            } else if sides.left, index >= 17 - count, index < 17 {
                indices[index] = jawLeftSubstitutes[index - (17 - count)]
            } else {
                indices[index] = landmarkIndices[index]
            }
        }
    }

    /// The 68 landmarks of `mesh` projected into the image by `pose`, written into `points` (68 elements): the
    /// calibrated barycentric points when the file carries a definition, otherwise ICT's vertices with the
    /// pose-dependent jaw contour of `rule`. `indices` is scratch space of 68 elements.
    public func landmarks(of mesh: FaceMesh, pose: FacePose, rule: JawContourRule = JawContourRule(),
                          indices: inout [Int32], into points: inout [SIMD2<Float>]) throws(FaceModelError) {
        try gatherLandmarks(of: mesh, rotation: pose.rotation, rule: rule, indices: &indices, into: &points, pose.project)
    }

    /// The 68 landmarks of `mesh` in 3D after `transform`, written into `points` (68 elements); which points, as in
    /// `landmarks(of:pose:rule:indices:into:)`, chosen for the transform's rotation. `indices` is scratch space of
    /// 68 elements.
    public func landmarks3D(of mesh: FaceMesh, transform: MeshTransform, rule: JawContourRule = JawContourRule(),
                            indices: inout [Int32], into points: inout [SIMD3<Float>]) throws(FaceModelError) {
        try gatherLandmarks(of: mesh, rotation: transform.rotation, rule: rule, indices: &indices, into: &points,
                            transform.apply)
    }

    /// Finds each landmark's model-space position on `mesh` and writes `transform` of it into `points`.
    private func gatherLandmarks<Point>(of mesh: FaceMesh, rotation: Quaternion, rule: JawContourRule, indices: inout [Int32],
                                        into points: inout [Point], _ transform: (SIMD3<Float>) -> Point) throws(FaceModelError) {
        try landmarkVertexIndices(for: rotation, rule: rule, into: &indices)
        guard points.count == indices.count else {
            throw .bufferSizeMismatch(kind: "landmark point", expected: indices.count, actual: points.count)
        }
        func vertex(_ index: Int32) throws(FaceModelError) -> SIMD3<Float> {
            guard Int(index) < mesh.vertexCount else {
                throw .bufferSizeMismatch(kind: "mesh vertex", expected: Int(index) + 1, actual: mesh.vertexCount)
            }
            return mesh.vertex(Int(index))
        }
        if let definition = landmarkDefinition {
            for slot in points.indices {
                let corners = definition.vertices[slot], weights = definition.weights[slot]
                let position = try weights.x * vertex(corners.x) + weights.y * vertex(corners.y) + weights.z * vertex(corners.z)
                points[slot] = transform(position)
            }
            return
        }
        for (slot, index) in indices.enumerated() {
            points[slot] = transform(try vertex(index))
        }
    }
}

extension MorphableModel {
    /// The 68 landmarks of the face with these coefficients, projected into the image by `pose`, evaluating
    /// only the vertices the landmarks use instead of the whole mesh (what a tracker needs each frame).
    /// Equal to `evaluate` followed by `landmarks(of:pose:)`; `indices` is scratch space of 68 elements.
    public func landmarks(identity: [Float], expression: [Float], pose: FacePose, rule: JawContourRule = JawContourRule(),
                          indices: inout [Int32], into points: inout [SIMD2<Float>]) throws(FaceModelError) {
        guard identity.count == identityCount else {
            throw .coefficientCountMismatch(kind: "identity", expected: identityCount, actual: identity.count)
        }
        guard expression.count == expressionCount else {
            throw .coefficientCountMismatch(kind: "expression", expected: expressionCount, actual: expression.count)
        }
        try landmarkVertexIndices(for: pose.rotation, rule: rule, into: &indices)
        guard points.count == indices.count else {
            throw .bufferSizeMismatch(kind: "landmark point", expected: indices.count, actual: points.count)
        }
        let neutralPositions = neutral
        // Indices were checked against the vertex count when the file was loaded.
        func position(_ vertex: Int32) -> SIMD3<Float> {
            let offset = Int(vertex) * 3
            var position = SIMD3(neutralPositions[offset], neutralPositions[offset + 1], neutralPositions[offset + 2])
            for (mode, weight) in identity.enumerated() where weight != 0 {
                let basis = identityMode(mode)
                position += weight * SIMD3(basis[offset], basis[offset + 1], basis[offset + 2])
            }
            for (mode, weight) in expression.enumerated() where weight != 0 {
                let basis = expressionMode(mode)
                position += weight * SIMD3(basis[offset], basis[offset + 1], basis[offset + 2])
            }
            return position
        }
        if let definition = landmarkDefinition {
            for slot in points.indices {
                let corners = definition.vertices[slot], weights = definition.weights[slot]
                points[slot] = pose.project(weights.x * position(corners.x) + weights.y * position(corners.y) + weights.z * position(corners.z))
            }
            return
        }
        for (slot, vertex) in indices.enumerated() {
            points[slot] = pose.project(position(vertex))
        }
    }
}
