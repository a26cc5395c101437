#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// When the jaw landmarks switch to the contour substitutes.
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
    public func landmarkVertexIndices(for rotation: Quaternion, rule: JawContourRule = JawContourRule(), into indices: inout [Int32]) throws(FaceModelError) {
        guard indices.count == landmarkIndices.count else {
            throw .bufferSizeMismatch(kind: "landmark index", expected: landmarkIndices.count, actual: indices.count)
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

    /// The 68 landmarks of `mesh` projected into the image by `pose`, with the pose-dependent jaw contour,
    /// written into `points` (68 elements). `indices` is scratch space of 68 elements.
    public func landmarks(of mesh: FaceMesh, pose: FacePose, rule: JawContourRule = JawContourRule(),
                          indices: inout [Int32], into points: inout [SIMD2<Float>]) throws(FaceModelError) {
        try gatherLandmarks(of: mesh, rotation: pose.rotation, rule: rule, indices: &indices, into: &points, pose.project)
    }

    /// The 68 landmarks of `mesh` in 3D after `pose`, with the pose-dependent jaw contour, written into
    /// `points` (68 elements). `indices` is scratch space of 68 elements.
    public func landmarks3D(of mesh: FaceMesh, pose: FacePose, rule: JawContourRule = JawContourRule(),
                            indices: inout [Int32], into points: inout [SIMD3<Float>]) throws(FaceModelError) {
        try gatherLandmarks(of: mesh, rotation: pose.rotation, rule: rule, indices: &indices, into: &points, pose.apply)
    }

    /// Picks the landmark vertices for `rotation` and writes `transform` of each into `points`.
    private func gatherLandmarks<Point>(of mesh: FaceMesh, rotation: Quaternion, rule: JawContourRule, indices: inout [Int32],
                                        into points: inout [Point], _ transform: (SIMD3<Float>) -> Point) throws(FaceModelError) {
        try landmarkVertexIndices(for: rotation, rule: rule, into: &indices)
        guard points.count == indices.count else {
            throw .bufferSizeMismatch(kind: "landmark point", expected: indices.count, actual: points.count)
        }
        for (slot, vertex) in indices.enumerated() {
            guard Int(vertex) < mesh.vertexCount else {
                throw .bufferSizeMismatch(kind: "mesh vertex", expected: Int(vertex) + 1, actual: mesh.vertexCount)
            }
            points[slot] = transform(mesh.vertex(Int(vertex)))
        }
    }
}

extension MorphableModel {
    /// The 68 landmarks of the face with these coefficients, projected into the image by `pose`, evaluating
    /// only the landmark vertices instead of the whole mesh (what a tracker needs each frame).
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
        for (slot, vertex) in indices.enumerated() {
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
            points[slot] = pose.project(position)
        }
    }
}
