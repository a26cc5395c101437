#if canImport(Glibc)
import Glibc
#endif

/// A similarity of the image plane (x right, y down, pixels): how a face moved from one frame to the next, a point
/// `p` of the earlier frame landing at `centre + scale · R(angle) · (p − centre) + translation`.
///
/// Measured on the pixels (FaceTracking's `FaceMotionEstimator`), it carries the head's motion between two frames
/// with far less noise than the difference of two regressions, which is what lets the smoothing of live sources
/// follow a moving head without trailing it (`FaceSmoother`, motion-guided pose).
public struct ImageMotion: Sendable, Equatable {
    /// The point the scaling and turning are about (image pixels of the earlier frame).
    public var centre: SIMD2<Float>
    /// Size ratio, later frame over earlier.
    public var scale: Float
    /// Turn in radians; positive turns the x axis towards the y axis (clockwise on screen).
    public var angle: Float
    /// Shift of `centre`, pixels.
    public var translation: SIMD2<Float>

    /// A motion from its parts.
    public init(centre: SIMD2<Float>, scale: Float = 1, angle: Float = 0, translation: SIMD2<Float> = .zero) {
        self.centre = centre
        self.scale = scale
        self.angle = angle
        self.translation = translation
    }

    /// No motion.
    public static let none = ImageMotion(centre: .zero)

    /// Where `point` of the earlier frame is in the later one.
    public func apply(_ point: SIMD2<Float>) -> SIMD2<Float> {
        let cosine = cosf(angle), sine = sinf(angle), offset = point - centre
        return centre + scale * SIMD2(cosine * offset.x - sine * offset.y, sine * offset.x + cosine * offset.y) + translation
    }

    /// The same motion written about `other` as its centre.
    public func about(_ other: SIMD2<Float>) -> ImageMotion {
        ImageMotion(centre: other, scale: scale, angle: angle, translation: apply(other) - other)
    }

    /// Whether every part is finite and the scale positive.
    public var isFinite: Bool {
        centre.x.isFinite && centre.y.isFinite && scale.isFinite && scale > 0 && angle.isFinite
            && translation.x.isFinite && translation.y.isFinite
    }
}

extension FacePose {
    /// This image pose (projected as `project` does) after the image moved by `motion`: every projected vertex
    /// lands where the motion takes it. The projection is `t + F·s·P·R·v` with `F = diag(1, −1)`, and a turn of the
    /// image by θ is `R(θ)·F = F·R(−θ)`, a turn of the head by −θ about the model's z axis.
    public func moved(by motion: ImageMotion) -> FacePose {
        let centre = motion.apply(SIMD2(translation.x, translation.y))
        let turned = motion.angle == 0 ? rotation : (Quaternion(angle: -motion.angle, axis: SIMD3(0, 0, 1)) * rotation).normalized
        return FacePose(rotation: turned, translation: SIMD3(centre.x, centre.y, motion.scale * translation.z),
                        scale: motion.scale * scale)
    }
}
