#if canImport(Glibc)
import Glibc
#endif
import FaceModel
import FaceTracking

extension CropTransform {
    /// The pose that projects model vertices to image pixels, given the regressor's pose in crop pixels.
    ///
    /// Both poses project as `FacePose.project` does: `p = t + F·s·P·R·v` with `F = diag(1, −1)` (y down) and `P`
    /// dropping z. The crop maps to the image by `image = origin + k·Rθ·crop` (k pixels per crop pixel, θ the
    /// crop's in-plane rotation), and `Rθ·F = F·R−θ`, so the image pose is the crop pose turned by −θ about the
    /// model's z axis, scaled by k, with its translation carried through the transform.
    public func imagePose(fromCrop pose: FacePose) -> FacePose {
        let step = (axisX * axisX).sum().squareRoot()
        let angle: Float = atan2f(axisX.y, axisX.x)
        let rotation = angle == 0 ? pose.rotation : (Quaternion(angle: -angle, axis: SIMD3(0, 0, 1)) * pose.rotation).normalized
        let centre = imagePoint(crop: SIMD2(pose.translation.x, pose.translation.y))
        return FacePose(rotation: rotation, translation: SIMD3(centre.x, centre.y, step * pose.translation.z), scale: step * pose.scale)
    }
}

extension FacePose {
    /// This image pose (y-up model axes, projected with y flipped) as the protocol's camera-space transform: x right
    /// and y down in image pixels, z away from the viewer, so that `scale·R·v + translation` has the vertex's
    /// image position in x and y. It is the same rotation turned by 180° about x.
    public var cameraSpaceTransform: MeshTransform {
        MeshTransform(rotation: (Quaternion(x: 1, y: 0, z: 0, w: 0) * rotation).normalized,
                 translation: SIMD3(translation.x, translation.y, -translation.z), scale: scale)
    }
}
