#if canImport(Glibc)
import Glibc
#endif
import FaceModel
import VideoIngest

/// Measures how one face moved between two consecutive frames from the pixels themselves: the brightness of a square
/// around the face in the earlier frame (`remember`) is aligned with the later frame (`measure`) by a similarity of
/// the image plane (shift, scale, turn), found by inverse-compositional Lucas–Kanade — Gauss–Newton on the patch,
/// coarse (24 × 24) then fine (48 × 48), each patch lightly blurred and normalised to zero mean and unit spread (so a
/// change of exposure moves nothing), with Huber weights so that a moving mouth or a passing hand pulls less than the
/// rest of the face.
///
/// The step is what lets live smoothing follow a moving head without trailing it: the regressor's own estimate of the
/// head's position changes by 1.1–1.3 % of the face size per frame in noise alone (docs/face-tracking.md, "Lag and
/// jitter"), so filtering it costs frames of lag, while the image motion between two frames is measured to a small
/// fraction of that. One estimator per track; it allocates nothing after it is made.
public struct FaceMotionEstimator: Sendable {
    /// Side of the fine patch, in samples.
    public static let patchSide = 48
    /// Gauss–Newton steps per level at most; the loop stops earlier once a step changes scale and turn by under
    /// 0.001 and the shift by under 0.001 of the square's side.
    public static let maximumSteps = 10
    /// Faces smaller than this (pixels) are not measured: their patch would hold too little texture.
    public static let minimumFaceSide: Float = 16
    /// Largest accepted change of size between two frames (either way); a larger one is taken as a failed
    /// alignment (occlusion, a cut) and no motion is reported.
    public static let maximumScaleChange: Float = 1.25
    /// Largest accepted turn between two frames (radians, about 17°), and largest shift (a share of the square's
    /// side): a head does not move more between two frames of video; a larger answer is a failed alignment.
    public static let maximumTurn: Float = 0.3
    public static let maximumShift: Float = 0.5

    private var coarse = Level(side: FaceMotionEstimator.patchSide / 2)
    private var fine = Level(side: FaceMotionEstimator.patchSide)
    /// The square (image pixels of the remembered frame) the patches were cut from; nil before `remember`.
    private var region: (centre: SIMD2<Float>, side: Float)?

    /// One resolution of the alignment: the template and its steepest-descent images, and room for the warped patch.
    private struct Level: Sendable {
        let side: Int
        var template: [Float]
        /// Per sample: the template's gradient times the warp's Jacobian, for (scale, turn, x, y).
        var descent: [SIMD4<Float>]
        var warped: [Float]
        var scratch: [Float]
        var blurred: [Float]

        init(side: Int) {
            self.side = side
            template = [Float](repeating: 0, count: side * side)
            descent = [SIMD4<Float>](repeating: .zero, count: side * side)
            warped = [Float](repeating: 0, count: side * side)
            scratch = [Float](repeating: 0, count: side * side)
            blurred = [Float](repeating: 0, count: side * side)
        }
    }

    /// An estimator with nothing remembered yet.
    public init() {}

    /// Whether a frame is remembered to measure the next one against.
    public var hasTemplate: Bool { region != nil }

    /// Forgets the remembered frame (the track was lost or restarted).
    public mutating func reset() { region = nil }

    /// Remembers the square of `frame` with this centre and side (the face's box) as the patch the next frame is
    /// aligned with. A face too small, or a square not finite, leaves nothing remembered.
    public mutating func remember(_ frame: VideoFrame, centre: SIMD2<Float>, side: Float) {
        guard centre.x.isFinite, centre.y.isFinite, side.isFinite, side >= Self.minimumFaceSide,
              frame.width > 1, frame.height > 1 else {
            region = nil
            return
        }
        guard Self.prepare(&coarse, frame: frame, centre: centre, side: side),
              Self.prepare(&fine, frame: frame, centre: centre, side: side) else {
            region = nil  // a flat patch (a blank wall, a black frame): nothing to align on
            return
        }
        region = (centre, side)
    }

    /// Samples `level`'s template from the square (centre, side) of `frame` and its steepest-descent images; false
    /// for a flat patch.
    private static func prepare(_ level: inout Level, frame: VideoFrame, centre: SIMD2<Float>, side: Float) -> Bool {
        sample(frame, centre: centre, side: side, linear: SIMD4(1, 0, 0, 1), into: &level, template: true)
        guard normalise(&level.template) else { return false }
        // Gradients per image pixel: central differences inside the patch, one-sided on its border.
        let count = level.side, step = side / Float(count)
        for row in 0..<count {
            let y = (Float(row) + 0.5) * step - side / 2
            let up = max(row - 1, 0), down = min(row + 1, count - 1)
            for column in 0..<count {
                let x = (Float(column) + 0.5) * step - side / 2
                let left = max(column - 1, 0), right = min(column + 1, count - 1)
                let gx = (level.template[row * count + right] - level.template[row * count + left]) / (Float(right - left) * step)
                let gy = (level.template[down * count + column] - level.template[up * count + column]) / (Float(down - up) * step)
                level.descent[row * count + column] = SIMD4(gx * x + gy * y, -gx * y + gy * x, gx, gy)
            }
        }
        return true
    }

    /// How the remembered face moved to `frame`: the similarity that takes the remembered square onto the matching
    /// square of `frame`. Nil with nothing remembered, or when the alignment fails: no finite answer, no convergence
    /// on the fine level within `maximumSteps`, a change of size beyond `maximumScaleChange`, a turn beyond
    /// `maximumTurn` or a shift beyond `maximumShift` of the side. A false answer would be carried by the smoothing
    /// at full weight for many frames; no answer costs one frame of a plainer filter.
    public mutating func measure(_ frame: VideoFrame) -> ImageMotion? {
        guard let (centre, side) = region, frame.width > 1, frame.height > 1 else { return nil }
        // The warp from patch offsets x (image pixels about `centre`) to the new frame: centre + linear·x + shift,
        // linear = [[a, −b], [b, a]] stored as (a, b, −b, a) in SIMD4 order (m00, m10, m01, m11).
        var linear = SIMD4<Float>(1, 0, 0, 1), shift = SIMD2<Float>.zero
        guard Self.align(&coarse, frame: frame, centre: centre, side: side, linear: &linear, shift: &shift, mustConverge: false),
              Self.align(&fine, frame: frame, centre: centre, side: side, linear: &linear, shift: &shift, mustConverge: true)
        else { return nil }
        let scale = (linear.x * linear.x + linear.y * linear.y).squareRoot()
        let motion = ImageMotion(centre: centre, scale: scale, angle: atan2f(linear.y, linear.x), translation: shift)
        guard motion.isFinite, scale <= Self.maximumScaleChange, scale >= 1 / Self.maximumScaleChange,
              abs(motion.angle) <= Self.maximumTurn,
              (shift * shift).sum() <= (Self.maximumShift * side) * (Self.maximumShift * side) else { return nil }
        return motion
    }

    /// Refines the warp (`linear`, `shift`) on one level: Gauss–Newton steps until one is small; false when a step
    /// fails (a flat patch, a singular system), or, with `mustConverge`, when no step became small.
    private static func align(_ level: inout Level, frame: VideoFrame, centre: SIMD2<Float>, side: Float,
                              linear: inout SIMD4<Float>, shift: inout SIMD2<Float>, mustConverge: Bool) -> Bool {
        for _ in 0..<maximumSteps {
            sample(frame, centre: centre + shift, side: side, linear: linear, into: &level, template: false)
            guard normalise(&level.warped), let step = gaussNewtonStep(level) else { return false }
            // Inverse composition: W ← W ∘ W(Δ)⁻¹, with W(Δ)(x) = D·x + d, D = [[1 + Δ0, −Δ1], [Δ1, 1 + Δ0]].
            let a = 1 + step.x, b = step.y, determinant = a * a + b * b
            guard determinant > 1e-6, determinant.isFinite else { return false }
            let inverse = SIMD4<Float>(a, -b, b, a) / determinant  // (m00, m10, m01, m11) of D⁻¹
            let composed = multiply(linear, inverse)
            shift -= apply(composed, to: SIMD2(step.z, step.w))
            linear = composed
            if abs(step.x) < 1e-3, abs(step.y) < 1e-3, abs(step.z) < 1e-3 * side, abs(step.w) < 1e-3 * side { return true }
        }
        return !mustConverge
    }

    /// The Gauss–Newton step (scale, turn, x, y) from the template to the warped patch, Huber-weighted.
    private static func gaussNewtonStep(_ level: Level) -> SIMD4<Float>? {
        let count = level.side * level.side
        var meanAbsolute: Float = 0
        for index in 0..<count { meanAbsolute += abs(level.warped[index] - level.template[index]) }
        // Huber's threshold at 1.345 σ, σ from the mean absolute residual (≈ 0.8 σ for Gaussian residuals).
        let threshold = max(1.345 * 1.25 * meanAbsolute / Float(count), 1e-6)
        var row0 = SIMD4<Float>.zero, row1 = SIMD4<Float>.zero, row2 = SIMD4<Float>.zero, row3 = SIMD4<Float>.zero
        var gradient = SIMD4<Float>.zero
        for index in 0..<count {
            let residual = level.warped[index] - level.template[index]
            let weight = abs(residual) <= threshold ? 1 : threshold / abs(residual)
            let descent = level.descent[index]
            let weighted = weight * descent
            gradient += weighted * residual
            row0 += weighted * descent.x
            row1 += weighted * descent.y
            row2 += weighted * descent.z
            row3 += weighted * descent.w
        }
        return solve(row0, row1, row2, row3, gradient)
    }

    /// x with M·x = b for the symmetric 4 × 4 M given by rows; nil when singular.
    private static func solve(_ r0: SIMD4<Float>, _ r1: SIMD4<Float>, _ r2: SIMD4<Float>, _ r3: SIMD4<Float>,
                              _ b: SIMD4<Float>) -> SIMD4<Float>? {
        var m = (r0, r1, r2, r3), rhs = b
        // Gaussian elimination with partial pivoting, unrolled over a tuple to stay on the stack.
        func row(_ i: Int) -> SIMD4<Float> { i == 0 ? m.0 : i == 1 ? m.1 : i == 2 ? m.2 : m.3 }
        func setRow(_ i: Int, _ value: SIMD4<Float>) {
            switch i {
            case 0: m.0 = value
            case 1: m.1 = value
            case 2: m.2 = value
            default: m.3 = value
            }
        }
        for column in 0..<4 {
            var pivot = column
            for candidate in column + 1..<4 where abs(row(candidate)[column]) > abs(row(pivot)[column]) { pivot = candidate }
            guard abs(row(pivot)[column]) > 1e-12 else { return nil }
            if pivot != column {
                let swapped = row(pivot)
                setRow(pivot, row(column))
                setRow(column, swapped)
                let value = rhs[pivot]
                rhs[pivot] = rhs[column]
                rhs[column] = value
            }
            let leading = row(column)
            for below in column + 1..<4 {
                let factor = row(below)[column] / leading[column]
                setRow(below, row(below) - factor * leading)
                rhs[below] -= factor * rhs[column]
            }
        }
        var x = SIMD4<Float>.zero
        for column in stride(from: 3, through: 0, by: -1) {
            var sum = rhs[column]
            for later in column + 1..<4 { sum -= row(column)[later] * x[later] }
            x[column] = sum / row(column)[column]
        }
        return x.x.isFinite && x.y.isFinite && x.z.isFinite && x.w.isFinite ? x : nil
    }

    /// The product of two 2 × 2 matrices stored as (m00, m10, m01, m11).
    private static func multiply(_ left: SIMD4<Float>, _ right: SIMD4<Float>) -> SIMD4<Float> {
        SIMD4(left.x * right.x + left.z * right.y, left.y * right.x + left.w * right.y,
              left.x * right.z + left.z * right.w, left.y * right.z + left.w * right.w)
    }

    private static func apply(_ matrix: SIMD4<Float>, to point: SIMD2<Float>) -> SIMD2<Float> {
        SIMD2(matrix.x * point.x + matrix.z * point.y, matrix.y * point.x + matrix.w * point.y)
    }

    /// Luminance of `frame` at the `side × side` grid of `level` over the square (centre, side) under `linear`,
    /// bilinear, edges clamped, then blurred with a [1 2 1] kernel each way, into the level's template or warped patch.
    private static func sample(_ frame: VideoFrame, centre: SIMD2<Float>, side: Float, linear: SIMD4<Float>,
                               into level: inout Level, template: Bool) {
        let count = level.side
        let width = frame.width, height = frame.height, stride = frame.bytesPerRow
        let step = side / Float(count)
        let maximumX = Float(width - 1), maximumY = Float(height - 1)
        frame.pixels.withUnsafeBufferPointer { pixels in
            @inline(__always) func luminance(_ offset: Int) -> Float {
                0.299 * Float(pixels[offset]) + 0.587 * Float(pixels[offset + 1]) + 0.114 * Float(pixels[offset + 2])
            }
            for row in 0..<count {
                let y = (Float(row) + 0.5) * step - side / 2
                for column in 0..<count {
                    let x = (Float(column) + 0.5) * step - side / 2
                    // Image index coordinates (pixel centres at integers), clamped to the frame; NaN becomes 0.
                    let px = centre.x + linear.x * x + linear.z * y - 0.5
                    let py = centre.y + linear.y * x + linear.w * y - 0.5
                    let cx = px >= 0 ? min(px, maximumX) : 0, cy = py >= 0 ? min(py, maximumY) : 0
                    let x0 = min(Int(cx), width - 2), y0 = min(Int(cy), height - 2)
                    let fx = cx - Float(x0), fy = cy - Float(y0)
                    let top = y0 * stride + x0 * 3, bottom = top + stride
                    let upper = luminance(top) * (1 - fx) + luminance(top + 3) * fx
                    let lower = luminance(bottom) * (1 - fx) + luminance(bottom + 3) * fx
                    level.scratch[row * count + column] = upper * (1 - fy) + lower * fy
                }
            }
        }
        for row in 0..<count {
            for column in 0..<count {
                let left = level.scratch[row * count + max(column - 1, 0)]
                let right = level.scratch[row * count + min(column + 1, count - 1)]
                level.blurred[row * count + column] = 0.25 * left + 0.5 * level.scratch[row * count + column] + 0.25 * right
            }
        }
        for row in 0..<count {
            for column in 0..<count {
                let up = level.blurred[max(row - 1, 0) * count + column]
                let down = level.blurred[min(row + 1, count - 1) * count + column]
                let value = 0.25 * up + 0.5 * level.blurred[row * count + column] + 0.25 * down
                if template { level.template[row * count + column] = value } else { level.warped[row * count + column] = value }
            }
        }
    }

    /// Shifts and scales `patch` to zero mean and unit spread; false for a flat patch.
    private static func normalise(_ patch: inout [Float]) -> Bool {
        var sum: Float = 0, squares: Float = 0
        for value in patch { sum += value; squares += value * value }
        let count = Float(patch.count), mean = sum / count
        let spread = (max(squares / count - mean * mean, 0)).squareRoot()
        guard spread > 0.5 else { return false }  // under half a grey level: nothing to align on
        for index in patch.indices { patch[index] = (patch[index] - mean) / spread }
        return true
    }
}
