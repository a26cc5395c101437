/// Where a face sits in an image: rotation, translation and uniform scale of the model, for weak-perspective
/// projection.
///
/// The rotation acts in the model's axes (x right, y up, z toward the viewer; the identity rotation is a frontal
/// face); the projection drops depth and flips y, so that translation.x, translation.y are the pixel position of the
/// model origin and scale is pixels per centimetre: `image = (scale·(R·v).x + t.x, t.y − scale·(R·v).y)`;
/// translation.z is a depth in the same pixel units that projection ignores. Placing a mesh in 3D is a
/// `MeshTransform`'s job (FacePipeline's `cameraSpaceTransform` makes the one clients receive).
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

    /// This pose's rotation, translation and scale as a 3D transform in the model's axes (y up, unflipped): the
    /// points whose x and y projection drops depth from, before y is flipped.
    public var modelAxesTransform: MeshTransform {
        MeshTransform(rotation: rotation, translation: translation, scale: scale)
    }

    /// `vertex` projected into the image (weak perspective, y down).
    @inline(__always)
    public func project(_ vertex: SIMD3<Float>) -> SIMD2<Float> {
        let rotated = scale * rotation.rotate(vertex)
        return SIMD2(rotated.x + translation.x, translation.y - rotated.y)
    }
}
