import FaceModel

/// What the ORN regressor says about one face crop, in the crop's pixel frame.
public struct RegressedFace: Sendable, Equatable {
    /// ICT-FaceKit identity coefficients (modes scaled by their standard deviation).
    public var identity: [Float]
    /// Expression weights in [0, 1], in the sidecar's `expressionNames` order.
    public var expression: [Float]
    /// Head pose projecting model vertices (cm) into crop pixels: `FacePose.project` gives crop coordinates.
    public var pose: FacePose
    /// Probability that each of the 68 landmarks is visible (not occluded, inside the crop).
    public var visibility: [Float]
    /// Probability that the crop holds a face (occluded or turned faces too) rather than background, from
    /// the network's sixth output `face`; nil for models with the five outputs only.
    public var faceScore: Float?

    /// A face from its parts.
    public init(identity: [Float], expression: [Float], pose: FacePose, visibility: [Float], faceScore: Float? = nil) {
        self.identity = identity
        self.expression = expression
        self.pose = pose
        self.visibility = visibility
        self.faceScore = faceScore
    }

    /// Mean landmark visibility: 1 for a fully visible face, lower the more of it is hidden.
    public var meanVisibility: Float {
        visibility.isEmpty ? 0 : visibility.reduce(0, +) / Float(visibility.count)
    }
}

/// Rotation from the network's continuous 6D representation (Zhou et al., CVPR 2019): the first two
/// columns of the matrix, unnormalised, made orthonormal by Gram–Schmidt.
enum SixDimensionalRotation {
    /// The unit quaternion of `R = [r1, r2, r1 × r2]` with `r1 = a/|a|`, `r2 = normalise(b − (r1·b) r1)`.
    static func quaternion(_ a: SIMD3<Float>, _ b: SIMD3<Float>) -> Quaternion {
        let first = normalise(a, fallback: SIMD3(1, 0, 0))
        let second = normalise(b - (first * b).sum() * first, fallback: perpendicular(to: first))
        let third = cross(first, second)
        return quaternion(columns: (first, second, third))
    }

    /// Shepperd's method: the numerically safe branch for any rotation matrix given by its columns.
    static func quaternion(columns: (SIMD3<Float>, SIMD3<Float>, SIMD3<Float>)) -> Quaternion {
        let (c0, c1, c2) = columns
        let (m00, m10, m20) = (c0.x, c0.y, c0.z)
        let (m01, m11, m21) = (c1.x, c1.y, c1.z)
        let (m02, m12, m22) = (c2.x, c2.y, c2.z)
        let trace = m00 + m11 + m22
        let result: Quaternion
        if trace > 0 {
            let s = (trace + 1).squareRoot() * 2
            result = Quaternion(x: (m21 - m12) / s, y: (m02 - m20) / s, z: (m10 - m01) / s, w: s / 4)
        } else if m00 > m11 && m00 > m22 {
            let s = (1 + m00 - m11 - m22).squareRoot() * 2
            result = Quaternion(x: s / 4, y: (m01 + m10) / s, z: (m02 + m20) / s, w: (m21 - m12) / s)
        } else if m11 > m22 {
            let s = (1 + m11 - m00 - m22).squareRoot() * 2
            result = Quaternion(x: (m01 + m10) / s, y: s / 4, z: (m12 + m21) / s, w: (m02 - m20) / s)
        } else {
            let s = (1 + m22 - m00 - m11).squareRoot() * 2
            result = Quaternion(x: (m02 + m20) / s, y: (m12 + m21) / s, z: s / 4, w: (m10 - m01) / s)
        }
        // One hemisphere (w ≥ 0), so equal rotations give equal quaternions for the filters downstream.
        return result.vector.w < 0 ? Quaternion(vector: -result.vector).normalized : result.normalized
    }

    private static func normalise(_ vector: SIMD3<Float>, fallback: SIMD3<Float>) -> SIMD3<Float> {
        let length = (vector * vector).sum().squareRoot()
        return length > 1e-8 ? vector / length : fallback
    }

    private static func perpendicular(to vector: SIMD3<Float>) -> SIMD3<Float> {
        let axis: SIMD3<Float> = abs(vector.x) < 0.9 ? SIMD3(1, 0, 0) : SIMD3(0, 1, 0)
        return normalise(cross(vector, axis), fallback: SIMD3(0, 0, 1))
    }

    private static func cross(_ a: SIMD3<Float>, _ b: SIMD3<Float>) -> SIMD3<Float> {
        SIMD3(a.y * b.z - a.z * b.y, a.z * b.x - a.x * b.z, a.x * b.y - a.y * b.x)
    }
}
