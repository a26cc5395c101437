#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A rotation as a unit quaternion (x, y, z imaginary, w real). Used for head pose, and filtered on the
/// sphere by FaceTracking, because Euler angles have gimbal lock and do not average.
public struct Quaternion: Sendable, Equatable {
    /// Components (x, y, z, w).
    public var vector: SIMD4<Float>

    /// The quaternion with these components (not normalised).
    public init(x: Float, y: Float, z: Float, w: Float) { vector = SIMD4(x, y, z, w) }

    /// The quaternion with these components (not normalised).
    public init(vector: SIMD4<Float>) { self.vector = vector }

    /// The rotation by `angle` radians about `axis` (any length but zero).
    public init(angle: Float, axis: SIMD3<Float>) {
        let unit = axis / (axis * axis).sum().squareRoot()
        let half = angle / 2
        vector = SIMD4(unit * sinf(half), cosf(half))
    }

    /// No rotation.
    public static let identity = Quaternion(x: 0, y: 0, z: 0, w: 1)

    /// The imaginary part.
    public var imaginary: SIMD3<Float> { SIMD3(vector.x, vector.y, vector.z) }
    /// The real part.
    public var real: Float { vector.w }
    /// Euclidean length of the four components.
    public var length: Float { (vector * vector).sum().squareRoot() }
    /// This quaternion scaled to unit length.
    public var normalized: Quaternion { Quaternion(vector: vector / length) }
    /// The inverse rotation of a unit quaternion.
    public var conjugate: Quaternion { Quaternion(vector: vector * SIMD4(-1, -1, -1, 1)) }

    /// Four-dimensional dot product; |dot| = cos of half the angle between two rotations.
    public func dot(_ other: Quaternion) -> Float { (vector * other.vector).sum() }

    /// Hamilton product: the rotation `right` followed by `left`.
    public static func * (left: Quaternion, right: Quaternion) -> Quaternion {
        let a = left.imaginary, b = right.imaginary
        let imaginary = left.real * b + right.real * a + cross(a, b)
        return Quaternion(vector: SIMD4(imaginary, left.real * right.real - (a * b).sum()))
    }

    /// `point` rotated by this (unit) quaternion.
    public func rotate(_ point: SIMD3<Float>) -> SIMD3<Float> {
        let u = imaginary
        let t = 2 * cross(u, point)
        return point + real * t + cross(u, t)
    }

    /// Columns of the rotation matrix of this (unit) quaternion.
    public var matrixColumns: (SIMD3<Float>, SIMD3<Float>, SIMD3<Float>) {
        (rotate(SIMD3(1, 0, 0)), rotate(SIMD3(0, 1, 0)), rotate(SIMD3(0, 0, 1)))
    }

    /// Rotation angle in radians, in [0, π].
    public var angle: Float { 2 * atan2f((imaginary * imaginary).sum().squareRoot(), abs(real)) }

    /// Spherical linear interpolation from `self` (t = 0) to `other` (t = 1) along the shorter arc.
    public func slerp(to other: Quaternion, t: Float) -> Quaternion {
        var target = other.vector
        var cosine = dot(other)
        if cosine < 0 {  // q and −q are the same rotation: take the short way round.
            target = -target
            cosine = -cosine
        }
        if cosine > 0.9995 {  // Nearly parallel: linear interpolation is exact to float precision.
            return Quaternion(vector: vector + t * (target - vector)).normalized
        }
        let theta = acosf(cosine)
        let sine = sinf(theta)
        let result = (sinf((1 - t) * theta) / sine) * vector + (sinf(t * theta) / sine) * target
        return Quaternion(vector: result)
    }

    /// Angle in radians of the rotation taking `self` to `other`.
    public func angle(to other: Quaternion) -> Float {
        2 * acosf(min(1, abs(dot(other))))
    }
}

@inline(__always)
func cross(_ a: SIMD3<Float>, _ b: SIMD3<Float>) -> SIMD3<Float> {
    SIMD3(a.y * b.z - a.z * b.y, a.z * b.x - a.x * b.z, a.x * b.y - a.y * b.x)
}
