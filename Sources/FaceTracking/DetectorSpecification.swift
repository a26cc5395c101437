import Foundation

/// What the face detector needs to know about its network, read from the JSON sidecar that
/// tools/convert-detector.py writes beside each ONNX file, so these values live in one place only.
public struct DetectorSpecification: Sendable, Decodable, Equatable {
    /// The network input.
    public struct Input: Sendable, Decodable, Equatable {
        /// Input tensor name.
        public var name: String
        /// Tensor layout (`NCHW`).
        public var layout: String
        /// Tensor shape, e.g. [1, 3, 128, 128].
        public var shape: [Int]
        /// Channel order (`RGB`).
        public var color: String
        /// How pixel values (0…255) become input values.
        public var normalization: Normalization
    }

    /// `value = pixel · scale + offset`.
    public struct Normalization: Sendable, Decodable, Equatable {
        /// Multiplier of the 0…255 pixel value.
        public var scale: Float
        /// Added after scaling.
        public var offset: Float
    }

    /// The SSD anchors, one per output row.
    public struct Anchors: Sendable, Decodable, Equatable {
        /// Number of anchors.
        public var count: Int
        /// Anchor centres (x, y) in [0, 1] of the input; anchor sizes are 1 (fixed).
        public var centers: [[Float]]
    }

    /// How raw regressor rows become boxes and keypoints (MediaPipe's TensorsToDetections options).
    public struct Decoding: Sendable, Decodable, Equatable {
        /// Values per regressor row (16).
        public var numCoords: Int
        /// Index of the box's first value in a row.
        public var boxCoordOffset: Int
        /// Index of the first keypoint value in a row.
        public var keypointCoordOffset: Int
        /// Keypoints per detection (6).
        public var numKeypoints: Int
        /// Values per keypoint (2: x, y).
        public var numValuesPerKeypoint: Int
        /// True: a row holds x, y, w, h (not y, x, h, w).
        public var reverseOutputOrder: Bool
        /// Divisors from input pixels to the unit square.
        public var xScale: Float
        /// See `xScale`.
        public var yScale: Float
        /// See `xScale`.
        public var wScale: Float
        /// See `xScale`.
        public var hScale: Float
        /// Whether scores are logits to pass through a sigmoid.
        public var sigmoidScore: Bool
        /// Logits are clipped to ±this before the sigmoid.
        public var scoreClippingThresh: Float
        /// Detections scoring below this are dropped.
        public var minScoreThresh: Float
    }

    /// Non-maximum suppression settings.
    public struct Suppression: Sendable, Decodable, Equatable {
        /// `weighted` (MediaPipe's blend of overlapping boxes).
        public var algorithm: String
        /// Overlap measure (`intersection_over_union`).
        public var overlapType: String
        /// Boxes overlapping the best one by more than this are merged into it.
        public var minSuppressionThreshold: Float
    }

    /// ONNX file name, beside the sidecar.
    public var model: String
    /// Input description.
    public var input: Input
    /// The anchors.
    public var anchors: Anchors
    /// Decoding settings.
    public var decoding: Decoding
    /// Keypoint names in output order.
    public var keypoints: [String]
    /// Suppression settings.
    public var nonMaximumSuppression: Suppression

    /// Input width in pixels.
    public var inputWidth: Int { input.shape[3] }
    /// Input height in pixels.
    public var inputHeight: Int { input.shape[2] }

    /// Reads and checks the sidecar at `path`.
    public static func load(path: String) throws(FaceTrackingError) -> DetectorSpecification {
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw .cannotReadSpecification(path: path, reason: "cannot read the file")
        }
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        let specification: DetectorSpecification
        do {
            specification = try decoder.decode(DetectorSpecification.self, from: data)
        } catch {
            throw .cannotReadSpecification(path: path, reason: "not a detector sidecar: \(error)")
        }
        try specification.validate(path: path)
        return specification
    }

    /// Largest input side accepted, in pixels (BlazeFace uses 128 and 192).
    public static let maximumInputSide = 4096
    /// Most values per regressor row accepted (BlazeFace uses 16).
    public static let maximumValuesPerRow = 1024

    /// Checks that the parts agree with each other, and that every number that will size a buffer or index a
    /// row is in range before any arithmetic is done with it (the sidecar is untrusted input).
    func validate(path: String) throws(FaceTrackingError) {
        guard input.layout == "NCHW", input.shape.count == 4, input.shape[0] == 1, input.shape[1] == 3,
              (1...Self.maximumInputSide).contains(input.shape[2]), (1...Self.maximumInputSide).contains(input.shape[3]) else {
            throw .invalidSpecification(
                path: path, reason: "input must be 1×3×H×W NCHW with H and W in 1…\(Self.maximumInputSide)")
        }
        guard anchors.count == anchors.centers.count, anchors.count > 0,
              anchors.centers.allSatisfy({ $0.count == 2 && $0.allSatisfy(\.isFinite) }) else {
            throw .invalidSpecification(path: path, reason: "anchor count and centres disagree")
        }
        let limit = Self.maximumValuesPerRow
        guard (1...limit).contains(decoding.numCoords), (0...limit).contains(decoding.boxCoordOffset),
              (0...limit).contains(decoding.keypointCoordOffset), (0...limit).contains(decoding.numKeypoints),
              decoding.numValuesPerKeypoint == 2 else {
            throw .invalidSpecification(
                path: path, reason: "decoding counts and offsets must lie in 0…\(limit) (num_coords at least 1), "
                    + "with 2 values per keypoint")
        }
        // In range, so none of these can overflow.
        let needed = decoding.keypointCoordOffset + decoding.numKeypoints * decoding.numValuesPerKeypoint
        guard needed <= decoding.numCoords, decoding.boxCoordOffset + 4 <= decoding.numCoords else {
            throw .invalidSpecification(path: path, reason: "decoding offsets exceed the \(decoding.numCoords) values per row")
        }
        guard keypoints.count == decoding.numKeypoints else {
            throw .invalidSpecification(path: path, reason: "\(keypoints.count) keypoint names for \(decoding.numKeypoints) keypoints")
        }
        guard nonMaximumSuppression.algorithm == "weighted", nonMaximumSuppression.overlapType == "intersection_over_union" else {
            throw .invalidSpecification(path: path, reason: "only weighted suppression by intersection over union is implemented")
        }
    }
}
