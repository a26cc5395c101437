import Foundation

/// How the regressor wants its input cut out of a frame, read from its JSON sidecar (`models/orn.json`,
/// written by training/orn/export.py) so that size, normalisation and framing are stated once, by the
/// training pipeline that chose them.
///
/// The sidecar keys read here:
/// ```json
/// "input": {"shape": [1, 3, S, S], "layout": "NCHW", "normalisation": {"scale": 0.00392, "mean": [0.5, 0.5, 0.5], "std": [0.5, 0.5, 0.5]}},
/// "crop": {"size": S,
///          "framing": {"landmarks": {"side_scale": 1.4142, "centre_shift": [0, 0]},
///                      "detection": {"side_scale": 1.36, "centre_shift": [0, 0.05]}}}
/// ```
/// A crop is a square: its side is `side_scale` × the larger side of a reference box (the box of the 68
/// landmarks, or the detector's box), its centre the box's centre plus `centre_shift` × that larger side
/// (x right, y down). The training crops are 3DDFA's: √2 × the landmark box, centred.
public struct CropConvention: Sendable, Equatable, Decodable {
    /// `value = (pixel · scale − mean[c]) / std[c]` for channel c (R, G, B).
    public struct Normalisation: Sendable, Equatable, Decodable {
        /// Multiplier of the 0…255 pixel value.
        public var scale: Float
        /// Per-channel mean subtracted after scaling.
        public var mean: [Float]
        /// Per-channel divisor.
        public var std: [Float]

        /// A normalisation from its parts (three means and standard deviations).
        public init(scale: Float, mean: [Float], std: [Float]) {
            self.scale = scale
            self.mean = mean
            self.std = std
        }
    }

    /// How a square crop is placed on a reference box.
    public struct Framing: Sendable, Equatable, Decodable {
        /// Crop side ÷ the reference box's larger side.
        public var sideScale: Float
        /// Crop centre − box centre, in units of the box's larger side (x right, y down).
        public var centreShift: [Float]

        /// A framing from its two numbers.
        public init(sideScale: Float, centreShift: SIMD2<Float>) {
            self.sideScale = sideScale
            self.centreShift = [centreShift.x, centreShift.y]
        }

        /// The square crop region on `box` (image pixels), upright.
        public func region(around box: BoundingBox) -> CropRegion {
            let size = box.maximum - box.minimum
            let larger = max(size.x, size.y)
            let centre = (box.minimum + box.maximum) / 2 + SIMD2(centreShift[0], centreShift[1]) * larger
            return CropRegion(centre: centre, side: sideScale * larger)
        }
    }

    /// The reference boxes a crop can be framed on.
    public struct Framings: Sendable, Equatable, Decodable {
        /// Framing on the box of the 68 landmarks (the previous frame's, when tracking).
        public var landmarks: Framing
        /// Framing on the face detector's box.
        public var detection: Framing

        /// Both framings.
        public init(landmarks: Framing, detection: Framing) {
            self.landmarks = landmarks
            self.detection = detection
        }
    }

    /// Input side in pixels (the crop is `size × size`).
    public var size: Int
    /// Pixel normalisation.
    public var normalisation: Normalisation
    /// Where crops go.
    public var framing: Framings

    /// A convention from its parts.
    public init(size: Int, normalisation: Normalisation, framing: Framings) {
        self.size = size
        self.normalisation = normalisation
        self.framing = framing
    }

    private struct Sidecar: Decodable {
        struct Input: Decodable {
            var shape: [Int]
            var layout: String
            var normalisation: Normalisation
        }
        struct Crop: Decodable {
            var size: Int
            var framing: Framings?
        }
        var input: Input
        var crop: Crop
    }

    /// Largest crop side accepted, in pixels.
    public static let maximumSize = 4096
    /// Largest `side_scale` accepted: a crop at most this many times the reference box (the shipped sidecar: 1.41).
    public static let maximumSideScale: Float = 16
    /// Largest `centre_shift` component accepted, in box sides.
    public static let maximumCentreShift: Float = 4

    /// Reads the convention from the regressor's sidecar at `path` and checks it.
    public static func load(path: String) throws(FaceTrackingError) -> CropConvention {
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw .cannotReadCropConvention(path: path, reason: "cannot read the file")
        }
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        let sidecar: Sidecar
        do {
            sidecar = try decoder.decode(Sidecar.self, from: data)
        } catch {
            throw .cannotReadCropConvention(path: path, reason: "not a regressor sidecar: \(error)")
        }
        guard let framing = sidecar.crop.framing else {
            throw .cannotReadCropConvention(path: path, reason: "crop.framing (landmarks and detection side_scale, centre_shift) is missing")
        }
        let shape = sidecar.input.shape, size = sidecar.crop.size
        guard sidecar.input.layout == "NCHW", shape == [1, 3, size, size] else {
            throw .cannotReadCropConvention(path: path, reason: "input shape \(shape) \(sidecar.input.layout) is not 1×3×\(size)×\(size) NCHW")
        }
        guard (1...maximumSize).contains(size) else {
            throw .cannotReadCropConvention(path: path, reason: "crop.size \(size) is outside 1…\(maximumSize)")
        }
        let normalisation = sidecar.input.normalisation
        guard normalisation.mean.count == 3, normalisation.std.count == 3, !normalisation.std.contains(0),
              normalisation.scale.isFinite, (normalisation.mean + normalisation.std).allSatisfy(\.isFinite) else {
            throw .cannotReadCropConvention(path: path, reason: "normalisation needs 3 means and 3 non-zero standard deviations, all finite")
        }
        for (name, entry) in [("landmarks", framing.landmarks), ("detection", framing.detection)]
        where !(entry.sideScale > 0 && entry.sideScale <= maximumSideScale) || entry.centreShift.count != 2
            || !entry.centreShift.allSatisfy({ abs($0) <= maximumCentreShift }) {
            throw .cannotReadCropConvention(
                path: path, reason: "crop.framing.\(name) needs side_scale in (0, \(maximumSideScale)] and a 2-value "
                    + "centre_shift within ±\(maximumCentreShift)")
        }
        return CropConvention(size: size, normalisation: normalisation, framing: framing)
    }
}

extension CropConvention {
    /// The crop region framed on landmarks (image pixels), as 3DDFA_V2 follows a face in video: the box of
    /// the previous frame's landmarks, framed by `framing.landmarks`. Nil when there are no points.
    public func region(landmarks: [SIMD2<Float>]) -> CropRegion? {
        guard var minimum = landmarks.first else { return nil }
        var maximum = minimum
        for point in landmarks {
            minimum = pointwiseMin(minimum, point)
            maximum = pointwiseMax(maximum, point)
        }
        return framing.landmarks.region(around: BoundingBox(minimum: minimum, maximum: maximum))
    }

    /// The crop region framed on a detector box (image pixels) by `framing.detection`.
    public func region(detection box: BoundingBox) -> CropRegion {
        framing.detection.region(around: box)
    }
}
