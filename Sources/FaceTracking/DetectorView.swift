#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// How the detector looks at a frame: as it is, in its mirror image, or turned in the picture plane. A detector
/// is neither mirror- nor rotation-symmetric, so a face it misses one way (occluded, turned, tilted) it often finds
/// another; the tracker's second looks use these views where the upright one found nothing. Faces found in a view
/// are mapped back onto the frame (`sourcePoint`), so callers never see the view's coordinates.
public struct DetectorView: Sendable, Equatable, CustomStringConvertible {
    /// The letterboxed input reflected left to right.
    public var mirrored: Bool
    /// Degrees the letterboxed input is turned about its centre before the detector sees it (positive: the picture
    /// turns counter-clockwise on screen), applied before the mirroring.
    public var rotationDegrees: Float

    /// A view from its parts.
    public init(mirrored: Bool = false, rotationDegrees: Float = 0) {
        self.mirrored = mirrored
        self.rotationDegrees = rotationDegrees
    }

    /// The frame as it is.
    public static let upright = DetectorView()
    /// The frame's mirror image.
    public static let mirror = DetectorView(mirrored: true)

    /// The frame turned by `degrees` about the input's centre.
    public static func rotated(by degrees: Float) -> DetectorView { DetectorView(rotationDegrees: degrees) }

    /// Whether this view is the frame as it is.
    public var isUpright: Bool { !mirrored && rotationDegrees == 0 }

    /// "upright", "mirror", "rotated 20°", "mirror rotated -20°".
    public var description: String {
        switch (mirrored, rotationDegrees == 0) {
        case (false, true): return "upright"
        case (true, true): return "mirror"
        case (false, false): return "rotated \(rotationDegrees)°"
        case (true, false): return "mirror rotated \(rotationDegrees)°"
        }
    }

    /// The point of the upright input (input pixels, continuous: pixel i spans [i, i + 1)) that the view shows at
    /// `point` of an input of `size`.
    public func sourcePoint(_ point: SIMD2<Float>, inputSize size: SIMD2<Float>) -> SIMD2<Float> {
        let centre = size / 2
        var offset = point - centre
        if mirrored { offset.x = -offset.x }
        guard rotationDegrees != 0 else { return centre + offset }
        let angle = rotationDegrees * Float.pi / 180
        let cosine = cos(angle), sine = sin(angle)
        return centre + SIMD2(cosine * offset.x - sine * offset.y, sine * offset.x + cosine * offset.y)
    }

    /// Writes this view of `source` (three planes of `width × height`, the upright letterboxed input) into
    /// `destination` (same layout), sampling bilinearly; where the view shows no part of the input it writes `fill`
    /// (the letterbox's padding value).
    public func render(_ source: UnsafeBufferPointer<Float>, into destination: UnsafeMutableBufferPointer<Float>,
                       width: Int, height: Int, fill: Float) {
        let plane = width * height
        precondition(source.count >= 3 * plane && destination.count >= 3 * plane, "detector view buffers too small")
        let size = SIMD2(Float(width), Float(height))
        for y in 0..<height {
            for x in 0..<width {
                // Pixel centres sit at i + 0.5; bilinear weights from the four source pixels around the point.
                let point = sourcePoint(SIMD2(Float(x) + 0.5, Float(y) + 0.5), inputSize: size) - 0.5
                let x0 = Int(point.x.rounded(.down)), y0 = Int(point.y.rounded(.down))
                let fx = point.x - Float(x0), fy = point.y - Float(y0)
                let out = y * width + x
                for channel in 0..<3 {
                    let base = channel * plane
                    let top = Self.sample(source, base, x0, y0, width, height, fill) * (1 - fx)
                        + Self.sample(source, base, x0 + 1, y0, width, height, fill) * fx
                    let bottom = Self.sample(source, base, x0, y0 + 1, width, height, fill) * (1 - fx)
                        + Self.sample(source, base, x0 + 1, y0 + 1, width, height, fill) * fx
                    destination[base + out] = top * (1 - fy) + bottom * fy
                }
            }
        }
    }

    /// Pixel (`column`, `row`) of the plane starting at `base`, or `fill` outside the input.
    @inline(__always)
    private static func sample(_ source: UnsafeBufferPointer<Float>, _ base: Int, _ column: Int, _ row: Int,
                               _ width: Int, _ height: Int, _ fill: Float) -> Float {
        guard column >= 0, column < width, row >= 0, row < height else { return fill }
        return source[base + row * width + column]
    }
}
