/// How a square crop is placed on a reference box: its side is `sideScale` × the box's larger side, its centre the
/// box's centre plus `centreShift` × that larger side (x right, y down). The regressor's sidecar says which framing
/// its training crops used (FaceRegression's `CropConvention`); the tracker only applies it.
public struct CropFraming: Sendable, Equatable {
    /// Crop side ÷ the reference box's larger side.
    public var sideScale: Float
    /// Crop centre − box centre, in units of the box's larger side (x right, y down).
    public var centreShift: SIMD2<Float>

    /// A framing from its two numbers.
    public init(sideScale: Float, centreShift: SIMD2<Float>) {
        self.sideScale = sideScale
        self.centreShift = centreShift
    }

    /// The square crop region on `box` (image pixels), upright.
    public func region(around box: BoundingBox) -> CropRegion {
        let size = box.maximum - box.minimum
        let larger = max(size.x, size.y)
        let centre = (box.minimum + box.maximum) / 2 + centreShift * larger
        return CropRegion(centre: centre, side: sideScale * larger)
    }
}

/// The framings of the two reference boxes a crop can be placed on: the box of the previous frame's landmarks
/// (as 3DDFA_V2 follows a face in video) and the face detector's box.
public struct CropFramings: Sendable, Equatable {
    /// Framing on the box of the 68 landmarks (the previous frame's, when tracking).
    public var landmarks: CropFraming
    /// Framing on the face detector's box.
    public var detection: CropFraming

    /// Both framings.
    public init(landmarks: CropFraming, detection: CropFraming) {
        self.landmarks = landmarks
        self.detection = detection
    }

    /// The crop region framed on the box of `landmarks` (image pixels); nil when there are no points.
    public func region(landmarks points: [SIMD2<Float>]) -> CropRegion? {
        guard var minimum = points.first else { return nil }
        var maximum = minimum
        for point in points {
            minimum = pointwiseMin(minimum, point)
            maximum = pointwiseMax(maximum, point)
        }
        return landmarks.region(around: BoundingBox(minimum: minimum, maximum: maximum))
    }

    /// The crop region framed on a detector box (image pixels).
    public func region(detection box: BoundingBox) -> CropRegion {
        detection.region(around: box)
    }
}

/// How 0…255 pixel values become network input: `value = (pixel · scale − mean[c]) / standardDeviation[c]` for
/// channel c (R, G, B).
public struct PixelNormalisation: Sendable, Equatable {
    /// Multiplier of the 0…255 pixel value.
    public var scale: Float
    /// Per-channel mean subtracted after scaling (R, G, B).
    public var mean: SIMD3<Float>
    /// Per-channel divisor applied after the mean is subtracted (R, G, B).
    public var standardDeviation: SIMD3<Float>

    /// A normalisation from its parts.
    public init(scale: Float, mean: SIMD3<Float>, standardDeviation: SIMD3<Float>) {
        self.scale = scale
        self.mean = mean
        self.standardDeviation = standardDeviation
    }

    /// The identity normalisation (value = pixel), for crops read back as pictures.
    public static let identity = PixelNormalisation(scale: 1, mean: .zero, standardDeviation: .one)
}
