/// A similarity transform of model vertices in 3D: `scale · R·v + translation`, in whatever axes and units the
/// caller's output uses.
///
/// Kept apart from `FacePose`, which says where a face sits *in an image* (its translation in pixels, its projection
/// flipping y): a mesh placed in a camera's space for clients, or posed in centimetres by a coefficients file for
/// `occlumesh mesh --posed`, is only ever transformed, never projected, so it gets this type and no projection.
public struct MeshTransform: Sendable, Equatable {
    /// Rotation (unit quaternion).
    public var rotation: Quaternion
    /// Translation, added after rotating and scaling.
    public var translation: SIMD3<Float>
    /// Uniform scale.
    public var scale: Float

    /// A transform from its parts.
    public init(rotation: Quaternion = .identity, translation: SIMD3<Float> = .zero, scale: Float = 1) {
        self.rotation = rotation
        self.translation = translation
        self.scale = scale
    }

    /// No rotation, no translation, scale 1.
    public static let identity = MeshTransform()

    /// `vertex` after this transform.
    @inline(__always)
    public func apply(_ vertex: SIMD3<Float>) -> SIMD3<Float> {
        scale * rotation.rotate(vertex) + translation
    }
}
