/// An axis-aligned box, corners in the unit of its use (input-normalised or image pixels).
public struct BoundingBox: Sendable, Equatable {
    /// Top-left corner (x0, y0).
    public var minimum: SIMD2<Float>
    /// Bottom-right corner (x1, y1).
    public var maximum: SIMD2<Float>

    /// A box from its corners.
    public init(minimum: SIMD2<Float>, maximum: SIMD2<Float>) {
        self.minimum = minimum
        self.maximum = maximum
    }

    /// Width times height (0 for an empty box).
    public var area: Float {
        let size = maximum - minimum
        return max(size.x, 0) * max(size.y, 0)
    }

    /// The area the two boxes share.
    private func sharedArea(_ other: BoundingBox) -> Float {
        BoundingBox(minimum: pointwiseMax(minimum, other.minimum), maximum: pointwiseMin(maximum, other.maximum)).area
    }

    /// Whether the two boxes share some area.
    public func intersects(_ other: BoundingBox) -> Bool { sharedArea(other) > 0 }

    /// The share of the smaller of the two boxes that lies inside the other (0 when either is empty): 1 when one
    /// holds the other, as a face cut off at a tile's edge is held by the same face found whole in the next tile.
    public func overlapOfSmaller(_ other: BoundingBox) -> Float {
        let smaller = min(area, other.area)
        return smaller > 0 ? sharedArea(other) / smaller : 0
    }

    /// Intersection over union with `other` (0 when either is empty).
    public func intersectionOverUnion(_ other: BoundingBox) -> Float {
        let overlap = sharedArea(other)
        let union = area + other.area - overlap
        return union > 0 ? overlap / union : 0
    }
}

/// One face found by the detector.
public struct FaceDetection: Sendable, Equatable {
    /// The face box.
    public var box: BoundingBox
    /// Confidence in [0, 1].
    public var score: Float
    /// The detector's keypoints (BlazeFace: right eye, left eye, nose tip, mouth centre, right and left ear tragion).
    public var keypoints: [SIMD2<Float>]

    /// A detection from its parts.
    public init(box: BoundingBox, score: Float, keypoints: [SIMD2<Float>]) {
        self.box = box
        self.score = score
        self.keypoints = keypoints
    }
}
