import FaceTracking

/// How the regressor wants its input cut out of a frame: the crop's side, the pixel normalisation and the framing
/// of the crop on the reference boxes, as `models/orn.json` states them (written by training/orn/export.py, which
/// chose them). Read by `RegressorSpecification`, the one reader of the sidecar.
///
/// The sidecar keys it comes from:
/// ```json
/// "input": {"shape": [1, 3, S, S], "layout": "NCHW", "normalisation": {"scale": 0.00392, "mean": [0.5, 0.5, 0.5], "std": [0.5, 0.5, 0.5]}},
/// "crop": {"size": S,
///          "framing": {"landmarks": {"side_scale": 1.4142, "centre_shift": [0, 0]},
///                      "detection": {"side_scale": 1.36, "centre_shift": [0, 0.05]}}}
/// ```
/// The training crops are 3DDFA's: √2 × the landmark box, centred.
public struct CropConvention: Sendable, Equatable {
    /// Input side in pixels (the crop is `size × size`).
    public var size: Int
    /// Pixel normalisation.
    public var normalisation: PixelNormalisation
    /// Where crops go on the landmark and detector boxes.
    public var framing: CropFramings

    /// A convention from its parts.
    public init(size: Int, normalisation: PixelNormalisation, framing: CropFramings) {
        self.size = size
        self.normalisation = normalisation
        self.framing = framing
    }

    /// Largest crop side accepted, in pixels (the shipped network uses 128).
    public static let maximumSize = 4096
    /// Largest `side_scale` accepted: a crop at most this many times the reference box (the shipped sidecar: 1.41).
    public static let maximumSideScale: Float = 16
    /// Largest `centre_shift` component accepted, in box sides.
    public static let maximumCentreShift: Float = 4
}
