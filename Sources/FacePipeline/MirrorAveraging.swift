import FaceModel
import FaceRegression

/// Test-time mirror averaging: a face is regressed from its crop and from the crop's mirror image, the second answer
/// is mapped back onto the original, and the two are averaged. The network was trained on mirrored faces too, so the
/// two answers are two estimates of one face whose errors only partly agree. With v2i on the validation split the
/// averaged landmarks are 3.3 % closer to the annotation and 5.2 % closer to the teacher (A 5.183 → 5.014, T 4.501 →
/// 4.266, `orn.validate --labels fused --mirror-average`, "parameters"; `docs/model-card.md`, session 13), for a
/// second regressor run.
///
/// Mapping back, in crop pixels: identity as it is; expression `i` takes the mirrored face's weight of the expression
/// it mirrors to; landmark visibilities likewise; the rotation is reflected through the model's x axis
/// (M·R·M, M = diag(−1, 1, 1): quaternion (x, −y, −z, w)); and the translation is the one whose landmarks best match
/// the mirrored face's landmarks reflected back (u → side − u). With a mirror-symmetric landmark definition (v2i's)
/// that is the reflected translation; a face-model file carrying an asymmetric one still maps back right.
struct MirrorAveraging {
    /// The crops' side in pixels.
    let side: Float
    /// Model expression order → the expression it becomes in the mirror image.
    let mirroredExpression: [Int]
    private var indices = [Int32](repeating: 0, count: MorphableModel.landmarkCount)
    private var mirroredLandmarks = [SIMD2<Float>](repeating: .zero, count: MorphableModel.landmarkCount)
    private var unplacedLandmarks = [SIMD2<Float>](repeating: .zero, count: MorphableModel.landmarkCount)

    /// Nil when the model's expressions have no complete mirror mapping.
    init?(model: MorphableModel, cropSide: Int) {
        guard let order = model.mirroredExpressionOrder else { return nil }
        side = Float(cropSide)
        mirroredExpression = order
    }

    /// The mean of `direct` and `mirrored` mapped back. Both in model expression order with poses in crop pixels,
    /// `mirrored` regressed from the mirrored crop (`CropTransform.mirrored(side:)`).
    mutating func average(_ direct: RegressedFace, _ mirrored: RegressedFace, model: MorphableModel) throws(FaceModelError)
        -> RegressedFace {
        let back = try mappedBack(mirrored, model: model)
        let pose = FacePose(rotation: direct.pose.rotation.slerp(to: back.pose.rotation, t: 0.5),
                            translation: (direct.pose.translation + back.pose.translation) / 2,
                            scale: (direct.pose.scale + back.pose.scale) / 2)
        func mean(_ first: [Float], _ second: [Float]) -> [Float] { zip(first, second).map { ($0 + $1) / 2 } }
        let faceScore: Float? = if let first = direct.faceScore, let second = back.faceScore { (first + second) / 2 }
                                else { direct.faceScore }
        return RegressedFace(identity: mean(direct.identity, back.identity), expression: mean(direct.expression, back.expression),
                             pose: pose, visibility: mean(direct.visibility, back.visibility), faceScore: faceScore)
    }

    /// `mirrored` as the face of the unmirrored crop.
    private mutating func mappedBack(_ mirrored: RegressedFace, model: MorphableModel) throws(FaceModelError) -> RegressedFace {
        try model.landmarks(identity: mirrored.identity, expression: mirrored.expression, pose: mirrored.pose,
                            indices: &indices, into: &mirroredLandmarks)
        let expression = mirroredExpression.map { mirrored.expression[$0] }
        let landmarkOrder = MorphableModel.mirroredLandmarkOrder
        let visibility = landmarkOrder.map { mirrored.visibility[$0] }  // the regressor checks it has 68 at load
        let reflected = mirrored.pose.rotation.vector * SIMD4(1, -1, -1, 1)
        var pose = FacePose(rotation: Quaternion(vector: reflected), translation: .zero, scale: mirrored.pose.scale)
        try model.landmarks(identity: mirrored.identity, expression: expression, pose: pose, indices: &indices,
                            into: &unplacedLandmarks)
        var offset = SIMD2<Float>.zero
        for (slot, source) in landmarkOrder.enumerated() {
            let target = SIMD2(side - mirroredLandmarks[source].x, mirroredLandmarks[source].y)
            offset += target - unplacedLandmarks[slot]
        }
        offset /= Float(landmarkOrder.count)
        pose.translation = SIMD3(offset.x, offset.y, mirrored.pose.translation.z)
        return RegressedFace(identity: mirrored.identity, expression: expression, pose: pose, visibility: visibility,
                             faceScore: mirrored.faceScore)
    }
}
