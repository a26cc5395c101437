/// Where a face sits: rotation, translation and uniform scale applied to model vertices.
///
/// In 3D, `posed = scale · R·v + translation`, axes as in the model (x right, y up, z toward the viewer;
/// the identity rotation is a frontal face). The weak-perspective image projection drops depth and flips y,
/// so that translation.x, translation.y are the pixel position of the model origin and scale is pixels per
/// centimetre: `image = (scale·(R·v).x + t.x, t.y − scale·(R·v).y)`.
public struct FacePose: Sendable, Equatable {
    /// Head rotation (unit quaternion).
    public var rotation: Quaternion
    /// Translation; in image units for projection (x, y in pixels), depth z only affects 3D output.
    public var translation: SIMD3<Float>
    /// Uniform scale (pixels per centimetre in an image fit; 1 keeps centimetres).
    public var scale: Float

    /// A pose from its parts.
    public init(rotation: Quaternion = .identity, translation: SIMD3<Float> = .zero, scale: Float = 1) {
        self.rotation = rotation
        self.translation = translation
        self.scale = scale
    }

    /// The model frame itself: no rotation, no translation, scale 1.
    public static let identity = FacePose()

    /// `vertex` in 3D after this pose.
    @inline(__always)
    public func apply(_ vertex: SIMD3<Float>) -> SIMD3<Float> {
        scale * rotation.rotate(vertex) + translation
    }

    /// `vertex` projected into the image (weak perspective, y down).
    @inline(__always)
    public func project(_ vertex: SIMD3<Float>) -> SIMD2<Float> {
        let rotated = scale * rotation.rotate(vertex)
        return SIMD2(rotated.x + translation.x, translation.y - rotated.y)
    }
}
