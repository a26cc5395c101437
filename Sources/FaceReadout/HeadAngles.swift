#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import MeshProtocol

/// Head rotation as three angles in degrees, relative to a face looking straight into the camera, for people
/// and for programs that take Euler angles (OSC consumers).
///
/// The published rotation maps the face model (centimetres, +y up, +z out of the face, +x the person's left)
/// into image space (x right, y down, z away), where a frontal face is the half turn about x, (1, 0, 0, 0).
/// The angles describe what is left after taking that half turn out, in the model's own axes, applied in the
/// order yaw (about +y), pitch (about +x), roll (about +z): yaw > 0 turns the face toward the image's right
/// (the person's left), pitch > 0 lowers the chin, roll > 0 tips the top of the head toward the image's left.
public struct HeadAngles: Sendable, Equatable {
    /// Turn about the head's vertical axis, degrees in [-180, 180].
    public var yaw: Float
    /// Nod about the head's left-right axis, degrees in [-90, 90].
    public var pitch: Float
    /// Tilt about the axis out of the face, degrees in [-180, 180].
    public var roll: Float

    /// Creates angles from degrees.
    public init(yaw: Float, pitch: Float, roll: Float) {
        self.yaw = yaw
        self.pitch = pitch
        self.roll = roll
    }

    /// The angles of a published rotation (x, y, z, w); a zero or non-finite quaternion gives non-finite angles.
    public init(rotation: SIMD4<Float>) {
        let relative = HeadAngles.modelRotation(rotation)
        let (x, y, z, w) = (relative.x, relative.y, relative.z, relative.w)
        // Rotation matrix entries of R = Ry(yaw) · Rx(pitch) · Rz(roll) that the three angles are read from.
        let r02 = 2 * (x * z + w * y)
        let r22 = 1 - 2 * (x * x + y * y)
        let r12 = 2 * (y * z - w * x)
        let r10 = 2 * (x * y + w * z)
        let r11 = 1 - 2 * (x * x + z * z)
        let degrees: Float = 180 / .pi
        yaw = atan2f(r02, r22) * degrees
        pitch = asinf(max(-1, min(1, -r12))) * degrees
        roll = atan2f(r10, r11) * degrees
    }

    /// The published rotation with the frontal half turn taken out: the head's rotation in its own model axes,
    /// normalised, as (x, y, z, w). The identity for a face looking straight into the camera.
    public static func modelRotation(_ rotation: SIMD4<Float>) -> SIMD4<Float> {
        let length = (rotation * rotation).sum().squareRoot()
        let q = rotation / length
        // (1, 0, 0, 0)⁻¹ · q: the Hamilton product of (-1, 0, 0, 0) and q.
        return SIMD4(-q.w, q.z, -q.y, q.x)
    }
}
