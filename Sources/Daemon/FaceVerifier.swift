import FaceRegression
import FaceTracking
import VideoIngest

/// The tracker's face check: runs the ORN regressor on a detection's crop (framed on the detector's box, as the
/// regression stage frames a new face) and returns its face score, the probability that the crop holds a face.
/// Only for regressors with the sixth output `face`; one per tracking stage, not thread-safe.
public final class RegressorFaceVerifier: FaceVerifying {
    private let regressor: FaceRegressor
    private let cropper: FaceCropper
    private let convention: CropConvention
    private var crop: [Float]

    /// A verifier running `regressor` on crops cut as `convention` says; nil when the regressor has no face score
    /// or its input side differs from the crop size.
    public init?(regressor: FaceRegressor, convention: CropConvention) {
        guard regressor.specification.hasFaceScore, regressor.specification.inputSide == convention.size else { return nil }
        self.regressor = regressor
        self.convention = convention
        cropper = FaceCropper(convention: convention)
        crop = [Float](repeating: 0, count: cropper.elementCount)
    }

    /// The face score of `detection`'s crop in `frame`.
    public func faceScore(of detection: FaceDetection, in frame: VideoFrame) throws(FaceTrackingError) -> Float? {
        cropper.crop(frame, transform: cropper.transform(for: convention.region(detection: detection.box)), into: &crop)
        do {
            return try crop.withUnsafeBufferPointer { buffer throws(FaceRegressionError) in
                try regressor.regress(normalisedCrop: buffer).faceScore
            }
        } catch {
            throw .verificationFailed(reason: "\(error)")
        }
    }
}
