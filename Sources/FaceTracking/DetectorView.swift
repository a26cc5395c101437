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
    /// The view's axes turned from image x towards image y by this angle (radians) about the input's centre, as
    /// `CropRegion.rotation` turns a crop's: a face tilted by this angle appears upright in the view. Applied
    /// before the mirroring.
    public var rotation: Float

    /// A view from its parts.
    public init(mirrored: Bool = false, rotation: Float = 0) {
        self.mirrored = mirrored
        self.rotation = rotation
    }

    /// The frame as it is.
    public static let upright = DetectorView()
    /// The frame's mirror image.
    public static let mirror = DetectorView(mirrored: true)

    /// The frame turned by `radians` about the input's centre (`rotation`).
    public static func rotated(by radians: Float) -> DetectorView { DetectorView(rotation: radians) }

    /// Whether this view is the frame as it is.
    public var isUpright: Bool { !mirrored && rotation == 0 }

    /// "upright", "mirror", "rotated 20.0°", "mirror rotated -20.0°" (degrees to a tenth).
    public var description: String {
        let degrees = "\((rotation * 1800 / Float.pi).rounded() / 10)°"
        switch (mirrored, rotation == 0) {
        case (false, true): return "upright"
        case (true, true): return "mirror"
        case (false, false): return "rotated \(degrees)"
        case (true, false): return "mirror rotated \(degrees)"
        }
    }

    /// The point of the upright input (input pixels, continuous: pixel i spans [i, i + 1)) that the view shows at
    /// `point` of an input of `size`.
    public func sourcePoint(_ point: SIMD2<Float>, inputSize size: SIMD2<Float>) -> SIMD2<Float> {
        Self.sourcePoint(point, centre: size / 2, mirrored: mirrored, cosine: cos(rotation), sine: sin(rotation))
    }

    /// `sourcePoint` with the turn's cosine and sine given, so that `render` computes them once.
    @inline(__always)
    private static func sourcePoint(_ point: SIMD2<Float>, centre: SIMD2<Float>, mirrored: Bool, cosine: Float,
                                    sine: Float) -> SIMD2<Float> {
        var offset = point - centre
        if mirrored { offset.x = -offset.x }
        return centre + SIMD2(cosine * offset.x - sine * offset.y, sine * offset.x + cosine * offset.y)
    }

    /// Writes this view of `source` (three planes of `width × height`, the upright letterboxed input) into
    /// `destination` (same layout), sampling bilinearly; where the view shows no part of the input (and for a
    /// rotation that is not a finite number) it writes `fill` (the letterbox's padding value).
    public func render(_ source: UnsafeBufferPointer<Float>, into destination: UnsafeMutableBufferPointer<Float>,
                       width: Int, height: Int, fill: Float) {
        guard width > 0, height > 0 else { return }
        let plane = width * height
        precondition(source.count / 3 >= plane && destination.count / 3 >= plane, "detector view buffers too small")
        let centre = SIMD2(Float(width), Float(height)) / 2
        let cosine = cos(rotation), sine = sin(rotation)
        for y in 0..<height {
            for x in 0..<width {
                let out = y * width + x
                // Pixel centres sit at i + 0.5; bilinear weights from the four source pixels around the point.
                let point = Self.sourcePoint(SIMD2(Float(x) + 0.5, Float(y) + 0.5), centre: centre, mirrored: mirrored,
                                             cosine: cosine, sine: sine) - 0.5
                let lower = point.rounded(.down)
                // Compared as floats before Int(): NaN fails every comparison and writes the fill.
                guard lower.x >= -1, lower.y >= -1, lower.x < Float(width), lower.y < Float(height) else {
                    for channel in 0..<3 { destination[channel * plane + out] = fill }
                    continue
                }
                let column = Int(lower.x), row = Int(lower.y)
                let fraction = point - lower
                for channel in 0..<3 {
                    let base = channel * plane
                    let top = Self.sample(source, base, column, row, width, height, fill) * (1 - fraction.x)
                        + Self.sample(source, base, column + 1, row, width, height, fill) * fraction.x
                    let bottom = Self.sample(source, base, column, row + 1, width, height, fill) * (1 - fraction.x)
                        + Self.sample(source, base, column + 1, row + 1, width, height, fill) * fraction.x
                    destination[base + out] = top * (1 - fraction.y) + bottom * fraction.y
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
